"""The whole graph in process, on the SQLite checkpointer: the turn survives failing sources, humans take over."""

from dataclasses import replace

from langgraph.types import Command

from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.state.human import interrupt_kind
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
        assert interrupt_kind(paused) == "handoff"
        args = paused["action_request"]["args"]
        assert args["reason"] == "not_helpful" and "not helpful" in paused["description"]
        assert args["draft"] and args["sources"], "the agent sees the bot's draft and its sources"
        assert paused["config"] == {
            "allow_respond": True,
            "allow_edit": True,
            "allow_accept": True,
            "allow_ignore": True,
        }
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
    assert interrupt_kind(value) == "handoff" and value["action_request"]["args"]["reason"] == "unanswered"
    assert "No grounded answer" in value["description"]


async def test_not_helpful_offers_a_person_and_a_kept_conversation_stays_with_people(
    settings: Settings, context: Context
) -> None:
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        config = {"configurable": {"thread_id": "offer"}}
        await graph.ainvoke(ask("When is the book club?"), config, context=context)
        out = await graph.ainvoke(Command(resume="not helpful"), config, context=context)
        assert out["messages"][-1].content.startswith("Sorry that did not help")
        assert out["__interrupt__"][0].value["type"] == "offer_human"
        out = await graph.ainvoke(Command(resume="yes"), config, context=context)
        args = out["__interrupt__"][0].value["action_request"]["args"]
        assert args["reason"] == "not_helpful"
        assert "book club" in args["draft"].lower() and "Sorry that did not help" not in args["draft"]
        [queued] = await context.tools.handoffs.queue("demo")
        assert (queued.thread_id, queued.reason, queued.priority, queued.status) == (
            "offer",
            "not_helpful",
            "high",
            "waiting",
        )

        out = await graph.ainvoke(
            Command(resume={"reply": "Saturdays at 10:30, see you there!", "agent": "niamh", "keep": True}),
            config,
            context=context,
        )
        reply = out["messages"][-1]
        assert reply.name == "human_agent" and reply.additional_kwargs["human_agent"]["id"] == "niamh"
        assert out["handoff"]["status"] == "held"
        [correction] = await context.tools.corrections.find("demo")
        assert correction.reply == "Saturdays at 10:30, see you there!" and correction.draft == args["draft"]
        assert correction.question == "When is the book club?" and correction.agent == "niamh"

        # Niamh kept it: the customer's next message goes to her, not the bot.
        out = await graph.ainvoke(ask("Can I bring a friend?"), config, context=context)
        assert out.get("generation") is None, "the bot did not answer"
        paused = out["__interrupt__"][0].value["action_request"]["args"]
        assert paused["reason"] == "not_helpful" and paused["question"] == "Can I bring a friend?"
        [entry] = await context.tools.handoffs.queue("demo")
        assert (entry.status, entry.assignee) == ("claimed", "niamh")
        out = await graph.ainvoke(Command(resume={"reply": "Of course!", "agent": "niamh"}), config, context=context)
        assert out["handoff"]["status"] == "answered" and not await context.tools.handoffs.queue("demo")

        # Returned to the bot: it answers the next question itself.
        out = await graph.ainvoke(ask("How much is the Kestrel fountain pen?"), config, context=context)
        assert out["generation"] is not None and out["messages"][-1].name != "human_agent", "the bot answered"


async def test_feedback_can_be_switched_off_for_a_tenant(settings: Settings, context: Context) -> None:
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        out = await graph.ainvoke(
            ask("How much is the Kestrel fountain pen?"),
            {"configurable": {"thread_id": "quiet"}},
            context=replace(context, feedback_enabled=False),
        )
    assert "__interrupt__" not in out and out["generation"] is not None
    answer = await context.tools.feedback.answer_of_turn("demo", "quiet", 1)
    assert answer is not None and answer.feedback == "off"
