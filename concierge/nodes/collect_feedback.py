"""Pause after each answer for the customer's rating; a human can be asked for here too."""

from typing import Any, Literal

from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from concierge.state import Context, State
from concierge.state.records import Feedback

PROMPT = "Did this answer help? Rate it from 1 to 5, or just ask your next question."
_WORDS = {"up": 5, "good": 5, "yes": 5, "down": 1, "bad": 1, "no": 1}


def parse_rating(value: Any, turn: int) -> tuple[Feedback, bool]:
    """A resume value (`4`, `"up"`, `{"rating": 2, "comment": ..., "handoff": true}`) as feedback.

    The boolean says whether the customer asked for a human.
    """
    body = value if isinstance(value, dict) else {"rating": value}
    raw, comment = body.get("rating"), str(body.get("comment") or "")
    if isinstance(raw, str):
        raw = _WORDS.get(raw.strip().lower(), raw.strip())
    try:
        rating = None if raw is None else int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"feedback rating must be 1-5, 'up' or 'down', not {raw!r}") from None
    if rating is not None and not 1 <= rating <= 5:
        raise ValueError(f"feedback rating must be between 1 and 5, not {rating}")
    return Feedback(turn=turn, kind="explicit", rating=rating, comment=comment), bool(body.get("handoff"))


async def collect_feedback(state: State, runtime: Runtime[Context]) -> Command[Literal["handoff", "__end__"]]:
    turn = state.get("turn", 1)
    value = interrupt({"type": "feedback", "turn": turn, "question": PROMPT, "citations": state.get("citations", [])})
    feedback, wants_human = parse_rating(value, turn)
    return Command(update={"feedback": [feedback]}, goto="handoff" if wants_human else END)
