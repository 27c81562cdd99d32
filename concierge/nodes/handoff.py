"""Pause the conversation for a human agent, with the reason, the bot's draft and its sources."""

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from concierge.state import Context, State
from concierge.state.records import Handoff

HUMAN_AGENT = "human_agent"


def reason_for(state: State) -> str:
    analysis = state.get("analysis")
    if analysis and analysis["wants_human"]:
        return "the customer asked for a human"
    if analysis and analysis.get("out_of_scope"):
        return f"the request is something the agent cannot do: {analysis['out_of_scope']}"
    generation = state.get("generation")
    if generation and not generation["grounded"]:
        return "no answer was found in the business's documents or catalog"
    return "the customer asked for a human after the answer"


def parse_reply(value: Any) -> tuple[str, str]:
    """The agent's resume value, `"text"` or `{"reply": "text", "agent": "name"}`, as (reply, agent)."""
    body = value if isinstance(value, dict) else {"reply": value}
    reply = body.get("reply")
    if not isinstance(reply, str) or not reply.strip():
        raise ValueError("a handoff is resumed with the agent's reply: a non-empty string or {'reply': ...}")
    return reply.strip(), str(body.get("agent") or "agent")


async def handoff(state: State, runtime: Runtime[Context]) -> dict:
    turn = state.get("turn", 1)
    answer = state["messages"][-1] if state.get("generation") else None
    draft = answer.text if isinstance(answer, AIMessage) else ""
    reason = reason_for(state)
    citations = state.get("citations", [])
    question = state["analysis"]["question"] if state.get("analysis") else ""
    value = interrupt(
        {"type": "handoff", "turn": turn, "reason": reason, "question": question, "draft": draft, "sources": citations}
    )
    reply, agent = parse_reply(value)
    return {
        "messages": [AIMessage(content=reply, name=HUMAN_AGENT)],
        "handoff": Handoff(
            turn=turn, reason=reason, draft=draft, sources=citations, status="answered", agent=agent, reply=reply
        ),
    }
