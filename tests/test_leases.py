"""The learning loop's lease: one holder at a time on SQLite and PostgreSQL alike, renewed by its holder, taken
over once it runs out or is given up; a replica without it skips the learning pass."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from concierge.server.app import LEARNING_LEASE, learning_pass
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.leases import Leases
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Lease
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.postgres import PG_URL, pg_schema


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AppDatabase]:
    if request.param == "sqlite":
        database = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}")
        await upgrade(database.engine)
        yield database
        await database.dispose()
        return
    async with pg_schema() as schema:
        database = AppDatabase(PG_URL, schema)
        await upgrade(database.engine)
        yield database
        await database.dispose()


async def test_one_holder_at_a_time_until_it_runs_out(db: AppDatabase) -> None:
    first, second = Leases(db, "replica-1"), Leases(db, "replica-2")
    assert await first.acquire("job", ttl_s=0.6)
    assert not await second.acquire("job", ttl_s=0.6), "held by replica-1"
    assert await first.acquire("job", ttl_s=0.6), "its holder renews it"
    assert not await second.acquire("job", ttl_s=0.6)
    await asyncio.sleep(0.8)  # replica-1 died: its lease runs out
    assert await second.acquire("job", ttl_s=60)
    assert not await first.acquire("job", ttl_s=60), "a holder that comes back does not take it back"
    assert await first.acquire("other-job", ttl_s=60), "leases are per name"


async def test_a_lease_given_up_is_free_at_once(db: AppDatabase) -> None:
    first, second = Leases(db, "replica-1"), Leases(db, "replica-2")
    assert await first.acquire("job", ttl_s=3600)
    await second.release("job")  # not the holder: changes nothing
    assert not await second.acquire("job", ttl_s=60)
    await first.release("job")
    assert await second.acquire("job", ttl_s=60)


async def test_simultaneous_takers_one_wins(db: AppDatabase) -> None:
    takers = [Leases(db, f"replica-{i}") for i in range(6)]
    won = await asyncio.gather(*(t.acquire("job", ttl_s=60) for t in takers))
    assert sum(won) == 1


async def test_only_the_lease_holder_runs_the_learning_pass(settings: Settings) -> None:
    tools = await Toolbox.from_settings(settings).open()
    try:
        conf = settings.model_copy(update={"learning_check_s": 60})
        holder, other = Leases(tools.db, "replica-1"), Leases(tools.db, "replica-2")
        await learning_pass(tools, holder, conf)
        await learning_pass(tools, other, conf)
        async with tools.db.session() as s:
            lease = await s.scalar(select(Lease).where(Lease.name == LEARNING_LEASE))
        assert lease is not None and lease.holder == "replica-1"
        assert (lease.expires_at - lease.expires_at.now(lease.expires_at.tzinfo)).total_seconds() > 170
    finally:
        await tools.close()
