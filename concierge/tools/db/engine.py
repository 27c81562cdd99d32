"""The app database engine and sessions, through SQLAlchemy.

SQLite by default, PostgreSQL by URL; the same models either way.
"""

import json
from typing import Any

from sqlalchemy import (
    event,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from concierge.tools.db.sqlite_driver import one_trip_dbapi

POOL = {"pool_size": 20, "max_overflow": 10}
"""Connections kept open per process: enough for fifty turns at once. SQLAlchemy's default keeps 5 and closes the
10 more it opens under load after each use, so a busy server kept connecting (a PostgreSQL backend and its
prepared statements each time, or an aiosqlite thread and its pragmas)."""


class AppDatabase:
    """The engine and session factory, created once per process."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self.connect_args: dict[str, Any] = {}
        if schema and url.startswith("postgresql+asyncpg"):
            # Every table in this schema: lets several databases (tests, tenants of a host) share one server.
            self.connect_args = {"server_settings": {"search_path": schema}}
        sqlite = url.startswith("sqlite")
        driver: dict[str, Any] = {}
        if sqlite and url.startswith("sqlite+aiosqlite"):
            driver["module"] = one_trip_dbapi()
        self.engine: AsyncEngine = create_async_engine(
            url,
            json_serializer=lambda v: json.dumps(v, default=str),
            connect_args=self.connect_args,
            # SQLite: the pool's rollback on every checkin is a round trip to aiosqlite's thread even when a session
            # only read (no transaction is open then): `_rollback_if_open` skips those.
            pool_reset_on_return=None if sqlite else "rollback",
            **POOL,
            **driver,
        )
        if sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "reset", _rollback_if_open)
        self.session: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL: a session opens a transaction at its first statement and rolls it back when it closes, two
        # round trips more than its reads; under READ COMMITTED each statement sees its own snapshot anyway, so a
        # session that only reads loses nothing without one. SQLite opens no transaction to read.
        reader = self.engine if sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.read_session: async_sessionmaker[AsyncSession] = async_sessionmaker(reader, expire_on_commit=False)
        """Sessions that only read (no commit: every statement is its own): a turn's lookups, a poll."""

    async def dispose(self) -> None:
        await self.engine.dispose()


def _rollback_if_open(dbapi_conn: Any, _record: Any, reset_state: Any) -> None:
    """What the pool's reset does, when there is something to undo (SQLite opens a transaction only to write)."""
    if not reset_state.terminate_only and dbapi_conn.driver_connection.in_transaction:
        dbapi_conn.rollback()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: safe against crashes, no disk sync per commit
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # one writer at a time: under a burst of turns, wait rather than fail
    cur.close()
