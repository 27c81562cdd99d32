"""Questions about the catalog's shape, answered from the catalog filtered and sorted, with figures."""

import pytest
from langgraph.runtime import Runtime

from concierge.nodes.retrieve_catalog import retrieve_catalog
from concierge.state import Context
from concierge.tools.analysis.query import analyze
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.shape import cheaper_than, shape_of
from concierge.tools.db.models import Tenant
from concierge.tools.toolbox import Toolbox

PRODUCTS = b"""sku,name,price,currency,category,brand,description
T1,Ridgeline X4 Tent,250,USD,Tents,Northway,"Spacious interior perfect for four occupants."
T2,Skylark 2-Person Tent,200,USD,Tents,Northway,A light tent.
T3,Basecamp Lodge Tent,350,USD,Tents,Peakline,"A robust, 8-person, 3-season tent."
S1,Pocket Camping Stove,60,USD,Camping Stoves,Pocket,Small stove.
S2,Ember Camping Stove,80,USD,Camping Stoves,Ember,Wood stove.
S3,Blaze Camping Stove,100,USD,Camping Stoves,Blaze,Gas stove.
F1,Trail Folding Table,60,USD,Camping Tables,CampMate,Folding table.
F2,Trail Camp Chair,50,USD,Camping Tables,CampMate,A chair.
J1,Gale Hiking Jacket,110,USD,Hiking Clothing,Peakline,Rain jacket.
J2,Breeze Jacket,120,USD,Hiking Clothing,Peakline,Wind jacket.
P1,Trail Hiking Pants,75,USD,Hiking Clothing,Peakline,Pants.
"""


@pytest.fixture
async def outdoor(tools: Toolbox) -> Toolbox:
    async with tools.db.session() as s:
        s.add(Tenant(id="outdoor", name="Outdoor", timezone="UTC", currency="USD"))
        await s.commit()
    await import_catalog(tools.db, "outdoor", PRODUCTS, "products.csv")
    return tools


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (
            "What's your cheapest camping stove?",
            "The cheapest of our camping stoves is the Pocket Camping Stove at 60.00 USD. Next: Ember Camping Stove "
            "(80.00 USD), Blaze Camping Stove (100.00 USD).",
        ),
        (
            "What is the most expensive tent you sell?",
            "The most expensive of our tents is the Basecamp Lodge Tent at 350.00 USD.",
        ),
        (
            "Do you sell anything from CampMate?",
            "We sell 2 products from CampMate: Trail Camp Chair (50.00 USD), Trail Folding Table (60.00 USD).",
        ),
        (
            "What tents do you have under $300?",
            "We sell 2 tents under 300 USD: Ridgeline X4 Tent (250.00 USD), Skylark 2-Person Tent (200.00 USD).",
        ),
        (
            "Do you have a tent for 4 people?",
            "We sell 2 tents for 4 people: Ridgeline X4 Tent (250.00 USD), Basecamp Lodge Tent (350.00 USD).",
        ),
        (
            "tell me about your hiking jackets",
            "We sell 2 hiking jackets: Breeze Jacket (120.00 USD), Gale Hiking Jacket (110.00 USD).",
        ),
        (
            "It's my first trip, which tent should I get?",
            "We sell 3 tents: Basecamp Lodge Tent (350.00 USD), Ridgeline X4 Tent (250.00 USD), Skylark 2-Person Tent",
        ),
        (
            "Any tents under $100?",
            "We sell no tents under 100 USD; the nearest is the Skylark 2-Person Tent at 200.00 USD.",
        ),
    ],
)
async def test_shape_questions_are_answered_from_the_catalog(
    outdoor: Toolbox, context: Context, question: str, answer: str
) -> None:
    words = await outdoor.catalog.vocabulary("outdoor")
    shape = shape_of(question, words)
    assert shape is not None
    sentence, hits = await outdoor.catalog.shaped("outdoor", shape)
    assert sentence.startswith(answer), sentence
    assert hits


