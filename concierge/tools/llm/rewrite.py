"""A cheap model's standalone rewrite of a follow-up question; the rules of `analysis.conversation` are the
default and the fallback, so any failure here (no model, timeout, an answer instead of a question) returns None."""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import HumanMessage

from concierge.tools.analysis.conversation import acceptable_rewrite
from concierge.tools.llm.health import HealthTracker
from concierge.tools.llm.providers import LOCAL_MODEL, TIER_FALLBACKS, TIER_MODELS, ProviderRegistry, cost_usd
from concierge.tools.tokens import count_tokens

log = logging.getLogger(__name__)
REWRITE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Rewrite:
    question: str
    model: str
    usage: dict[str, Any]
    """A usage row for the ledger (tokens, cost, latency)."""


def rewrite_models(
    models: ProviderRegistry, tier_models: dict[str, str], providers: dict[str, Any] | None
) -> list[str]:
    """The configured cheap-tier models, cheapest first; empty when only the local answerer is there."""
    names = [tier_models.get("fast") or TIER_MODELS["fast"], *TIER_FALLBACKS["fast"]]
    return [n for n in models.cheapest([n for n in names if n], providers) if n != LOCAL_MODEL]


async def model_rewrite(
    models: ProviderRegistry,
    health: HealthTracker,
    names: list[str],
    providers: dict[str, Any] | None,
    prompt: str,
    original: str,
    timeout_s: float = REWRITE_TIMEOUT_S,
) -> Rewrite | None:
    """The first healthy model's rewrite that looks like a question, or None."""
    for name in names:
        if not health.admit(name):
            continue
        started = time.perf_counter()
        try:
            chat = await models.achat_model(name, providers)
            async with asyncio.timeout(timeout_s):
                reply = await chat.ainvoke([HumanMessage(prompt)])
        except Exception as exc:
            log.info("question rewrite by %s failed: %s", name, exc)
            health.record(name, False)
            continue
        health.record(name, True)
        text = str(reply.text if hasattr(reply, "text") else reply.content).strip().strip('"')
        if not acceptable_rewrite(original, text):
            continue
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens_in = usage.get("input_tokens") or count_tokens(prompt)
        tokens_out = usage.get("output_tokens") or count_tokens(text)
        provider = name.partition("/")[0]
        row = {
            "provider": provider,
            "model": name,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "cost_usd": cost_usd(name, tokens_in, tokens_out),
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "ttft_ms": None,
            "ok": True,
            "error_kind": None,
            "error": None,
            "failed_over_from": None,
        }
        return Rewrite(text, name, row)
    return None
