"""Conversation-aware turns: references resolved from the item in focus, a standalone question in state, the
customer's facts kept, and a cheap model's rewrite with the rules as its fallback."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.tools.analysis.conversation import (
    about_several,
    compares,
    customer_facts,
    explains_first,
    refers_back,
    same_for,
    standalone,
    standalone_several,
    than_whom,
    topic_of,
    with_facts,
)
from concierge.tools.llm.providers import ProviderConfig
from concierge.tools.toolbox import Toolbox
from tests.provider_stubs import OpenAIStub, answer, server_error

MINI = "openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("message", "refers"),
    [
        ("Is it in stock?", True),
        ("how much does it weigh?", True),
        ("and the price?", True),
        ("What about that one?", True),
        ("weight?", True),
        ("How long does it take to ship to Germany?", False),
        ("Is it possible to pay by card?", False),
        ("What are your opening hours?", False),
        ("Can I pick my order up from the shop instead of having it delivered?", False),
    ],
)
def test_references_are_found(message: str, refers: bool) -> None:
    assert refers_back(message) is refers


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Is it in stock?", "Is the TrailMaster X4 Tent in stock?"),
        ("how much does it weigh?", "How much does the TrailMaster X4 Tent weigh?"),
        ("and the price?", "And the price of the TrailMaster X4 Tent?"),
        ("what's the warranty on it", "What's the warranty on the TrailMaster X4 Tent"),
        ("and what does it weigh itself?", "And what does the TrailMaster X4 Tent weigh?"),
        ("Is the TrailMaster X4 Tent waterproof?", "Is the TrailMaster X4 Tent waterproof?"),
        ("can five of us sleep in the family one?", "Can five of us sleep in the TrailMaster X4 Tent?"),
    ],
)
def test_standalone_questions_name_the_item(message: str, expected: str) -> None:
    assert standalone(message, "TrailMaster X4 Tent") == expected


def test_customer_facts_are_kept_and_used() -> None:
    facts = customer_facts("Hi, I'm a Gold member.")
    assert facts == {"membership": "Gold"}
    facts = customer_facts("We are 4 people, do you have a table?", facts)
    assert facts == {"membership": "Gold", "party_size": 4}
    assert customer_facts("my membership status is platinum") == {"membership": "Platinum"}
    assert with_facts("What is your return policy?", facts).endswith("(membership status Gold)")
    assert with_facts("Is the tent waterproof?", facts) == "Is the tent waterproof?", "facts only where they matter"
    # The party size bears on what the customer said, not on the item's name in the standalone question
    cancel = "and if we have to cancel of the Café Table Reservation?"
    assert with_facts(cancel, facts, "and if we have to cancel?") == cancel
    price = "how much is the Café Table Reservation?"
    assert with_facts(price, facts, "how much is it?").endswith("(for 4 people)")


async def turns(context: Context, *messages: str) -> list[dict[str, Any]]:
    graph = build_graph(InMemorySaver())
    config = {"configurable": {"thread_id": "t1"}}
    outs = []
    for message in messages:
        outs.append(await graph.ainvoke({"messages": [{"role": "user", "content": message}]}, config, context=context))
    return outs


async def test_a_follow_up_is_answered_about_the_item_in_focus(context: Context) -> None:
    first, second = await turns(context, "How much is the Kestrel fountain pen?", "Is it in stock?")
    assert first["focus"]["id"] == "catalog:product:ST-0001"
    analysis = second["analysis"]
    assert analysis["original"] == "Is it in stock?"
    assert analysis["question"] == "Is the Kestrel Fountain Pen in stock?" and analysis["rewritten_by"] == "rules"
    assert second["context"]["sources"][0]["id"] == "catalog:product:ST-0001", "the item in focus leads"
    answer_text = second["messages"][-1].content
    assert "6 in stock" in answer_text and "Salt Orchard" not in answer_text
    assert [c["id"] for c in second["citations"]] == ["catalog:product:ST-0001"]


async def test_how_long_does_it_take_asks_about_the_service_in_focus(context: Context) -> None:
    _, second, third = await turns(
        context, "Any perfume consultation slots on Friday?", "How long does it take?", "and the price?"
    )
    assert second["analysis"]["question"] == "How long does the Perfume consultation take?"
    assert "45 minutes" in second["messages"][-1].content
    assert "25.00 EUR" in third["messages"][-1].content


async def test_a_day_and_a_place_asked_are_of_the_service_in_focus(context: Context) -> None:
    """ "can I still get a place on Saturday?" is long for a follow-up, but a day and a word of availability with
    a bookable service in focus ask about that service; the same with a product in focus asks nothing of it."""
    _, second = await turns(
        context, "How much is a perfume consultation?", "Is there any chance I could still get a place this Saturday?"
    )
    assert "Perfume consultation" in second["analysis"]["question"], second["analysis"]
    _, other = await turns(
        context, "How much is the Kestrel fountain pen?", "Is there any chance I could still get a place this Saturday?"
    )
    assert other["analysis"].get("focus") is None


async def test_an_answers_item_becomes_the_focus(context: Context) -> None:
    """ "Which is your cheapest X?" names no product; its answer does, and "it" then means that one."""
    first, second = await turns(context, "What's the cheapest perfume you sell?", "Is it in stock?")
    assert "Maison Verlaine Discovery Set" in first["messages"][-1].content
    assert first["citations"][0]["id"] == "catalog:product:PF-0005"
    assert "Discovery Set" in second["analysis"]["question"]
    assert "12 in stock" in second["messages"][-1].content


async def test_stated_facts_stay_in_state(context: Context) -> None:
    _, second = await turns(context, "Hello, I'm a gold member", "What is your return policy for books?")
    assert second["customer"] == {"membership": "Gold"}
    assert second["analysis"]["question"].endswith("(membership status Gold)")


async def test_a_new_question_leaves_the_focus_alone(context: Context) -> None:
    _, second = await turns(context, "How much is the Kestrel fountain pen?", "What are your opening hours?")
    assert second["analysis"]["rewritten_by"] == "none" and second["analysis"].get("focus") is None
    assert second["focus"]["id"] == "catalog:product:ST-0001", "kept for a later 'it'"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture
def cheap_model(tools: Toolbox, context: Context, openai_server: OpenAIStub) -> Context:
    openai_server.reset()
    tools.models.providers = {"openai": ProviderConfig("openai", "openai", "sk-test", openai_server.base_url)}
    # Answers come from another model, so every call to the cheap one is a rewrite.
    return replace(context, tier_models={"fast": MINI}, models=["openai/gpt-4o"])


async def test_a_cheap_model_rewrites_the_follow_up(cheap_model: Context, openai_server: OpenAIStub) -> None:
    openai_server.script("gpt-4o-mini", answer("Is the Kestrel Fountain Pen in stock today?"))
    _, second = await turns(cheap_model, "How much is the Kestrel fountain pen?", "Is it in stock?")
    assert second["analysis"]["rewritten_by"] == "model"
    assert second["analysis"]["question"] == "Is the Kestrel Fountain Pen in stock today?"
    [call] = openai_server.calls("gpt-4o-mini")
    prompt = call.body["messages"][0]["content"]
    assert "Is it in stock?" in prompt and "Kestrel Fountain Pen" in prompt


async def test_the_rules_take_over_when_the_model_fails(cheap_model: Context, openai_server: OpenAIStub) -> None:
    openai_server.script("gpt-4o-mini", server_error())
    _, second = await turns(cheap_model, "How much is the Kestrel fountain pen?", "Is it in stock?")
    assert second["analysis"]["rewritten_by"] == "rules"
    assert second["analysis"]["question"] == "Is the Kestrel Fountain Pen in stock?"


async def test_an_answer_is_no_rewrite(cheap_model: Context, openai_server: OpenAIStub) -> None:
    openai_server.script("gpt-4o-mini", answer("The Kestrel Fountain Pen is 6 in stock [1]."))
    _, second = await turns(cheap_model, "How much is the Kestrel fountain pen?", "Is it in stock?")
    assert second["analysis"]["rewritten_by"] == "rules"


async def test_it_with_nothing_in_focus_asks_which_item(context: Context) -> None:
    [out] = await turns(context, "How much does it weigh?")
    assert out["messages"][-1].content.startswith("Which product do you mean?")
    assert out["citations"] == [] and not out["generation"]["grounded"]


async def test_the_second_one_is_the_second_item_listed(context: Context) -> None:
    first, second = await turns(context, "Which perfumes do you have?", "How much is the second one?")
    answer = first["messages"][-1].content
    listed = sorted(
        (s for s in first["context"]["sources"] if s["id"].startswith("catalog:product:") and s["title"] in answer),
        key=lambda s: answer.index(s["title"]),
    )
    assert len(listed) >= 2, answer
    assert second["analysis"]["focus"]["id"] == listed[1]["id"]
    assert second["analysis"]["question"] == f"How much is the {listed[1]['title']}?"
    assert [c["id"] for c in second["citations"]][:1] == [listed[1]["id"]], second["messages"][-1].content


def test_several_items_and_the_same_question_of_another() -> None:
    names = ["Rook Mower", "Wren Mower"]
    assert about_several("how much are they?") and about_several("Which one is lighter?")
    assert not about_several("Is it heavy?")
    assert standalone_several("how much are they?", names) == "How much are the Rook Mower and the Wren Mower?"
    assert (
        standalone_several("which one is lighter?", names) == "Which one is lighter, the Rook Mower or the Wren Mower?"
    )
    previous = "What's the weight of the Rook Mower?"
    assert (
        same_for("And the Wren Mower?", "Wren Mower", previous, "Rook Mower") == "What's the weight of the Wren Mower?"
    )
    assert same_for("what about the Wren Mower?", "Wren Mower", previous, "Rook Mower") is not None
    assert same_for("And the Wren Mower, is it red?", "Wren Mower", previous, "Rook Mower") is None
    # Either item said the short way a customer says it: the model, not the catalog's whole title.
    asked = "What's the polyphony of the P88?"
    assert (
        same_for("and the K61?", "Tessel K61 Portable Keyboard", asked, "Tessel P88 Digital Piano")
        == "What's the polyphony of the Tessel K61 Portable Keyboard?"
    )
    assert (
        same_for("and the K61, is it in stock?", "Tessel K61 Portable Keyboard", asked, "Tessel P88 Digital Piano")
        is None
    )


async def test_they_are_the_items_the_last_turn_named(context: Context) -> None:
    _, second = await turns(
        context, "I like the Kestrel Fountain Pen and the Fenwick Letter Writing Set.", "How much are they?"
    )
    assert {i["id"] for i in second["analysis"]["items"]} == {"catalog:product:ST-0001", "catalog:product:ST-0005"}
    answer = second["messages"][-1].content
    assert "48.00" in answer and "22.00" in answer, answer


async def test_and_the_other_one_asks_the_same_of_it(context: Context) -> None:
    _, second = await turns(context, "How much is the Kestrel Fountain Pen?", "And the Fenwick Letter Writing Set?")
    assert second["analysis"]["question"] == "How much is the Fenwick Letter Writing Set?"
    assert "22.00" in second["messages"][-1].content


async def test_the_cheaper_one_is_the_lower_priced_of_the_two_named(context: Context) -> None:
    _, second = await turns(
        context,
        "I'm deciding between the Kestrel Fountain Pen and the Fenwick Letter Writing Set.",
        "Is the cheaper one in stock?",
    )
    assert second["analysis"]["focus"]["id"] == "catalog:product:ST-0005", "22.00 EUR against 48.00 EUR"
    assert second["analysis"]["question"] == "Is the Fenwick Letter Writing Set in stock?"
    _, third = await turns(
        context,
        "I'm deciding between the Kestrel Fountain Pen and the Fenwick Letter Writing Set.",
        "How much is the more expensive one?",
    )
    assert third["analysis"]["focus"]["id"] == "catalog:product:ST-0001"
    assert "48.00" in third["messages"][-1].content


async def test_the_item_in_focus_called_by_its_type_word(context: Context) -> None:
    _, second = await turns(context, "Tell me about the Kestrel Fountain Pen", "Is the pen in stock?")
    assert second["analysis"]["question"] == "Is the Kestrel Fountain Pen in stock?"
    assert "6 in stock" in second["messages"][-1].content
    _, third = await turns(context, "Tell me about the Kestrel Fountain Pen", "Which pens do you have under 30 EUR?")
    assert third["analysis"]["question"] == "Which pens do you have under 30 EUR?", "a question of the catalog at large"


async def test_it_after_two_items_asks_which(context: Context) -> None:
    _, second = await turns(
        context, "I'm deciding between the Kestrel Fountain Pen and the Fenwick Letter Writing Set.", "Is it in stock?"
    )
    assert second["messages"][-1].content.startswith("Which product do you mean?")


_SHOP_CSV = "\n".join(
    [
        "Handle,Title,Body (HTML),Vendor,Type,Tags,Option1 Name,Option1 Value,Variant SKU,Variant Price,"
        "Variant Inventory Qty,Published",
        'lumio-l10,Lumio L10 Desk Lamp,<p>Small desk lamp.</p>,Lumio,Lighting,"lamp, desk",Title,Default Title,'
        "LU-L10,30.00,8,TRUE",
        'lumio-l25,Lumio L25 Desk Lamp,<p>Large desk lamp.</p>,Lumio,Lighting,"lamp, desk",Title,Default Title,'
        "LU-L25,55.00,4,TRUE",
        'corvo-r2,Corvo R2 Backpack,<p>Everyday backpack.</p>,Corvo,Bags,"bag, backpack",Title,Default Title,'
        "CO-R2,80.00,6,TRUE",
        'corvo-r2-plus,Corvo R2 Plus Backpack,<p>The R2 with a laptop sleeve.</p>,Corvo,Bags,"bag, backpack",'
        "Title,Default Title,CO-R2P,110.00,3,TRUE",
    ]
)
_SHOP_PAGES = {
    "lumio-l10.md": "# Lumio L10 Desk Lamp\n\nBrightness: 300 lm\nWeight: 0.6 kg\n",
    "lumio-l25.md": "# Lumio L25 Desk Lamp\n\nBrightness: 800 lm\nWeight: 1.9 kg\n",
    "corvo-r2.md": "# Corvo R2 Backpack\n\nVolume: 18 litres\nWeight: 0.9 kg\n",
    "corvo-r2-plus.md": "# Corvo R2 Plus Backpack\n\nVolume: 24 litres\nWeight: 1.2 kg\n",
    "policies.md": (
        "# Policies\n\n## Repair service\n\nWe run a repair service for any bag bought from us. You can book the "
        "repair service online and track it from your account; a repair takes 10 working days.\n"
    ),
}


@pytest.fixture
async def shop(tools: Toolbox, context: Context, tmp_path) -> Context:
    """A small shop as it publishes itself: lamps that differ by model number, a backpack and its Plus sibling,
    and a service that is no catalog item."""
    from concierge.evaluation.harness import load_business

    folder = tmp_path / "shop"
    (folder / "docs").mkdir(parents=True)
    (folder / "products.csv").write_text(_SHOP_CSV)
    for name, text in _SHOP_PAGES.items():
        (folder / "docs" / name).write_text(text)
    tenant_id = await load_business(tools, folder)
    return replace(context, tenant_id=tenant_id, business_name="Shop")


async def test_which_one_after_a_sibling_compares_both(shop: Context) -> None:
    """ "which one is cheaper?" after "and the Plus?" compares the two items of the latest turns."""
    _, second, third = await turns(shop, "How heavy is the Corvo R2?", "and the Plus?", "which one is cheaper?")
    assert second["analysis"]["focus"]["id"] == "catalog:product:corvo-r2-plus"
    analysis = third["analysis"]
    assert {i["id"] for i in analysis["items"]} == {"catalog:product:corvo-r2", "catalog:product:corvo-r2-plus"}
    assert "Corvo R2 Backpack" in analysis["question"] and "Corvo R2 Plus Backpack" in analysis["question"]
    answer = third["messages"][-1].content
    assert "80.00" in answer and "110.00" in answer, answer
    assert answer.startswith("The Corvo R2 Backpack is cheaper"), answer


async def test_than_the_small_one_is_the_sibling_with_the_lower_number(shop: Context) -> None:
    _, second, third = await turns(
        shop, "How much does the Lumio L25 weigh?", "Is it brighter than the small one?", "how much is it?"
    )
    analysis = second["analysis"]
    assert analysis["question"] == "Is the Lumio L25 Desk Lamp brighter than the Lumio L10 Desk Lamp?"
    assert [i["id"] for i in analysis["items"]] == ["catalog:product:lumio-l25", "catalog:product:lumio-l10"]
    assert "800 lm" in second["messages"][-1].content and "300 lm" in second["messages"][-1].content
    assert "55.00" in third["messages"][-1].content, "'it' is still the lamp in focus"
    _, again = await turns(shop, "How much does the Lumio L10 weigh?", "and the bigger one?")
    assert again["analysis"]["question"] == "How much does the Lumio L25 Desk Lamp weigh?"
    assert "1.9 kg" in again["messages"][-1].content


async def test_and_on_the_other_version_asks_the_last_question_of_it(shop: Context) -> None:
    _, second = await turns(shop, "What is the volume of the Corvo R2?", "and on the Plus version?")
    assert second["analysis"]["question"] == "What is the volume of the Corvo R2 Plus Backpack?"
    assert "24 litres" in second["messages"][-1].content


async def test_it_after_a_question_about_no_item_is_its_topic(shop: Context) -> None:
    """ "can I track it?" after a question about a service the catalog does not sell: the service, not "which
    product do you mean?"."""
    first, second = await turns(shop, "Do you have a repair service?", "how long does it take?")
    assert first["analysis"]["topic"] == "repair service"
    assert second["analysis"]["question"] == "How long does the repair service take?"
    assert "10 working days" in second["messages"][-1].content
    [alone] = await turns(shop, "how long does it take?")
    assert alone["messages"][-1].content.startswith("Which product do you mean?"), "no topic before it: ask"