async def test_a_category_word_that_qualifies_another_names_no_category(tools: Toolbox) -> None:
    """ "the game table" is a table, not one of the board games; "any game sleeves?" with sleeves described for
    cards, not games, lists the sleeves there are rather than saying none; "in stock?" lists the stock."""
    async with tools.db.session() as s:
        s.add(Tenant(id="games", name="Games", timezone="UTC", currency="CAD"))
        await s.commit()
    catalog = b"""sku,name,price,category,description,stock
G1,Harbour Lights,39.95,Board Games,A family board game.,4
G2,Ironwake,139.95,Board Games,A naval campaign game.,0
T1,Erable Game Table,3450,Furniture,Solid maple table with a play vault.,1
T2,Folding Card Table,89,Furniture,A light table.,3
G3,Game Night Dice Kit,19,Accessories,Dice for any game.,8
C1,Gardien Card Sleeves,5.95,Card Sleeves,Sleeves for standard cards.,30
"""
    await import_catalog(tools.db, "games", catalog, "products.csv")
    words = await tools.catalog.vocabulary("games")
    assert words.categories_in("do you have the game table in stock?") == []
    assert words.categories_in("what board games do you have?") == ["Board Games"]
    shape = shape_of("do you have the game table in stock?", words)
    assert shape is not None
    sentence, _ = await tools.catalog.shaped("games", shape)
    assert sentence == "We sell one of these (game table): Erable Game Table (3450.00 CAD, 1 in stock)."
    shape = shape_of("what board games do you have in stock?", words)
    sentence, _ = await tools.catalog.shaped("games", shape)  # type: ignore[arg-type]
    assert sentence.endswith("Harbour Lights (39.95 CAD, 4 in stock), Ironwake (139.95 CAD, out of stock).")
    shape = shape_of("any game sleeves?", words)
    sentence, _ = await tools.catalog.shaped("games", shape)  # type: ignore[arg-type]
    assert sentence.startswith("We sell no game "), sentence
    assert sentence.endswith("the nearest is the Gardien Card Sleeves at 5.95 CAD."), sentence


@pytest.mark.parametrize(
    "question",
    [
        "How much is the Ridgeline X4 Tent?",
        "What is your return policy for tents?",
        "Is the Breeze Jacket warm?",
        # a kind the catalog has no word for: the cheapest of everything would answer for another kind of thing
        "whats the cheapest pair of sunnies you sell?",
    ],
)
async def test_other_questions_are_no_shape_questions(outdoor: Toolbox, question: str) -> None:
    assert shape_of(question, await outdoor.catalog.vocabulary("outdoor")) is None


async def test_the_cheapest_thing_of_all_is_still_a_shape_question(outdoor: Toolbox) -> None:
    assert shape_of("what is the cheapest thing you sell?", await outdoor.catalog.vocabulary("outdoor")) is not None


async def test_retrieval_leads_with_the_listing_and_cites_a_real_product(outdoor: Toolbox, context: Context) -> None:
    from dataclasses import replace
    from datetime import date

    ctx = replace(context, tenant_id="outdoor")
    analysis = analyze("What's your cheapest camping stove?", today=date(2026, 11, 21), depth=0, available=["catalog"])
    items = (await retrieve_catalog({"analysis": analysis}, Runtime(context=ctx)))["retrieved"]
    assert items[0]["id"] == "catalog:product:S1" and items[0]["metadata"]["listing"].startswith("The cheapest")
    assert [i["id"] for i in items] == ["catalog:product:S1", "catalog:product:S2", "catalog:product:S3"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Any tents under 3 lbs?", [("<", 3.0, "lb")]),
        ("a light with at least 1000 lumens", [(">=", 1000.0, "lm")]),
        ("an e-bike with a range of at least 80 km", [(">=", 80.0, "km")]),
        ("a toaster with at least 4 slots", [(">=", 4.0, None)]),
        ("anything under $50?", []),
        ("backpacks under 100 USD", []),
    ],
)
def test_bounded_figures_are_read_in_any_unit(question: str, expected: list) -> None:
    from concierge.tools.catalog.specs import bounds_in

    found = [(b.op, b.number, b.quantity.unit if b.quantity else None) for b in bounds_in(question)]
    assert found == expected


