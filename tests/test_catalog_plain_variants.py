"""Plain CSV catalogs as small shops keep them (no shop's export): the Handle keys an item, accented names make
plain keys, a header of several words names one column, rows of one product are its variants as in a Shopify
export, and a service listed in several rows is one service whose options its description lists."""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from concierge.cli.catalog import format_report
from concierge.tools.catalog.importer import import_catalog, parse_file
from concierge.tools.db.models import Product, ProductVariant, Service, Tenant
from concierge.tools.toolbox import Toolbox

# A board-game café's own spreadsheet (rows from the dicetower business of the evaluation sets).
HEADER = "Handle,Name,Variant,Kind,Category,Brand/Publisher,Tags,Price,Stock,Duration (min),Description\n"
GAMES = """\
chateau-des-brumes,Château des Brumes,,product,Games,Éditions Lanterne,strategy,69.95,7,,Worker placement.
foret-des-lucioles,Forêt des Lucioles,English edition,product,Games,Boréal Jeux,"family, kids",39.95,12,,Fireflies.
foret-des-lucioles,Forêt des Lucioles,Édition française,product,Games,Boréal Jeux,"family, français",39.95,0,,Fireflies.
gardien-value-sleeves,Gardien Value Sleeves,Standard (63.5 x 88 mm),product,Sleeves,Gardien,sleeves,5.95,60,,Clear.
runekeep-metal-dice,Runekeep Metal Dice Set,Gunmetal,product,Dice,Runekeep,dice,44.95,6,,A metal set.
runekeep-metal-dice,Runekeep Metal Dice Set,Antique gold,product,Dice,Runekeep,dice,49.95,2,,A metal set.
"""
SERVICES = """\
cafe-table-reservation,Café Table (per hour),Table for 2-4,service,Café,La Tour,table,10.00,,60,Per table.
cafe-table-reservation,Café Table (per hour),Table for 5-8,service,Café,La Tour,table,18.00,,60,Per table.
learn-to-play-night,Learn-to-Play Night,Thu 7 January 2027,service,Events,La Tour,event,12.00,9,150,Learn a game.
learn-to-play-night,Learn-to-Play Night,Thu 21 January 2027,service,Events,La Tour,event,12.00,0,150,Learn a game.
learn-to-play-night,Learn-to-Play Night,Thu 28 January 2027,service,Events,La Tour,event,12.00,1,150,Learn a game.
"""
CAFE = HEADER + GAMES + SERVICES

# The same games as Shopify exports them.
SHOPIFY = """Handle,Title,Body (HTML),Vendor,Type,Tags,Option1 Name,Option1 Value,Variant Price,Variant Inventory Qty
chateau-des-brumes,Château des Brumes,Worker placement.,Éditions Lanterne,Games,strategy,Title,Default Title,69.95,7
foret-des-lucioles,Forêt des Lucioles,Fireflies.,Boréal Jeux,Games,"family, kids",Variant,English edition,39.95,12
foret-des-lucioles,,,,,,,Édition française,39.95,0
gardien-value-sleeves,Gardien Value Sleeves,Clear.,Gardien,Sleeves,sleeves,Variant,Standard (63.5 x 88 mm),5.95,60
runekeep-metal-dice,Runekeep Metal Dice Set,A metal set.,Runekeep,Dice,dice,Variant,Gunmetal,44.95,6
runekeep-metal-dice,,,,,,,Antique gold,49.95,2
"""


async def _tenant(tools: Toolbox, tenant_id: str, currency: str = "CAD") -> None:
    async with tools.db.session() as s:
        s.add(Tenant(id=tenant_id, name=tenant_id.title(), timezone="UTC", currency=currency))
        await s.commit()


async def _catalog(tools: Toolbox, tenant_id: str) -> dict[str, dict[str, Any]]:
    """Every product by SKU with its columns and its variants (options, SKU, price, stock, currency), and every
    service by code."""
    async with tools.db.session() as s:
        products = (await s.scalars(select(Product).where(Product.tenant_id == tenant_id))).all()
        variants = (
            await s.scalars(
                select(ProductVariant)
                .where(ProductVariant.tenant_id == tenant_id)
                .order_by(ProductVariant.product_id, ProductVariant.position)
            )
        ).all()
        services = (await s.scalars(select(Service).where(Service.tenant_id == tenant_id))).all()
    out: dict[str, dict[str, Any]] = {}
    for p in products:
        row = {c.name: getattr(p, c.name) for c in Product.__table__.columns if c.name not in ("id", "tenant_id")}
        row["variants"] = [
            (v.options, v.sku, str(v.price), v.stock, v.currency) for v in variants if v.product_id == p.id
        ]
        out[p.sku] = row
    for sv in services:
        out[f"service:{sv.code}"] = {
            c.name: getattr(sv, c.name) for c in Service.__table__.columns if c.name not in ("id", "tenant_id")
        }
    return out