def test_topics_and_comparisons_are_read() -> None:
    assert topic_of("do you do a gift wrapping service?") == "gift wrapping service"
    assert topic_of("Can I cancel my order?") == "order"
    assert topic_of("Hi, I'm a gold member") is None
    assert than_whom("Is it quieter than the small one?") == ("Is it quieter than ", "the small one", "?")
    assert than_whom("Is it quiet?") is None
    assert compares("which is cheaper?") and compares("Which one is lighter?") and not compares("Is it light?")


async def test_is_it_cheaper_measures_it_against_the_item_before(shop: Context) -> None:
    _, _, third = await turns(shop, "How heavy is the Corvo R2?", "and the Plus?", "is it cheaper?")
    analysis = third["analysis"]
    assert analysis["question"] == "Is the Corvo R2 Plus Backpack cheaper than the Corvo R2 Backpack?"
    assert analysis["focus"]["id"] == "catalog:product:corvo-r2-plus"
    assert "80.00" in third["messages"][-1].content and "110.00" in third["messages"][-1].content


async def test_those_after_a_listing_are_the_items_listed(shop: Context) -> None:
    first, second = await turns(shop, "Which backpacks do you have?", "how much are those?")
    assert "Corvo R2 Backpack" in first["messages"][-1].content, first["messages"][-1].content
    ids = {i["id"] for i in second["analysis"]["items"]}
    assert ids == {"catalog:product:corvo-r2", "catalog:product:corvo-r2-plus"}, second["analysis"]
    assert "80.00" in second["messages"][-1].content and "110.00" in second["messages"][-1].content


