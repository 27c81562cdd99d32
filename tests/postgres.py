"""PostgreSQL for tests: a schema of the test's own on the real server (dropped afterwards), skipped with the reason
when the server is unreachable; the seeded demo copied in, so no test pays for seeding (embedding) again."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import Integer, select

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Base

PG_URL = os.environ.get("CONCIERGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def create_schema() -> str:
    """A new schema (for a fixture that outlives one event loop); `drop_schema` it afterwards."""
    asyncpg = pytest.importorskip("asyncpg")

    async def create() -> str:
        try:
            conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
        except (OSError, asyncpg.PostgresError) as exc:
            pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
        schema = f"concierge_test_{uuid.uuid4().hex[:12]}"
        try:
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        finally:
            await conn.close()
        return schema

    return asyncio.run(create())


def drop_schema(schema: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"), timeout=3)
        try:
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        finally:
            await conn.close()

    asyncio.run(drop())


@asynccontextmanager
async def pg_schema() -> AsyncIterator[str]:
    asyncpg = pytest.importorskip("asyncpg")
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    schema = f"concierge_test_{uuid.uuid4().hex[:12]}"
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def copy_seeded(seeded_dir: Path, schema: str, migrate: bool = True) -> None:
    """The seeded SQLite app database's rows, into the schema (migrated first unless `migrate` is False)."""
    source = AppDatabase(f"sqlite+aiosqlite:///{seeded_dir / 'app.sqlite'}")
    target = AppDatabase(PG_URL, schema)
    try:
        if migrate:
            await upgrade(target.engine)
        async with source.engine.connect() as src, target.engine.begin() as dst:
            for table in Base.metadata.sorted_tables:
                rows = [dict(r._mapping) for r in await src.execute(select(table))]
                if rows:
                    await dst.execute(table.insert(), rows)
            for table in Base.metadata.sorted_tables:  # serial ids carry on after the copied rows
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, Integer):
                    seq = f"pg_get_serial_sequence('\"{schema}\".{table.name}', '{pk[0].name}')"
                    await dst.exec_driver_sql(
                        f"SELECT setval({seq}, COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false) "
                        f"WHERE {seq} IS NOT NULL"
                    )
    finally:
        await source.dispose()
        await target.dispose()
