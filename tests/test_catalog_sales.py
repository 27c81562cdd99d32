"""Items on sale and short descriptions in shop exports: WooCommerce's sale price (in its date window) and
Shopify's compare-at price keep the regular price beside the price paid now, and the catalog's sentence says
both; WooCommerce's short description is kept beside the long one."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from concierge.graph.graph import build_graph
from concierge.nodes.retrieve_catalog import product_item
from concierge.state import Context
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.search import ProductHit
from concierge.tools.catalog.shop_exports import descriptions, read
from concierge.tools.db.models import Product, ProductVariant
from concierge.tools.toolbox import Toolbox
from tests.conftest import PATIENT_BUDGETS, add_tenant

TODAY = date.today()
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
LAST_WEEK, NEXT_WEEK = TODAY - timedelta(days=7), TODAY + timedelta(days=7)


def _csv(*rows: str) -> str:
    """A CSV file from rows written with "|" between cells (cells hold commas)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(row.split("|") for row in rows)
    return out.getvalue()


WOO = _csv(
    "ID|Type|SKU|Name|Published|Short description|Description|In stock?|Stock|Date sale price starts|"
    "Date sale price ends|Sale price|Regular price|Categories|Parent|Attribute 1 name|Attribute 1 value(s)|Brands",
    "1|simple|ROW-1|Velora R5 Rowing Machine|1|Quiet magnetic rower that folds upright for storage.|"
    "<p>16 resistance levels and an <b>LCD</b> monitor.</p>|1|5|||499.00|549.00|Cardio > Rowers||||Velora",
    f"2|simple|BIKE-1|Velora S2 Spin Bike|1|Belt-drive studio bike.||1|4|{LAST_WEEK}|{YESTERDAY}|80.00|100.00|"
    "Cardio > Bikes||||Velora",
    f"3|simple|PAD-1|Stridepad Walking Pad|1||<p>Slim under-desk treadmill.</p>|1|2|{TOMORROW}|{NEXT_WEEK}|"
    "300.00|379.00|Cardio > Treadmills||||",
    f"4|simple|MAT-1|Flexmat Travel Mat|1|||1|9|{LAST_WEEK} 00:00:00|{TODAY} 00:00:00|25.00|30.00|Yoga > Mats||||",
    "5|variable|BELL|Cast Iron Kettlebell|1|Single-piece cast iron.|"
    "<p>Single-piece cast iron.</p><p>Colour-coded by weight.</p>|1||||||Strength > Kettlebells||Weight|8 kg, 12 kg|",
    "6|variation|BELL-8|Cast Iron Kettlebell - 8 kg|1|||1|12|||30.00|34.00||id:5|Weight|8 kg|",
    "7|variation|BELL-12|Cast Iron Kettlebell - 12 kg|1|||1|7||||45.00||id:5|Weight|12 kg|",
)

SHOPIFY = _csv(
    "Handle|Title|Body (HTML)|Vendor|Type|Option1 Name|Option1 Value|Variant SKU|Variant Inventory Qty|"
    "Variant Price|Variant Compare At Price|Status",
    "lamp|Desk Lamp|<p>Warm LED lamp.</p>|Glow|Lamps|Title|Default Title|LAMP|4|35.00|45.00|active",
    "shade|Lamp Shade|<p>Linen shade.</p>|Glow|Lamps|Title|Default Title|SHADE|6|12.00|12.00|active",
    "kettle|Travel Kettle|<p>Folds flat.</p>|Brew|Kettles|Voltage|110 V|KET-110|3|24.00|29.00|active",
    "kettle||||||230 V|KET-230|5|26.00||active",
    "mug|Camp Mug|<p>Enamel.</p>|Brew|Mugs|Colour|Red|MUG-R|8|9.00|11.00|active",
    "mug||||||Blue|MUG-B|2|9.00|11.00|active",
)


async def _product(tools: Toolbox, tenant_id: str, sku: str) -> Product:
    async with tools.db.session() as s:
        product = await s.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.sku == sku))
        assert product is not None, sku
        return product


async def _variants(tools: Toolbox, tenant_id: str, sku: str) -> list[ProductVariant]:
    product = await _product(tools, tenant_id, sku)
    async with tools.db.session() as s:
        rows = await s.scalars(
            select(ProductVariant).where(ProductVariant.product_id == product.id).order_by(ProductVariant.position)
        )
        return list(rows)


