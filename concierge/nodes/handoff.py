"""Pause the conversation for a human agent, with the reason, the bot's draft and its sources.

The pause is a `HumanInterrupt` (LangGraph's prebuilt schema, read by LangChain's Agent Inbox); the conversation
joins the tenant's queue (`tools.handoffs`). The agent's reply joins the conversation as an assistant message
written by a person (`name="human_agent"`, the agent in `additional_kwargs`), a reply after a bot draft is kept as
a correction, and the bot answers again afterwards unless the agent keeps the conversation.
"""

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from concierge.state import Context, State
from concierge.state.human import (
    HANDOFF_ACTION,
    HANDOFF_REASONS,
    HUMAN_AGENT,
    PROMPT_KEY,
    HumanInterrupt,
    answer_message,
    parse_handoff_reply,
)
from concierge.state.records import Citation, Handoff, HandoffReason
from concierge.tools.toolbox import context_of, run_ids, toolbox

HISTORY_MESSAGES = 6


def customer_facts(ctx: Context, state: State) -> dict[str, Any]:
    """What the run says about the customer, and what they said about themselves, for the agent who answers."""
    facts: dict[str, Any] = {
        "id": ctx.customer_id,
        "name": ctx.customer_name,
        "locale": ctx.locale,
        "membership_tier": ctx.membership_tier,
    }
    for key, value in (state.get("customer") or {}).items():
        facts.setdefault(key, value)
        facts[key] = facts[key] or value
    return {k: v for k, v in facts.items() if v}


def reason_for(state: State) -> HandoffReason:
    if state.get("human"):
        return "follow_up"
    analysis = state.get("analysis")
    if analysis and analysis["wants_human"]:
        return "asked_for_human"
    if analysis and analysis.get("out_of_scope"):
        return "cannot_do"
    turn = state.get("turn", 1)
    rated = [f for f in state.get("feedback", []) if f["turn"] == turn and f["kind"] == "explicit"]
    if rated and rated[-1].get("helpful") is False:
        return "not_helpful"
    generation = state.get("generation")
    if generation and not generation["grounded"] and not rated:
        return "unanswered"
    return "asked_for_human"


def bot_draft(state: State) -> str:
    """The answer the bot gave (or would have given) this turn; empty when it did not answer."""
    if not state.get("generation"):
        return ""
    answer = answer_message(state["messages"])
    return answer.text if answer is not None else ""


def _speaker(message: AnyMessage) -> str:
    if isinstance(message, HumanMessage):
        return "Customer"
    if message.name == HUMAN_AGENT:
        return f"Agent ({message.additional_kwargs.get('human_agent', {}).get('id', 'agent')})"
    return "Bot"


def conversation(messages: list[AnyMessage]) -> list[AnyMessage]:
    """The exchange as the customer saw it: customer, bot and agent messages, without our own prompts."""
    return [
        m
        for m in messages
        if isinstance(m, (HumanMessage, AIMessage)) and not m.additional_kwargs.get(PROMPT_KEY) and m.text.strip()
    ]


def summarize(messages: list[AnyMessage], limit: int = HISTORY_MESSAGES) -> str:
    """The last few messages, one line each, so the agent reads the conversation at a glance."""
    shown = conversation(messages)
    earlier = len(shown) - limit
    lines = [f"({earlier} earlier messages)"] if earlier > 0 else []
    for m in shown[-limit:]:
        text = " ".join(m.text.split())
        lines.append(f"{_speaker(m)}: {text[:300] + '...' if len(text) > 300 else text}")
    return "\n".join(lines)


def history_before_question(messages: list[AnyMessage], limit: int = HISTORY_MESSAGES) -> list[dict[str, str]]:
    """Turns before the customer's last question, as chat roles, for training examples."""
    shown = conversation(messages)
    last_question = max((i for i, m in enumerate(shown) if isinstance(m, HumanMessage)), default=len(shown))
    earlier = shown[:last_question][-limit:]
    return [{"role": "user" if isinstance(m, HumanMessage) else "assistant", "content": m.text} for m in earlier]


