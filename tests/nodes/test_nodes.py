"""Each node on its own, with a real seeded toolbox and a LangGraph `Runtime` carrying the context."""

from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from concierge.nodes.analyze_query import analyze_query
from concierge.nodes.attribute import attribute
from concierge.nodes.generate import generate
from concierge.nodes.retrieve_catalog import retrieve_catalog
from concierge.nodes.retrieve_documents import retrieve_documents
from concierge.nodes.retrieve_web import retrieve_web
from concierge.nodes.route_model import route_model
from concierge.nodes.synthesize import synthesize
from concierge.state import Context
from concierge.state.human import parse_handoff_reply, parse_rating
from concierge.state.records import RetrievedItem
from concierge.tools.analysis.query import analyze
from concierge.tools.llm.providers import LOCAL_MODEL
from tests.stand_ins import BrokenChatModel, FailingIndex, HangingIndex


def rt(context: Context) -> Runtime[Context]:
    return Runtime(context=context)


def task(question: str) -> dict:
    from datetime import date

    return {"analysis": analyze(question, today=date(2026, 11, 21), depth=0, available=["documents", "catalog"])}


async def test_analyze_query_chooses_sources_and_resets_the_turn(context: Context) -> None:
    state = {"messages": [HumanMessage("How much is the Kestrel KF-200 pen?")]}
    update = await analyze_query(state, rt(context))
    analysis = update["analysis"]
    assert analysis["query_type"] == "product"
    assert analysis["entities"]["model_numbers"] == ["KF-200"]
    assert analysis["sources"] == ["catalog", "documents"], "no web: no provider is configured"
    assert isinstance(update["retrieved"], Overwrite) and update["retrieved"].value == []
    assert update["turn"] == 1 and "feedback" not in update


async def test_analyze_query_spots_a_request_for_a_human(context: Context) -> None:
    update = await analyze_query({"messages": [HumanMessage("I want to talk to a human")]}, rt(context))
    assert update["analysis"]["wants_human"] and update["analysis"]["sources"] == []


async def test_analyze_query_records_an_unrated_answer_as_continued(context: Context) -> None:
    state = {
        "messages": [HumanMessage("a"), AIMessage("b"), HumanMessage("Opening hours?")],
        "turn": 1,
        "generation": {"grounded": True},
        "feedback": [],
        "handoff": None,
    }
    update = await analyze_query(state, rt(context))
    assert update["feedback"] == [{"turn": 1, "kind": "continued", "rating": None, "comment": ""}]


async def test_retrieve_documents_returns_pages_and_sections(context: Context) -> None:
    update = await retrieve_documents(task("How long is a perfume consultation?"), rt(replace(context, max_results=2)))
    items = update["retrieved"]
    assert len(items) == 2
    guide = next(i for i in items if i["title"] == "Services guide")
    assert guide["metadata"]["page"] >= 1 and guide["metadata"]["section"] == "Perfume consultation"


@pytest.mark.parametrize(("index", "kind"), [(HangingIndex(), "timeout"), (FailingIndex(), "error")])
async def test_a_failing_source_becomes_an_error_record(context: Context, index, kind: str) -> None:
    context.tools.documents = index
    update = await retrieve_documents(task("returns"), rt(replace(context, source_timeouts={}, source_timeout_s=0.2)))
    assert "retrieved" not in update
    [error] = update["source_errors"]
    assert error["source"] == "documents" and error["kind"] == kind
    assert error["elapsed_ms"] < 1000


async def test_retrieve_catalog_gives_price_stock_and_slots(context: Context) -> None:
    update = await retrieve_catalog(task("How much is the Lumen clip light?"), rt(context))
    top = update["retrieved"][0]
    assert top["id"] == "catalog:product:GF-0002"
    assert "24.00 EUR" in top["text"] and "only 3 left in stock" in top["text"]

    update = await retrieve_catalog(task("Any perfume consultation slots?"), rt(context))
    service = next(i for i in update["retrieved"] if i["metadata"].get("kind") == "service")
    assert service["title"] == "Perfume consultation" and service["metadata"]["slots"]