async def test_the_topic_of_the_last_turn_is_nearer_than_an_item_before_it(shop: Context) -> None:
    """ "it" after a question about a service means the service, though a backpack was named before; a fact only
    items have ("in stock") is still asked of the backpack."""
    _, _, fourth, fifth = await turns(
        shop, "How heavy is the Corvo R2?", "Do you have a repair service?", "how long does it take?", "is it in stock?"
    )
    assert fourth["analysis"]["question"] == "How long does the repair service take?"
    assert "10 working days" in fourth["messages"][-1].content
    assert fifth["analysis"]["question"] == "Is the Corvo R2 Backpack in stock?"


def test_an_option_chosen_stays_beside_the_name() -> None:
    assert standalone("how much is the navy one?", "Trail Hoodie", frozenset({"navy"})) == (
        "How much is the navy Trail Hoodie?"
    )
    assert standalone("how much is the travel one?", "Firefly Voyage", frozenset({"navy"})) == (
        "How much is the Firefly Voyage?"
    )


def test_asked_of_one_item_and_answered_with_anothers_entry_it_is_that_one() -> None:
    """Asked about the Balayage, answered with the Mini Balayage's catalog entry alone: "it" next is the Mini; an
    answer citing the asked item (or several) leaves the focus where the question put it."""
    from types import SimpleNamespace

    from concierge.nodes.analyze_query import previous_focus
    from concierge.tools.catalog.vocabulary import Vocabulary

    words = Vocabulary.build(
        1, [], [SimpleNamespace(code="balayage", name="Balayage"), SimpleNamespace(code="mini", name="Mini Balayage")]
    )
    asked = {"kind": "service", "id": "catalog:service:balayage", "name": "Balayage", "turn": 1, "origin": "named"}
    state = {"analysis": {"focus": asked}, "generation": {"text": "..."}, "turn": 1}
    mini = [{"n": 1, "id": "catalog:service:mini"}]
    assert previous_focus({**state, "citations": mini}, words)["id"] == "catalog:service:mini"
    both = [*mini, {"n": 2, "id": "catalog:service:balayage"}]
    assert previous_focus({**state, "citations": both}, words)["id"] == "catalog:service:balayage"
    assert previous_focus({**state, "citations": []}, words)["id"] == "catalog:service:balayage"


