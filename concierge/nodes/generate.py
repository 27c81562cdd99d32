"""Answer from the synthesized context, walking the routed chain of providers until one answers.

Per model: skipped while its circuit is open (`tools/llm/health.py`) or when the prompt is larger than its context
window; otherwise called under a timeout, retried with backoff on 429 and 5xx (waiting what Retry-After says),
and on a context-length error the walk jumps to a model with a longer context. Every call is recorded (usage,
cost, latency, health). Tokens stream through LangGraph's `messages` mode whichever model answers; a model that
fails after streaming some tokens is reported with a `generation_discarded` custom event naming the message to
drop, and the next model regenerates the whole answer under a new message id: the answer in state is always one
model's, never a splice.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, AnyMessage, BaseMessage, SystemMessage
from langchain_core.messages.ai import add_ai_message_chunks
from langgraph.runtime import Runtime

from concierge.state import Context, State
from concierge.state.conversation import DISCARDED_EVENT, HISTORY_MESSAGES
from concierge.state.records import Attempt, GenerationRecord
from concierge.tools.llm.failover import NOT_HEALTH, RETRY_SAME, classify, describe, retry_after_s
from concierge.tools.llm.prompts import cited_numbers, render_system_prompt
from concierge.tools.llm.providers import LOCAL_MODEL, TIER_FALLBACKS, TIER_MODELS, cost_usd, model_info
from concierge.tools.tokens import count_tokens
from concierge.tools.toolbox import Toolbox, context_of, toolbox

log = logging.getLogger(__name__)


class NoProviderAnswered(RuntimeError):
    """Every provider in the chain failed, the local answerer included."""


def prompt_messages(state: State, ctx: Context) -> list[BaseMessage]:
    system = render_system_prompt(
        business_name=ctx.business_name,
        business_description=ctx.business_description,
        can_do=ctx.agent_can_do,
        cannot_do=ctx.agent_cannot_do,
        context=state["context"]["text"],
        variant=ctx.prompt_variant,
    )
    history: list[AnyMessage] = [m for m in state["messages"] if not isinstance(m, SystemMessage)]
    return [SystemMessage(system), *history[-HISTORY_MESSAGES:]]


@dataclass
class Call:
    """One streamed call: what came back, or what went wrong, and when."""

    answer: AIMessageChunk | None
    error: BaseException | None
    chunks: int
    started: float
    first_token: float | None
    finished: float

    @property
    def latency_ms(self) -> float:
        return round((self.finished - self.started) * 1000, 1)

    @property
    def ttft_ms(self) -> float | None:
        return None if self.first_token is None else round((self.first_token - self.started) * 1000, 1)


async def stream_call(model: BaseChatModel, messages: list[BaseMessage], timeout_s: float, config: dict) -> Call:
    started = time.perf_counter()
    first: float | None = None
    parts: list[AIMessageChunk] = []
    error: Exception | None = None
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in model.astream(messages, config=config):
                first = first or time.perf_counter()
                parts.append(chunk)
    except Exception as exc:
        error = exc
    return Call(_joined(parts), error, len(parts), started, first, time.perf_counter())


def _joined(parts: list[AIMessageChunk]) -> AIMessageChunk | None:
    """The chunks as one message, merged once: adding each token to the answer so far built a new message a token."""
    if not parts:
        return None
    if len(parts) == 1 or not all(isinstance(p, AIMessageChunk) for p in parts):
        answer = parts[0]
        for part in parts[1:]:
            answer = answer + part
        return answer
    return add_ai_message_chunks(parts[0], *parts[1:])


class _Turn:
    """The bookkeeping of one walk down the chain: attempts for state, usage rows for the ledger."""

    def __init__(self, tools: Toolbox, ctx: Context, runtime: Runtime[Context], messages: list[BaseMessage]) -> None:
        info = getattr(runtime, "execution_info", None)
        self.tools, self.ctx, self.messages = tools, ctx, messages
        self.thread_id = getattr(info, "thread_id", None)
        self.run_id = getattr(info, "run_id", None)
        self.attempts: list[Attempt] = []
        self.usage: list[dict[str, Any]] = []
        self.failed_from: str | None = None
        self._prompt_tokens: int | None = None

    def prompt_tokens(self) -> int:
        if self._prompt_tokens is None:
            self._prompt_tokens = sum(count_tokens(m.text) for m in self.messages)
        return self._prompt_tokens

    def skip(self, name: str, kind: str, why: str) -> None:
        provider, model = name.split("/", 1)
        self.attempts.append(
            Attempt(provider=provider, model=model, ok=False, error=why, error_kind=kind, latency_ms=0.0, skipped=True)
        )

    def record(self, name: str, call: Call, retry: int, kind: str | None) -> tuple[int, int, float]:
        provider, model = name.split("/", 1)
        usage = (call.answer.usage_metadata if call.answer is not None else None) or {}
        text = call.answer.text if call.answer is not None else ""
        billed = call.chunks > 0 or call.error is None  # a request refused before any output is not billed
        tokens_in = usage.get("input_tokens") or (self.prompt_tokens() if billed else 0)
        tokens_out = usage.get("output_tokens") or (count_tokens(text) if text else 0)
        cost = cost_usd(name, tokens_in, tokens_out, {**self.tools.models.prices, **self.ctx.prices})
        attempt = Attempt(provider=provider, model=model, ok=kind is None, latency_ms=call.latency_ms, retry=retry)
        attempt["ttft_ms"] = call.ttft_ms
        if kind is not None:
            attempt["error_kind"] = kind
            attempt["error"] = describe(call.error) if call.error else "empty answer"
            if call.chunks:
                attempt["streamed"] = call.chunks
        self.attempts.append(attempt)
        self.usage.append(
            {
                "tenant_id": self.ctx.tenant_id,
                "thread_id": self.thread_id,
                "run_id": self.run_id,
                "provider": provider,
                "model": name,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": cost,
                "latency_ms": call.latency_ms,
                "ttft_ms": call.ttft_ms,
                "ok": kind is None,
                "error_kind": kind,
                "error": attempt.get("error"),
                "failed_over_from": self.failed_from,
                "policy_version": self.ctx.policy_version,
            }
        )
        health_key = self.tools.models.health_key(name, self.ctx.providers)
        if name != LOCAL_MODEL and kind in NOT_HEALTH:
            self.tools.health.release(health_key)
        elif name != LOCAL_MODEL:
            self.tools.health.record(health_key, kind is None)
        return tokens_in, tokens_out, cost


def _failure(call: Call) -> str | None:
    """None for a usable answer, else the kind of failure."""
    if call.error is not None:
        return classify(call.error)
    return None if call.answer is not None and call.answer.text.strip() else "empty"


def _longer_models(name: str, ctx: Context, available: Any) -> list[str]:
    """Models that read more than `name` does, long-context tier first."""
    window = model_info(name).context_window
    wanted = [ctx.tier_models.get("long_context", TIER_MODELS["long_context"]), *TIER_FALLBACKS["long_context"]]
    return [m for m in dict.fromkeys(wanted) if available(m) and model_info(m).context_window > window]


async def generate(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    models, health, policy = tools.models, tools.health, tools.retry
    messages = prompt_messages(state, ctx)
    valid = {s["n"] for s in state["context"]["sources"]}
    prompt_estimate = state["route"].get("context_tokens", 0)
    turn = _Turn(tools, ctx, runtime, messages)
    chain = list(state["route"]["chain"])
    too_big_for = 0  # a context window known to be too small for this prompt
    turn_started = time.perf_counter()
    try:
        i = 0
        while i < len(chain):
            name = chain[i]
            i += 1
            if not models.usable(name, ctx.providers, ctx.prices):
                turn.skip(name, "invalid", "not configured, or no price for it (the tenant's `prices` setting)")
                continue
            window = model_info(name, {**models.prices, **ctx.prices}).context_window
            if name != LOCAL_MODEL and (window <= too_big_for or window < prompt_estimate):
                turn.skip(name, "context_length", f"prompt of ~{prompt_estimate} tokens exceeds its {window}")
                continue
            health_key = models.health_key(name, ctx.providers)
            if name != LOCAL_MODEL and not health.admit(health_key):
                turn.skip(name, "circuit_open", f"unhealthy: skipped for {health.policy.cooldown_s:g} s cooldown")
                continue
            try:
                model = await models.achat_model(name, ctx.providers)
            except KeyError:
                turn.skip(name, "invalid", "not configured")
                continue
            retry = 0
            while True:
                config = {"run_name": name, "metadata": {"concierge_model": name, "concierge_retry": retry}}
                call = await stream_call(model, messages, ctx.generation_timeout_s, config)
                kind = _failure(call)
                tokens_in, tokens_out, cost = turn.record(name, call, retry, kind)
                if kind is None:
                    assert call.answer is not None
                    return _answer(name, call, turn, turn_started, tokens_in, tokens_out, cost, valid)
                if call.chunks:
                    runtime.stream_writer(
                        {
                            "event": DISCARDED_EVENT,
                            "message_id": call.answer.id if call.answer is not None else None,
                            "model": name,
                            "error_kind": kind,
                            "chunks": call.chunks,
                        }
                    )
                    break  # never retry or splice onto a half-sent answer: the next model starts afresh
                if kind in RETRY_SAME and retry < policy.retries and health.state(health_key) == "healthy":
                    delay = policy.backoff_s(retry, retry_after_s(call.error) if call.error else None)
                    if delay <= policy.max_wait_s:
                        await asyncio.sleep(delay)
                        retry += 1
                        continue
                if kind == "context_length":
                    too_big_for = max(too_big_for, window)
                    longer = _longer_models(name, ctx, lambda m: models.usable(m, ctx.providers, ctx.prices))
                    ahead = [m for m in longer if m not in chain[:i]]
                    chain[i:] = ahead + [m for m in chain[i:] if m not in ahead]  # next, and only once
                break
            turn.failed_from = name
    finally:
        try:
            await tools.usage.record(turn.usage)
        except Exception:  # the customer's answer matters more than its bookkeeping
            log.exception("could not record %d provider calls for tenant %s", len(turn.usage), ctx.tenant_id)
    raise NoProviderAnswered(
        "; ".join(f"{a['provider']}/{a['model']}: {a.get('error')}" for a in turn.attempts) or "empty chain"
    )


def _answer(
    name: str,
    call: Call,
    turn: _Turn,
    turn_started: float,
    tokens_in: int,
    tokens_out: int,
    cost: float,
    valid: set[int],
) -> dict:
    """The state update for the answer `name` gave; latency and time to first token as the customer saw them."""
    assert call.answer is not None
    provider, model = name.split("/", 1)
    text = call.answer.text
    record = GenerationRecord(
        provider=provider,
        model=model,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=cost,
        latency_ms=round((call.finished - turn_started) * 1000, 1),
        ttft_ms=round(((call.first_token or call.finished) - turn_started) * 1000, 1),
        attempts=turn.attempts,
        grounded=any(n in valid for n in cited_numbers(text)),
        failed_over_from=turn.failed_from,
        cost_total_usd=round(sum(u["cost_usd"] for u in turn.usage), 8),
    )
    return {"messages": [AIMessage(content=text, id=call.answer.id, name=name)], "generation": record}
