"""Checkpoints on PostgreSQL whenever the app database is PostgreSQL; migrations as a deploy step."""

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph_sdk import get_client

from concierge.graph.checkpointer import open_checkpointer
from concierge.tools.llm.providers import LOCAL_MODEL
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer
from tests.postgres import PG_URL, copy_seeded, pg_schema
from tests.replicas import CONCIERGE, demo_key
from tests.stand_ins import GatedAnswerer

QUESTION = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}
OTHER = {"messages": [{"role": "user", "content": "Is the Lumen clip light in stock?"}]}


@pytest.fixture
async def pg_settings(seeded_dir: Path, tmp_path: Path) -> AsyncIterator[Settings]:
    async with pg_schema() as schema:
        await copy_seeded(seeded_dir, schema)
        yield Settings(
            data_dir=seeded_dir, files_path=tmp_path / "files", database_url=PG_URL, database_schema=schema,
            run_poll_s=0.1, stream_poll_s=0.05, source_timeouts={"documents": 2.0, "catalog": 2.0},
        )  # fmt: skip


async def _checkpoint_rows(schema: str, thread_id: str) -> int:
    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetchval(f'SELECT count(*) FROM "{schema}".checkpoints WHERE thread_id = $1', thread_id)
    finally:
        await conn.close()


async def test_the_checkpointer_follows_the_app_database(pg_settings: Settings, settings: Settings) -> None:
    async with open_checkpointer(pg_settings) as saver:
        assert isinstance(saver, AsyncPostgresSaver)
    async with open_checkpointer(settings) as saver:
        assert isinstance(saver, AsyncSqliteSaver)


async def test_replicas_starting_together_set_the_checkpoint_tables_up_once(tmp_path: Path) -> None:
    """The checkpoint migrations build indexes CONCURRENTLY, which waits for every open transaction: replicas that
    waited for the migration lock inside one (`pg_advisory_lock`) and the holder waited for each other forever."""
    async with pg_schema() as schema:
        conf = Settings(data_dir=tmp_path, database_url=PG_URL, database_schema=schema)

        async def start() -> None:
            async with open_checkpointer(conf, setup=True) as saver:
                assert await saver.aget_tuple({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}) is None

        await asyncio.wait_for(asyncio.gather(*(start() for _ in range(3))), timeout=90)


async def test_conversations_live_in_postgresql_across_restarts(pg_settings: Settings) -> None:
    server = LiveServer(pg_settings).start()
    try:
        client = get_client(url=server.url, api_key=demo_key(pg_settings.data_dir), timeout=60)
        tid = (await client.threads.create())["thread_id"]
        out = await client.runs.wait(tid, "concierge", input=QUESTION)
        assert "48.00 EUR" in out["messages"][-1]["content"]
        before = await client.threads.get_state(tid)
    finally:
        server.stop()
    assert await _checkpoint_rows(pg_settings.database_schema or "", tid) > 3
    again = LiveServer(pg_settings).start()
    try:
        client = get_client(url=again.url, api_key=demo_key(pg_settings.data_dir), timeout=60)
        assert await client.threads.get_state(tid) == before
        resumed = await client.runs.wait(tid, "concierge", command={"resume": {"rating": 5}})
        assert resumed["feedback"][0]["rating"] == 5
    finally:
        again.stop()


async def test_rollback_deletes_the_runs_checkpoints_on_postgresql(pg_settings: Settings) -> None:
    tools = Toolbox.from_settings(pg_settings)
    model = GatedAnswerer()
    tools.models.models[LOCAL_MODEL] = model
    server = LiveServer(pg_settings, tools).start()
    try:
        client = get_client(url=server.url, api_key=demo_key(pg_settings.data_dir), timeout=60)
        tid = (await client.threads.create())["thread_id"]
        first = await client.runs.create(tid, "concierge", input=QUESTION)
        while not model.started.is_set():
            await asyncio.sleep(0.02)
        await client.runs.cancel(tid, first["run_id"], action="rollback", wait=True)
        assert await _checkpoint_rows(pg_settings.database_schema or "", tid) == 0, "nothing was there before"
        model.gate.set()
        out = await client.runs.wait(tid, "concierge", input=OTHER)
        assert [m["content"] for m in out["messages"] if m["type"] == "human"] == [OTHER["messages"][0]["content"]]
    finally:
        model.gate.set()
        server.stop()


def test_migrate_is_a_deploy_step_and_the_server_can_start_without_it(settings: Settings, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(fresh)}
    done = subprocess.run([str(CONCIERGE), "migrate"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("migrated: app database at revision"), done.stderr
    assert (fresh / "app.sqlite").exists() and (fresh / "checkpoints.sqlite").exists()

    unmigrated = Settings(data_dir=tmp_path / "empty", migrate_on_start=False)
    server = LiveServer(unmigrated).start()
    try:
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 503
        assert not ready.json()["checks"]["database"]["ok"] and "concierge migrate" in str(ready.json())
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()

    bad = subprocess.run(
        [str(CONCIERGE), "migrate"],
        env={**env, "CONCIERGE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and bad.stderr.strip().startswith("concierge migrate:") and "Traceback" not in bad.stderr


async def _copy_and_keep_latest(settings: Settings) -> None:
    """A thread's copy holds its state and history; `keep_latest` leaves one checkpoint and a thread that works."""
    server = LiveServer(settings).start()
    try:
        client = get_client(url=server.url, api_key=demo_key(settings.data_dir), timeout=60)
        tid = (await client.threads.create())["thread_id"]
        await client.runs.wait(tid, "concierge", input=QUESTION)
        state = await client.threads.get_state(tid)
        history = await client.threads.get_history(tid, limit=100)
        copied = (await client.threads.copy(tid))["thread_id"]
        assert (await client.threads.get_state(copied))["values"] == state["values"]
        assert [h["checkpoint_id"] for h in await client.threads.get_history(copied, limit=100)] == [
            h["checkpoint_id"] for h in history
        ]
        assert await client.threads.prune([tid], strategy="keep_latest") == {"pruned_count": 1}
        assert len(await client.threads.get_history(tid, limit=100)) == 1 < len(history)
        assert (await client.threads.get_state(tid))["values"] == state["values"]
        resumed = await client.runs.wait(tid, "concierge", command={"resume": {"rating": 5}})
        assert resumed["feedback"][0]["rating"] == 5
        assert len(await client.threads.get_history(copied, limit=100)) == len(history), "the copy kept its own"
    finally:
        server.stop()


async def test_copy_and_keep_latest_on_postgresql(pg_settings: Settings) -> None:
    await _copy_and_keep_latest(pg_settings)


async def test_copy_and_keep_latest_on_sqlite(settings: Settings) -> None:
    await _copy_and_keep_latest(
        settings.model_copy(update={"run_poll_s": 0.1, "source_timeouts": {"documents": 2.0, "catalog": 2.0}})
    )