async def test_retrieve_web_without_a_provider_is_an_error_record(context: Context) -> None:
    update = await retrieve_web(task("anything"), rt(context))
    assert update["source_errors"][0]["source"] == "web"


def item(id_: str, source: str, text: str, score: float, **meta) -> RetrievedItem:
    return RetrievedItem(id=id_, source=source, title=meta.pop("title", id_), text=text, score=score, metadata=meta)


async def test_synthesize_ranks_dedupes_notes_conflicts_and_keeps_to_budget(context: Context) -> None:
    pen = item(
        "catalog:product:ST-0001",
        "catalog",
        "Kestrel Fountain Pen costs 48.00 EUR.",
        0.9,
        title="Kestrel Fountain Pen",
        kind="product",
        price="48.00",
        currency="EUR",
    )
    doc = item(
        "documents:d:0",
        "documents",
        "The Kestrel Fountain Pen is 39.00 EUR this month.",
        7.0,
        title="Old flyer",
        section="Offers",
        page=2,
    )
    state = {"analysis": task("Kestrel pen price")["analysis"], "retrieved": [doc, pen, dict(doc)]}
    ctx = (await synthesize(state, rt(context)))["context"]
    assert [s["id"] for s in ctx["sources"]] == ["catalog:product:ST-0001", "documents:d:0"]
    assert ctx["sources"][1]["locator"] == "Offers, page 2"
    assert ctx["conflicts"] and "39.00" in ctx["conflicts"][0] and "48.00" in ctx["conflicts"][0]
    assert ctx["text"].startswith("Note:") and "[1] Our catalog: Kestrel Fountain Pen" in ctx["text"]

    small = (await synthesize(state, rt(replace(context, context_tokens=60))))["context"]
    assert small["dropped"] >= 1 and small["tokens"] <= 60


async def test_route_model_ends_every_chain_with_the_local_answerer(context: Context) -> None:
    state = {
        "analysis": task("Why is the 100 ml better than the 50 ml? Which should I buy?")["analysis"],
        "context": {"tokens": 500},
        "turn": 1,
    }
    route = (await route_model(state, rt(context)))["route"]
    assert route["chain"] == [LOCAL_MODEL]
    assert route["features"]["reasoning"] == 1.0 and route["tier"] in ("balanced", "reasoning")

    context.tools.models.models["openai/gpt-4o"] = BrokenChatModel()
    route = (await route_model(state, rt(replace(context, models=["openai/gpt-4o", "nobody/none"]))))["route"]
    assert route["chain"] == ["openai/gpt-4o", LOCAL_MODEL], "unconfigured models are left out"


def ready_state(question: str, context_text: str, sources: list[dict], chain: list[str]) -> dict:
    return {
        "messages": [HumanMessage(question)],
        "context": {"text": context_text, "sources": sources, "tokens": 50, "dropped": 0, "conflicts": []},
        "route": {"chain": chain},
    }


PEN = [
    {
        "n": 1,
        "id": "catalog:product:ST-0001",
        "source": "catalog",
        "title": "Kestrel Fountain Pen",
        "locator": "our catalog",
    }
]


async def test_generate_fails_over_to_the_local_answerer(context: Context) -> None:
    context.tools.models.models["openai/gpt-4o"] = BrokenChatModel()
    state = ready_state(
        "How much is the Kestrel pen?",
        "[1] Our catalog: Kestrel Fountain Pen\nThe Kestrel Fountain Pen costs 48.00 EUR.",
        PEN,
        ["openai/gpt-4o", LOCAL_MODEL],
    )
    update = await generate(state, rt(context))
    assert update["messages"][0].content == "The Kestrel Fountain Pen costs 48.00 EUR [1]."
    record = update["generation"]
    assert (record["provider"], record["model"], record["grounded"]) == ("local", "extractive", True)
    assert [a["ok"] for a in record["attempts"]] == [False, True]
    assert "provider exploded" in record["attempts"][0]["error"]
    assert record["input_tokens"] > 0 and record["output_tokens"] > 0 and record["cost_usd"] == 0.0