def test_a_bound_reads_the_spec_the_question_points_at() -> None:
    from concierge.tools.analysis.units import quantities
    from concierge.tools.catalog.specs import Spec, bounds_in, figure_for, spec_lines

    lines = spec_lines("| Spec | Value |\n|---|---|\n| Weight | 12 lbs |\n- **Load capacity**: 300 lbs\nSlots: 4")
    assert lines == [("Weight", "12 lbs"), ("Load capacity", "300 lbs"), ("Slots", "4")]
    specs = [Spec(k, v, tuple(quantities(v))) for k, v in lines]
    light = figure_for(specs, bounds_in("Any ladders that weigh under 6 kg?")[0], "Any ladders that weigh under 6 kg?")
    assert light is not None and light[0].key == "Weight" and light[2] is True, "12 lbs is 5.4 kg"
    load = figure_for(specs, bounds_in("a ladder with a load capacity over 250 lbs")[0], "load capacity over 250 lbs")
    assert load is not None and load[0].key == "Load capacity" and load[2] is True
    slots = figure_for(specs, bounds_in("at least 4 slots")[0], "a toaster with at least 4 slots")
    assert slots is not None and slots[2] is True
    # A bare mass is the item's weight; two figures of a kind no attribute names are no guess.
    bare = figure_for(specs, bounds_in("under 400 lbs")[0], "anything under 400 lbs")
    assert bare is not None and bare[0].key == "Weight"
    two = [Spec(k, v, tuple(quantities(v))) for k, v in [("Inlet", "2 bar"), ("Outlet", "9 bar")]]
    assert figure_for(two, bounds_in("over 5 bar")[0], "anything over 5 bar") is None


def test_spec_sheets_read_other_layouts_and_skip_tables_of_several_items() -> None:
    from concierge.tools.catalog.specs import spec_lines

    text = (
        "Length ...................... 50 metres\n"
        "| Parameter | Value | Unit |\n|---|---|---|\n| Bore | 18 | mm |\n\n"
        "The saw weighs 3.6 kg. Every saw is checked by hand.\n"
        "At a glance: 16 inch guide bar length · 1.1 kW power\n\n"
        "| Model | Weight | Power |\n|---|---|---|\n| Timber 500 | 9 kg | 2 kW |\n"
    )
    assert spec_lines(text) == [
        ("Length", "50 metres"),
        ("Bore", "18 mm"),
        ("Weight", "3.6 kg"),
        ("Guide bar length", "16 inch"),
        ("Power", "1.1 kW"),
    ], "a row of a table of models is another item's, never this document's"


def test_a_bound_without_an_attribute_word_reads_a_key_of_its_measure() -> None:
    from concierge.tools.analysis.units import quantities
    from concierge.tools.catalog.specs import Spec, bounds_in, figure_for

    specs = [Spec(k, v, tuple(quantities(v))) for k, v in [("Length", "50 metres"), ("Bore", "18 mm")]]
    question = "Do you have a garden hose at least 47.5 m long?"
    found = figure_for(specs, bounds_in(question)[0], question)
    assert found is not None and found[0].key == "Length" and found[2] is True


def test_names_differing_by_a_number_are_told_apart_by_it() -> None:
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku=sku, name=name, category="Mowers", brand="Corvid", model_number="", tags=[])
        for sku, name in [
            ("M1", "Corvid Striper Mower"),
            ("M2", "Corvid Striper 700 Mower"),
            ("M3", "Corvid Wren Mower"),
        ]
    ]
    words = Vocabulary.build(1, rows, [])
    assert words.best_named("How heavy is the Corvid Striper Mower?").key == "M1"
    assert words.best_named("How heavy is the Corvid Striper 700 Mower?").key == "M2"


