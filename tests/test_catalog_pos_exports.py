"""Exports of web shops and tills with one row per version: a Lightspeed eCom product export and a Square item
library are recognised by their headers and import as products keyed by their handle, with variants, sale prices,
categories and stock (not stated where the export does not track it, never 0), Square's appointment services as
services when a column gives their duration; every row is a product, a variant, a service, rejected or skipped,
and every column left unread is reported with the reason."""

import csv
import io
from decimal import Decimal

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select

from concierge.graph.graph import build_graph
from concierge.nodes.retrieve_catalog import product_item
from concierge.state import Context
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.search import ProductHit
from concierge.tools.catalog.shop_exports import detect, language
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Product, ProductVariant, Service, Tenant
from concierge.tools.toolbox import Toolbox
from tests.conftest import PATIENT_BUDGETS, add_tenant
from tests.postgres import PG_URL, pg_schema
from tests.test_catalog_sales import _product, _variants


def _csv(*rows: str) -> bytes:
    """A CSV file from rows written with "|" between cells (cells hold commas)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(row.split("|") for row in rows)
    return out.getvalue().encode()


LS_HEADER = (
    "Internal_ID|Internal_Variant_ID|Visible|Brand|Supplier|EN_Title_Short|EN_Title_Long|EN_Description_Short|"
    "EN_Description_Long|EN_URL|EN_Variant|Price|Price_Old|Price_Cost|Tax|Stock_Track|Stock_Level|Article_Code|EAN|"
    "SKU|Weight|Category_1|Category_2"
)
LIGHTSPEED = _csv(
    LS_HEADER,
    "101|1|Y|Vonk|Vonk BV|Stadsrijder E7|Vonk Stadsrijder E7 city e-bike|City e-bike with belt drive.|"
    "<p>Mid-motor, <strong>Gates</strong> belt.</p>|vonk-e7|Battery: 418 Wh|2799.00||2050.00|21|Y|3|E7-418||E7-418|"
    "25800|Bikes|E-bikes",
    "101|2|Y|Vonk|Vonk BV|Stadsrijder E7|Vonk Stadsrijder E7 city e-bike|City e-bike with belt drive.|"
    "<p>Mid-motor, <strong>Gates</strong> belt.</p>|vonk-e7|Battery: 625 Wh|3149.00||2310.00|21|Y|0|E7-625||E7-625|"
    "26900|Bikes|E-bikes",
    "102|3|Y|Vonk|Vonk BV|Bakfiets K2|Bakfiets K2|Cargo bike for two children.||vonk-k2|Default|4299.00|4599.00|"
    "3180.00|21|Y|2|K2||K2|46000|Bikes|Cargo bikes",
    "103|4|Y|Werkplaats||Puncture repair|Puncture repair (band plakken)|Price per wheel.||puncture-repair|"
    "Wheel: Front wheel|15.00||||N|0|BP-V||BP-V||Workshop|Repairs",
    "103|5|Y|Werkplaats||Puncture repair|Puncture repair (band plakken)|Price per wheel.||puncture-repair|"
    "Wheel: Rear wheel, hub gear|27.50||||N|0|BP-A||BP-A||Workshop|Repairs",
    "104|6|Y|Werkplaats||Standard service|Standard service|Yearly check-up.||standard-service|Default|69.00||||N|0|"
    "KB||KB||Workshop|",
    "105|7|N|Vonk|Vonk BV|Prototype X|Prototype X|Not yet.||prototype-x|Default|999.00||||Y|1|PX||PX||Bikes|",
    "106|8|Y|Gracht||Double pannier|Double pannier|Roll-top.||gracht-pannier|Colour: Black|109.95||55.00||Y|-2|"
    "GR-B||GR-B||Accessories|Bags",
    "106|9|Y|Gracht||Double pannier|Double pannier|Roll-top.||gracht-pannier|Colour: Black|109.95||55.00||Y|1|"
    "GR-B2||GR-B2||Accessories|Bags",
    "106|10|Y|Gracht||Double pannier|Double pannier|Roll-top.||gracht-pannier|Default|109.95||55.00||Y|1|"
    "GR-X||GR-X||Accessories|Bags",
)


async def _said(tools: Toolbox, tenant_id: str, sku: str) -> str:
    """What the catalog tells the answerer about one item."""
    tools.catalog.invalidate(tenant_id)
    hits: list[ProductHit] = await tools.catalog.products(tenant_id, [sku])
    assert [h.sku for h in hits] == [sku]
    return product_item(hits[0])["text"]


def test_the_exports_are_recognised_by_their_headers() -> None:
    assert detect(LS_HEADER.split("|")) == "lightspeed"
    dutch = ["Internal_ID", "Internal_Variant_ID", "NL_Title_Short", "NL_URL", "NL_Variant", "Price"]
    assert detect(dutch) == "lightspeed"
    assert language(dutch) == "nl"
    assert language(["Internal_ID", "NL_Title_Short", "EN_Title_Short", "DE_Title_Short"]) == "en"
    assert detect(SQUARE_HEADER.split("|")) == "square"
    assert detect(["Token", "Item Name", "Variation Name", "SKU", "Price"]) == "square", "before Reference Handle"
    assert detect(["Name", "SKU", "Price", "Stock_Level"]) is None
    assert detect(["Item Name", "Variation Name", "Price"]) is None, "a plain list's columns alone are no export"


async def test_lightspeed_export_imports_products_by_handle_with_variants(tools: Toolbox) -> None:
    await add_tenant(tools, "bikes", currency="EUR")
    body = (await import_catalog(tools.db, "bikes", LIGHTSPEED, "export.csv")).as_dict()
    assert body["format"] == "lightspeed"
    assert (body["accepted"], body["created"]) == (5, 5)
    assert body["accepted_by_kind"] == {"products": 5}
    assert body["variants"] == {"accepted": 5, "created": 5, "updated": 0, "removed": 0}
    rejected = {r["row"]: r["reason"] for r in body["rejected"]}
    assert rejected == {
        10: "variant of 'Double pannier' with the same options as line 9: {'Colour': 'Black'}",
        11: "variant of 'Double pannier' names no option value",
    }
    skipped = {r["row"]: r["reason"] for r in body["skipped"]}
    assert skipped == {8: "'Prototype X' is not visible in the shop: not for sale"}
    # Every data row is accounted for: a product (its first row), a variant, rejected or skipped.
    variant_rows = {2, 3, 5, 6, 9}
    assert {2, 4, 5, 7, 9} | variant_rows | set(rejected) | set(skipped) == set(range(2, 12))

    async with tools.db.session() as s:
        skus = set(await s.scalars(select(Product.sku).where(Product.tenant_id == "bikes")))
    assert skus == {"vonk-e7", "vonk-k2", "puncture-repair", "standard-service", "gracht-pannier"}

    e7 = await _product(tools, "bikes", "vonk-e7")
    assert (e7.name, e7.brand, e7.category, e7.price, e7.stock) == (
        "Stadsrijder E7",
        "Vonk",
        "E-bikes",
        Decimal("2799.00"),
        3,
    )
    assert e7.description == "Vonk Stadsrijder E7 city e-bike\nCity e-bike with belt drive.\nMid-motor, Gates belt."
    variants = await _variants(tools, "bikes", "vonk-e7")
    assert [(v.sku, v.options, v.price, v.stock) for v in variants] == [
        ("E7-418", {"Battery": "418 Wh"}, Decimal("2799.00"), 3),
        ("E7-625", {"Battery": "625 Wh"}, Decimal("3149.00"), 0),
    ]

    k2 = await _product(tools, "bikes", "vonk-k2")
    assert (k2.price, k2.regular_price, k2.stock, k2.category) == (
        Decimal("4299.00"),
        Decimal("4599.00"),
        2,
        "Cargo bikes",
    )
    assert await _variants(tools, "bikes", "vonk-k2") == [], "'Default' is a product sold in one version"
    assert "2050" not in e7.description and "3180" not in (k2.description or ""), "a cost price is never said"

    pannier = await _product(tools, "bikes", "gracht-pannier")
    assert pannier.stock == 0, "stock below zero (oversold) is none left"

    ignored = {c["column"]: c["reason"] for c in body["ignored"]}
    assert ignored["Price_Cost"] == "not read: a cost price is never shown to customers"
    assert ignored["Weight"] == "not read: the catalog has no place for it"
    assert ignored["Category_1"].startswith("read only where a later category column is empty")
    for read in ("EN_Title_Short", "EN_URL", "EN_Variant", "Price", "Price_Old", "Stock_Track", "SKU", "Category_2"):
        assert read not in ignored, read


async def test_untracked_stock_is_not_stated_never_out_of_stock(tools: Toolbox) -> None:
    await add_tenant(tools, "bikes", currency="EUR")
    # An earlier import (the same items as a plain list) stored a count of 0 for the workshop jobs.
    earlier = _csv("Handle|Name|Price|Stock", "standard-service|Standard service|69.00|0", "puncture-repair|P|1.00|0")
    await import_catalog(tools.db, "bikes", earlier, "list.csv")
    assert (await _product(tools, "bikes", "standard-service")).stock == 0

    await import_catalog(tools.db, "bikes", LIGHTSPEED, "export.csv")
    service = await _product(tools, "bikes", "standard-service")
    puncture = await _product(tools, "bikes", "puncture-repair")
    assert (service.stock, puncture.stock) == (None, None), "Stock_Track N: not tracked, so not stated"
    assert (service.category, puncture.category) == ("Workshop", "Repairs")
    variants = await _variants(tools, "bikes", "puncture-repair")
    assert [(v.options, v.price, v.stock) for v in variants] == [
        ({"Wheel": "Front wheel"}, Decimal("15.00"), None),
        ({"Wheel": "Rear wheel, hub gear"}, Decimal("27.50"), None),
    ]
    for sku in ("standard-service", "puncture-repair"):
        said = await _said(tools, "bikes", sku)
        assert "out of stock" not in said and "in stock" not in said, said
    assert (await _said(tools, "bikes", "standard-service")).startswith(
        "Standard service by Werkplaats costs 69.00 EUR."
    )
    # A tracked count of 0 is still said.
    assert "625 Wh at 3149.00 EUR (currently out of stock)" in await _said(tools, "bikes", "vonk-e7")


async def test_lightspeed_export_in_another_language(tools: Toolbox) -> None:
    await add_tenant(tools, "fietsen", currency="EUR")
    data = _csv(
        "Internal_ID|NL_Title_Short|NL_Description_Long|NL_URL|NL_Variant|DE_Title_Short|Price|Stock_Track|"
        "Stock_Level|SKU|Category_1",
        "7|Ringslot R60|<p>Klassiek ringslot.</p>|ringslot-r60|Standaard|Rahmenschloss R60|39.95|Y|14|R60|Sloten",
        "8|Kettingslot|Harde ketting.|kettingslot|Lengte: 85 cm|Kettenschloss|74.95|Y|5|K-85|Sloten",
        "8|Kettingslot|Harde ketting.|kettingslot|Lengte: 110 cm|Kettenschloss|84.95|Y|0|K-110|Sloten",
    )
    body = (await import_catalog(tools.db, "fietsen", data, "export.csv")).as_dict()
    assert body["format"] == "lightspeed" and body["rejected"] == []
    chain = await _product(tools, "fietsen", "kettingslot")
    described = (chain.name, chain.description, chain.category, chain.stock)
    assert described == ("Kettingslot", "Harde ketting.", "Sloten", 5)
    assert [v.options for v in await _variants(tools, "fietsen", "kettingslot")] == [
        {"Lengte": "85 cm"},
        {"Lengte": "110 cm"},
    ]
    lock = await _product(tools, "fietsen", "ringslot-r60")
    assert (lock.name, lock.description) == ("Ringslot R60", "Klassiek ringslot.")
    assert [v.options for v in await _variants(tools, "fietsen", "ringslot-r60")] == [{"Variant": "Standaard"}], (
        "a title with no option name is the variant's value"
    )
    ignored = {c["column"]: c["reason"] for c in body["ignored"]}
    assert ignored == {"DE_Title_Short": "not read: the NL texts are read"}


SQUARE_HEADER = (
    "Reference Handle|Token|Item Name|Variation Name|SKU|Description|Categories|Reporting Category|Item Type|"
    "Weight (kg)|Price|Online Sale Price|Archived|Option Name 1|Option Value 1|Default Unit Cost|"
    "Current Quantity Leeds|Current Quantity York|Price Leeds"
)
SQUARE = _csv(
    SQUARE_HEADER,
    "#lagoon-60|T1|Lagoon 60 Kit|Black|LG-B|<p>A 60 litre <strong>starter</strong> tank.</p>|Aquariums|Aquariums|"
    "Physical good|14.5|149.99||N|Colour|Black|86.40|5|2|",
    "#lagoon-60|T2|Lagoon 60 Kit|White|LG-W|<p>A 60 litre <strong>starter</strong> tank.</p>|Aquariums|Aquariums|"
    "Physical good|14.5|159.99||N|Colour|White|92.10|-1|3|",
    "#c1200|T3|C-1200 UV Filter|Regular|C1200|Canister filter with UV.|Filters|Filters|Physical good|7.2|139.99|"
    "119.99|N|||79.80|4||",
    "#flake|T4|Tropical Flake|50g|FL-50|Flake food.||Food|Physical good|0.08|4.99||N|||2.05|24||",
    "#flake|T5|Tropical Flake|200g|FL-200|Flake food.||Food|Physical good|0.3|12.99||N|||5.70|10||",
    "#water-testing|T6|Water Testing|Regular|SVC-WT|We test your water while you wait.|Services|Services|"
    "Appointments Service||3.00||N||||||",
    "#old-pump|T7|Old Pump|Regular|OP|Gone.|Filters|Filters|Physical good||9.99||Y|||||1|",
    "|T8|Gravel|Regular|GRV|Aquarium gravel.|Substrates||Physical good||6.50||N|||||8|",
)


async def test_square_item_library_imports_items_by_handle(tools: Toolbox) -> None:
    await add_tenant(tools, "fish", currency="GBP")
    body = (await import_catalog(tools.db, "fish", SQUARE, "items.csv")).as_dict()
    assert body["format"] == "square"
    assert body["rejected"] == []
    assert {r["row"]: r["reason"] for r in body["skipped"]} == {8: "'Old Pump' is archived: not for sale"}
    assert body["accepted_by_kind"] == {"products": 5}
    async with tools.db.session() as s:
        skus = set(await s.scalars(select(Product.sku).where(Product.tenant_id == "fish")))
    assert skus == {"lagoon-60", "c1200", "flake", "water-testing", "GRV"}, "the handle without '#', else the SKU"

    lagoon = await _product(tools, "fish", "lagoon-60")
    assert (lagoon.name, lagoon.category, lagoon.price, lagoon.description) == (
        "Lagoon 60 Kit",
        "Aquariums",
        Decimal("149.99"),
        "A 60 litre starter tank.",
    )
    variants = await _variants(tools, "fish", "lagoon-60")
    assert [(v.sku, v.options, v.price, v.stock) for v in variants] == [
        ("LG-B", {"Colour": "Black"}, Decimal("149.99"), 7),
        ("LG-W", {"Colour": "White"}, Decimal("159.99"), 3),
    ], "stock summed over the locations, a count below zero as none"
    assert lagoon.stock == 10

    uv = await _product(tools, "fish", "c1200")
    assert (uv.price, uv.regular_price, uv.stock) == (Decimal("119.99"), Decimal("139.99"), 4)
    assert "costs 119.99 GBP (on sale, regular price 139.99 GBP)" in await _said(tools, "fish", "c1200")

    flake = await _variants(tools, "fish", "flake")
    assert [(v.options, v.price) for v in flake] == [
        ({"Variation": "50g"}, Decimal("4.99")),
        ({"Variation": "200g"}, Decimal("12.99")),
    ], "variations without an option: their names"
    assert (await _product(tools, "fish", "flake")).category == "Food", "Reporting Category where none is given"

    testing = await _product(tools, "fish", "water-testing")
    assert (testing.price, testing.stock, testing.category) == (Decimal("3.00"), None, "Services")
    assert "stock" not in await _said(tools, "fish", "water-testing")

    ignored = {c["column"]: c["reason"] for c in body["ignored"]}
    assert ignored["Default Unit Cost"] == "not read: a cost price is never shown to customers"
    assert ignored["Price Leeds"] == "not read: column 'Price' gives the price"
    assert ignored["Item Type"].startswith("read in part: its services without a duration are products")
    for read in ("Reference Handle", "Item Name", "Variation Name", "Online Sale Price", "Current Quantity York"):
        assert read not in ignored, read


async def test_square_appointment_services_with_a_duration_are_services(tools: Toolbox) -> None:
    await add_tenant(tools, "fish", currency="GBP")
    await import_catalog(tools.db, "fish", SQUARE, "items.csv")  # no duration: the service is a product
    data = _csv(
        "Reference Handle|Token|Item Name|Variation Name|SKU|Description|Categories|Item Type|Price|Service Duration|"
        "Current Quantity Leeds",
        "#water-testing|T6|Water Testing|Regular|SVC-WT|We test your water.|Services|Appointments Service|3.00|15||",
        "#maintenance|T9|Maintenance Visit|Small tank|SVC-M1|A home visit.|Services|Appointments Service|45.00|1h||",
        "#maintenance|T10|Maintenance Visit|Large tank|SVC-M2|A home visit.|Services|Appointments Service|65.00|"
        "1h 30m||",
        "#heater|T11|Heater|Regular|HT|Heats.|Heating|Physical good|19.99||6",
    )
    report = await import_catalog(tools.db, "fish", data, "items.csv")
    body = report.as_dict()
    assert body["rejected"] == [] and body["accepted_by_kind"] == {"products": 1, "services": 2}
    assert body["moved"] == ["water-testing"], "the product an earlier import made of the service is gone"
    assert "Item Type" not in {c["column"] for c in body["ignored"]}
    async with tools.db.session() as s:
        services = {sv.code: sv for sv in await s.scalars(select(Service).where(Service.tenant_id == "fish"))}
        products = set(await s.scalars(select(Product.sku).where(Product.tenant_id == "fish")))
    assert "water-testing" not in products and "heater" in products
    assert (services["water-testing"].duration_minutes, services["water-testing"].price) == (15, Decimal("3.00"))
    visit = services["maintenance"]
    assert (visit.name, visit.duration_minutes, visit.price) == ("Maintenance Visit", 60, Decimal("45.00"))
    assert "Small tank: 45.00." in visit.description
    assert "Large tank: 65.00, 90 min." in visit.description, "an option's own duration is said"


SQUARE_LOCATIONS_HEADER = (
    "Reference Handle|Token|Item Name|Variation Name|SKU|Description|Categories|Item Type|Price|Archived|"
    "Option Name 1|Option Value 1|Enabled Alpine Denver|Current Quantity Alpine Denver|Stock Alert Count Alpine Denver|"
    "Enabled Alpine Frisco|Current Quantity Alpine Frisco|Stock Alert Count Alpine Frisco"
)
SQUARE_LOCATIONS = _csv(
    SQUARE_LOCATIONS_HEADER,
    "#vista-92|V1|Vista 92|170 cm|V92-170|All-mountain ski.|Skis|Physical good|599.00|N|Length|170 cm|Y|3|1|Y|0|1",
    "#vista-92|V2|Vista 92|177 cm|V92-177|All-mountain ski.|Skis|Physical good|599.00|N|Length|177 cm|Y|0|1|Y|2|1",
    "#vista-92|V3|Vista 92|184 cm|V92-184|All-mountain ski.|Skis|Physical good|599.00|N|Length|184 cm|Y|1|1|Y|1|1",
    "#glide-paste|G1|Glide Paste|Regular|GP|Rub-on wax.|Wax|Physical good|12.00|N|||Y|15|2|Y|20|2",
    "#tune-kit|K1|Tune Kit|Basic|TK-B|Edge tuning kit.|Tools|Physical good|39.00|N|Kit|Basic|Y|4|1|N||",
    "#tune-kit|K2|Tune Kit|Pro|TK-P|Edge tuning kit.|Tools|Physical good|79.00|N|Kit|Pro|Y|-2|1|Y|3|1",
    "#ski-rental|R1|Ski Rental|1 Day|SR-1|Skis, boots and poles.|Rentals|Physical good|42.00|N|Length|1 Day|Y|||Y||",
)
"""A Square export of a seller with two locations, each version counted at each (a blank: not counted there)."""


async def _stock_by_location(tools: Toolbox, tenant_id: str, sku: str) -> tuple[object, list[object]]:
    """A product's stock per location and its variants' (option values with theirs), as stored."""
    product = await _product(tools, tenant_id, sku)
    variants = [
        (", ".join(v.options.values()), v.stock, v.stock_by_location) for v in await _variants(tools, tenant_id, sku)
    ]
    return (product.stock, product.stock_by_location), variants


async def test_square_stock_is_kept_per_location_with_its_sum(tools: Toolbox) -> None:
    await add_tenant(tools, "alpine", currency="USD")
    body = (await import_catalog(tools.db, "alpine", SQUARE_LOCATIONS, "items.csv")).as_dict()
    assert body["rejected"] == [] and body["accepted"] == 4, body
    ignored = {c["column"] for c in body["ignored"]}
    assert not ignored & {"Current Quantity Alpine Denver", "Current Quantity Alpine Frisco"}, ignored

    product, variants = await _stock_by_location(tools, "alpine", "vista-92")
    assert variants == [
        ("170 cm", 3, {"Alpine Denver": 3, "Alpine Frisco": 0}),
        ("177 cm", 2, {"Alpine Denver": 0, "Alpine Frisco": 2}),
        ("184 cm", 2, {"Alpine Denver": 1, "Alpine Frisco": 1}),
    ], "each location's count, in the export's order; the stock their sum"
    assert product == (7, {"Alpine Denver": 4, "Alpine Frisco": 3}), "the product's: its versions' per location"
    glide = await _product(tools, "alpine", "glide-paste")
    assert (glide.stock, glide.stock_by_location) == (35, {"Alpine Denver": 15, "Alpine Frisco": 20}), (
        "an item in one version: its figures are the product's, as its stock is"
    )
    product, variants = await _stock_by_location(tools, "alpine", "tune-kit")
    assert variants == [
        ("Basic", 4, {"Alpine Denver": 4}),
        ("Pro", 3, {"Alpine Denver": 0, "Alpine Frisco": 3}),
    ], "a location that does not count a version is not said; below zero is none left"
    assert product == (7, {"Alpine Denver": 4, "Alpine Frisco": 3})
    product, variants = await _stock_by_location(tools, "alpine", "ski-rental")
    assert (product, variants) == ((None, None), [("1 Day", None, None)]), "counted nowhere: not tracked, no figures"

    # Re-import: new counts replace the stored ones, per location too; the variants keep their rows.
    ids = [v.id for v in await _variants(tools, "alpine", "vista-92")]
    recount = SQUARE_LOCATIONS.replace(b"177 cm,Y,0,1,Y,2,1", b"177 cm,Y,1,1,Y,0,1")
    assert recount != SQUARE_LOCATIONS
    again = await import_catalog(tools.db, "alpine", recount, "items.csv")
    assert (again.updated, again.created, again.variants.updated) == (4, 0, 6)
    assert [v.id for v in await _variants(tools, "alpine", "vista-92")] == ids
    product, variants = await _stock_by_location(tools, "alpine", "vista-92")
    assert variants[1] == ("177 cm", 1, {"Alpine Denver": 1, "Alpine Frisco": 0})
    assert product == (6, {"Alpine Denver": 5, "Alpine Frisco": 1})

    # The API's products give them beside the stock.
    tools.catalog.invalidate("alpine")
    [hit] = await tools.catalog.search_products("alpine", "vista 92", [], 1)
    listed = hit.as_dict()
    assert listed["stock_by_location"] == {"Alpine Denver": 5, "Alpine Frisco": 1}
    assert listed["variants"][1]["stock_by_location"] == {"Alpine Denver": 1, "Alpine Frisco": 0}


async def test_the_catalog_says_the_stock_at_the_location_asked(tools: Toolbox) -> None:
    await add_tenant(tools, "alpine", currency="USD")
    await import_catalog(tools.db, "alpine", SQUARE_LOCATIONS, "items.csv")
    question = "do you have the Vista 92 in 177 cm at the Frisco store?"
    context = Context(
        tenant_id="alpine",
        business_name="Alpine",
        timezone="UTC",
        tools=tools,
        sources=["catalog"],
        source_timeouts=PATIENT_BUDGETS,
    )
    graph = build_graph(InMemorySaver())
    turn = await graph.ainvoke(
        {"messages": [{"role": "user", "content": question}]}, {"configurable": {"thread_id": "at"}}, context=context
    )
    assert turn["context"]["sources"][0]["id"] == "catalog:product:vista-92"
    text = turn["context"]["text"]
    assert (
        "The Vista 92 in 177 cm costs 599.00 USD and is only 2 left in stock (2 at Alpine Frisco, none at Alpine "
        "Denver)." in text
    ), "the asked version at each location, the one asked first"
    assert "Vista 92 costs 599.00 USD and is 7 in stock (3 at Alpine Frisco, 4 at Alpine Denver)." in text, text
    # In the list of versions, only where the locations differ, and short.
    assert (
        "Available in: 170 cm at 599.00 USD (only 3 left in stock, all at Alpine Denver); 177 cm at 599.00 USD "
        "(only 2 left in stock, all at Alpine Frisco); 184 cm at 599.00 USD (only 2 left in stock)" in text
    ), text

    said = await _said(tools, "alpine", "tune-kit")
    assert said.startswith(
        "Tune Kit costs 39.00 USD and up, and is 7 in stock (4 at Alpine Denver, 3 at Alpine Frisco)."
    )
    assert "Basic at 39.00 USD (4 in stock); Pro at 79.00 USD (only 3 left in stock, all at Alpine Frisco)" in said
    glide = await _said(tools, "alpine", "glide-paste")
    assert glide.startswith(
        "Glide Paste costs 12.00 USD and is 35 in stock (15 at Alpine Denver, 20 at Alpine Frisco)."
    )
    assert "stock not stated" in await _said(tools, "alpine", "ski-rental")


async def test_stock_without_locations_is_said_as_before(tools: Toolbox) -> None:
    await add_tenant(tools, "alpine", currency="USD")
    await import_catalog(tools.db, "alpine", SQUARE_LOCATIONS, "items.csv")
    # One location: its count is the shop's, nothing per location.
    one = _csv(
        "Reference Handle|Item Name|Variation Name|SKU|Price|Current Quantity Alpine Denver",
        "#wax-scraper|Wax Scraper|Regular|WS|8.00|6",
    )
    await import_catalog(tools.db, "alpine", one, "items.csv")
    scraper = await _product(tools, "alpine", "wax-scraper")
    assert (scraper.stock, scraper.stock_by_location) == (6, None)
    assert await _said(tools, "alpine", "wax-scraper") == "Wax Scraper costs 8.00 USD and is 6 in stock."
    # A plain list with one stock column: the stock is its, the figures per location it does not give are gone.
    await import_catalog(
        tools.db, "alpine", _csv("Handle|Name|Price|Stock", "glide-paste|Glide Paste|12.00|30"), "l.csv"
    )
    glide = await _product(tools, "alpine", "glide-paste")
    assert (glide.stock, glide.stock_by_location) == (30, None)
    assert (await _said(tools, "alpine", "glide-paste")).startswith("Glide Paste costs 12.00 USD and is 30 in stock.\n")
    # A list without stock leaves both as they were.
    await import_catalog(tools.db, "alpine", _csv("Handle|Name|Price", "tune-kit|Tune Kit|39.00"), "l.csv")
    assert (await _product(tools, "alpine", "tune-kit")).stock_by_location == {"Alpine Denver": 4, "Alpine Frisco": 3}
    # Lightspeed gives one count per version.
    await import_catalog(tools.db, "alpine", LIGHTSPEED, "export.csv")
    product, variants = await _stock_by_location(tools, "alpine", "vonk-e7")
    assert product == (3, None) and [v[2] for v in variants] == [None, None]
    assert "418 Wh at 2799.00 USD (only 3 left in stock); 625 Wh at 3149.00 USD (currently out of stock)" in (
        await _said(tools, "alpine", "vonk-e7")
    )
    async with tools.db.session() as s:
        nulls = await s.scalar(
            select(func.count())
            .select_from(Product)
            .where(Product.sku == "vonk-e7", Product.stock_by_location.is_(None))
        )
    assert nulls == 1, "stored as NULL, not as a JSON null"


async def test_stock_by_location_on_postgresql() -> None:
    async with pg_schema() as schema:
        db = AppDatabase(PG_URL, schema)
        try:
            await upgrade(db.engine)
            async with db.session() as s:
                s.add(Tenant(id="alpine", name="Alpine", currency="USD"))
                await s.commit()
            await import_catalog(db, "alpine", SQUARE_LOCATIONS, "items.csv")
            again = await import_catalog(db, "alpine", SQUARE_LOCATIONS, "items.csv")
            assert (again.updated, again.variants.updated) == (4, 6)
            async with db.session() as s:
                vista = await s.scalar(select(Product).where(Product.sku == "vista-92"))
                rows = await s.scalars(select(ProductVariant).where(ProductVariant.sku == "V92-177"))
                assert [r.stock_by_location for r in rows] == [{"Alpine Denver": 0, "Alpine Frisco": 2}]
                rental = await s.scalar(select(Product).where(Product.sku == "ski-rental"))
            assert (vista.stock, vista.stock_by_location) == (7, {"Alpine Denver": 4, "Alpine Frisco": 3})
            assert (rental.stock, rental.stock_by_location) == (None, None)
        finally:
            await db.dispose()


ECWID_COLUMNS = (
    "type|product_internal_id|product_sku|product_name|product_price|product_compare_to_price|"
    "product_is_inventory_tracked|product_quantity|product_is_available|product_description|product_category_1|"
    "product_category_2|product_brand|product_subtitle|product_weight|product_option_name|product_option_type|"
    "product_option_value|product_option_markup|product_variation_option_Size|product_variation_option_Colour|"
    "product_variation_sku|url"
).split("|")


def _ecwid(*rows: dict[str, str]) -> bytes:
    """An Ecwid product export: its header, then each row with the cells it gives (the rest empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ECWID_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _product_row(internal_id: str, sku: str, name: str, price: str, **cells: str) -> dict[str, str]:
    return {"type": "product", "product_internal_id": internal_id, "product_sku": sku, "product_name": name} | {
        "product_price": price,
        "product_is_available": "true",
        **cells,
    }


def _option_row(internal_id: str, sku: str, name: str, kind: str, value: str, markup: str) -> dict[str, str]:
    """An option row: the option's name, type, one of its values and that value's price modifier."""
    return {"type": "product_option", "product_internal_id": internal_id, "product_sku": sku} | {
        "product_option_name": name,
        "product_option_type": kind,
        "product_option_value": value,
        "product_option_markup": markup,
    }


def _variation_row(internal_id: str, sku: str, price: str, stock: str, own_sku: str, **choice: str) -> dict[str, str]:
    """A variation row: its option values, its own SKU, price and stock (in the product's columns, as Ecwid
    writes them), its product named by the ids it repeats."""
    return {"type": "product_variation", "product_internal_id": internal_id, "product_sku": sku} | {
        "product_price": price,
        "product_is_inventory_tracked": "true",
        "product_quantity": stock,
        "product_variation_sku": own_sku,
        **{f"product_variation_option_{k}": v for k, v in choice.items()},
    }


ECWID = _ecwid(
    _product_row(
        "501",
        "TEE",
        "Harbour Tee",
        "25.00",
        product_is_inventory_tracked="true",
        product_quantity="6",
        product_description="<p>Organic <strong>cotton</strong> tee.</p>",
        product_category_1="Clothing",
        product_category_2="Clothing/Tops",
        product_brand="Harbour",
        product_subtitle="Relaxed fit",
        product_weight="0.2",
        url="https://shop.example/Harbour-Tee-p501",
    ),
    _option_row("501", "TEE", "Size", "SIZE", "S", "0.00"),
    _option_row("501", "TEE", "Size", "SIZE", "M", "0.00"),
    _option_row("501", "TEE", "Size", "SIZE", "XL", "3.00"),
    _option_row("501", "TEE", "Colour", "SWATCHES", "Sea blue", "0.00"),
    _option_row("501", "TEE", "Gift wrap", "CHECKBOXES", "Gift wrap", "4.50"),
    _variation_row("501", "TEE", "25.00", "4", "TEE-S", Size="S", Colour="Sea blue"),
    _variation_row("501", "TEE", "27.00", "0", "TEE-M", Size="M", Colour="Sea blue"),
    _variation_row("501", "TEE", "", "2", "TEE-XL", Size="XL", Colour="Sea blue"),
    _product_row(
        "502",
        "MUG",
        "Tide Mug",
        "12.00",
        product_compare_to_price="15.00",
        product_is_inventory_tracked="true",
        product_quantity="7",
        product_category_1="Kitchen",
        product_brand="Harbour",
    ),
    _product_row(
        "503", "ENGRAVE", "Engraving", "10.00", product_is_inventory_tracked="false", product_category_1="Services"
    ),
    _option_row("503", "ENGRAVE", "Font", "RADIOBUTTONS", "Block", "0.00"),
    _option_row("503", "ENGRAVE", "Font", "RADIOBUTTONS", "Script", "5.00"),
    _product_row(
        "504",
        "CAP",
        "Storm Cap",
        "19.00",
        product_is_available="false",
        product_is_inventory_tracked="true",
        product_quantity="3",
    ),
    _variation_row("504", "CAP", "19.00", "3", "CAP-GRY", Colour="Grey"),
    _variation_row("999", "GONE", "9.00", "1", "GONE-S", Size="S"),
)


async def test_ecwid_export_imports_products_with_their_variations(tools: Toolbox) -> None:
    assert detect(ECWID_COLUMNS) == "ecwid"
    assert detect(["Type", "Product SKU", "Product Name", "Price"]) is None, "a plain list's columns are no export"
    await add_tenant(tools, "harbour", currency="AUD")
    body = (await import_catalog(tools.db, "harbour", ECWID, "products.csv")).as_dict()
    assert body["format"] == "ecwid"
    assert (body["accepted"], body["created"]) == (3, 3)
    assert body["accepted_by_kind"] == {"products": 3}
    assert body["variants"] == {"accepted": 3, "created": 3, "updated": 0, "removed": 0}
    rejected = {r["row"]: r["reason"] for r in body["rejected"]}
    assert rejected == {17: "variation of no product: no product row with product_internal_id '999' in the file"}
    skipped = {r["row"]: r["reason"] for r in body["skipped"]}
    assert skipped == {
        15: "'Storm Cap' is disabled in the shop: not for sale",
        16: "variant of 'Storm Cap', which is disabled in the shop",
    }
    # Every data row is accounted for: a product, an option read with its product, a variant, rejected or skipped.
    products, options, variants = {2, 11, 12}, {3, 4, 5, 6, 7, 13, 14}, {8, 9, 10}
    assert products | options | variants | set(rejected) | set(skipped) == set(range(2, 18))

    async with tools.db.session() as s:
        skus = set(await s.scalars(select(Product.sku).where(Product.tenant_id == "harbour")))
    assert skus == {"TEE", "MUG", "ENGRAVE"}, "keyed by product_sku; the disabled product is not in the catalog"

    tee = await _product(tools, "harbour", "TEE")
    assert (tee.name, tee.brand, tee.category, tee.price, tee.stock) == (
        "Harbour Tee",
        "Harbour",
        "Clothing",
        Decimal("25.00"),
        6,
    )
    assert tee.description == "Relaxed fit\nOrganic cotton tee.", "the subtitle, then the HTML description as text"
    variants = await _variants(tools, "harbour", "TEE")
    assert [(v.sku, v.options, v.price, v.stock) for v in variants] == [
        ("TEE-S", {"Size": "S", "Colour": "Sea blue"}, Decimal("25.00"), 4),
        ("TEE-M", {"Size": "M", "Colour": "Sea blue"}, Decimal("27.00"), 0),
        ("TEE-XL", {"Size": "XL", "Colour": "Sea blue"}, Decimal("28.00"), 2),
    ], "a variation without a price of its own costs its product's price plus its options' markups (+3.00)"

    mug = await _product(tools, "harbour", "MUG")
    assert (mug.price, mug.regular_price, mug.stock, mug.category) == (
        Decimal("12.00"),
        Decimal("15.00"),
        7,
        "Kitchen",
    )
    assert "costs 12.00 AUD (on sale, regular price 15.00 AUD)" in await _said(tools, "harbour", "MUG")

    engraving = await _product(tools, "harbour", "ENGRAVE")
    assert (engraving.price, engraving.stock) == (Decimal("10.00"), None), "add-on options do not change the price"
    assert await _variants(tools, "harbour", "ENGRAVE") == []

    ignored = {c["column"]: c["reason"] for c in body["ignored"]}
    assert ignored["product_option_name"] == (
        "read in part: options no variation combines (add-ons, priced by their markup) are not read, the catalog "
        "has no place for them: 'Harbour Tee' (Gift wrap), 'Engraving' (Font)"
    ), "the add-on option rows are reported once, not rejected row by row"
    assert ignored["product_option_markup"].startswith("read only for a variation without a price")
    assert ignored["product_category_2"].startswith("read only where an earlier category column is empty")
    assert ignored["product_weight"] == ignored["url"] == "not read: the catalog has no place for it"
    for read in (
        "type",
        "product_internal_id",
        "product_sku",
        "product_name",
        "product_price",
        "product_compare_to_price",
        "product_is_inventory_tracked",
        "product_quantity",
        "product_is_available",
        "product_description",
        "product_category_1",
        "product_brand",
        "product_subtitle",
        "product_option_value",
        "product_variation_option_Size",
        "product_variation_option_Colour",
        "product_variation_sku",
    ):
        assert read not in ignored, read

    again = (await import_catalog(tools.db, "harbour", ECWID, "products.csv")).as_dict()
    assert (again["created"], again["updated"]) == (0, 3)
    assert again["variants"] == {"accepted": 3, "created": 0, "updated": 3, "removed": 0}


async def test_ecwid_stock_not_tracked_is_not_stated(tools: Toolbox) -> None:
    await add_tenant(tools, "harbour", currency="AUD")
    # An earlier import (a plain list) stored a count of 0 for the engraving.
    await import_catalog(tools.db, "harbour", _csv("SKU|Name|Price|Stock", "ENGRAVE|Engraving|10.00|0"), "list.csv")
    assert (await _product(tools, "harbour", "ENGRAVE")).stock == 0

    await import_catalog(tools.db, "harbour", ECWID, "products.csv")
    assert (await _product(tools, "harbour", "ENGRAVE")).stock is None, "product_is_inventory_tracked false"
    said = await _said(tools, "harbour", "ENGRAVE")
    assert "out of stock" not in said and "in stock" not in said, said
    # A tracked count of 0 is still said.
    assert "currently out of stock" in await _said(tools, "harbour", "TEE")