async def test_names_without_a_key_column_make_keys_of_their_base_letters(tools: Toolbox) -> None:
    await _tenant(tools, "plain")
    data = "Name,Price\nChâteau des Brumes,69.95\nÉrable Game Table,3450\nCœur Straße,3\n"
    report = await import_catalog(tools.db, "plain", data.encode(), "items.csv")
    assert report.accepted == 3 and report.rejected == []
    assert set(await _catalog(tools, "plain")) == {"chateau-des-brumes", "erable-game-table", "coeur-strasse"}


@pytest.mark.parametrize("header", ["Handle", "Slug", "Product Handle", "URL handle"])
async def test_the_handle_is_the_products_key_and_the_services_code(tools: Toolbox, header: str) -> None:
    await _tenant(tools, "keyed")
    data = f"{header},Name,Price,Duration\nthe-chateau,Château des Brumes,69.95,\ncafe-table,Café Table,10,60\n"
    report = await import_catalog(tools.db, "keyed", data.encode(), "items.csv")
    assert report.accepted_by_kind == {"products": 1, "services": 1} and report.ignored == []
    assert set(await _catalog(tools, "keyed")) == {"the-chateau", "service:cafe-table"}


def test_a_handle_keys_products_over_a_sku_and_the_report_says_where_the_sku_is_not_read() -> None:
    parsed = parse_file(b"Handle,SKU,Name,Price\ntent,T-1,Ridge Tent,199\n", "items.csv")
    assert [(c.column, c.reason) for c in parsed["ignored"]] == [
        ("SKU", "not read where a row has a handle and no variant: the handle is its key")
    ]


@pytest.mark.parametrize(
    "header", ["Brand/Publisher", "Publisher", "Maker", "Make", "Label", "Product Brand", "Publisher Name", "Vendor"]
)
def test_a_header_of_several_words_or_a_brands_other_name_is_the_brand(header: str) -> None:
    parsed = parse_file(f"Name,Price,{header}\nIronwake,139.95,Longbarrow Games\n".encode(), "items.csv")
    assert parsed["products"][0][1]["brand"] == "Longbarrow Games" and parsed["ignored"] == []


@pytest.mark.parametrize("header", ["Cost Price", "Stock Status", "Duration (hours)", "Make/Model"])
def test_a_header_with_a_word_that_may_change_its_meaning_is_not_read(header: str) -> None:
    parsed = parse_file(f"Name,Price,{header}\nIronwake,139.95,x\n".encode(), "items.csv")
    row = parsed["products"][0][1]
    assert row["price"] == "139.95" and "brand" not in row and "stock" not in row
    assert [(c.column, c.reason) for c in parsed["ignored"]] == [(header, "not read: the catalog has no place for it")]


async def test_rows_of_one_handle_are_one_product_with_its_variants(tools: Toolbox) -> None:
    await _tenant(tools, "cafe")
    report = await import_catalog(tools.db, "cafe", (HEADER + GAMES).encode(), "products.csv")
    body = report.as_dict()
    assert (body["accepted"], body["created"], body["rejected"], body["skipped"]) == (4, 4, [], [])
    assert body["variants"] == {"accepted": 5, "created": 5, "updated": 0, "removed": 0}
    assert [c["column"] for c in body["ignored"]] == ["Kind", "Duration (min)"], "Handle, Variant and Brand are read"
    catalog = await _catalog(tools, "cafe")
    assert set(catalog) == {
        "chateau-des-brumes",
        "foret-des-lucioles",
        "gardien-value-sleeves",
        "runekeep-metal-dice",
    }
    foret = catalog["foret-des-lucioles"]
    assert foret["variants"] == [
        ({"Variant": "English edition"}, None, "39.95", 12, "CAD"),
        ({"Variant": "Édition française"}, None, "39.95", 0, "CAD"),
    ]
    assert (foret["price"], foret["stock"], foret["brand"]) == (Decimal("39.95"), 12, "Boréal Jeux")
    assert foret["tags"] == ["family", "kids", "français"], "a version's own tag finds the product too"
    dice = catalog["runekeep-metal-dice"]
    assert (dice["price"], dice["stock"]) == (Decimal("44.95"), 8), "from the lowest price; stock the sum"
    assert [v[0]["Variant"] for v in dice["variants"]] == ["Gunmetal", "Antique gold"]
    sleeves = catalog["gardien-value-sleeves"]
    assert sleeves["variants"] == [({"Variant": "Standard (63.5 x 88 mm)"}, None, "5.95", 60, "CAD")]
    assert catalog["chateau-des-brumes"]["variants"] == [] and catalog["chateau-des-brumes"]["stock"] == 7

    again = await import_catalog(tools.db, "cafe", (HEADER + GAMES).encode(), "products.csv")
    assert (again.created, again.updated, again.variants.created, again.variants.updated) == (0, 4, 0, 5)
    assert await _catalog(tools, "cafe") == catalog

    hits = await tools.catalog.search_products("cafe", "foret des lucioles en français", [], 3)
    assert hits[0].sku == "foret-des-lucioles" and len(hits[0].variants) == 2