def test_a_cited_page_about_an_item_makes_it_what_it_means_next() -> None:
    """Asked "what do you do in a grote beurt?" and answered from the overhaul's own page: "it" is the overhaul."""
    from types import SimpleNamespace

    from concierge.nodes.analyze_query import previous_focus
    from concierge.tools.catalog.vocabulary import Vocabulary

    words = Vocabulary.build(1, [], [SimpleNamespace(code="OH", name="Full overhaul")])
    state: Any = {
        "analysis": {"focus": None},
        "generation": {"provider": "local"},
        "citations": [{"n": 1, "id": "documents:c7", "source": "documents", "title": "full-overhaul", "locator": ""}],
        "retrieved": [
            {
                "id": "documents:c7",
                "source": "documents",
                "title": "full-overhaul",
                "text": "Full overhaul (grote beurt)",
                "score": 1.0,
                "metadata": {"about": ["catalog:service:OH"]},
            }
        ],
    }
    focus = previous_focus(state, words)
    assert focus is not None and focus["id"] == "catalog:service:OH" and focus["origin"] == "answer"
    state["retrieved"][0]["metadata"]["about"] = []  # a page about no item in particular gives no focus
    assert previous_focus(state, words) is None


def test_a_name_with_a_size_number_is_named_without_it_or_before_a_full_stop() -> None:
    """ "the Pika" of the only "Cinder Pika 78" (customers leave the size number out when no sibling needs it);
    "the Ridge 88." at a sentence's end names the 88, not the 96."""
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    def product(sku: str, name: str) -> SimpleNamespace:
        return SimpleNamespace(sku=sku, name=name, category="Skis", brand=None, model_number=None, tags=[])

    words = Vocabulary.build(
        1, [product("p78", "Cinder Pika 78"), product("r88", "Talus Ridge 88"), product("r96", "Talus Ridge 96")], []
    )
    assert words.best_named("is the pika on sale?").key == "p78"
    assert words.best_named("hey, looking at the talus ridge 88. im 6'2, what length?").key == "r88"
    assert words.best_named("is the ridge any good?") is None, "two Ridges: the number is needed"