def test_words_other_named_items_account_for_name_nothing_more() -> None:
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku=sku, name=name, category="Desks", brand=name.split()[0], model_number="", tags=[])
        for sku, name in [("D1", "Ovaline Elevate Desk"), ("D2", "Kinsey Rise Desk"), ("D3", "Kinsey Elevate 200 Desk")]
    ]
    words = Vocabulary.build(1, rows, [])
    named = words.named("Which is lighter, the Ovaline Elevate Desk or the Kinsey Rise Desk?", 0.75)
    assert sorted(item.key for _, item in named) == ["D1", "D2"]


def test_a_model_code_said_names_its_item_over_plain_words_naming_another() -> None:
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku=sku, name=name, category="", brand="", model_number="", tags=[])
        for sku, name in [("K", "Brewcraft K1 Pro Electric Kettle"), ("G", "Gyokuro Green Tea - Yame")]
    ]
    words = Vocabulary.build(1, rows, [])
    assert words.best_named("I want to make green tea with the K1 Pro, how low can it go?").key == "K"


def test_one_everyday_word_of_a_longer_name_names_nothing() -> None:
    """ "how long to charge it full?" is no question about the "Full overhaul"; "a full overhaul" is."""
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku=sku, name=name, category="Workshop", brand="", model_number="", tags=[])
        for sku, name in [("O", "Full overhaul"), ("P", "Puncture repair")]
    ]
    words = Vocabulary.build(1, rows, [])
    assert words.best_named("and the bigger battery, how long to charge it full?") is None
    assert words.best_named("what do you do in a full overhaul?").key == "O"
    assert words.best_named("how much is a puncture?").key == "P"
    fit = Vocabulary.build(1, [], [SimpleNamespace(code="BF", name="Bike fit")])
    assert fit.best_named("will you fit it for me?") is None, "a word said as a verb names nothing"
    assert fit.best_named("how long does a bike fit take?").key == "BF"


async def test_anything_cheaper_lists_the_focus_category_below_its_price(outdoor: Toolbox) -> None:
    idx = await outdoor.catalog.index("outdoor")
    (blaze,) = idx.by_skus(["S3"])
    shape = cheaper_than("is there anything cheaper?", blaze)
    assert shape is not None
    sentence, hits = await outdoor.catalog.shaped("outdoor", shape)
    assert sentence == (
        "We sell 2 camping stoves cheaper than the Blaze Camping Stove: Ember Camping Stove (80.00 USD), "
        "Pocket Camping Stove (60.00 USD)."
    )
    assert [h.sku for h in hits] == ["S2", "S1"]
    (pocket,) = idx.by_skus(["S1"])
    sentence, _ = await outdoor.catalog.shaped("outdoor", cheaper_than("any cheaper options?", pocket))  # type: ignore[arg-type]
    assert sentence.startswith("We sell no camping stoves cheaper than the Pocket Camping Stove")
    assert cheaper_than("is it cheaper online?", blaze) is None
    assert cheaper_than("what does the cheaper one weigh?", blaze) is None, "a reference to one already named"


def test_what_the_customer_does_is_no_kind_of_thing_sold() -> None:
    """ "do you sell wax for spring skiing?" asks for wax: "skiing" is what they do, not the shop's "Skis"; a
    catalog that spells its own word with "-ing" ("Climbing Shoes") is named by it."""
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku=sku, name=name, category=category, brand="", model_number="", tags=[])
        for sku, name, category in [
            ("S1", "Talus Ridge 88", "Skis"),
            ("W1", "Temp Wax", "Wax & Tuning"),
            ("C1", "Crag Climbing Shoe", "Climbing Shoes"),
        ]
    ]
    words = Vocabulary.build(1, rows, [])
    shape = shape_of("do you sell wax for spring skiing?", words)
    assert shape is not None and shape.kind == ("wax", "wax") and shape.category is None, shape
    assert shape_of("what climbing shoes do you sell?", words).category == "Climbing Shoes"
    assert words.categories_in("any skis for a beginner?") == ["Skis"]
