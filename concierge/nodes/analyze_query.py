"""First node of a turn: read the question and decide which sources to ask."""

from datetime import datetime
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from concierge.state import Context, State
from concierge.state.records import Feedback, SourceName
from concierge.tools.query import analyze
from concierge.tools.toolbox import context_of, toolbox


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
    words = await tools.catalog.vocabulary(ctx.tenant_id) if "catalog" in ctx.sources else None
    update: dict = {
        "turn": turn,
        "analysis": analyze(
            latest_question(state),
            today=today,
            depth=depth,
            available=available,
            cannot_do=ctx.agent_cannot_do,
            can_do=ctx.agent_can_do,
            words=words,
        ),
        "retrieved": Overwrite([]),
        "source_errors": Overwrite([]),
        "citations": [],
        "generation": None,
        "handoff": None,
    }
    if _left_unrated(state):
        # A new message while the feedback prompt waits counts as "continued": an implicit signal.
        update["feedback"] = [Feedback(turn=turn - 1, kind="continued", rating=None, comment="")]
    return update


def _left_unrated(state: State) -> bool:
    previous = state.get("turn", 0)
    answered = state.get("generation") is not None and any(isinstance(m, AIMessage) for m in state["messages"])
    rated = any(f["turn"] == previous for f in state.get("feedback", []))
    return previous > 0 and answered and not rated and state.get("handoff") is None