async def _said(tools: Toolbox, tenant_id: str, sku: str, question: str = "") -> str:
    """What the catalog tells the answerer about one item."""
    hits: list[ProductHit] = await tools.catalog.products(tenant_id, [sku])
    assert [h.sku for h in hits] == [sku]
    return product_item(hits[0], question)["text"]


def test_a_sale_price_applies_in_its_window_only() -> None:
    rows = list(csv.DictReader(io.StringIO(WOO)))
    day = date(2026, 12, 2)

    def priced(starts: str, ends: str, today: date = day) -> tuple[Any, Any]:
        row = {**rows[0], "Date sale price starts": starts, "Date sale price ends": ends}
        product = read([(2, row)], "woocommerce", today)[0][1]
        return product["price"], product["regular_price"]

    assert priced("", "") == ("499.00", "549.00"), "no dates: on sale until the shop says otherwise"
    assert priced("2026-11-25", "2026-12-02") == ("499.00", "549.00"), "the end day is in the sale"
    assert priced("2026-12-02 00:00:00", "") == ("499.00", "549.00"), "the start day too"
    assert priced("2026-11-01", "2026-12-01") == ("549.00", None), "ended yesterday"
    assert priced("2026-12-03", "") == ("549.00", None), "starts tomorrow"
    assert priced("not a date", "") == ("499.00", "549.00"), "an unreadable date limits nothing"


def test_short_and_long_descriptions_are_both_kept_once() -> None:
    assert descriptions("Folds upright.", "<p>16 levels.</p>") == "Folds upright.\n16 levels."
    assert descriptions("", "<p>16 levels.</p>") == "16 levels."
    assert descriptions("<b>Folds</b> upright.", "") == "Folds upright."
    assert descriptions("Single-piece cast iron.", "<p>Single-piece cast iron.</p><p>Coded.</p>") == (
        "Single-piece cast iron.\nCoded."
    ), "a short description the long one repeats is said once"
    assert descriptions("A long text that says all.", "A long text") == "A long text that says all."


async def test_woocommerce_sale_and_short_description_are_stored_and_said(tools: Toolbox) -> None:
    await add_tenant(tools, "gym", currency="EUR")
    report = (await import_catalog(tools.db, "gym", WOO.encode(), "wc-product-export.csv")).as_dict()
    assert report["format"] == "woocommerce" and report["rejected"] == [] and report["accepted"] == 5

    rower = await _product(tools, "gym", "ROW-1")
    assert (rower.price, rower.regular_price) == (Decimal("499.00"), Decimal("549.00"))
    assert (
        rower.description
        == "Quiet magnetic rower that folds upright for storage.\n16 resistance levels and an LCD monitor."
    )
    said = await _said(tools, "gym", "ROW-1")
    assert said.startswith(
        "Velora R5 Rowing Machine by Velora costs 499.00 EUR (on sale, regular price 549.00 EUR) and is 5 in stock."
    ), said
    assert "folds upright" in said

    # A sale that ended yesterday, or starts tomorrow, is not the price; one ending today is.
    bike, pad, mat = [await _product(tools, "gym", sku) for sku in ("BIKE-1", "PAD-1", "MAT-1")]
    assert (bike.price, bike.regular_price) == (Decimal("100.00"), None)
    assert (pad.price, pad.regular_price) == (Decimal("379.00"), None)
    assert (mat.price, mat.regular_price) == (Decimal("25.00"), Decimal("30.00"))
    said = await _said(tools, "gym", "BIKE-1")
    assert said.startswith("Velora S2 Spin Bike by Velora costs 100.00 EUR and is 4 in stock."), said
    assert "on sale" not in said and "Belt-drive studio bike." in said, "a short description alone is kept"

    # A variation on sale: its own regular price, and the product's, whose "from" price is the sale price.
    bell = await _variants(tools, "gym", "BELL")
    assert [(v.sku, v.price, v.regular_price) for v in bell] == [
        ("BELL-8", Decimal("30.00"), Decimal("34.00")),
        ("BELL-12", Decimal("45.00"), None),
    ]
    product = await _product(tools, "gym", "BELL")
    assert (product.price, product.regular_price) == (Decimal("30.00"), Decimal("34.00"))
    assert product.description == "Single-piece cast iron.\nColour-coded by weight."
    said = await _said(tools, "gym", "BELL")
    assert "Cast Iron Kettlebell costs 30.00 EUR and up, and is 19 in stock." in said, said
    assert (
        "Available in: 8 kg at 30.00 EUR (on sale, regular price 34.00 EUR; 12 in stock); "
        "12 kg at 45.00 EUR (7 in stock)"
    ) in said, said
    said = await _said(tools, "gym", "BELL", "how much is the 8 kg one?")
    assert said.startswith("The Cast Iron Kettlebell in 8 kg costs 30.00 EUR (on sale, regular price 34.00 EUR)"), said

    # The short description's words find the item.
    hits = await tools.catalog.search_products("gym", "rower that folds upright", [], 3)
    assert hits and hits[0].sku == "ROW-1"
    assert hits[0].as_dict()["regular_price"] == "549.00"

    # The sale over: the next export has no sale price, and the regular price is the price again.
    over = WOO.replace(",499.00,549.00,", ",,549.00,").replace(",30.00,34.00,", ",,34.00,")
    assert over.count(",,549.00,") == 1 and over.count(",,34.00,") == 1
    await import_catalog(tools.db, "gym", over.encode(), "wc-product-export.csv")
    tools.catalog.invalidate("gym")  # as the import route does
    rower = await _product(tools, "gym", "ROW-1")
    assert (rower.price, rower.regular_price) == (Decimal("549.00"), None)
    assert [(v.price, v.regular_price) for v in await _variants(tools, "gym", "BELL")] == [
        (Decimal("34.00"), None),
        (Decimal("45.00"), None),
    ]
    assert (await _product(tools, "gym", "BELL")).regular_price is None
    said = await _said(tools, "gym", "ROW-1")
    assert said.startswith("Velora R5 Rowing Machine by Velora costs 549.00 EUR and is 5 in stock."), said
    assert "on sale" not in await _said(tools, "gym", "BELL")


