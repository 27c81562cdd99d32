"""Conditional edges: the fan-out to retrieval and the detours to a human."""

from typing import Literal

from langgraph.runtime import Runtime
from langgraph.types import Send

from concierge.nodes.retrieval import RetrievalTask
from concierge.state import Context, State
from concierge.tools.toolbox import context_of

RETRIEVERS = {"documents": "retrieve_documents", "catalog": "retrieve_catalog", "web": "retrieve_web"}


def after_analysis(state: State) -> list[Send] | Literal["handoff", "synthesize"]:
    """Send the question to only the sources `analyze_query` chose; they run in one superstep."""
    analysis = state["analysis"]
    if state.get("human") or analysis["wants_human"] or analysis.get("out_of_scope"):
        return "handoff"
    if not analysis["sources"]:
        return "synthesize"
    task = RetrievalTask(analysis=analysis, turn=state.get("turn", 0))
    return [Send(RETRIEVERS[source], task) for source in analysis["sources"]]


def after_generation(state: State, runtime: Runtime[Context]) -> Literal["attribute", "handoff"]:
    generation = state.get("generation")
    unanswered = generation is not None and not generation["grounded"]
    return "handoff" if unanswered and context_of(runtime).handoff_when_unanswered else "attribute"
