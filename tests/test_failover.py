"""Routed generation through the real OpenAI and Gemini clients, pointed at loopback stub servers.

Each test scripts what the providers answer and checks the order of attempts, what was recorded (usage, cost,
health) and that the customer got exactly one answer.
"""

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langgraph.runtime import Runtime
from sqlalchemy import select

from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.nodes.generate import generate
from concierge.state import Context
from concierge.state.conversation import DISCARDED_EVENT
from concierge.tools.db.models import UsageRecord
from concierge.tools.llm.failover import RetryPolicy
from concierge.tools.llm.health import HealthTracker
from concierge.tools.llm.providers import LOCAL_MODEL, ProviderConfig, cost_usd
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.provider_stubs import (
    GeminiStub,
    OpenAIStub,
    answer,
    breaks_after,
    context_too_long,
    errors_after,
    hang,
    rate_limited,
    server_error,
)

GPT = "openai/gpt-4o"
MINI = "openai/gpt-4o-mini"
FLASH = "google_genai/gemini-2.5-flash"
PRO = "google_genai/gemini-2.5-pro"
PEN = [{"n": 1, "id": "catalog:product:ST-0001", "source": "catalog", "title": "Kestrel Fountain Pen", "locator": "c"}]


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def gemini_server() -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        yield stub


@pytest.fixture
def openai_stub(openai_server: OpenAIStub) -> OpenAIStub:
    return openai_server.reset()


@pytest.fixture
def gemini_stub(gemini_server: GeminiStub) -> GeminiStub:
    return gemini_server.reset()


def wire(tools: Toolbox, openai: OpenAIStub, gemini: GeminiStub) -> Toolbox:
    """Configure both providers at the stubs, with quick backoff so tests stay fast."""
    tools.models.providers = {
        "openai": ProviderConfig("openai", "openai", "sk-test", openai.base_url),
        "google_genai": ProviderConfig("google_genai", "google_genai", "g-test", gemini.base_url),
    }
    tools.retry = RetryPolicy(retries=2, base_backoff_s=0.01, max_backoff_s=0.05, max_wait_s=2.0)
    return tools


@pytest.fixture
def wired(tools: Toolbox, openai_stub: OpenAIStub, gemini_stub: GeminiStub) -> Toolbox:
    return wire(tools, openai_stub, gemini_stub)


def state_for(chain: list[str], context_tokens: int = 50) -> dict:
    return {
        "messages": [HumanMessage("How much is the Kestrel pen?")],
        "context": {
            "text": "[1] Our catalog: Kestrel Fountain Pen\nThe Kestrel Fountain Pen costs 48.00 EUR.",
            "sources": PEN,
            "tokens": 30,
            "dropped": 0,
            "conflicts": [],
        },
        "route": {"chain": chain, "context_tokens": context_tokens},
    }


def steps(record: dict) -> list[tuple[str, str | None]]:
    """The attempts in order, as (`provider/model`, error kind or None)."""
    return [(f"{a['provider']}/{a['model']}", a.get("error_kind")) for a in record["attempts"]]


async def usage_rows(tools: Toolbox) -> list[UsageRecord]:
    async with tools.db.session() as s:
        return list((await s.scalars(select(UsageRecord).order_by(UsageRecord.id))).all())


@pytest.mark.parametrize(("name", "stub_name"), [(GPT, "openai_stub"), (FLASH, "gemini_stub")])
async def test_a_provider_answers_and_its_usage_and_cost_are_recorded(
    wired: Toolbox, context: Context, name: str, stub_name: str, request: pytest.FixtureRequest
) -> None:
    stub = request.getfixturevalue(stub_name)
    update = await generate(state_for([name, LOCAL_MODEL]), Runtime(context=context))
    model = name.split("/", 1)[1]
    [message] = update["messages"]
    assert message.content == f"Answer from {model} [1]." and message.name == name
    record = update["generation"]
    assert steps(record) == [(name, None)] and record["grounded"] and record["failed_over_from"] is None
    assert [c.stream for c in stub.calls(model)] == [True], "one streamed request, through the real client"
    assert record["input_tokens"] > 10 and record["output_tokens"] == 4, "usage as the provider reported it"
    assert record["cost_usd"] == pytest.approx(cost_usd(name, record["input_tokens"], 4)) and record["cost_usd"] > 0

    [row] = await usage_rows(wired)
    assert (row.tenant_id, row.provider, row.model, row.ok, row.error_kind) == (
        "demo",
        name.split("/")[0],
        name,
        True,
        None,
    )
    assert (row.input_tokens, row.output_tokens) == (record["input_tokens"], 4)
    assert row.cost_usd == pytest.approx(record["cost_usd"]) and row.latency_ms > 0 and row.ttft_ms is not None
    assert wired.health.state(wired.models.health_key(name)) == "healthy"


