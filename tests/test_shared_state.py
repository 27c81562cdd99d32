"""What replicas share: provider health and the web search rate in Redis, documents claimed by one worker only."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Document, Tenant
from concierge.tools.documents.worker import DocumentWorker
from concierge.tools.llm.health import HealthPolicy
from concierge.tools.settings import Settings
from concierge.tools.shared import SharedHealthTracker, SharedRateLimiter
from concierge.tools.toolbox import Toolbox
from tests.postgres import PG_URL, pg_schema

REDIS_URL = "redis://127.0.0.1:6379/0"
GPT = "openai/gpt-4o-mini"


@pytest.fixture
async def redis() -> AsyncIterator[tuple[object, str]]:
    aioredis = pytest.importorskip("redis.asyncio")
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    prefix = f"concierge-test-{uuid.uuid4().hex[:10]}:"
    try:
        yield client, prefix
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_provider_health_is_judged_on_every_replicas_calls(redis: tuple) -> None:
    client, prefix = redis
    policy = HealthPolicy(window_s=60, failure_rate=0.5, min_calls=4, cooldown_s=30)
    a, b = SharedHealthTracker(client, prefix, policy), SharedHealthTracker(client, prefix, policy)
    for tracker in (a, b):
        tracker.record(GPT, False)
        tracker.record(GPT, False)
    assert a.state(GPT) == b.state(GPT) == "healthy", "two calls each: too few on either replica alone"
    await a.sync()
    await b.sync()
    await a.sync()
    assert a.state(GPT) == b.state(GPT) == "unhealthy"
    assert not a.admit(GPT) and not b.admit(GPT)


async def test_a_circuit_one_replica_opens_is_open_on_the_others(redis: tuple) -> None:
    client, prefix = redis
    policy = HealthPolicy(window_s=60, failure_rate=0.5, min_calls=2, cooldown_s=30)
    a, fresh = SharedHealthTracker(client, prefix, policy), SharedHealthTracker(client, prefix, policy)
    a.record(GPT, False)
    a.record(GPT, False)
    assert a.state(GPT) == "unhealthy"
    await a.sync()
    await fresh.sync()
    assert fresh.state(GPT) == "unhealthy" and not fresh.admit(GPT)
    left = fresh.snapshot()[GPT]["cooldown_left_s"]
    assert 25 < left <= 30, "the cooldown ends when the opener's ends"


async def test_the_web_rate_is_counted_across_replicas(redis: tuple) -> None:
    client, prefix = redis
    if time.time() % 60 > 57:  # the count is per minute: start inside one
        await asyncio.sleep(60 - time.time() % 60 + 0.1)
    a = SharedRateLimiter(client, prefix, per_minute=4, burst=4)
    b = SharedRateLimiter(client, prefix, per_minute=4, burst=4)
    assert [a.try_acquire() for _ in range(3)] == [True] * 3
    assert b.try_acquire()
    await a.sync()
    await b.sync()
    await a.sync()
    assert not a.try_acquire() and not b.try_acquire(), "four calls between them: the minute is spent"


async def test_a_providers_retry_after_pauses_every_replica(redis: tuple) -> None:
    client, prefix = redis
    a = SharedRateLimiter(client, prefix, per_minute=600)
    b = SharedRateLimiter(client, prefix, per_minute=600)
    a.pause(30)
    await a.sync()
    await b.sync()
    assert not b.try_acquire()


async def _claim_all(workers: list[DocumentWorker]) -> list[list[str]]:
    claimed: list[list[str]] = [[] for _ in workers]

    async def drain(i: int) -> None:
        while (doc_id := await workers[i].claim()) is not None:
            claimed[i].append(doc_id)

    await asyncio.gather(*(drain(i) for i in range(len(workers))))
    return claimed


async def _documents_claimed_once(settings: Settings, n: int = 40) -> None:
    seed = AppDatabase(settings.app_db_url, settings.database_schema)
    try:
        await upgrade(seed.engine)
        async with seed.session() as s:
            if await s.get(Tenant, "demo") is None:
                s.add(Tenant(id="demo", name="Demo"))
                await s.flush()
            now = utcnow()
            for i in range(n):
                s.add(Document(id=f"doc-{i}", tenant_id="demo", filename=f"{i}.md", media_type="text/markdown",
                               sha256=f"{i:064d}", path="/nowhere", status="pending", created_at=now))  # fmt: skip
            await s.commit()
        workers = [DocumentWorker(Toolbox.from_settings(settings)) for _ in range(3)]  # each its own engine
        try:
            claimed = await _claim_all(workers)
        finally:
            for w in workers:
                await w.tools.db.dispose()
        everything = [d for c in claimed for d in c]
        assert sorted(everything) == sorted(f"doc-{i}" for i in range(n)), "every document claimed exactly once"
        assert sum(1 for c in claimed if c) >= 2, "the work was shared"
        async with seed.session() as s:
            assert set(await s.scalars(select(Document.status))) == {"processing"}
    finally:
        await seed.dispose()


async def test_two_replicas_never_claim_the_same_document_on_postgresql(tmp_path: Path) -> None:
    async with pg_schema() as schema:
        await _documents_claimed_once(Settings(data_dir=tmp_path, database_url=PG_URL, database_schema=schema))


async def test_two_workers_never_claim_the_same_document_on_sqlite(tmp_path: Path) -> None:
    await _documents_claimed_once(Settings(data_dir=tmp_path))


async def test_a_document_whose_worker_died_is_claimed_again_after_its_lease(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tools = Toolbox.from_settings(settings)
    try:
        await upgrade(tools.db.engine)
        async with tools.db.session() as s:
            s.add(Tenant(id="demo", name="Demo"))
            await s.flush()
            s.add(Document(id="stuck", tenant_id="demo", filename="a.md", media_type="text/markdown", sha256="0" * 64,
                           path="/nowhere", status="processing", created_at=utcnow(), updated_at=utcnow()))  # fmt: skip
            await s.commit()
        assert await DocumentWorker(tools, lease_s=60).claim() is None, "its worker may still be alive"
        await asyncio.sleep(0.3)
        assert await DocumentWorker(tools, lease_s=0.2).claim() == "stuck"
    finally:
        await tools.db.dispose()
