"""Catalog CSVs as booking systems and small shops export them: their header names, services listed with the
products in one file, and a report that names what was not read."""

from datetime import date

import pytest
from sqlalchemy import select

from concierge.cli.catalog import format_report
from concierge.nodes.retrieve_catalog import service_item
from concierge.state import Context
from concierge.tools.catalog.importer import import_catalog, parse_file
from concierge.tools.db.models import Product, Service, Tenant
from concierge.tools.toolbox import Toolbox

SALON = """Item ID,Item Name,Category,Brand,Description,Retail Price,Duration (mins),Stock On Hand,Bookable Online
cut-60,Signature Cut,Cuts,Studio,"Wash, cut and blow-dry.",85.00,60,,Yes
gloss,Gloss Refresh,Colour,Studio,A toning gloss.,65.00,1h 15m,,No
dryer,Air Hair Dryer,Retail,Veloce,Brushless dryer.,189.00,,7,
spray,Texture Spray,Retail,Maren,"Sea salt spray, 150 ml.",24.00,,0,
"""

TYPED = """SKU,Title,Type,Unit Price,Qty,Length (min)
consult,Colour Consultation,Service,0,,15
patch,Patch Test,service,,,
mask,Repair Mask,Product,32,11,
"""

PLAIN = """sku,name,price,category,brand,stock,description
T-1,Ridge Tent,199.00,Tents,Alpine,4,A two-person tent.
T-2,Lantern,12.50,Lights,Glow,,Warm light.
"""


async def _tenant(tools: Toolbox, tenant_id: str) -> None:
    async with tools.db.session() as s:
        s.add(Tenant(id=tenant_id, name=tenant_id.title(), timezone="UTC", currency="USD"))
        await s.commit()


async def _rows(tools: Toolbox, model: type, tenant_id: str) -> dict[str, dict]:
    key = "sku" if model is Product else "code"
    async with tools.db.session() as s:
        rows = (await s.scalars(select(model).where(model.tenant_id == tenant_id))).all()
    return {
        getattr(r, key): {c.name: getattr(r, c.name) for c in model.__table__.columns if c.name != "id"} for r in rows
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Item Name", "name"),
        ("PRODUCT-NAME", "name"),
        ("title", "name"),
        ("Item ID", "sku"),
        ("Product ID", "sku"),
        ("SKU", "sku"),
        ("Stock On Hand", "stock"),
        ("Qty", "stock"),
        ("quantity", "stock"),
        ("Inventory", "stock"),
        ("On Hand", "stock"),
        ("Retail Price", "price"),
        ("Unit Price", "price"),
        ("Product Category", "category"),
        ("Manufacturer", "brand"),
        ("Item Description", "description"),
    ],
)
def test_header_names_of_booking_systems_and_tills(header: str, field: str) -> None:
    value = {"name": "Lamp", "sku": "L-1", "stock": "3", "price": "9.50"}.get(field, "x")
    data = {
        "name": f"{header},Price\n{value},9.50\n",
        "price": f"Name,{header}\nLamp,{value}\n",
    }.get(field, f"Name,{header},Price\nLamp,{value},9.50\n")
    parsed = parse_file(data.encode(), "items.csv")
    row = parsed["products"][0][1]
    assert row[field] == value and parsed["ignored"] == []


def test_a_column_named_as_ours_wins_over_an_alias() -> None:
    parsed = parse_file(b"ID,Name,SKU,Price\n17,Lamp,L-1,9\n", "items.csv")
    assert parsed["products"][0][1]["sku"] == "L-1"
    assert [(c.column, c.reason) for c in parsed["ignored"]] == [("ID", "not read: column 'SKU' gives the sku")]


@pytest.mark.parametrize(
    ("written", "minutes"),
    [("60", 60), ("45.0", 45), ("45 min", 45), ("1h 30m", 90), ("1.5 hours", 90), ("1:15", 75), ("2 hrs", 120)],
)
async def test_durations_as_booking_systems_write_them(tools: Toolbox, written: str, minutes: int) -> None:
    await _tenant(tools, "dur")
    report = await import_catalog(tools.db, "dur", f"Name,Price,Duration\nCut,10,{written}\n".encode(), "s.csv")
    assert report.accepted_by_kind == {"services": 1}
    assert (await _rows(tools, Service, "dur"))["cut"]["duration_minutes"] == minutes