async def test_any_openai_compatible_server_answers_by_base_url(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub
) -> None:
    wired.models.providers["ollama"] = ProviderConfig.parse("ollama", {"base_url": openai_stub.base_url})
    priced = replace(context, prices={"ollama/llama3.2": {"input": 0, "output": 0}})  # the tenant says: free
    update = await generate(state_for(["ollama/llama3.2", LOCAL_MODEL]), Runtime(context=priced))
    assert update["messages"][0].content == "Answer from llama3.2 [1]."
    assert update["generation"]["cost_usd"] == 0.0, "priced at 0 by the tenant"
    assert [c.model for c in openai_stub.calls()] == ["llama3.2"]


async def test_a_model_nobody_priced_is_never_called(wired: Toolbox, context: Context, openai_stub: OpenAIStub) -> None:
    """A chain that names a model missing from the price table (and from the tenant's prices) skips it: it would
    run at an unknown cost and be recorded at $0."""
    update = await generate(state_for(["openai/gpt-4.5-preview", GPT, LOCAL_MODEL]), Runtime(context=context))
    assert steps(update["generation"]) == [("openai/gpt-4.5-preview", "invalid"), (GPT, None)]
    assert "price" in update["generation"]["attempts"][0]["error"]
    assert [c.model for c in openai_stub.calls()] == ["gpt-4o"], "the unpriced model got no request"


async def test_one_tenants_bad_key_opens_the_breaker_for_that_key_only(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub
) -> None:
    """The breaker counts per credential: a tenant whose own OpenAI key is revoked fails over, while every other
    tenant on the deployment's key still reaches the same model."""
    wired.health = HealthTracker(replace(wired.health.policy, min_calls=2, failure_rate=0.4))
    own = {"openai": {"api_key": "sk-revoked", "base_url": openai_stub.base_url}}
    revoked = replace(context, tenant_id="rival", providers=own)
    openai_stub.script("gpt-4o", server_error(), server_error())
    first = await generate(state_for([GPT, LOCAL_MODEL]), Runtime(context=revoked))
    assert steps(first["generation"]) == [(GPT, "server"), (GPT, "server"), (LOCAL_MODEL, None)]
    rival_key = wired.models.health_key(GPT, revoked.providers)
    assert wired.health.state(rival_key) == "unhealthy"
    skipped = await generate(state_for([GPT, LOCAL_MODEL]), Runtime(context=revoked))
    assert steps(skipped["generation"])[0] == (GPT, "circuit_open")
    shared = await generate(state_for([GPT, LOCAL_MODEL]), Runtime(context=context))
    assert steps(shared["generation"]) == [(GPT, None)], "the deployment's key was never blocked"
    assert wired.health.state(wired.models.health_key(GPT)) == "healthy" and rival_key != wired.models.health_key(GPT)


async def test_a_tenants_own_key_brings_its_provider(tools: Toolbox, context: Context, gemini_stub: GeminiStub) -> None:
    own = {"google_genai": {"api_key": "tenant-key", "base_url": gemini_stub.base_url}}
    update = await generate(state_for([FLASH, LOCAL_MODEL]), Runtime(context=replace(context, providers=own)))
    assert update["generation"]["provider"] == "google_genai"


