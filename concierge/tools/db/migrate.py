"""Schema migrations for the app database, with Alembic: `upgrade` brings a database to the newest revision.

The revisions live in `concierge/tools/db/migrations/versions`. Alembic reads them from disk, which must not happen
on the event loop (`langgraph dev` raises on it), so the scripts are loaded once in a worker thread and the
migration then runs on the app's own async connection, the same code for SQLite and PostgreSQL. `env.py` is
only for the `alembic` command line (writing revisions); the app configures the migration context here.

A database created by the pre-migration `create_all` (it has `tenants` but no `alembic_version`) is stamped at
the foundation revision first, then upgraded.
"""

import asyncio
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from concierge.tools.db.models import metadata

MIGRATIONS = Path(__file__).parent / "migrations"
FOUNDATION = "0001"
"""The revision equal to the schema `create_all` made before migrations existed."""

MIGRATION_LOCK = 0x636F6E63  # "conc"
_scripts: ScriptDirectory | None = None


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def scripts() -> ScriptDirectory:
    """The revisions, read from disk and imported once per process. Blocking: call from a thread first."""
    global _scripts
    if _scripts is None:
        loaded = ScriptDirectory.from_config(alembic_config())
        _ = loaded.revision_map.heads  # import every revision module now, not on the event loop later
        _scripts = loaded
    return _scripts


def head() -> str:
    rev = scripts().get_current_head()
    assert rev is not None
    return rev


def _run(connection: Connection, script: ScriptDirectory, fn, destination: str) -> None:
    with EnvironmentContext(alembic_config(), script, fn=fn, destination_rev=destination) as env:
        env.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with env.begin_transaction():
            env.run_migrations()


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    """Upgrade through a synchronous connection (inside `AsyncConnection.run_sync`); scripts must be loaded."""
    script = scripts()
    if connection.dialect.name == "postgresql":
        # Replicas starting together: one migrates, the others wait here, then find nothing to do.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables and "tenants" in tables:
        _run(connection, script, lambda rev, _ctx: script._stamp_revs(FOUNDATION, rev), FOUNDATION)
    _run(connection, script, lambda rev, _ctx: script._upgrade_revs(revision, rev), revision)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database behind `engine` to `revision`, without blocking the event loop."""
    await asyncio.to_thread(scripts)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_connection, revision)
