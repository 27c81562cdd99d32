"""The whole graph in process, on the SQLite checkpointer: the turn survives failing sources, humans take over."""

from dataclasses import replace

from langgraph.types import Command

from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.tools.settings import Settings
from tests.stand_ins import HangingIndex


def ask(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


async def test_a_hanging_source_is_recorded_and_the_turn_still_answers(settings: Settings, context: Context) -> None:
    context.tools.documents = HangingIndex()
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        config = {"configurable": {"thread_id": "slow"}}
        out = await graph.ainvoke(
            ask("How much is the Lumen clip light?"), config, context=replace(context, source_timeout_s=0.3)
        )
    assert [(e["source"], e["kind"]) for e in out["source_errors"]] == [("documents", "timeout")]
    assert "24.00 EUR" in out["messages"][-1].content
    assert out["__interrupt__"][0].value["type"] == "feedback"


async def test_only_the_chosen_sources_run(settings: Settings, context: Context) -> None:
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        nodes = [
            next(iter(chunk))
            async for chunk in graph.astream(
                ask("Can I return opened perfume?"),
                {"configurable": {"thread_id": "p"}},
                context=context,
                stream_mode="updates",
            )
        ]
    assert "retrieve_documents" in nodes and "retrieve_catalog" not in nodes and "retrieve_web" not in nodes
    assert nodes[-1] == "__interrupt__"


async def test_feedback_can_ask_for_a_human(settings: Settings, context: Context) -> None:
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        config = {"configurable": {"thread_id": "unhappy"}}
        await graph.ainvoke(ask("When is the book club?"), config, context=context)
        out = await graph.ainvoke(Command(resume={"rating": 1, "handoff": True}), config, context=context)
        paused = out["__interrupt__"][0].value
        assert paused["type"] == "handoff" and paused["reason"] == "the customer asked for a human after the answer"
        assert paused["draft"] and paused["sources"], "the agent sees the bot's draft and its sources"
        out = await graph.ainvoke(
            Command(resume="Sorry about that! It is on Saturdays at 10:30."), config, context=context
        )
    assert out["messages"][-1].name == "human_agent"
    assert out["feedback"][-1]["rating"] == 1


async def test_unanswered_questions_go_to_a_human_when_the_tenant_wants(settings: Settings, context: Context) -> None:
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        out = await graph.ainvoke(
            ask("Do you repair telescopes?"),
            {"configurable": {"thread_id": "t"}},
            context=replace(context, handoff_when_unanswered=True),
        )
    value = out["__interrupt__"][0].value
    assert value["type"] == "handoff" and value["reason"].startswith("no answer was found")