@pytest.mark.parametrize("stub_name", ["openai_stub", "gemini_stub"])
async def test_429_waits_as_long_as_retry_after_says_then_retries(
    wired: Toolbox, context: Context, stub_name: str, request: pytest.FixtureRequest
) -> None:
    stub = request.getfixturevalue(stub_name)
    name = GPT if stub_name == "openai_stub" else FLASH
    model = name.split("/", 1)[1]
    # OpenAI says retry-after-ms in a header; Gemini says RetryInfo.retryDelay in the error body.
    stub.script(model, rate_limited(retry_after_ms=400), answer())
    update = await generate(state_for([name, LOCAL_MODEL]), Runtime(context=context))
    record = update["generation"]
    assert steps(record) == [(name, "rate_limit"), (name, None)]
    assert [a["retry"] for a in record["attempts"]] == [0, 1]
    first, second = stub.calls(model)
    assert second.at - first.at >= 0.4, "the retry waited for Retry-After"
    assert update["messages"][0].content == f"Answer from {model} [1]."
    rows = await usage_rows(wired)
    assert [(r.ok, r.error_kind, r.cost_usd) for r in rows] == [
        (False, "rate_limit", 0.0),
        (True, None, rows[1].cost_usd),
    ]


async def test_plain_retry_after_seconds_are_honoured(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub
) -> None:
    openai_stub.script("gpt-4o", rate_limited(retry_after="1"), answer())
    started = time.perf_counter()
    update = await generate(state_for([GPT, LOCAL_MODEL]), Runtime(context=context))
    assert time.perf_counter() - started >= 1.0
    assert steps(update["generation"]) == [(GPT, "rate_limit"), (GPT, None)]


async def test_a_retry_after_longer_than_we_wait_fails_over_at_once(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", rate_limited(retry_after="120"))
    started = time.perf_counter()
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), Runtime(context=context))
    assert time.perf_counter() - started < 2.0
    assert steps(update["generation"]) == [(GPT, "rate_limit"), (FLASH, None)]
    assert len(openai_stub.calls()) == 1


async def test_500s_are_retried_with_backoff_then_the_next_provider_answers(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", server_error(), server_error(), server_error())
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), Runtime(context=context))
    record = update["generation"]
    assert steps(record) == [(GPT, "server"), (GPT, "server"), (GPT, "server"), (FLASH, None)]
    assert [a["retry"] for a in record["attempts"]] == [0, 1, 2, 0]
    assert record["failed_over_from"] == GPT and record["provider"] == "google_genai"
    assert [m.content for m in update["messages"]] == ["Answer from gemini-2.5-flash [1]."]
    rows = await usage_rows(wired)
    assert [(r.model, r.ok, r.failed_over_from) for r in rows] == [
        (GPT, False, None),
        (GPT, False, None),
        (GPT, False, None),
        (FLASH, True, GPT),
    ]


async def test_a_hang_past_the_timeout_fails_over(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", hang(10))
    started = time.perf_counter()
    update = await generate(
        state_for([GPT, FLASH, LOCAL_MODEL]), Runtime(context=replace(context, generation_timeout_s=0.5))
    )
    assert 0.5 <= time.perf_counter() - started < 3.0
    record = update["generation"]
    assert steps(record) == [(GPT, "timeout"), (FLASH, None)], "a timeout is not retried on the same provider"
    assert 450 <= record["attempts"][0]["latency_ms"] < 2000


async def test_a_context_length_error_skips_to_a_longer_context_model(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", context_too_long())
    update = await generate(state_for([GPT, MINI, LOCAL_MODEL]), Runtime(context=context))
    record = update["generation"]
    assert steps(record) == [(GPT, "context_length"), (PRO, None)], "straight to the long-context model"
    assert [c.model for c in openai_stub.calls()] == ["gpt-4o"]
    assert [c.model for c in gemini_stub.calls()] == ["gemini-2.5-pro"]

    # A long-context model already further down the chain moves up, and is not called twice.
    gemini_stub.reset()
    openai_stub.script("gpt-4o", context_too_long())
    gemini_stub.script("gemini-2.5-pro", server_error(), server_error(), server_error())
    update = await generate(state_for([GPT, MINI, PRO, LOCAL_MODEL]), Runtime(context=context))
    assert [s for s in steps(update["generation"]) if s[1] != "server"] == [
        (GPT, "context_length"),
        ("openai/gpt-4.1", None),
    ]
    assert [c.model for c in gemini_stub.calls()] == ["gemini-2.5-pro"] * 3
    assert wired.health.state(wired.models.health_key(PRO)) == "unhealthy"
    wired.health = HealthTracker()

    # When the long-context models fail too, a model no longer than the one that overflowed is not called.
    wired.retry = RetryPolicy(retries=0)
    openai_stub.script("gpt-4o", context_too_long())
    openai_stub.script("gpt-4.1", server_error())
    gemini_stub.script("gemini-2.5-pro", server_error())
    update = await generate(state_for([GPT, MINI, LOCAL_MODEL]), Runtime(context=context))
    assert steps(update["generation"]) == [
        (GPT, "context_length"),
        (PRO, "server"),
        ("openai/gpt-4.1", "server"),
        (MINI, "context_length"),
        (LOCAL_MODEL, None),
    ]
    assert update["generation"]["attempts"][3]["skipped"]
    assert "gpt-4o-mini" not in [c.model for c in openai_stub.calls()]
    assert wired.health.snapshot()[wired.models.health_key(GPT)]["failures"] == 0, (
        "too long a prompt is not the provider's fault"
    )


async def test_a_prompt_larger_than_a_models_window_never_goes_to_it(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub
) -> None:
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL], context_tokens=150_000), Runtime(context=context))
    assert steps(update["generation"]) == [(GPT, "context_length"), (FLASH, None)]
    assert openai_stub.calls() == []