async def test_a_plain_csv_imports_as_the_same_catalog_as_a_shopify_export(tools: Toolbox) -> None:
    await _tenant(tools, "plain")
    await _tenant(tools, "shopify")
    same_tags = GAMES.replace("family, français", "family, kids")  # Shopify reads a product's first tags
    plain = await import_catalog(tools.db, "plain", (HEADER + same_tags).encode(), "products.csv")
    shopify = await import_catalog(tools.db, "shopify", SHOPIFY.encode(), "products_export.csv")
    assert shopify.format == "shopify" and plain.format is None
    assert (plain.accepted, plain.variants) == (shopify.accepted, shopify.variants)
    assert await _catalog(tools, "plain") == await _catalog(tools, "shopify")


async def test_without_handles_rows_of_one_name_that_differ_in_size_are_its_variants(tools: Toolbox) -> None:
    await _tenant(tools, "tees")
    data = """SKU,Name,Size,Colour,Price,Stock,Currency
TEE-S,Trail Tee,S,Grey,25,3,
TEE-M,Trail Tee,M,Grey,25,0,
TEE-L,Trail Tee,L,Grey,27,2,EUR
CAP,Trail Cap,One size,Grey,15,9,
"""
    report = await import_catalog(tools.db, "tees", data.encode(), "items.csv")
    assert (report.accepted, report.variants.created, report.rejected) == (2, 3, [])
    assert [(c.column, c.reason) for c in report.ignored] == [
        ("Size", "read only where an item's rows differ in it (as its options)"),
        ("Colour", "not read: the catalog has no place for it"),
    ]
    catalog = await _catalog(tools, "tees")
    assert set(catalog) == {"trail-tee", "CAP"}, "a product in versions is keyed by its name; in one, by its SKU"
    assert catalog["trail-tee"]["variants"] == [
        ({"Size": "S"}, "TEE-S", "25.00", 3, "CAD"),
        ({"Size": "M"}, "TEE-M", "25.00", 0, "CAD"),
        ({"Size": "L"}, "TEE-L", "27.00", 2, "EUR"),
    ]
    assert (catalog["trail-tee"]["price"], catalog["trail-tee"]["stock"]) == (Decimal("25.00"), 5)


async def test_every_row_of_a_product_in_versions_is_a_variant_or_a_reason(tools: Toolbox) -> None:
    await _tenant(tools, "bad")
    data = (
        HEADER
        + """dice,Metal Dice,,product,Dice,Runekeep,dice,44.95,,,The set's own row.
dice,Metal Dice,Gunmetal,product,Dice,Runekeep,dice,44.95,6,,
dice,Metal Dice,,product,Dice,Runekeep,dice,44.95,6,,
dice,Metal Dice,gunmetal,product,Dice,Runekeep,dice,46,1,,
dice,Metal Dice,Antique gold,product,Dice,Runekeep,dice,forty,2,,
dice,Metal Dice,Copper,product,Dice,Runekeep,dice,39.95,-1,,
"""
    )
    report = await import_catalog(tools.db, "bad", data.encode(), "products.csv")
    assert (report.accepted, report.variants.accepted) == (1, 2)
    assert {r.row: r.reason for r in report.rejected} == {
        4: "variant of 'Metal Dice' names no option value (Variant)",
        5: "variant of 'Metal Dice' with the same options as line 3: {'Variant': 'gunmetal'}",
        6: "variant: price: not a number: 'forty'",
    }
    dice = (await _catalog(tools, "bad"))["dice"]
    assert dice["description"] == "The set's own row."
    assert dice["variants"] == [
        ({"Variant": "Gunmetal"}, None, "44.95", 6, "CAD"),
        ({"Variant": "Copper"}, None, "39.95", 0, "CAD"),
    ]
    assert dice["price"] == Decimal("39.95"), "a version sold out below zero is 0 left, as in a shop export"