async def test_services_and_products_in_one_file(tools: Toolbox) -> None:
    await _tenant(tools, "salon")
    report = await import_catalog(tools.db, "salon", SALON.encode(), "catalog.csv")
    assert report.accepted_by_kind == {"products": 2, "services": 2} and report.rejected == []
    assert (report.accepted, report.created, report.updated) == (4, 4, 0)
    assert [(c.column, c.reason) for c in report.ignored] == [
        ("Category", "not stored for services (kept for products)"),
        ("Brand", "not stored for services (kept for products)"),
        ("Bookable Online", "not read: the catalog has no place for it"),
    ]
    services = await _rows(tools, Service, "salon")
    assert set(services) == {"cut-60", "gloss"}
    assert services["cut-60"]["name"] == "Signature Cut" and services["cut-60"]["duration_minutes"] == 60
    assert (
        str(services["cut-60"]["price"]) == "85.00" and services["cut-60"]["description"] == "Wash, cut and blow-dry."
    )
    assert services["gloss"]["duration_minutes"] == 75 and services["gloss"]["currency"] == "USD"
    products = await _rows(tools, Product, "salon")
    assert set(products) == {"dryer", "spray"}, "a service is not a product too"
    assert products["dryer"]["stock"] == 7 and products["spray"]["stock"] == 0
    assert products["dryer"]["brand"] == "Veloce" and products["dryer"]["category"] == "Retail"

    # the answer path finds the imported service with its price and duration
    hits = await tools.catalog.search_services("salon", "how long does a signature cut take", [date.today()], "UTC", 3)
    assert hits and hits[0].code == "cut-60"
    # with no slot in the schedule at all, its entry says nothing of free slots (not "no free slots")
    assert not hits[0].scheduled and "slots" not in service_item(hits[0])["text"]
    [club] = await tools.catalog.search_services("demo", "book club", [date.today()], "Europe/Dublin", 1)
    assert club.scheduled and "slots" in service_item(club)["text"]

    again = await import_catalog(tools.db, "salon", SALON.encode(), "catalog.csv")
    assert (again.created, again.updated, again.accepted_by_kind) == (0, 4, {"products": 2, "services": 2})
    assert len(await _rows(tools, Service, "salon")) == 2 and len(await _rows(tools, Product, "salon")) == 2


async def test_a_type_column_says_which_rows_are_services(tools: Toolbox) -> None:
    await _tenant(tools, "typed")
    report = await import_catalog(tools.db, "typed", TYPED.encode(), "catalog.csv")
    assert report.accepted_by_kind == {"products": 1, "services": 1}
    assert report.by_kind == {"products": 1, "services": 2}
    assert [(r.kind, r.row, r.key, r.reason) for r in report.rejected] == [
        ("services", 3, "patch", "duration_minutes: missing; price: missing")
    ]
    assert report.ignored == []
    services = await _rows(tools, Service, "typed")
    assert services["consult"]["duration_minutes"] == 15 and str(services["consult"]["price"]) == "0.00"
    products = await _rows(tools, Product, "typed")
    assert products["mask"]["stock"] == 11 and products["mask"]["name"] == "Repair Mask"