def test_the_other_one_is_the_item_of_the_latest_turns_not_in_focus() -> None:
    """Sunglasses for fishing answered from the Bondi's page, then "the Noosa, is it in stock?", then "what about
    the other one, how heavy is that?": the Bondi, which only an answer named."""
    from types import SimpleNamespace

    from concierge.nodes.analyze_query import _recent, _the_other
    from concierge.tools.catalog.vocabulary import Vocabulary

    def product(sku: str, name: str) -> SimpleNamespace:
        return SimpleNamespace(sku=sku, name=name, category="Sunglasses", brand=None, model_number=None, tags=[])

    words = Vocabulary.build(1, [product("B", "Kirra Bondi"), product("N", "Kirra Noosa")], [])
    bondi_page: Any = {
        "id": "documents:b1",
        "source": "documents",
        "title": "bondi",
        "text": "Polarised for fishing.",
        "score": 1.0,
        "metadata": {"about": ["catalog:product:B"]},
    }
    first: Any = {
        "analysis": {"focus": None, "recent": []},
        "generation": {"provider": "local"},
        "citations": [{"n": 1, "id": "documents:b1", "source": "documents", "title": "bondi", "locator": ""}],
        "retrieved": [bondi_page],
    }
    from concierge.nodes.analyze_query import _answered_items

    noosa = {"kind": "product", "id": "catalog:product:N", "name": "Kirra Noosa", "turn": 2, "origin": "named"}
    recent = _recent([noosa, *_answered_items(first, words)], first["analysis"])
    second: Any = {"analysis": {"focus": noosa, "recent": recent}, "generation": None, "citations": []}
    other = _the_other(second, "ok what about the other one, how heavy is that?", noosa, words)
    assert other is not None and other.key == "B"
    assert _the_other(second, "how heavy is it?", noosa, words) is None