async def test_shopify_compare_at_price_is_the_regular_price(tools: Toolbox) -> None:
    await add_tenant(tools, "lamps", currency="USD")
    report = (await import_catalog(tools.db, "lamps", SHOPIFY.encode(), "products_export.csv")).as_dict()
    assert report["format"] == "shopify" and report["rejected"] == [] and report["accepted"] == 4

    lamp, shade = await _product(tools, "lamps", "lamp"), await _product(tools, "lamps", "shade")
    assert (lamp.price, lamp.regular_price) == (Decimal("35.00"), Decimal("45.00"))
    assert (shade.price, shade.regular_price) == (Decimal("12.00"), None), "a compare-at price equal to it: no sale"
    said = await _said(tools, "lamps", "lamp")
    assert said.startswith("Desk Lamp by Glow costs 35.00 USD (on sale, regular price 45.00 USD) and is 4 in stock."), (
        said
    )
    assert "on sale" not in await _said(tools, "lamps", "shade")

    kettle = await _variants(tools, "lamps", "kettle")
    assert [(v.sku, v.price, v.regular_price) for v in kettle] == [
        ("KET-110", Decimal("24.00"), Decimal("29.00")),
        ("KET-230", Decimal("26.00"), None),
    ]
    said = await _said(tools, "lamps", "kettle")
    assert "Travel Kettle by Brew costs 24.00 USD and up, and is 8 in stock." in said, said
    assert (
        "110 V at 24.00 USD (on sale, regular price 29.00 USD; only 3 left in stock); 230 V at 26.00 USD (5 in stock)"
        in said
    )

    # Every version at one price, all on sale: the product's sentence says it.
    said = await _said(tools, "lamps", "mug")
    assert said.startswith("Camp Mug by Brew costs 9.00 USD (on sale, regular price 11.00 USD) and is 10 in stock."), (
        said
    )


async def test_the_answer_gives_the_sale_price_and_the_regular_one(tools: Toolbox) -> None:
    await add_tenant(tools, "gym", currency="EUR")
    await import_catalog(tools.db, "gym", WOO.encode(), "wc-product-export.csv")
    context = Context(
        tenant_id="gym",
        business_name="Gym",
        timezone="UTC",
        tools=tools,
        sources=["catalog"],
        source_timeouts=PATIENT_BUDGETS,
    )
    graph = build_graph(InMemorySaver())
    out = await graph.ainvoke(
        {"messages": [{"role": "user", "content": "How much is the Velora R5 rowing machine?"}]},
        {"configurable": {"thread_id": "sale"}},
        context=context,
    )
    answer = out["messages"][-1].content
    assert "499.00 EUR" in answer and "549.00 EUR" in answer, answer
