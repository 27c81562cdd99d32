"""The router's policy, the provider registry built from keys, and the health tracker's circuit breaker."""

from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_google_genai import ChatGoogleGenerativeAI
from langchain_openai import ChatOpenAI
from langgraph.runtime import Runtime

from concierge.nodes.route_model import route_model
from concierge.state import Context
from concierge.tools.analysis.query import analyze
from concierge.tools.llm.health import HealthPolicy, HealthTracker
from concierge.tools.llm.providers import LOCAL_MODEL, ProviderConfig, ProviderRegistry
from concierge.tools.llm.router import decide
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox

FLASH, PRO, LITE = "google_genai/gemini-2.5-flash", "google_genai/gemini-2.5-pro", "google_genai/gemini-2.5-flash-lite"
GPT, MINI, O4, GPT41 = "openai/gpt-4o", "openai/gpt-4o-mini", "openai/o4-mini", "openai/gpt-4.1"


def everything(name: str) -> bool:
    return True


@pytest.mark.parametrize(
    ("score", "tokens", "tier", "chain"),
    [
        (0.1, 500, "fast", [FLASH, MINI, LOCAL_MODEL]),
        (0.5, 500, "balanced", [GPT, FLASH, LOCAL_MODEL]),
        (0.8, 500, "reasoning", [O4, PRO, GPT, LOCAL_MODEL]),
        (0.1, 120_000, "long_context", [PRO, GPT41, LOCAL_MODEL]),
    ],
)
def test_default_policy(score: float, tokens: int, tier: str, chain: list[str]) -> None:
    route = decide(score, {"length": 0.0}, tokens, Context(), everything)
    assert (route["tier"], route["chain"]) == (tier, chain)
    assert route["complexity"] == score and route["context_tokens"] == tokens and not route["budget_exceeded"]


def test_thresholds_and_models_are_the_tenants() -> None:
    ctx = Context(simple_below=0.05, complex_above=0.4, long_context_above=1000, tier_models={"reasoning": "openai/o3"})
    assert decide(0.1, {}, 500, ctx, everything)["tier"] == "balanced"
    assert decide(0.5, {}, 500, ctx, everything)["chain"][0] == "openai/o3"
    assert decide(0.01, {}, 1001, ctx, everything)["tier"] == "long_context"


def test_only_configured_providers_join_and_the_local_answerer_closes_every_chain() -> None:
    only_google = decide(0.5, {}, 500, Context(), lambda n: n.startswith("google_genai/"))
    assert only_google["chain"] == [FLASH, LOCAL_MODEL]
    assert decide(0.5, {}, 500, Context(), lambda n: False)["chain"] == [LOCAL_MODEL]


def test_over_budget_routes_to_the_cheapest_chain() -> None:
    route = decide(0.9, {}, 500, Context(), everything, over_budget=True)
    assert route["chain"] == [LITE, LOCAL_MODEL] and route["budget_exceeded"]
    assert decide(0.9, {}, 500, Context(), lambda n: n.startswith("openai/"), over_budget=True)["chain"] == [
        MINI,
        LOCAL_MODEL,
    ]


def test_over_budget_a_tenants_self_hosted_model_is_the_cheapest() -> None:
    ctx = Context(tier_models={"fast": "ollama/llama3.2"}, prices={"ollama/llama3.2": {"input": 0, "output": 0}})
    assert decide(0.9, {}, 500, ctx, everything, over_budget=True)["chain"] == ["ollama/llama3.2", LOCAL_MODEL]


def test_over_budget_an_unpriced_model_is_never_the_cheapest() -> None:
    """A client-named model missing from the price table would cost "$0": it must never win the cheapest chain."""
    ctx = Context(models=["openai/gpt-4.5-preview"], tier_models={"fast": "ollama/llama3.2"})
    route = decide(0.9, {}, 500, ctx, everything, over_budget=True)
    assert route["chain"] == [LITE, LOCAL_MODEL], "the cheapest priced model, never an unpriced one"
    assert decide(0.5, {}, 500, ctx, everything)["chain"] == [LOCAL_MODEL], "nor in the tenant's own list"
    deployment = decide(
        0.9, {}, 500, ctx, everything, over_budget=True, prices={"ollama/llama3.2": {"input": 0, "output": 0}}
    )
    assert deployment["chain"] == ["ollama/llama3.2", LOCAL_MODEL], "priced by the deployment: it may be used"


def test_a_probe_that_overflows_the_context_frees_the_probe_slot() -> None:
    now = [0.0]
    health = HealthTracker(HealthPolicy(min_calls=1, cooldown_s=10), clock=lambda: now[0])
    health.record(GPT, False)
    now[0] = 11
    assert health.admit(GPT) and not health.admit(GPT)
    health.release(GPT)
    assert health.admit(GPT) and health.state(GPT) == "probing"