def test_a_word_said_as_a_verb_is_no_kind_of_item() -> None:
    """ "which size pip would fit him?": "fit" is what the frame does, not the "Contact Lens Fitting"."""
    from types import SimpleNamespace

    from concierge.tools.catalog.vocabulary import Vocabulary

    words = Vocabulary.build(
        1,
        [SimpleNamespace(sku="P", name="Halden Junior Pip", category="Frames", brand=None, model_number=None, tags=[])],
        [SimpleNamespace(code="FIT", name="Contact Lens Fitting")],
    )
    assert [w for _, w in words.kind_words("which size pip would fit him?")] == ["pip"]
    assert "fitting" in [w for _, w in words.kind_words("do you do a contact lens fitting?")]


def test_a_message_that_tells_its_story_first_points_at_it() -> None:
    """ "my back tyre is flat, it's an old one with a hub gear. what do you charge to fix that?": "that" is the story
    told before the question, not an item of the conversation to ask about."""
    assert explains_first("my back tyre is flat, it's an old gazelle with a hub gear. what do you charge to fix that?")
    assert not explains_first("how much does it weigh?")
    assert not explains_first("Nice. Is it in stock?")


def test_you_asking_how_long_of_a_service_just_discussed_follows_it_up() -> None:
    """ "how long do you keep the bike?" after asking what a full overhaul is: "you" is the shop doing it, and "the
    bike" is the customer's own, not the shop's category of bikes. "Do you deliver?" stays about the shop."""
    from types import SimpleNamespace

    from concierge.nodes.analyze_query import follows_up
    from concierge.tools.catalog.vocabulary import Vocabulary

    rows = [
        SimpleNamespace(sku="K2", name="Bakfiets K2", category="Cargo bikes", brand="", model_number="", tags=[]),
        SimpleNamespace(sku="WP", name="Full overhaul", category="Workshop", brand="", model_number="", tags=[]),
    ]
    words = Vocabulary.build(1, rows, [])
    assert follows_up("how long do you keep the bike?", words, service=True)
    assert not follows_up("how long do you keep the bike?", words, service=False)
    assert not follows_up("do you deliver to Utrecht?", words, service=True)
    assert not follows_up("how long do you keep cargo bikes?", words, service=True)


def test_a_property_asked_is_no_topic_a_later_it_means() -> None:
    """ "which size?" then "how much is it?": "it" is no "size"; a thing asked about ("a coffee subscription")
    stays the topic."""
    assert topic_of("im 5'3 and like 100 lbs, which size?") is None
    assert topic_of("what colour?") is None
    assert topic_of("do you do a coffee subscription?") == "coffee subscription"


def test_it_after_the_customers_own_thing_is_that_thing() -> None:
    """ "the bridge on my metal glasses snapped :( can u fix it": "it" is the glasses the message names, not an item
    of the conversation to ask about."""
    assert explains_first("the bridge on my metal glasses snapped :( can u fix it and how long would it take")
    assert not explains_first("can you fix it?")