async def test_a_products_only_file_imports_as_before(tools: Toolbox) -> None:
    await _tenant(tools, "camp")
    report = await import_catalog(tools.db, "camp", PLAIN.encode(), "stock.csv")
    body = report.as_dict()
    assert (body["accepted"], body["created"], body["rejected_count"], body["by_kind"]) == (2, 2, 0, {"products": 2})
    assert body["accepted_by_kind"] == {"products": 2} and body["ignored"] == []
    assert await _rows(tools, Service, "camp") == {}
    products = await _rows(tools, Product, "camp")
    assert products["T-1"] == {
        "tenant_id": "camp",
        "sku": "T-1",
        "name": "Ridge Tent",
        "description": "A two-person tent.",
        "category": "Tents",
        "brand": "Alpine",
        "model_number": None,
        "tags": [],
        "price": products["T-1"]["price"],
        "currency": "USD",
        "stock": 4,
        "stock_by_location": None,
        "regular_price": None,
    }
    assert str(products["T-1"]["price"]) == "199.00" and products["T-2"]["stock"] is None

    # a product type that is not "service" keeps every row a product, and the report says the column was not kept
    typed = "sku,name,price,Type\nS-1,Shampoo,12,Hair care\n"
    report = await import_catalog(tools.db, "camp", typed.encode(), "typed.csv")
    assert report.accepted_by_kind == {"products": 1}
    assert [c.column for c in report.ignored] == ["Type"]


async def test_a_file_that_now_lists_an_item_as_a_service_moves_it(tools: Toolbox) -> None:
    """An owner's first import before services were read made products of them: the next import of the same kind
    of file moves them, so the catalog does not hold one item twice."""
    await _tenant(tools, "moved")
    first = await import_catalog(
        tools.db, "moved", b"ID,Name,Price\ncut-60,Signature Cut,85\ndryer,Dryer,189\n", "a.csv"
    )
    assert first.accepted_by_kind == {"products": 2}
    report = await import_catalog(tools.db, "moved", SALON.encode(), "catalog.csv")
    assert report.moved == ["cut-60"] and report.as_dict()["moved"] == ["cut-60"]
    assert set(await _rows(tools, Product, "moved")) == {"dryer", "spray"}
    assert set(await _rows(tools, Service, "moved")) == {"cut-60", "gloss"}


async def test_the_terminal_report_counts_each_kind_and_names_ignored_columns(tools: Toolbox) -> None:
    await _tenant(tools, "term")
    report = await import_catalog(tools.db, "term", SALON.encode(), "catalog.csv")
    text = format_report({"tenant_id": "term", **report.as_dict()})
    assert "accepted: services=2 products=2" in text or "accepted: products=2 services=2" in text
    assert "ignored column 'Bookable Online': not read: the catalog has no place for it" in text


async def test_anything_cheaper_than_a_service_lists_its_cheaper_kin(tools: Toolbox, context: Context) -> None:
    """Services have no category: "anything cheaper?" of the Balayage lists the services sharing a word of its name
    at a lower price, and says so plainly when there are none."""
    from dataclasses import replace

    from langgraph.runtime import Runtime

    from concierge.nodes.retrieve_catalog import retrieve_catalog
    from concierge.tools.analysis.query import analyze

    await _tenant(tools, "salon2")
    rows = """Item ID,Item Name,Category,Description,Retail Price,Duration (mins)
bal,Balayage,Colour,Hand-painted colour.,240.00,210
mini,Mini Balayage,Colour,Around the face only.,165.00,120
cut,Express Cut,Cuts,A quick cut.,40.00,30
"""
    await import_catalog(tools.db, "salon2", rows.encode(), "services.csv")
    ctx = replace(context, tenant_id="salon2")

    async def ask(code: str, name: str) -> list:
        analysis = analyze(
            f"Is there anything cheaper of the {name}?", today=date(2026, 12, 1), depth=1, available=["catalog"]
        )
        analysis.update(original="is there anything cheaper?", focus={"id": f"catalog:service:{code}", "name": name})
        return (await retrieve_catalog({"analysis": analysis}, Runtime(context=ctx)))["retrieved"]

    items = await ask("bal", "Balayage")
    assert items[0]["id"] == "catalog:service:mini"
    assert items[0]["metadata"]["listing"] == (
        "We offer 1 service cheaper than the Balayage: Mini Balayage (165.00 USD, 120 minutes)."
    )
    items = await ask("mini", "Mini Balayage")
    assert items[0]["metadata"]["listing"] == "We offer nothing like the Mini Balayage for less than 165.00 USD."