async def test_the_circuit_opens_skips_cools_down_probes_and_heals(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    now = [1000.0]
    wired.health.clock = lambda: now[0]
    wired.retry = RetryPolicy(retries=0)
    runtime = Runtime(context=context)
    openai_stub.default = lambda model, n: server_error()
    for _ in range(4):  # min_calls 4, all failing: over 50%
        update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), runtime)
        assert update["generation"]["provider"] == "google_genai"
    assert wired.health.state(wired.models.health_key(GPT)) == "unhealthy" and len(openai_stub.calls()) == 4

    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), runtime)
    assert steps(update["generation"]) == [(GPT, "circuit_open"), (FLASH, None)]
    assert len(openai_stub.calls()) == 4, "the breaker saved a call"

    now[0] += wired.health.policy.cooldown_s + 1  # cooldown over: one probe, which fails
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), runtime)
    assert steps(update["generation"]) == [(GPT, "server"), (FLASH, None)]
    assert wired.health.state(wired.models.health_key(GPT)) == "unhealthy" and len(openai_stub.calls()) == 5

    now[0] += wired.health.policy.cooldown_s + 1  # next probe succeeds: healthy again
    openai_stub.default = lambda model, n: answer()
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), runtime)
    assert steps(update["generation"]) == [(GPT, None)]
    snapshot = wired.health.snapshot()[wired.models.health_key(GPT)]
    assert [t["state"] for t in snapshot["transitions"]] == ["unhealthy", "probing", "unhealthy", "probing", "healthy"]
    assert snapshot["state"] == "healthy" and snapshot["calls_saved"] == 1


async def test_every_provider_failing_still_answers_from_the_local_answerer(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    wired.retry = RetryPolicy(retries=0)
    openai_stub.script("gpt-4o", server_error())
    gemini_stub.script("gemini-2.5-flash", rate_limited(retry_after="60"))
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), Runtime(context=context))
    assert steps(update["generation"]) == [(GPT, "server"), (FLASH, "rate_limit"), (LOCAL_MODEL, None)]
    assert update["messages"][0].content == "The Kestrel Fountain Pen costs 48.00 EUR [1]."


