"""The graph's state and context schemas: typed, with reducers; plain data, no I/O."""

from concierge.state.context import Context
from concierge.state.conversation import InputState, State

__all__ = ["Context", "InputState", "State"]