def describe(
    reason: HandoffReason,
    detail: str,
    customer: dict[str, Any],
    question: str,
    draft: str,
    sources: list[Citation],
    summary: str,
) -> str:
    """The Markdown an inbox shows above the reply box."""
    why = f"{HANDOFF_REASONS[reason].rstrip('.')}: {detail}." if detail else HANDOFF_REASONS[reason]
    lines = [f"**Why:** {why}"]
    if customer:
        lines.append("**Customer:** " + ", ".join(f"{k}: {v}" for k, v in customer.items()))
    if question:
        lines += ["", "**Latest message:**", "", f"> {question}"]
    if draft:
        lines += [
            "",
            "**The bot's draft** (accept sends it as it is, edit changes it first):",
            "",
            *[f"> {x}" for x in draft.splitlines()],
        ]
    if sources:
        lines += [
            "",
            "**Sources:**",
            *[f"{c['n']}. {c['title']}" + (f" ({c['locator']})" if c["locator"] else "") for c in sources],
        ]
    if summary:
        lines += ["", "**Conversation:**", "", "```", summary, "```"]
    lines += ["", "Reply to write to the customer yourself; ignore closes this without a reply."]
    return "\n".join(lines)


def human_interrupt(
    *,
    reason: HandoffReason,
    detail: str,
    customer: dict[str, Any],
    question: str,
    draft: str,
    sources: list[Citation],
    summary: str,
    handoff_id: str | None,
    priority: str,
) -> HumanInterrupt:
    return HumanInterrupt(
        action_request={
            "action": HANDOFF_ACTION,
            "args": {
                "reason": reason,
                "customer": customer,
                "summary": summary,
                "draft": draft,
                "sources": list(sources),
                "question": question,
                "handoff_id": handoff_id,
                "priority": priority,
            },
        },
        config={"allow_respond": True, "allow_edit": bool(draft), "allow_accept": bool(draft), "allow_ignore": True},
        description=describe(reason, detail, customer, question, draft, sources, summary),
    )


async def handoff(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    turn = state.get("turn", 1)
    thread_id, run_id = run_ids(runtime)
    reason = reason_for(state)
    detail = (state.get("analysis") or {}).get("out_of_scope") or "" if reason == "cannot_do" else ""
    draft = bot_draft(state)
    citations = state.get("citations", [])
    analysis = state.get("analysis") or {}
    question = analysis.get("original") or analysis.get("question") or ""  # as the customer wrote it
    summary = summarize(state["messages"])
    customer = customer_facts(ctx, state)
    tools = await toolbox(runtime)
    entry = None
    if thread_id is not None and ctx.record:
        # The run whose draft the agent sees: the recorded answer's, else this one (it drafted without answering).
        answered = await tools.feedback.answer_of_turn(ctx.tenant_id, thread_id, turn)
        # Runs again when the agent's reply resumes the node: the queue entry of this turn is returned as it is.
        entry = await tools.handoffs.enqueue(
            run_id=answered.run_id if answered is not None else run_id or "",
            tenant_id=ctx.tenant_id,
            thread_id=thread_id,
            turn=turn,
            reason=reason,
            question=question,
            summary=summary,
            draft=draft,
            sources=list(citations),
            customer=customer,
        )
    handoff_id = entry.id if entry else None
    priority = entry.priority if entry else "normal"
    value = interrupt(
        human_interrupt(
            reason=entry.reason if entry else reason,
            detail=detail,
            customer=customer,
            question=question,
            draft=draft,
            sources=citations,
            summary=summary,
            handoff_id=handoff_id,
            priority=priority,
        )
    )
    decision = parse_handoff_reply(value, draft)
    record = Handoff(turn=turn, reason=reason, draft=draft, sources=citations, handoff_id=handoff_id, priority=priority)
    if decision.action == "ignore":
        status = "ignored"
        if entry is not None:  # a handoff resolved through the API keeps "resolved"
            status = (await tools.handoffs.close(ctx.tenant_id, entry.id, "ignored")).status
        return {"handoff": {**record, "status": status}, "human": None}

    agent = decision.agent or (entry.assignee if entry else None) or "agent"
    reply = AIMessage(
        content=decision.reply,
        name=HUMAN_AGENT,
        id=f"human-{handoff_id or thread_id}-{turn}",
        additional_kwargs={HUMAN_AGENT: {"id": agent, "handoff_id": handoff_id, "via": decision.via}},
    )
    if entry is not None:
        await tools.handoffs.replied(entry.id, agent, keep=decision.keep)
        if draft:
            await tools.corrections.record(
                tenant_id=ctx.tenant_id,
                thread_id=entry.thread_id,
                turn=turn,
                handoff_id=entry.id,
                run_id=entry.run_id,
                question=question,
                history=history_before_question(state["messages"]),
                draft=draft,
                reply=decision.reply,
                category=decision.category,
                reason=decision.reason or reason,
                agent=agent,
            )
    status = "held" if decision.keep else "answered"
    hold = {"handoff_id": handoff_id, "status": "held", "agent": agent, "reason": reason} if decision.keep else None
    return {
        "messages": [reply],
        "handoff": {**record, "status": status, "agent": agent, "reply": decision.reply},
        "human": hold if handoff_id else None,
    }
