"""Rules from the tenant's own data: its vocabulary, its currency, accents kept, no shop's words in code."""

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from concierge.tools.analysis.money import amounts, price_bounds
from concierge.tools.analysis.query import query_type
from concierge.tools.analysis.text import keywords, stems
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.db.models import Tenant
from concierge.tools.documents.chunking import Chunk
from concierge.tools.toolbox import Toolbox

ROOT = Path(__file__).resolve().parents[1]
OUTDOOR = """sku,name,price,currency,category,brand
T1,TrailMaster X4 Tent,250,USD,Tents,OutdoorLiving
T2,SkyView 2-Person Tent,200,USD,Tents,OutdoorLiving
S1,CompactCook Camping Stove,60,USD,Camping Stoves,CompactCook
S2,EcoFire Camping Stove,80,USD,Camping Stoves,EcoFire
B1,CozyNights Sleeping Bag,100,USD,Sleeping Bags,CozyNights
B2,MountainDream Sleeping Bag,130,USD,Sleeping Bags,MountainDream
C1,Café Crème Mug,12,USD,Kitchen,CampBuddy
""".encode()


async def _outdoor(tools: Toolbox) -> None:
    async with tools.db.session() as s:
        s.add(Tenant(id="outdoor", name="Outdoor", timezone="UTC", currency="USD"))
        await s.commit()
    await import_catalog(tools.db, "outdoor", OUTDOOR, "products.csv")


async def test_the_vocabulary_comes_from_the_catalog(tools: Toolbox) -> None:
    await _outdoor(tools)
    words = await tools.catalog.vocabulary("outdoor")
    assert words.best_named("how much is the trail master tent?").key == "T1"
    assert words.best_named("Tell me about the cozynights bag").key == "B1"
    assert words.best_named("any sleeping bags?") is None, "a category names no product in particular"
    assert words.brands_in("Do you sell anything from Camp Buddy?") == ["CampBuddy"]
    assert words.categories_in("What's your cheapest camping stove?") == ["Camping Stoves"]
    assert words.best_named("is the cafe creme mug dishwasher safe").key == "C1"
    assert query_type("Do you have tents?", words) == "product"
    demo = await tools.catalog.vocabulary("demo")
    assert query_type("Any perfume consultation slots on Friday?", demo) == "appointment"
    assert query_type("What happens at the perfume consultation?", demo) == "service"
    assert query_type("What happens at the perfume consultation?", words) == "general"


async def test_a_document_is_about_the_item_its_title_names_not_one_its_opening_mentions(tools: Toolbox) -> None:
    """A page's subject decides which item its facts are about: a service page that mentions a game in passing is
    still the service's; a shop-wide page that points to an item's page is about no item."""
    await _outdoor(tools)
    words = await tools.catalog.vocabulary("outdoor")
    page = "trailmaster-x4\nTrailMaster X4\nRoomier than the SkyView 2-Person Tent, with a porch for your boots."
    assert words.subject(page).key == "T1", "the title names it, however whole the sibling's name in the text"
    manual = "manual-7.pdf\nUser guide\nThe TrailMaster X4 Tent sleeps four. Unlike the SkyView, it has two doors."
    assert words.subject(manual).key == "T1", "a manual names its product whole in its opening"
    policies = "policies\nWhere we are\nOpen daily. See the CozyNights page for sleeping bag care."
    assert words.subject(policies) is None, "a shop-wide page merely pointing to an item is about none"
    assert words.subject("cozynights-sleeping-bag\nCozyNights Sleeping Bag\nWarm to -5 C.").key == "B1"


async def test_a_name_said_whole_beside_a_longer_name_that_holds_it(tools: Toolbox) -> None:
    """A game and its expansion share every word of the game's name: said whole, as written, it is the game;
    a word only the expansion has makes it the expansion."""
    async with tools.db.session() as s:
        s.add(Tenant(id="games", name="Games", timezone="UTC", currency="CAD"))
        await s.commit()
    rows = (
        "sku,name,price,category\nG1,Château des Brumes,69.95,Board Games\n"
        "G2,Château des Brumes : Les Caves (expansion),34.95,Expansions\n"
    )
    await import_catalog(tools.db, "games", rows.encode(), "games.csv")
    words = await tools.catalog.vocabulary("games")
    assert words.best_named("how many players is chateau des brumes?").key == "G1"
    assert words.best_named("is Château des Brumes : Les Caves in stock?").key == "G2"
    assert words.best_named("how much is the les caves expansion").key == "G2"
    assert words.best_named("anything like chateau brumes?") is None, "not said as written: either"
    game = words.best_named("Château des Brumes")
    assert words.sibling_named("and with the expansion?", game).key == "G2", "the one name holding both"