async def test_generate_says_so_when_the_context_lacks_the_answer(context: Context) -> None:
    state = ready_state("Do you sell telescopes?", "", [], [LOCAL_MODEL])
    update = await generate(state, rt(context))
    assert "don't have that information" in update["messages"][0].content
    assert update["generation"]["grounded"] is False


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("inline", "Pens cost 48 EUR [1]. Open daily [2]."),
        ("none", "Pens cost 48 EUR. Open daily."),
        (
            "endnote",
            "Pens cost 48 EUR [1]. Open daily [2].\n\nSources:\n[1] Kestrel Fountain Pen, our catalog\n[2] FAQ, Hours",
        ),
    ],
)
async def test_attribute_renumbers_styles_and_drops_invented_citations(
    context: Context, style: str, expected: str
) -> None:
    sources = [
        {"n": 1, "id": "documents:faq:0", "source": "documents", "title": "FAQ", "locator": "Hours"},
        {"n": 2, **{k: v for k, v in PEN[0].items() if k != "n"}},
    ]
    state = {
        "messages": [AIMessage("Pens cost 48 EUR [2]. Open daily [1] [7].", id="a1")],
        "context": {"sources": sources},
    }
    update = await attribute(state, rt(replace(context, attribution_style=style)))
    assert update["messages"][0].content == expected and update["messages"][0].id == "a1"
    assert [(c["n"], c["id"]) for c in update["citations"]] == [(1, "catalog:product:ST-0001"), (2, "documents:faq:0")]


def test_feedback_and_reply_values_are_checked() -> None:
    assert parse_rating("up").score == 1.0
    assert parse_rating("Not helpful").rating == "not_helpful"
    two = parse_rating({"rating": 2, "comment": "meh", "handoff": True})
    assert (two.rating, two.score, two.helpful, two.comment, two.handoff) == (2, 0.25, False, "meh", True)
    assert parse_rating(3).helpful is None, "3 of 5 is neither helpful nor not"
    with pytest.raises(ValueError, match="1 to 5"):
        parse_rating(9)
    with pytest.raises(ValueError, match=r"unknown rating 'great!!'.*accepted: \"helpful\""):
        parse_rating("great!!")
    assert parse_handoff_reply("On it").reply == "On it"
    assert parse_handoff_reply([{"type": "accept", "args": None}], draft="The draft").reply == "The draft"
    with pytest.raises(ValueError, match="at least 1 character"):
        parse_handoff_reply({"reply": ""})
    with pytest.raises(ValueError, match="the reply is empty"):
        parse_handoff_reply({"reply": "  "})
    with pytest.raises(ValueError, match="no draft to accept"):
        parse_handoff_reply([{"type": "accept", "args": None}])


async def test_analyze_query_sends_what_the_agent_cannot_do_to_a_human(context: Context) -> None:
    ctx = replace(
        context,
        agent_can_do=["explain our return and loyalty policies"],
        agent_cannot_do=["issue refunds, apply discounts or change existing orders"],
    )
    refund = await analyze_query({"messages": [HumanMessage("Can you refund my last order?")]}, rt(ctx))
    assert refund["analysis"]["out_of_scope"] == "issue refunds, apply discounts or change existing orders"
    assert refund["analysis"]["sources"] == []
    policy = await analyze_query({"messages": [HumanMessage("Do you give refunds on opened perfume?")]}, rt(ctx))
    assert policy["analysis"]["out_of_scope"] is None and policy["analysis"]["sources"]
