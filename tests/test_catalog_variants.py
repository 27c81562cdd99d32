"""Shop exports with variants: Shopify and WooCommerce files import with every row accounted for, and the local
answerer states the price and stock of the variant a customer names ("the 15 inch one", "in 16GB")."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import select

from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.shop_exports import detect, html_text
from concierge.tools.catalog.variants import Variant, named_variants, not_offered
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Product, ProductVariant, Tenant
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import PATIENT_BUDGETS, LiveServer, add_tenant, add_tenant_sync
from tests.postgres import PG_URL, pg_schema

DATA = Path(__file__).parent / "data"
SHOPIFY = DATA / "shopify_products.csv"
WOO = DATA / "woocommerce_products.csv"


def test_formats_are_recognised_by_their_headers() -> None:
    assert detect(SHOPIFY.read_text().splitlines()[0].split(",")) == "shopify"
    assert detect(["ID", "Type", "SKU", "Name", "Parent", "Regular price"]) == "woocommerce"
    assert detect(["sku", "name", "price"]) is None
    assert html_text("<p>Fits 15&nbsp;inch &amp; up.</p><ul><li>Black</li></ul>") == "Fits 15 inch & up.\nBlack"


def test_a_question_picks_the_variants_it_names() -> None:
    def v(size: str, memory: str) -> Variant:
        return Variant(None, (("Size", size), ("Memory", memory)), 1, "USD", 1)  # type: ignore[arg-type]

    variants = [v("13 inch", "16GB"), v("15 inch", "16GB"), v("15 inch", "32GB")]
    assert named_variants("how much is the 15-inch one?", variants) == variants[1:]
    assert named_variants("do you have it in 16 GB?", variants) == [variants[0], variants[1]]
    assert named_variants("the 15 inch with 32GB?", variants) == [variants[2]]
    assert named_variants("is it light?", variants) == []
    assert named_variants("the 115 inch one", variants) == [], "a value inside another number is not named"


async def _variants(tools: Toolbox, tenant_id: str, product_sku: str) -> list[ProductVariant]:
    async with tools.db.session() as s:
        product = await s.scalar(select(Product).where(Product.tenant_id == tenant_id, Product.sku == product_sku))
        assert product is not None
        rows = await s.scalars(
            select(ProductVariant).where(ProductVariant.product_id == product.id).order_by(ProductVariant.position)
        )
        return list(rows)


async def test_shopify_export_imports_every_variant_and_says_why_for_each_row_left(tools: Toolbox) -> None:
    await add_tenant(tools, "gadgets", currency="USD")
    report = await import_catalog(tools.db, "gadgets", SHOPIFY.read_bytes(), SHOPIFY.name)
    body = report.as_dict()
    assert body["format"] == "shopify"
    assert (body["accepted"], body["created"], body["updated"]) == (3, 3, 0)
    assert body["variants"] == {"accepted": 6, "created": 6, "updated": 0, "removed": 0}
    rejected = {r["row"]: r["reason"] for r in body["rejected"]}
    assert rejected == {
        10: "variant: price: not a number: 'ninety'",
        12: "name: missing (no product row with handle 'sleeve-case' in the file)",
    }
    skipped = {r["row"]: r["reason"] for r in body["skipped"]}
    assert skipped == {
        6: "an image row of 'Nimbus Pro Laptop': nothing to import",
        11: "product 'Dock Station (prototype)' has status draft: not for sale",
    }
    # Every data row of the file is accounted for: a product, a variant, rejected or skipped.
    lines = len(SHOPIFY.read_text().splitlines()) - 1
    product_lines = {2, 3, 4, 5, 7, 8, 9}  # the mouse has one version: its line is the product's
    assert product_lines | set(rejected) | set(skipped) == set(range(2, lines + 2))

    async with tools.db.session() as s:
        laptop = await s.scalar(
            select(Product).where(Product.tenant_id == "gadgets", Product.sku == "nimbus-pro-laptop")
        )
        assert laptop is not None
        assert (str(laptop.price), laptop.stock, laptop.currency) == ("1099.00", 20, "USD"), "lowest price, stock sum"
        assert laptop.brand == "Nimbus" and laptop.category == "Laptops" and "<" not in laptop.description
        assert (
            "Battery life: up to 14 hours" in laptop.description
            and "65 W USB-C charger & a sleeve" in laptop.description
        )
    variants = await _variants(tools, "gadgets", "nimbus-pro-laptop")
    assert [(v.sku, v.options, str(v.price), v.stock) for v in variants] == [
        ("NPL-13-16", {"Size": "13 inch", "Memory": "16GB"}, "1099.00", 5),
        ("NPL-13-32", {"Size": "13 inch", "Memory": "32GB"}, "1349.00", 0),
        ("NPL-15-16", {"Size": "15 inch", "Memory": "16GB"}, "1299.00", 12),
        ("NPL-15-32", {"Size": "15 inch", "Memory": "32GB"}, "1549.00", 3),
    ]
    backpack = await _variants(tools, "gadgets", "field-backpack")
    assert [(v.options["Color"], v.stock) for v in backpack] == [("Black", 8), ("Olive", 0)], "oversold reads as 0"

    # Re-import: same file changes nothing; a corrected price updates the variant in place, by its SKU.
    ids = [v.id for v in variants]
    again = await import_catalog(tools.db, "gadgets", SHOPIFY.read_bytes(), SHOPIFY.name)
    assert again.variants.created == 0 and again.variants.updated == 6 and again.created == 0
    fixed = SHOPIFY.read_text().replace(
        "NPL-15-16,1800,shopify,12,deny,manual,1299.00", "NPL-15-16,1800,shopify,9,deny,manual,1249.00"
    )
    await import_catalog(tools.db, "gadgets", fixed.encode(), SHOPIFY.name)
    variants = await _variants(tools, "gadgets", "nimbus-pro-laptop")
    assert [v.id for v in variants] == ids
    assert (str(variants[2].price), variants[2].stock) == ("1249.00", 9)
    # A variant the shop no longer sells leaves with its export.
    dropped = "\n".join(line for line in fixed.splitlines() if "NPL-13-32" not in line)
    gone = await import_catalog(tools.db, "gadgets", dropped.encode(), SHOPIFY.name)
    assert gone.variants.removed == 1
    assert [v.sku for v in await _variants(tools, "gadgets", "nimbus-pro-laptop")] == [
        "NPL-13-16",
        "NPL-15-16",
        "NPL-15-32",
    ]


async def test_woocommerce_export_links_variations_to_their_parent(tools: Toolbox) -> None:
    await add_tenant(tools, "apparel", currency="EUR")
    report = (await import_catalog(tools.db, "apparel", WOO.read_bytes(), WOO.name)).as_dict()
    assert report["format"] == "woocommerce" and report["accepted"] == 2
    assert report["variants"]["created"] == 3
    assert report["rejected"] == [
        {"kind": "products", "row": 7, "key": "CAP-BLK", "reason": "parent: no variable product 'id:999' in the file"}
    ]
    hoodie = await _variants(tools, "apparel", "HOOD-TRAIL")
    assert [(v.options, str(v.price), v.stock, v.regular_price) for v in hoodie] == [
        ({"Size": "S", "Colour": "Grey"}, "59.00", 7, None),
        ({"Size": "M", "Colour": "Grey"}, "59.00", 0, None),
        ({"Size": "L", "Colour": "Navy"}, "49.00", 4, Decimal("59.00")),  # on sale: the price paid now, and before
    ]
    async with tools.db.session() as s:
        parent = await s.scalar(select(Product).where(Product.tenant_id == "apparel", Product.sku == "HOOD-TRAIL"))
        assert parent is not None and (str(parent.price), parent.stock, parent.category) == ("49.00", 11, "Hoodies")
        assert parent.regular_price == Decimal("59.00"), "its cheapest version is on sale"
        # The short description first, then the long one.
        assert parent.description == (
            "Brushed fleece hoodie.\nMidweight brushed fleece with a kangaroo pocket.\nMachine washable at 30°C."
        )


GROUPED = """name,sku,price,stock,option1_name,option1_value,option2_name,option2_value
Travel Kettle,KET,,,Voltage,110 V,Colour,White
,KET-110-W,24.00,3,,110 V,,White
,KET-230-W,22.00,5,,230 V,,White
,KET-230-B,oops,1,,230 V,,Black
Cable Tidy,TIDY,4.50,40,,,,
"""
SQUARESPACE = """Product ID,Variant ID,Product Type,Title,Description,SKU,Option Name 1,Option Value 1,Price,Stock
p1,v1,PHYSICAL,Desk Lamp,<p>Warm LED lamp.</p>,LAMP-S,Size,Small,35.00,4
p2,v3,PHYSICAL,Notebook,,NB,,,9.00,12
p1,v2,PHYSICAL,,,LAMP-L,,Large,45.00,2
p9,v9,PHYSICAL,,,GHOST,,Tall,50.00,1
"""


async def test_other_exports_with_variant_rows(tools: Toolbox) -> None:
    await add_tenant(tools, "things", currency="EUR")
    report = (await import_catalog(tools.db, "things", GROUPED.encode(), "export.csv")).as_dict()
    assert report["format"] == "grouped" and report["accepted"] == 2
    assert report["rejected"] == [
        {"kind": "products", "row": 5, "key": "KET-230-B", "reason": "variant: price: not a number: 'oops'"}
    ]
    kettle = await _variants(tools, "things", "KET")
    assert [(v.options, str(v.price)) for v in kettle] == [
        ({"Voltage": "110 V", "Colour": "White"}, "24.00"),
        ({"Voltage": "230 V", "Colour": "White"}, "22.00"),
    ]
    # Squarespace-like: variant rows share the product's id, wherever they stand in the file.
    report = (await import_catalog(tools.db, "things", SQUARESPACE.encode(), "squarespace.csv")).as_dict()
    assert report["format"] == "grouped" and report["variants"]["created"] == 2
    assert [(r["row"], r["reason"]) for r in report["rejected"]] == [
        (5, "name: missing (no product row with handle 'p9' in the file)")
    ]
    # JSON: a product with its variants listed under it.
    doc = {
        "products": [
            {
                "sku": "MUG",
                "name": "Stoneware Mug",
                "variants": [
                    {"sku": "MUG-S", "options": {"Size": "250 ml"}, "price": "12", "stock": 6},
                    {"sku": "MUG-L", "options": {"Size": "400 ml"}, "price": "15.5"},
                    {"sku": "MUG-X", "options": {}, "price": "20"},
                ],
            }
        ]
    }
    report = (await import_catalog(tools.db, "things", json.dumps(doc).encode(), "mugs.json")).as_dict()
    assert report["accepted"] == 1 and report["variants"]["created"] == 2
    assert report["rejected"][0]["key"] == "MUG-X" and report["rejected"][0]["reason"].startswith("variant: options")
    async with tools.db.session() as s:
        mug = await s.scalar(select(Product).where(Product.tenant_id == "things", Product.sku == "MUG"))
        assert mug is not None and (str(mug.price), mug.stock) == ("12.00", None), "one variant's stock is unknown"
    lamp = await _variants(tools, "things", "p1")
    assert [(v.sku, v.options, str(v.price), v.stock) for v in lamp] == [
        ("LAMP-S", {"Size": "Small"}, "35.00", 4),
        ("LAMP-L", {"Size": "Large"}, "45.00", 2),
    ]


async def _turns(context: Context, *messages: str) -> list[dict[str, Any]]:
    graph = build_graph(InMemorySaver())
    config = {"configurable": {"thread_id": "variants"}}
    return [
        await graph.ainvoke({"messages": [{"role": "user", "content": m}]}, config, context=context) for m in messages
    ]


async def test_the_answer_states_the_variant_asked_for(tools: Toolbox) -> None:
    await add_tenant(tools, "gadgets", currency="USD")
    await import_catalog(tools.db, "gadgets", SHOPIFY.read_bytes(), SHOPIFY.name)
    context = Context(
        tenant_id="gadgets",
        business_name="Gadgets",
        timezone="UTC",
        tools=tools,
        sources=["catalog"],
        source_timeouts=PATIENT_BUDGETS,
    )
    first, second, third, fourth, fifth = await _turns(
        context,
        "How much is the Nimbus Pro Laptop in 15 inch?",
        "do you have it in 16GB?",
        "and in 64GB?",
        "how much is the 13 inch one?",
        "is it in stock?",
    )

    assert first["context"]["sources"][0]["id"] == "catalog:product:nimbus-pro-laptop"
    text = first["context"]["text"]
    assert (
        "Available in: 13 inch, 16GB at 1099.00 USD (on sale, regular price 1199.00 USD; 5 in stock); "
        "13 inch, 32GB at 1349.00 USD (currently out of stock)" in text
    ), text
    # The versions on sale (a Shopify compare-at price) say their regular price; the product's "from" price
    # has none of its own to say.
    assert "costs 1099.00 USD and up, and is 20 in stock." in text, text
    answer = first["messages"][-1].content
    assert "1299.00 USD" in answer and "1549.00 USD" in answer, answer
    assert "12 in stock" in answer and "only 3 left" in answer, answer
    assert "1099.00" not in answer and "1349.00" not in answer, "no figure of a 13 inch laptop"
    assert first["analysis"]["focus"]["options"] == ["15 inch"]

    # The 15 inch chosen first carries: "in 16GB" now means the 15 inch with 16GB.
    assert second["analysis"]["focus"]["id"] == "catalog:product:nimbus-pro-laptop"
    assert second["analysis"]["focus"]["options"] == ["15 inch", "16GB"]
    answer = second["messages"][-1].content
    assert "1299.00 USD" in answer and "12 in stock" in answer, answer
    assert not any(f in answer for f in ("1099.00", "1349.00", "1549.00")), "no figure of another version"

    answer = third["messages"][-1].content
    assert "does not come in 64GB" in answer and "16GB and 32GB" in answer, answer
    assert third["analysis"]["focus"]["options"] == ["15 inch", "16GB"], "a value not sold changes no choice"
    # Another size, the memory chosen before: the 13 inch with 16GB.
    answer = fourth["messages"][-1].content
    assert "1099.00 USD" in answer and "5 in stock" in answer, answer
    assert not any(f in answer for f in ("1299.00", "1349.00", "1549.00")), "no figure of another version"
    answer = fifth["messages"][-1].content
    assert "5 in stock" in answer and "out of stock" not in answer, answer


async def test_a_chosen_version_is_what_it_means_next(tools: Toolbox) -> None:
    await add_tenant(tools, "gadgets", currency="USD")
    await import_catalog(tools.db, "gadgets", SHOPIFY.read_bytes(), SHOPIFY.name)
    context = Context(
        tenant_id="gadgets",
        business_name="Gadgets",
        timezone="UTC",
        tools=tools,
        sources=["catalog"],
        source_timeouts=PATIENT_BUDGETS,
    )
    first, second, third, fourth = await _turns(
        context,
        "Tell me about the Nimbus Pro Laptop",
        "do you have it in 32GB?",
        "how much is it?",
        "How much is the Nimbus Pro Laptop?",
    )
    assert "options" not in first["analysis"]["focus"]
    assert second["analysis"]["focus"]["options"] == ["32GB"]
    assert third["analysis"]["question"] == "How much is the Nimbus Pro Laptop in 32GB?"
    answer = third["messages"][-1].content
    assert "1349.00 USD" in answer and "1549.00 USD" in answer, answer
    assert "1099.00" not in answer and "1299.00" not in answer, "no figure of a 16GB laptop"
    # Naming the product afresh asks about all of it again.
    assert "options" not in fourth["analysis"]["focus"]
    assert "1099.00" in fourth["messages"][-1].content


def test_api_import_reports_variants(live_server: LiveServer, settings: Settings) -> None:
    key = add_tenant_sync(settings, "shopfront", currency="USD")
    with live_server.client(key, timeout=30) as client:
        r = client.post("/catalog/import", files={"file": (SHOPIFY.name, SHOPIFY.read_bytes(), "text/csv")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["tenant_id"] == "shopfront" and body["format"] == "shopify"
        assert body["variants"] == {"accepted": 6, "created": 6, "updated": 0, "removed": 0}
        assert body["rejected_count"] == 2 and body["skipped_count"] == 2
        r = client.post("/catalog/import", files={"file": (SHOPIFY.name, SHOPIFY.read_bytes(), "text/csv")})
        assert r.json()["variants"] == {"accepted": 6, "created": 0, "updated": 6, "removed": 0}
        hits = client.get("/catalog/products", params={"q": "nimbus laptop"}).json()["products"]
        assert hits[0]["sku"] == "nimbus-pro-laptop" and len(hits[0]["variants"]) == 4
        assert hits[0]["variants"][2] == {
            "sku": "NPL-15-16",
            "options": {"Size": "15 inch", "Memory": "16GB"},
            "price": "1299.00",
            "currency": "USD",
            "stock": 12,
            "stock_by_location": None,
            "regular_price": "1399.00",
        }
        assert hits[0]["stock_by_location"] is None, "a Shopify export gives one total"


async def test_variants_on_postgresql() -> None:
    async with pg_schema() as schema:
        db = AppDatabase(PG_URL, schema)
        try:
            await upgrade(db.engine)
            async with db.session() as s:
                s.add(Tenant(id="pgshop", name="PG shop", currency="USD"))
                await s.commit()
            first = await import_catalog(db, "pgshop", SHOPIFY.read_bytes(), SHOPIFY.name)
            again = await import_catalog(db, "pgshop", SHOPIFY.read_bytes(), SHOPIFY.name)
            assert (first.variants.created, again.variants.updated, again.variants.created) == (6, 6, 0)
            async with db.session() as s:
                rows = (await s.scalars(select(ProductVariant).where(ProductVariant.sku == "NPL-15-16"))).all()
            assert [(r.options, str(r.price), r.stock) for r in rows] == [
                ({"Size": "15 inch", "Memory": "16GB"}, "1299.00", 12)
            ]
        finally:
            await db.dispose()


def test_values_no_version_has_are_a_plain_no() -> None:
    def v(*options: tuple[str, str]) -> Variant:
        return Variant(None, options, 1, "USD", 1)  # type: ignore[arg-type]

    bag = [v(("Color", "Black")), v(("Color", "Olive"))]
    assert not_offered("do you have it in red?", bag) == [("Color", "red", ["Black", "Olive"])]
    assert not_offered("is the black one waterproof?", bag) == []
    shirt = [v(("Size", "S"), ("Colour", "Grey")), v(("Size", "L"), ("Colour", "Navy Blue"))]
    assert not_offered("do you have it in XL?", shirt) == [("Size", "XL", ["S", "L"])]
    assert not_offered("do you have a large one?", shirt) == [], "large is the L"
    assert not_offered("a medium one in blue?", shirt) == [("Size", "medium", ["S", "L"])], "blue is the navy blue"
    assert not_offered("I'm tall: is there a large choice of colours?", shirt) == [], "no size asked"
    shoes = [v(("Size", "40")), v(("Size", "42"))]
    assert not_offered("size 47?", shoes) == [("Size", "47", ["40", "42"])] and not_offered("size 42?", shoes) == []
    tent = [v(("Colour", "Red")), v(("Colour", "Blue"))]
    assert not_offered("the Red Rock in green?", tent, "Red Rock Tent") == [("Colour", "green", ["Red", "Blue"])]
    beans = [v(("Size", "250g")), v(("Size", "1kg"))]
    assert not_offered("is Morning Ridge a single origin or a blend?", beans, "Morning Ridge Blend") == []
    hoodie = [v(("Size", "S")), v(("Size", "M"))]
    assert not_offered("a large hoodie?", hoodie, "Trail Hoodie") == [("Size", "large", ["S", "M"])]
    # a size written with its measure ("XL / 58 cm") is still the XL asked
    frames = [v(("Frame size", "M / 54 cm")), v(("Frame size", "XL / 58 cm"))]
    assert not_offered("how heavy is it in XL?", frames) == []
    assert not_offered("do you have it in XXL?", frames) == [("Frame size", "XXL", ["M / 54 cm", "XL / 58 cm"])]
    assert [x.options for x in named_variants("how much is it in XL?", frames)] == [(("Frame size", "XL / 58 cm"),)]


async def test_a_colour_or_size_not_sold_is_answered_with_the_ones_there_are(tools: Toolbox) -> None:
    await add_tenant(tools, "apparel", currency="EUR")
    await import_catalog(tools.db, "apparel", WOO.read_bytes(), WOO.name)
    context = Context(
        tenant_id="apparel",
        business_name="Apparel",
        timezone="UTC",
        tools=tools,
        sources=["catalog"],
        source_timeouts=PATIENT_BUDGETS,
    )
    first, second, third = await _turns(
        context, "Do you have the Trail Hoodie in red?", "and in XL?", "how much is the navy one?"
    )
    answer = first["messages"][-1].content
    assert "does not come in red" in answer and "Grey and Navy" in answer, answer
    answer = second["messages"][-1].content
    assert "does not come in XL" in answer and "S, M and L" in answer, answer
    answer = third["messages"][-1].content
    assert "49.00 EUR" in answer and "on sale, regular price 59.00 EUR" in answer, answer
    assert answer.count("59.00") == 1, "no figure of another version: only this one's regular price"


def test_a_size_is_named_in_any_spelling_of_its_amount() -> None:
    from concierge.tools.catalog.variants import Variant, named_values

    bags = [
        Variant("a", (("Size", "250g"),), Decimal(9), "GBP", 3),
        Variant("b", (("Size", "1kg"),), Decimal(30), "GBP", 3),
    ]
    assert named_values("what's the price for a kilo bag?", bags) == {"1kg"}
    assert named_values("the 250 grams one", bags) == {"250g"}
    assert named_values("a 1 litre bottle", bags) == set(), "a volume is no weight"


def test_a_word_only_one_option_value_holds_names_it() -> None:
    """Shops label options the long way ("Mini (41 x 63 mm) - 100 sleeves", "Édition française"); a customer says
    the word that sets one apart ("the mini ones", "the French edition", "the gold one")."""

    def variants(*values: str) -> list[Variant]:
        return [Variant(None, (("Variant", v),), Decimal("9.95"), "CAD", 1) for v in values]

    sleeves = variants("Standard (63.5 x 88 mm) - 100 sleeves", "Mini (41 x 63 mm) - 100 sleeves")
    assert [v.label for v in named_variants("how much are the mini size sleeves", sleeves)] == [sleeves[1].label]
    assert named_variants("how much are your sleeves", sleeves) == [], "a word every value holds names none"
    editions = variants("English edition", "Édition française")
    assert named_variants("the version francaise please", editions) == [editions[1]]
    assert named_variants("is it in French too?", editions) == [editions[1]], "a language by its English name"
    assert named_variants("the english one", editions) == [editions[0]]
    tables = variants("6 seats (183 x 107 cm)", "8 seats (244 x 107 cm)")
    assert named_variants("how much is the 8 seat one?", tables) == [tables[1]], "a count said in the singular"
    assert named_variants("a table for 8 people", tables) == [], "a count of something else"
    finishes = variants("Gunmetal", "Antique gold")
    assert named_variants("is the gold one more expensive?", finishes) == [finishes[1]]
    assert named_variants("is the gold one more expensive?", variants("Antique gold")) == [], "one value: no choice"


def test_a_version_named_by_the_rank_of_its_measure() -> None:
    """ "the bigger battery", "the smaller one": the highest or lowest value of a measured option; "bigger than"
    compares items and names none."""
    from concierge.tools.catalog.variants import named_values

    bikes = [
        Variant("a", (("Battery", "400 Wh"),), Decimal(2500), "EUR", 2),
        Variant("b", (("Battery", "600 Wh"),), Decimal(2900), "EUR", 0),
    ]
    assert named_values("how much for it with the bigger battery", bikes) == {"600 Wh"}
    assert named_values("and the smaller one?", bikes) == {"400 Wh"}
    assert named_values("is it bigger than the other bike?", bikes) == set()
    assert named_values("with the longest warranty", bikes) == set(), "a rank of another measure"


def test_the_version_an_answer_chose_is_what_that_one_means() -> None:
    from concierge.tools.catalog.variants import answered_values

    frames = [
        Variant(s, (("Frame size", f"{s} / {cm} cm"),), Decimal(1500), "EUR", 1) for s, cm in [("S", 51), ("M", 54)]
    ]
    chart_row = "For 175 cm: M: 54 (Frame (cm)), 169 – 179 (Rider height (cm)) [1]"
    assert answered_values(chart_row, frames) == ["M / 54 cm"]
    listed = "Available in: S / 51 cm at 1500.00 EUR; M / 54 cm at 1500.00 EUR [1]"
    assert answered_values(listed, frames) == [], "a list chooses none"
    seats = [Variant(m, (("Mount", f"{m} mount"),), Decimal(99), "EUR", 1) for m in ("Carrier", "Frame")]
    absent = "It also works on bikes without a carrier [1]."
    assert answered_values(absent, seats) == [], "a version said to be absent is no pick"


def test_a_size_word_before_a_word_that_asks_nothing_is_a_size() -> None:
    from concierge.tools.catalog.variants import named_values

    helmets = [Variant(s, (("Size", s),), Decimal(99), "USD", n) for s, n in (("S", 2), ("M", 3), ("L", 0))]
    assert named_values("is the orbit helmet in large in stock?", helmets) == {"L"}
    assert named_values("do you have a large choice of helmets?", helmets) == set()


def test_a_measured_version_said_by_its_number_alone() -> None:
    """ "in a 177" of skis sold in 170 and 177 cm; "a 177 mm waist" measures something else."""
    from concierge.tools.catalog.variants import named_values

    skis = [Variant(None, (("Length", f"{n} cm"),), Decimal(649), "USD", 1) for n in (170, 177)]
    assert named_values("do you have it in a 177 at the frisco store?", skis) == {"177 cm"}
    assert named_values("how much is the 170 one?", skis) == {"170 cm"}
    assert named_values("anything with a 177 mm waist?", skis) == set()


async def test_shopify_versions_whose_stock_shopify_does_not_track_have_none_stated(tools: Toolbox) -> None:
    """A day pass or a course sold through Shopify has an empty `Variant Inventory Tracker` and a quantity of 0:
    its stock is not stated ("out of stock" would be false), while a tracked 0 stays out of stock."""
    await add_tenant(tools, "gym", currency="NZD")
    header = (
        "Handle,Title,Type,Option1 Name,Option1 Value,Variant SKU,Variant Inventory Tracker,Variant Inventory Qty,"
        "Variant Price,Status\n"
    )
    rows = (
        "day-pass,Day Pass,Service,Ticket,Adult,DP-A,,0,24.00,active\n"
        "day-pass,,,,Child,DP-C,,0,16.00,active\n"
        "chalk,Chalk Block,Chalk,Title,Default Title,CH-1,shopify,0,6.50,active\n"
    )
    report = await import_catalog(tools.db, "gym", (header + rows).encode(), "products_export.csv")
    assert report.as_dict()["accepted"] == 2
    assert [v.stock for v in await _variants(tools, "gym", "day-pass")] == [None, None]
    async with tools.db.session() as s:
        stocks = dict((await s.execute(select(Product.sku, Product.stock).where(Product.tenant_id == "gym"))).all())
    assert stocks == {"day-pass": None, "chalk": 0}


async def test_a_shopify_import_names_the_columns_it_does_not_store(tools: Toolbox) -> None:
    await add_tenant(tools, "gadgets2", currency="USD")
    report = (await import_catalog(tools.db, "gadgets2", SHOPIFY.read_bytes(), SHOPIFY.name)).as_dict()
    ignored = {i["column"]: i["reason"] for i in report["ignored"]}
    assert ignored["Variant Grams"] == "not read: the catalog has no place for it"
    assert ignored["Image Src"].startswith("not read: the catalog keeps no images")
    assert not {"Handle", "Title", "Variant Price", "Variant Inventory Qty", "Option1 Value"} & set(ignored)
