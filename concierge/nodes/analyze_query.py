"""First node of a turn: read the question and decide which sources to ask."""

from datetime import datetime
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from concierge.state import Context, State
from concierge.state.records import Feedback, HumanHold, SourceName
from concierge.tools.analysis.query import analyze
from concierge.tools.toolbox import context_of, run_ids, toolbox


def latest_question(state: State) -> str:
    msg = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)
    return msg.text if msg is not None else ""


async def analyze_query(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    available: list[SourceName] = [
        s for s in ("documents", "catalog", "web") if s in ctx.sources and (s != "web" or tools.web)
    ]
    turn = state.get("turn", 0) + 1
    depth = sum(1 for m in state["messages"] if isinstance(m, HumanMessage)) - 1
    today = datetime.now(ZoneInfo(ctx.timezone)).date()
    analysis = analyze(
        latest_question(state),
        today=today,
        depth=depth,
        available=available,
        cannot_do=ctx.agent_cannot_do,
        can_do=ctx.agent_can_do,
    )
    update: dict = {
        "turn": turn,
        "analysis": analysis,
        "retrieved": Overwrite([]),
        "source_errors": Overwrite([]),
        "citations": [],
        "generation": None,
        "handoff": None,
        "human": None,
    }
    thread_id, _ = run_ids(runtime)
    if thread_id is not None and ctx.record:
        # Implicit signals on the previous answer: continued, how fast, whether a person was asked for.
        await tools.feedback.customer_wrote(
            tenant_id=ctx.tenant_id, thread_id=thread_id, wants_human=analysis["wants_human"]
        )
        # A conversation a person is handling (or waiting for) stays with people: this message goes to them.
        entry = await tools.handoffs.open_for(ctx.tenant_id, thread_id)
        if entry is not None:
            update["human"] = HumanHold(
                handoff_id=entry.id, status=entry.status, agent=entry.assignee, reason=entry.reason
            )
    if _left_unrated(state):
        # A new message while the feedback prompt waits counts as "continued": an implicit signal.
        update["feedback"] = [Feedback(turn=turn - 1, kind="continued", rating=None, comment="")]
    return update


def _left_unrated(state: State) -> bool:
    previous = state.get("turn", 0)
    answered = state.get("generation") is not None and any(isinstance(m, AIMessage) for m in state["messages"])
    rated = any(f["turn"] == previous for f in state.get("feedback", []))
    return previous > 0 and answered and not rated and state.get("handoff") is None
