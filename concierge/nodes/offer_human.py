"""After a "not helpful" rating the bot has asked whether the customer wants a person; wait for the answer."""

from typing import Literal

from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from concierge.state import Context, State
from concierge.state.human import OFFER, OFFER_ACCEPTED, parse_offer
from concierge.tools.toolbox import context_of, run_ids, toolbox


async def offer_human(state: State, runtime: Runtime[Context]) -> Command[Literal["handoff", "__end__"]]:
    turn = state.get("turn", 1)
    accepted = parse_offer(
        interrupt({"type": "offer_human", "turn": turn, "question": OFFER, "accepted": OFFER_ACCEPTED})
    )
    if not accepted:
        return Command(goto=END)
    thread_id, _ = run_ids(runtime)
    ctx = context_of(runtime)
    if thread_id is not None and ctx.record:
        tools = await toolbox(runtime)
        await tools.feedback.asked_human(tenant_id=ctx.tenant_id, thread_id=thread_id, turn=turn)
    return Command(goto="handoff")
