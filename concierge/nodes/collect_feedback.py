"""After each answer: record it, then pause for the customer's rating (unless the tenant collects none).

A rating of "not helpful" (or 1-2 stars, "down") makes the bot offer a person (`offer_human`); a rating with
`"handoff": true` goes to a person at once. Resume values are checked by the server before the run starts
(`concierge.state.human.check_resume`), so a malformed one never reaches this node.
"""

from typing import Literal

from langchain_core.messages import AIMessage
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from concierge.state import Context, State
from concierge.state.human import FEEDBACK_ACCEPTED, OFFER, PROMPT_KEY, answer_message, parse_rating
from concierge.state.records import Feedback
from concierge.tools.toolbox import context_of, run_ids, toolbox

PROMPT = "Did this answer help? Tell us: helpful or not helpful (or 1 to 5 stars), or just ask your next question."


async def collect_feedback(
    state: State, runtime: Runtime[Context]
) -> Command[Literal["offer_human", "handoff", "__end__"]]:
    ctx = context_of(runtime)
    turn = state.get("turn", 1)
    thread_id, run_id = run_ids(runtime)
    tools = await toolbox(runtime)
    answer = answer_message(state["messages"])
    generation = state.get("generation")
    if thread_id is not None and answer is not None and ctx.record:
        # Runs again when the rating resumes this node: the first call (the answering run) is the one kept.
        await tools.feedback.record_answer(
            tenant_id=ctx.tenant_id,
            thread_id=thread_id,
            turn=turn,
            run_id=run_id,
            message_id=answer.id,
            question=state["analysis"]["question"] if state.get("analysis") else "",
            grounded=bool(generation and generation["grounded"]),
            latency_ms=generation["latency_ms"] if generation else None,
            collecting=ctx.feedback_enabled,
        )
    if not ctx.feedback_enabled:
        return Command(goto=END)

    value = interrupt(
        {
            "type": "feedback",
            "turn": turn,
            "question": PROMPT,
            "accepted": FEEDBACK_ACCEPTED,
            "citations": state.get("citations", []),
        }
    )
    rating = parse_rating(value)
    record = Feedback(
        turn=turn,
        kind="explicit",
        rating=rating.rating,
        comment=rating.comment,
        score=rating.score,
        helpful=rating.helpful,
    )
    if thread_id is not None and ctx.record:
        if rating.rating is not None:
            await tools.feedback.rate(rating, tenant_id=ctx.tenant_id, thread_id=thread_id, turn=turn)
        if rating.handoff:
            await tools.feedback.asked_human(tenant_id=ctx.tenant_id, thread_id=thread_id, turn=turn)
    if rating.handoff:
        return Command(update={"feedback": [record]}, goto="handoff")
    if rating.helpful is False:
        offer = AIMessage(content=OFFER, id=f"offer-human-{thread_id}-{turn}", additional_kwargs={PROMPT_KEY: "offer"})
        return Command(update={"feedback": [record], "messages": [offer]}, goto="offer_human")
    return Command(update={"feedback": [record]}, goto=END)
