"""The conversation state a thread checkpoints between turns."""

import operator
from typing import Annotated, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

from concierge.state.records import (
    Citation,
    CustomerFacts,
    Feedback,
    Focus,
    GenerationRecord,
    Handoff,
    HumanHold,
    QueryAnalysis,
    RetrievedItem,
    RouteDecision,
    SourceError,
    SynthesizedContext,
)

HISTORY_MESSAGES = 8
"""Earlier messages the model sees besides the context, so follow-up questions make sense (routing counts them too)."""
DISCARDED_EVENT = "generation_discarded"
"""Custom stream event telling a client to drop the tokens it showed for a message that a failover replaced."""


class InputState(TypedDict):
    """What a client sends to start a turn: the customer's message."""

    messages: Annotated[list[AnyMessage], add_messages]


class State(InputState, total=False):
    """Everything one turn reads and writes.

    `retrieved` and `source_errors` are written by the retrieval nodes in the same superstep, so they
    merge by concatenation; `analyze_query` empties them at the start of each turn with `Overwrite`.
    `feedback` keeps growing: one record per rated (or implicitly continued) answer.
    """

    turn: int
    analysis: QueryAnalysis
    focus: Focus | None
    """The catalog item in focus, carried from turn to turn so "is it in stock?" knows what "it" is."""
    customer: CustomerFacts
    """What the customer said about themselves (membership tier, party size), kept for the conversation."""
    retrieved: Annotated[list[RetrievedItem], operator.add]
    source_errors: Annotated[list[SourceError], operator.add]
    context: SynthesizedContext
    route: RouteDecision
    generation: GenerationRecord | None
    citations: list[Citation]
    feedback: Annotated[list[Feedback], operator.add]
    handoff: Handoff | None
    human: HumanHold | None
    """Set at the start of a turn when a handoff is still open: the message goes to a person, not the bot."""
