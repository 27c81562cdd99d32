"""End to end over HTTP with both providers at loopback stubs: failover in the stream, cost and health routes."""

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from concierge.state.conversation import DISCARDED_EVENT
from concierge.tools.db.models import Tenant, UsageRecord
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer
from tests.provider_stubs import GeminiStub, OpenAIStub, answer, breaks_after, server_error
from tests.sse import stream_events
from tests.test_failover import FLASH, GPT, wire


@pytest.fixture
def stubs() -> Iterator[tuple[OpenAIStub, GeminiStub]]:
    with OpenAIStub() as openai, GeminiStub() as gemini:
        yield openai, gemini


def set_tenant_settings(settings: Settings, **values: object) -> None:
    async def update() -> None:
        tools = await Toolbox.from_settings(settings).open()
        try:
            async with tools.db.session() as s:
                tenant = await s.get(Tenant, "demo")
                assert tenant is not None
                tenant.settings = {**(tenant.settings or {}), **values}
                await s.commit()
        finally:
            await tools.close()

    asyncio.run(update())


def ask(text: str, modes: list[str]) -> dict:
    return {"input": {"messages": [{"role": "user", "content": text}]}, "stream_mode": modes}


def test_failover_mid_stream_over_http_then_cost_health_and_budget(
    settings: Settings, stubs: tuple[OpenAIStub, GeminiStub]
) -> None:
    openai, gemini = stubs
    set_tenant_settings(settings, models=[GPT, FLASH], daily_budget_usd=0.000001)
    tools = wire(Toolbox.from_settings(settings), openai, gemini)
    openai.script("gpt-4o", breaks_after(2, "The pen costs fifty euros [1]."))
    gemini.script("gemini-2.5-flash", answer("The Kestrel Fountain Pen costs 48.00 EUR [1]."))
    server = LiveServer(settings, tools).start()
    try:
        with server.client() as client:
            thread = client.post("/threads", json={}).json()["thread_id"]
            events = stream_events(
                client, f"/threads/{thread}/runs/stream", ask("How much is the Kestrel pen?", ["messages-tuple"])
            )
            run_id = events[0][1]["run_id"]
            ids = list(
                dict.fromkeys(d[0]["id"] for e, d in events if e == "messages" and d[0]["type"] == "AIMessageChunk")
            )
            [discard] = [d for e, d in events if e == "custom"]
            assert discard["event"] == DISCARDED_EVENT and discard["message_id"] == ids[0] and len(ids) == 2
            values = client.get(f"/threads/{thread}/state").json()["values"]
            answers = [m for m in values["messages"] if m["type"] == "ai"]
            assert [m["content"] for m in answers] == ["The Kestrel Fountain Pen costs 48.00 EUR [1]."]
            assert answers[0]["id"] == ids[1], "the stored answer is the one streamed whole"

            daily = client.get("/usage/daily", params={"days": 1}).json()
            [today] = daily["days"]
            models = {m["model"]: m for m in today["models"]}
            assert models[GPT]["failures"] == 1 and models[FLASH]["failures"] == 0
            assert today["cost_usd"] == pytest.approx(models[GPT]["cost_usd"] + models[FLASH]["cost_usd"])
            assert models[GPT]["cost_usd"] > 0, "a broken stream still bills its input and what it sent"

            health = client.get("/providers/health").json()
            assert health["configured"] == ["google_genai", "openai"]
            assert health["models"][FLASH]["state"] == "healthy" and health["models"][FLASH]["p50_ms"] > 0
            assert health["models"][GPT]["failures"] == 1
            latency = client.get("/usage/latency").json()["models"]
            assert set(latency[FLASH]) >= {"p50_ms", "p95_ms", "p99_ms", "ttft_p95_ms"}

            # The budget is spent: the next turn takes the cheapest chain and an alert is raised, once.
            openai.default = lambda model, n: server_error()
            out = client.post(f"/threads/{thread}/runs/wait", json=ask("Opening hours?", ["values"])).json()
            route = out["route"]
            assert route["budget_exceeded"] and route["chain"] == [
                "google_genai/gemini-2.5-flash-lite",
                "local/extractive",
            ]
            [alert] = client.get("/usage/alerts").json()["alerts"]
            assert alert["budget_usd"] == 0.000001 and alert["spent_usd"] > 0

            assert client.get("/usage/daily", params={"days": 0}).status_code == 422
            other = client.get("/usage/daily", headers={"X-Tenant-ID": "nobody"})
            assert other.json()["tenant_id"] == "demo", "the key decides the tenant, never a header"
            bad = client.post(
                f"/threads/{thread}/runs/wait",
                json={**ask("hi", ["values"]), "context": {"daily_budget_usd": 1000}},
            )
            assert bad.status_code == 422 and "context.daily_budget_usd" in bad.json()["detail"], bad.text
    finally:
        server.stop()
    rows = asyncio.run(first_turn_rows(settings, run_id))
    assert [(r.model, r.ok, r.thread_id) for r in rows] == [(GPT, False, thread), (FLASH, True, thread)]
    assert rows[1].failed_over_from == GPT


async def first_turn_rows(settings: Settings, run_id: str) -> list[UsageRecord]:
    tools = await Toolbox.from_settings(settings).open()
    try:
        async with tools.db.session() as s:
            query = select(UsageRecord).where(UsageRecord.run_id == run_id).order_by(UsageRecord.id)
            return list((await s.scalars(query)).all())
    finally:
        await tools.close()