async def test_a_new_import_changes_the_vocabulary_at_once(tools: Toolbox) -> None:
    await _outdoor(tools)
    before = await tools.catalog.vocabulary("outdoor")
    await import_catalog(tools.db, "outdoor", b"sku,name,price\nK1,Packraft Kayak,400\n", "more.csv")
    tools.catalog.invalidate("outdoor")
    after = await tools.catalog.vocabulary("outdoor")
    assert after.version != before.version and after.best_named("the packraft").key == "K1"


def test_keywords_keep_accents_and_stems_fold_them() -> None:
    assert keywords("Un café crème, s'il vous plaît") == ["un", "café", "crème", "il", "vous", "plaît"]
    assert stems("café") == stems("cafe")


async def test_keyword_search_finds_accented_words_either_way(tools: Toolbox) -> None:
    chunk = Chunk(text="Notre café ouvre à huit heures.", page=1, section="Horaires", tokens=9)
    await tools.documents.add("fr", "d1", "Guide", [chunk])
    for query in ("café", "cafe", "CAFÉ"):
        hits = await tools.documents.search("fr", query, 3)
        assert hits and hits[0].document_id == "d1", query


def test_money_in_the_tenants_currency() -> None:
    assert amounts("Adventurer Pro Backpack, price $90, or 90 USD", "USD") == [Decimal("90"), Decimal("90")]
    assert amounts("costs 12,50 € (EUR 3 for postage)", "EUR") == [Decimal("12.50"), Decimal("3")]
    assert amounts("costs 12,50 €", "USD") == []
    assert price_bounds("tents under $300") == (None, Decimal("300"))
    assert price_bounds("a gift for less than €12,50") == (None, Decimal("12.50"))
    assert price_bounds("between 20 and 40 dollars") == (Decimal("20"), Decimal("40"))
    assert price_bounds("a backpack under 3 lbs") == (None, None), "a weight is not a price"
    # "more than" after a negation is a ceiling; a budget is one too
    assert price_bounds("a decent pump, but I don't want to spend more than 40 euro") == (None, Decimal("40"))
    assert price_bounds("something no more than €40") == (None, Decimal("40"))
    assert price_bounds("my budget is 40 euros") == (None, Decimal("40"))
    assert price_bounds("anything more than 30 euro") == (Decimal("30"), None)