async def test_a_service_in_several_rows_is_one_service_from_its_lowest_price(tools: Toolbox) -> None:
    await _tenant(tools, "cafe")
    report = await import_catalog(tools.db, "cafe", CAFE.encode(), "products.csv")
    assert report.accepted_by_kind == {"products": 4, "services": 2} and report.rejected == []
    assert [(c.kind, c.key, c.rows) for c in report.combined] == [
        ("services", "cafe-table-reservation", [8, 9]),
        ("services", "learn-to-play-night", [10, 11, 12]),
    ]
    assert report.combined[0].note == (
        "2 option(s) in one service (a service has no variants): its price is the lowest, 10.00; each option is a "
        "line of its description"
    )
    assert [c.column for c in report.ignored] == ["Category", "Brand/Publisher", "Tags"], "stock was read"
    catalog = await _catalog(tools, "cafe")
    table = catalog["service:cafe-table-reservation"]
    assert (table["name"], table["price"], table["duration_minutes"]) == (
        "Café Table (per hour)",
        Decimal("10.00"),
        60,
    )
    assert table["description"] == "Per table.\nTable for 2-4: 10.00.\nTable for 5-8: 18.00."
    night = catalog["service:learn-to-play-night"]
    assert night["description"] == (
        "Learn a game.\nThu 7 January 2027: 12.00, 9 places left.\nThu 21 January 2027: 12.00, no places "
        "left.\nThu 28 January 2027: 12.00, 1 place left."
    )
    text = format_report({"tenant_id": "cafe", **report.as_dict()})
    assert "combined services rows 10, 11, 12 (learn-to-play-night): 3 option(s) in one service" in text

    again = await import_catalog(tools.db, "cafe", CAFE.encode(), "products.csv")
    assert (again.created, again.updated) == (0, 6)
    assert await _catalog(tools, "cafe") == catalog, "the options are not described twice"


async def test_a_service_file_with_its_currency_and_a_bad_option(tools: Toolbox) -> None:
    await _tenant(tools, "rooms")
    data = """Code,Name,Option,Price,Currency,Duration,Stock
room,Escape Room,2 players,40,cad,60,
room,Escape Room,6 players,90,cad,75,
room,Escape Room,8 players,lots,cad,75,
"""
    report = await import_catalog(tools.db, "rooms", data.encode(), "services.csv", "services")
    assert report.accepted_by_kind == {"services": 1}
    assert [(r.row, r.reason) for r in report.rejected] == [(4, "option '8 players': price: not a number: 'lots'")]
    room = (await _catalog(tools, "rooms"))["service:room"]
    assert (room["price"], room["currency"], room["duration_minutes"]) == (Decimal("40.00"), "CAD", 60)
    assert room["description"] == "2 players: 40.00 CAD.\n6 players: 90.00 CAD, 75 min."


async def test_items_an_earlier_import_keyed_otherwise_are_renamed_not_held_twice(tools: Toolbox) -> None:
    await _tenant(tools, "older")
    async with tools.db.session() as s:  # as imports made them before handles and accented letters were read
        s.add(Product(tenant_id="older", sku="ch-teau-des-brumes", name="Château des Brumes", price=Decimal(60)))
        s.add(
            Service(
                tenant_id="older",
                code="learn-to-play-night",
                name="Learn-to-Play Night",
                duration_minutes=150,
                price=Decimal(12),
            )
        )
        s.add(
            Service(
                tenant_id="older",
                code="caf-table-per-hour",
                name="Café Table (per hour)",
                duration_minutes=60,
                price=Decimal(10),
            )
        )
        await s.commit()
    report = await import_catalog(tools.db, "older", CAFE.encode(), "products.csv")
    assert report.rekeyed == [
        "ch-teau-des-brumes -> chateau-des-brumes",
        "caf-table-per-hour -> cafe-table-reservation",
    ]
    assert (report.created, report.updated) == (3, 3)
    assert set(await _catalog(tools, "older")) == {
        "chateau-des-brumes",
        "foret-des-lucioles",
        "gardien-value-sleeves",
        "runekeep-metal-dice",
        "service:cafe-table-reservation",
        "service:learn-to-play-night",
    }
    assert "rekeyed ch-teau-des-brumes -> chateau-des-brumes" in format_report(
        {"tenant_id": "older", **report.as_dict()}
    )

    # Versions an earlier import held as products of their own (the file had no size column then) become one.
    await import_catalog(tools.db, "older", b"SKU,Name,Price\nTEE-S,Trail Tee,25\nTEE-M,Trail Tee,26\n", "a.csv")
    later = await import_catalog(
        tools.db, "older", b"SKU,Name,Size,Price\nTEE-S,Trail Tee,S,25\nTEE-M,Trail Tee,M,26\n", "a.csv"
    )
    assert later.rekeyed == ["TEE-S -> trail-tee", "TEE-M -> trail-tee"]
    catalog = await _catalog(tools, "older")
    assert "TEE-S" not in catalog and "TEE-M" not in catalog
    assert [v[1] for v in catalog["trail-tee"]["variants"]] == ["TEE-S", "TEE-M"]