async def test_an_error_event_inside_the_stream_is_a_server_failure_and_never_retried(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", errors_after(2))
    update = await generate(state_for([GPT, FLASH, LOCAL_MODEL]), Runtime(context=context))
    record = update["generation"]
    assert steps(record) == [(GPT, "server"), (FLASH, None)], "tokens were sent: no retry, the next model answers"
    assert record["attempts"][0]["streamed"] == 3 and len(openai_stub.calls()) == 1
    assert [m.content for m in update["messages"]] == ["Answer from gemini-2.5-flash [1]."]


def ask(text: str) -> dict:
    return {"messages": [{"role": "user", "content": text}]}


async def test_a_failure_mid_stream_is_announced_and_the_next_provider_answers_whole(
    settings: Settings, wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub
) -> None:
    openai_stub.script("gpt-4o", breaks_after(3, "The Kestrel pen costs forty-eight euros [1]."))
    gemini_stub.script("gemini-2.5-flash", answer("The Kestrel Fountain Pen is 48.00 EUR [1]."))
    ctx = replace(context, models=[GPT, FLASH])
    tokens: dict[str, list[str]] = {}
    custom: list[dict] = []
    async with open_checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(saver)
        config = {"configurable": {"thread_id": "midstream"}}
        async for mode, chunk in graph.astream(
            ask("How much is the Kestrel fountain pen?"), config, context=ctx, stream_mode=["messages", "custom"]
        ):
            if mode == "custom":
                custom.append(chunk)
            elif isinstance(chunk[0], AIMessageChunk) and chunk[1]["langgraph_node"] == "generate":
                tokens.setdefault(chunk[0].id, []).append(chunk[0].text)
        values = (await graph.aget_state(config)).values

    broken, whole = list(tokens)
    assert "".join(tokens[broken]) == "The Kestrel pen", "the customer saw the first tokens of the broken answer"
    assert "".join(tokens[whole]) == "The Kestrel Fountain Pen is 48.00 EUR [1]."
    [event] = custom
    assert event["event"] == DISCARDED_EVENT and event["message_id"] == broken and event["model"] == GPT
    assert event["error_kind"] == "connection"
    answers = [m for m in values["messages"] if isinstance(m, AIMessage)]
    assert [m.content for m in answers] == ["The Kestrel Fountain Pen is 48.00 EUR [1]."], "one answer, not spliced"
    assert answers[0].id == whole
    assert steps(values["generation"]) == [(GPT, "connection"), (FLASH, None)]
    assert values["generation"]["attempts"][0]["streamed"] >= 3
    rows = await usage_rows(wired)
    assert [(r.model, r.ok, r.error_kind, r.thread_id) for r in rows] == [
        (GPT, False, "connection", "midstream"),
        (FLASH, True, None, "midstream"),
    ]
    assert rows[0].output_tokens > 0 and rows[0].cost_usd > 0, "what was streamed before the break is billed"


async def test_after_the_budget_a_named_unpriced_model_is_not_used(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub
) -> None:
    """A tenant whose settings name an unpriced model, with its daily budget spent: the router's "cheapest" is the
    cheapest priced model, and the unpriced one gets no request and no $0 usage row."""
    from concierge.nodes.route_model import route_model
    from tests.test_router import state as routed_state

    wired.models.providers.pop("google_genai")
    await wired.usage.record(
        [{"tenant_id": "demo", "provider": "openai", "model": GPT, "cost_usd": 1.0, "latency_ms": 9.0, "ok": True}]
    )
    ctx = replace(context, daily_budget_usd=0.5, models=["openai/gpt-4.5-preview"], tier_models={"fast": "x/free"})
    route = (await route_model(routed_state("How much is the Kestrel pen?"), Runtime(context=ctx)))["route"]
    assert route["budget_exceeded"] and route["chain"] == [MINI, LOCAL_MODEL]
    update = await generate({**state_for(route["chain"]), "route": route}, Runtime(context=ctx))
    assert update["generation"]["model"] == "gpt-4o-mini" and update["generation"]["cost_usd"] > 0
    assert [c.model for c in openai_stub.calls()] == ["gpt-4o-mini"]
    assert "openai/gpt-4.5-preview" not in {r.model for r in await usage_rows(wired)}


RESPONSES = "openai/gpt-5-pro"
"""A model langchain-openai reaches through the Responses API (`/v1/responses`), not chat completions."""


@pytest.mark.parametrize(("failure", "kind"), [(breaks_after(2), "connection"), (errors_after(2), "server")])
async def test_a_responses_api_model_answers_and_fails_over_like_the_others(
    wired: Toolbox, context: Context, openai_stub: OpenAIStub, gemini_stub: GeminiStub, failure, kind: str
) -> None:
    update = await generate(state_for([RESPONSES, FLASH, LOCAL_MODEL]), Runtime(context=context))
    assert update["messages"][0].content == "Answer from gpt-5-pro [1]."
    record = update["generation"]
    assert steps(record) == [(RESPONSES, None)] and record["output_tokens"] == 4
    assert [(c.path, c.stream) for c in openai_stub.calls()] == [("/v1/responses", True)]

    openai_stub.script("gpt-5-pro", failure)
    update = await generate(state_for([RESPONSES, FLASH, LOCAL_MODEL]), Runtime(context=context))
    assert steps(update["generation"]) == [(RESPONSES, kind), (FLASH, None)]
    assert [m.content for m in update["messages"]] == ["Answer from gemini-2.5-flash [1]."]
