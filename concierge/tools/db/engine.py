"""The app database engine and sessions, through SQLAlchemy.

SQLite by default, PostgreSQL by URL; the same models either way.
"""

import json
from typing import Any

from sqlalchemy import (
    event,
)
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


class AppDatabase:
    """The engine and session factory, created once per process."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self.connect_args: dict[str, Any] = {}
        if schema and url.startswith("postgresql+asyncpg"):
            # Every table in this schema: lets several databases (tests, tenants of a host) share one server.
            self.connect_args = {"server_settings": {"search_path": schema}}
        self.engine: AsyncEngine = create_async_engine(
            url, json_serializer=lambda v: json.dumps(v, default=str), connect_args=self.connect_args
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.session: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: safe against crashes, no disk sync per commit
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")  # one writer at a time: under a burst of turns, wait rather than fail
    cur.close()
