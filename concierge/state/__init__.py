"""The graph's state and context schemas: typed, with reducers; plain data, no I/O.

`State` and `InputState` load on first use (PEP 562): they pull in LangGraph, which admin commands such as
`concierge keys list` need only for `Context`'s fields and should not pay for at startup.
"""

from typing import TYPE_CHECKING, Any

from concierge.state.context import Context

if TYPE_CHECKING:
    from concierge.state.conversation import InputState, State

__all__ = ["Context", "InputState", "State"]


def __getattr__(name: str) -> Any:
    if name in ("InputState", "State"):
        from concierge.state import conversation

        return getattr(conversation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