def test_no_shop_words_in_tools_or_nodes() -> None:
    pattern = "inkwell|kestrel|perfume|fountain pen|bookshop|book club|notebook|candle"
    out = subprocess.run(
        ["grep", "-rniE", pattern, "concierge/tools", "concierge/nodes"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    offending = [line for line in out.splitlines() if "/demo/" not in line and not re.search(r"\.pyc", line)]
    assert not offending, offending


@pytest.mark.parametrize("currency", ["USD", "GBP"])
async def test_price_conflicts_in_the_products_currency(currency: str) -> None:
    from concierge.nodes.synthesize import price_conflicts

    mark = {"USD": "$", "GBP": "£"}[currency]
    product = {
        "id": "catalog:product:T1",
        "source": "catalog",
        "title": "TrailMaster X4 Tent",
        "text": "",
        "score": 1.0,
        "metadata": {"kind": "product", "price": "250.00", "currency": currency},
    }
    doc = {
        "id": "documents:d:0",
        "source": "documents",
        "title": "Manual",
        "text": f"TrailMaster X4 Tent, price {mark}230,",
        "score": 0.5,
        "metadata": {"section": "Intro"},
    }
    [note] = price_conflicts([product, doc])
    assert "230" in note and f"250.00 {currency}" in note


SHOP_TITLES = b"""sku,name,price,category,brand
AMP1,Brightwave Cub 15 Practice Amp,119,Amplifiers,Brightwave
AMP2,Brightwave Bastion 50 Combo,389,Amplifiers,Brightwave
KB1,Tessel K61 Portable Keyboard,179,Keyboards,Tessel
KB2,Tessel P88 Digital Piano,549,Keyboards,Tessel
G1,Harrow AR-200 Dreadnought,329,Guitars,Harrow
G2,Harrow AR-200CE Cutaway Electro-Acoustic,419,Guitars,Harrow
"""


async def test_shop_titles_are_named_the_way_customers_shorten_them(tools: Toolbox) -> None:
    """Shop exports title products "Brand Model Description": customers say the model, its number, never the
    description; a head that names the product among its siblings is about it, not about the sibling."""
    async with tools.db.session() as s:
        s.add(Tenant(id="music", name="Music", timezone="UTC", currency="GBP"))
        await s.commit()
    await import_catalog(tools.db, "music", SHOP_TITLES, "products.csv")
    words = await tools.catalog.vocabulary("music")
    assert words.best_named("What's the polyphony of the K61?").key == "KB1"  # a model code in the name
    assert words.best_named("is the p88 weighted").key == "KB2"
    assert words.best_named("Brightwave Cub 15").key == "AMP1"  # the name's number counts as one of its words
    assert words.best_named("how loud is the Cub 15?").key == "AMP1"  # two things only this name has
    assert words.best_named("Bastion 50").key == "AMP2"
    assert words.best_named("# Brightwave Cub 15\nSmall and light: the Cub 15 is a 15-watt combo.").key == "AMP1"
    assert words.best_named("the Bastion") is None, "one word, however rare, is not enough"
    assert words.best_named("any amps for a beginner?") is None
    head = "Harrow AR-200CE Cutaway Electro-Acoustic\nSame body woods as the AR-200, with a cutaway."
    assert words.best_named(head).key == "G2"
    assert words.best_named("does the AR-200 have a pickup?").key == "G1"


SIBLINGS = b"""sku,name,price,category,brand
VA,Veloce Air Hair Dryer,189,Dryers,Veloce
VAP,Veloce Air Pro Hair Dryer,279,Dryers,Veloce
T3,Wayfind T3 GPS Tracker,59,Trackers,Wayfind
T3P,Wayfind T3 Pro GPS Tracker,89,Trackers,Wayfind
F4,Dishly AF4 Automatic Feeder,79,Feeders,Dishly
F4W,Dishly AF4 Wi-Fi Automatic Feeder,119,Feeders,Dishly
C50,Orla Z50 Mirrorless Camera (Body Only),649,Cameras,Orla
C50B,Orla Z50 II Mirrorless Camera (Body Only),899,Cameras,Orla
L28,Kestrel 24-70mm f/2.8 DG II,999,Lenses,Kestrel
K1,Potter K1 Gooseneck Kettle,38,Kettles,Potter
K1P,Potter K1 Pro Electric Gooseneck Kettle,89,Kettles,Potter
"""


async def test_siblings_are_told_apart_by_their_marks(tools: Toolbox) -> None:
    """ "T3" and "T3 Pro", "Z50" and "Z50 II": a short model mark names the sibling whose extra word goes unsaid,
    and "and the Pro?" after the T3 names the Pro; a feature word a sibling's name holds does not."""
    async with tools.db.session() as s:
        s.add(Tenant(id="pets", name="Pets", timezone="UTC", currency="GBP"))
        await s.commit()
    await import_catalog(tools.db, "pets", SIBLINGS, "products.csv")
    words = await tools.catalog.vocabulary("pets")
    assert words.best_named("how long will the T3 go between charges?").key == "T3"
    assert words.best_named("Is the T3 Pro waterproof?").key == "T3P"
    assert words.best_named("the AF4 Wi-Fi").key == "F4W"
    assert words.best_named("what's in the box with the AF4?").key == "F4"
    assert words.best_named("does the Z50 II have weather sealing?").key == "C50B"
    assert words.best_named("the Orla Z50").key == "C50"
    assert words.best_named("Is the Kestrel f/2.8 sharp?").key == "L28"
    assert words.best_named("any gps trackers?") is None
    # a sibling whose extra word is a model mark ("Pro") goes unsaid: the plain model is the one named
    assert words.best_named("how heavy is the Wayfind T3?").key == "T3"
    assert words.best_named("How heavy is the Veloce Air?").key == "VA"
    assert words.best_named("do you sell veloce dryers?") is None, "in the plural: both"
    # a shorter name is not the one asked when the text says a word only the longer holds, unless it says it whole
    assert words.best_named("How heavy is the K1 Pro kettle?").key == "K1P"
    assert words.best_named("the K1 kettle").key == "K1"
    assert words.best_named("Potter K1 Gooseneck Kettle. Hobs: gas, electric, induction").key == "K1"
    t3, af4 = words.by_key("catalog:product:T3"), words.by_key("catalog:product:F4")
    assert words.sibling_named("and the Pro?", t3).key == "T3P"
    assert words.sibling_named("and on the Wi-Fi version?", af4).key == "F4W"
    assert words.sibling_named("does it have wifi?", af4) is None, "a feature asked of the focus"
    assert words.sibling_named("and the price?", t3) is None
    # "the T3 or the T3 Pro" says every word of the Pro's name: each side of the "or" names its own sibling
    for asked in ("which is cheaper, the T3 or the T3 Pro?", "is the T3 Pro lighter than the T3?"):
        assert {it.key for _, it in words.named(asked)} == {"T3", "T3P"}, asked
    assert words.best_named("which is cheaper, the T3 or the T3 Pro?") is None, "two asked, neither alone"
    for asked in ("what's the difference between the K1 and the K1 Pro?", "how does the K1 compare to the K1 Pro?"):
        assert {it.key for _, it in words.named(asked)} == {"K1", "K1P"}, asked
    assert [it.key for _, it in words.named("the K1 and the kettle descaler")] == ["K1"], "no 'between', no split"
    assert {it.key for _, it in words.named("Is the T3 Pro or the Z50 II heavier?")} == {"T3P", "C50B"}


async def test_the_last_side_of_an_or_lends_its_noun_to_the_first(tools: Toolbox) -> None:
    """ "the resin or the metal dice": "the resin" alone names nothing, "the resin dice" does."""
    async with tools.db.session() as s:
        s.add(Tenant(id="dice", name="Dice", timezone="UTC", currency="CAD"))
        await s.commit()
    catalog = b"""sku,name,price,category
R1,Aurore Resin Dice Set,24,Dice
M1,Forge Metal Dice Set,49,Dice
T1,Felt Dice Tray,19,Accessories
"""
    await import_catalog(tools.db, "dice", catalog, "products.csv")
    words = await tools.catalog.vocabulary("dice")
    for asked in ("what's the difference between the resin and the metal dice?", "the resin or the metal dice?"):
        assert {it.key for _, it in words.named(asked)} == {"R1", "M1"}, asked
    assert words.named("the resin") == []


def test_phrases_ask_battery_figures() -> None:
    from concierge.tools.analysis.units import asked_attributes, units_named

    assert units_named("which amp should I get?") == [], "an amplifier, not an ampere"
    assert units_named("how many amps does it draw?") == ["a"]

    assert [a.name for a in asked_attributes("how big is the battery in it?")][:1] == ["battery"]
    assert "dimensions" not in [a.name for a in asked_attributes("how big is the battery in it?")]
    assert asked_attributes("how long does it take to charge?")[0].name == "charging"
    assert "charging" not in [a.name for a in asked_attributes("how long does it run on one charge?")]
    assert "runtime" in [a.name for a in asked_attributes("how long does the battery last?")]
    assert "battery" not in [a.name for a in asked_attributes("how long does the battery last?")]


def test_how_much_for_an_item_asks_its_price() -> None:
    """ "how much for the one with the bigger battery": a price, though "bigger" is a size word."""
    from concierge.tools.analysis.units import asked_attributes

    assert asked_attributes("how much for the city bike with the bigger battery")[0].name == "price"
    assert asked_attributes("how much to fix a flat tyre?")[0].name == "price"
    assert asked_attributes("how much for it to hold 20 litres?")[0].name != "price"


def test_a_noun_in_ance_meets_its_adjective() -> None:
    from concierge.tools.analysis.text import stems

    assert stems("pregnancy") == stems("pregnant")
    assert stems("the distance") == stems("how distant")
    assert stems("totally straight") == stems("straight"), "an intensifier asks nothing"
    assert stems("if mine dies") == stems("dies"), "a possessive pronoun names nothing"
    assert stems("daily") == stems("day") and stems("monthly") == stems("months")