def test_the_registry_takes_keys_from_settings_env_and_tenant(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("CONCIERGE_COMPATIBLE_PROVIDERS", '{"ollama": {"base_url": "http://127.0.0.1:11434/v1"}}')
    registry = ProviderRegistry.from_settings(Settings(data_dir=tmp_path))
    assert sorted(registry.providers) == ["ollama", "openai"], "no Gemini key: no Gemini"
    assert registry.available(GPT) and registry.available("ollama/llama3.2") and not registry.available(FLASH)
    tenant = {"google_genai": {"api_key": "g-tenant"}, "openai": {"api_key": ""}}
    assert registry.available(FLASH, tenant) and not registry.available(GPT, tenant), "a tenant may drop a provider"
    with pytest.raises(ValueError, match="unknown kind"):
        ProviderConfig.parse("x", {"kind": "anthropic", "api_key": "k"})


async def test_the_registry_builds_the_real_clients_once_per_loop(tmp_path) -> None:
    registry = ProviderRegistry(
        providers={
            "openai": ProviderConfig("openai", "openai", "sk", "http://127.0.0.1:9/v1"),
            "vllm": ProviderConfig("vllm", "openai_compatible", "", "http://127.0.0.1:9/v1"),
        }
    )
    with pytest.raises(KeyError):
        registry.chat_model(GPT)  # not built yet
    gpt = await registry.achat_model(GPT)
    assert isinstance(gpt, ChatOpenAI) and gpt.model_name == "gpt-4o" and gpt.max_retries == 0
    assert registry.chat_model(GPT) is gpt and await registry.achat_model(GPT) is gpt
    assert isinstance(await registry.achat_model("vllm/qwen3"), ChatOpenAI)
    gemini = await registry.achat_model(FLASH, {"google_genai": {"api_key": "g", "base_url": "http://127.0.0.1:9"}})
    assert isinstance(gemini, ChatGoogleGenerativeAI) and gemini.max_retries == 1
    with pytest.raises(KeyError):
        await registry.achat_model(FLASH)
    await registry.aclose()


def state(question: str, turn: int = 1, context_tokens: int = 100) -> dict:
    from datetime import date

    analysis = analyze(question, today=date(2026, 11, 21), depth=turn - 1, available=["documents", "catalog"])
    return {
        "messages": [HumanMessage(question)],
        "analysis": analysis,
        "context": {"tokens": context_tokens},
        "turn": turn,
    }


async def test_route_model_records_score_features_tokens_and_chain(tools: Toolbox, context: Context) -> None:
    tools.models.providers = {"google_genai": ProviderConfig("google_genai", "google_genai", "g")}
    route = (await route_model(state("Opening hours?"), Runtime(context=context)))["route"]
    assert route["tier"] == "fast" and route["chain"] == [FLASH, LOCAL_MODEL]
    assert set(route["features"]) == {"length", "questions", "reasoning", "entities", "depth"}
    assert route["context_tokens"] > 100, "context, history and instructions, counted with tiktoken"

    long = state("Opening hours?", context_tokens=20_000)
    long["messages"] = [AIMessage("word " * 90_000), HumanMessage("Opening hours?")]
    route = (await route_model(long, Runtime(context=context)))["route"]
    assert route["tier"] == "long_context" and route["context_tokens"] > 100_000 and route["chain"][0] == PRO


async def test_a_spent_budget_routes_cheap_and_raises_one_alert(tools: Toolbox, context: Context) -> None:
    tools.models.providers = {"openai": ProviderConfig("openai", "openai", "sk")}
    await tools.usage.record(
        [{"tenant_id": "demo", "provider": "openai", "model": GPT, "cost_usd": 0.02, "latency_ms": 900.0, "ok": True}]
    )
    ctx = replace(context, daily_budget_usd=0.01)
    for _ in range(2):
        route = (await route_model(state("Why is the 100 ml better?"), Runtime(context=ctx)))["route"]
        assert route["budget_exceeded"] and route["chain"] == [MINI, LOCAL_MODEL]
    [alert] = await tools.usage.alerts("demo")
    assert alert["spent_usd"] == 0.02 and alert["budget_usd"] == 0.01
    route = (await route_model(state("Why?"), Runtime(context=replace(ctx, daily_budget_usd=1.0))))["route"]
    assert not route["budget_exceeded"]


def test_health_goes_unhealthy_cools_down_probes_once_and_heals() -> None:
    now = [0.0]
    health = HealthTracker(
        HealthPolicy(window_s=60, failure_rate=0.5, min_calls=4, cooldown_s=10), clock=lambda: now[0]
    )
    for ok in (True, False, False):
        health.record(GPT, ok)
    assert health.state(GPT) == "healthy", "too few calls to judge"
    assert health.record(GPT, True) == "healthy", "2 of 4 is not over half"
    assert health.record(GPT, False) == "unhealthy", "3 of 5 failed"
    assert not health.admit(GPT)
    now[0] = 11
    assert health.admit(GPT) and health.state(GPT) == "probing"
    assert not health.admit(GPT), "a single probe at a time"
    assert health.record(GPT, False) == "unhealthy"
    now[0] = 22
    assert health.admit(GPT)
    assert health.record(GPT, True) == "healthy"
    assert health.snapshot()[GPT]["calls"] == 1, "healed with a fresh window"
    assert health.calls_saved() == 2


def test_old_failures_slide_out_of_the_window() -> None:
    now = [0.0]
    health = HealthTracker(HealthPolicy(window_s=60, min_calls=2), clock=lambda: now[0])
    health.record(GPT, False)
    now[0] = 61
    assert health.record(GPT, False) == "healthy", "the first failure is outside the window"
    assert health.snapshot()[GPT]["calls"] == 1
