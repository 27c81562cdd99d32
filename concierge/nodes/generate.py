"""Answer from the synthesized context, walking the routed chain of providers until one answers."""

import asyncio
import time

from langchain_core.messages import AIMessage, AIMessageChunk, AnyMessage, BaseMessage, SystemMessage
from langgraph.runtime import Runtime

from concierge.state import Context, State
from concierge.state.records import Attempt, GenerationRecord
from concierge.tools.llm.prompts import cited_numbers, render_system_prompt
from concierge.tools.llm.providers import GENERATION_TIMEOUT_S, cost_usd
from concierge.tools.tokens import count_tokens
from concierge.tools.toolbox import context_of, toolbox

HISTORY_MESSAGES = 8
"""Earlier messages the model sees besides the context, so follow-up questions make sense."""


class NoProviderAnswered(RuntimeError):
    """Every provider in the chain failed, the local answerer included."""


def prompt_messages(state: State, ctx: Context) -> list[BaseMessage]:
    system = render_system_prompt(
        business_name=ctx.business_name,
        business_description=ctx.business_description,
        can_do=ctx.agent_can_do,
        cannot_do=ctx.agent_cannot_do,
        context=state["context"]["text"],
    )
    history: list[AnyMessage] = [m for m in state["messages"] if not isinstance(m, SystemMessage)]
    return [SystemMessage(system), *history[-HISTORY_MESSAGES:]]


async def generate(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    models = (await toolbox(runtime)).models
    messages = prompt_messages(state, ctx)
    valid = {s["n"] for s in state["context"]["sources"]}
    attempts: list[Attempt] = []
    for name in state["route"]["chain"]:
        provider, model = name.split("/", 1)
        started = time.perf_counter()
        first_token: float | None = None
        answer: AIMessageChunk | None = None
        try:
            async with asyncio.timeout(GENERATION_TIMEOUT_S):
                async for chunk in models.chat_model(name).astream(messages):
                    first_token = first_token or time.perf_counter()
                    answer = chunk if answer is None else answer + chunk
        except Exception as exc:
            kind = "timeout" if isinstance(exc, TimeoutError) else type(exc).__name__
            attempts.append(_attempt(provider, model, started, error=f"{kind}: {exc}"))
            continue
        if answer is None:
            attempts.append(_attempt(provider, model, started, error="empty answer"))
            continue
        attempts.append(_attempt(provider, model, started))
        text = answer.text
        usage = answer.usage_metadata or {}
        tokens_in = usage.get("input_tokens") or sum(count_tokens(m.text) for m in messages)
        tokens_out = usage.get("output_tokens") or count_tokens(text)
        finished = time.perf_counter()
        record = GenerationRecord(
            provider=provider,
            model=model,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost_usd(name, tokens_in, tokens_out),
            latency_ms=round((finished - started) * 1000, 1),
            ttft_ms=round(((first_token or finished) - started) * 1000, 1),
            attempts=attempts,
            grounded=any(n in valid for n in cited_numbers(text)),
        )
        return {"messages": [AIMessage(content=text, id=answer.id, name=name)], "generation": record}
    raise NoProviderAnswered("; ".join(f"{a['provider']}/{a['model']}: {a.get('error')}" for a in attempts))


def _attempt(provider: str, model: str, started: float, error: str | None = None) -> Attempt:
    attempt = Attempt(
        provider=provider, model=model, ok=error is None, latency_ms=round((time.perf_counter() - started) * 1000, 1)
    )
    if error:
        attempt["error"] = error
    return attempt
