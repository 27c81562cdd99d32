"""Nudges between replicas: "tenant T's handoff queue changed", so a console's watcher on another replica looks at
once instead of at its next poll. Redis pub/sub when Redis is configured, else PostgreSQL's NOTIFY/LISTEN; on
SQLite (one host) none, and the poll alone. A nudge carries no data (the database is the one source): a lost one
costs a poll interval, never an event.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import func, select

from concierge.tools.db.engine import AppDatabase

log = logging.getLogger(__name__)


class Nudges(Protocol):
    async def publish(self, message: str) -> None: ...

    async def listen(self, on: Callable[[str], None]) -> None:
        """Call `on` with each message published by any replica, until cancelled."""
        ...

    async def aclose(self) -> None: ...


class RedisNudges:
    def __init__(self, url: str, channel: str) -> None:
        self.url, self.channel = url, channel
        self._redis: Any = None

    def _client(self) -> Any:
        if self._redis is None:
            import redis.asyncio as aioredis

            self._redis = aioredis.Redis.from_url(self.url)
        return self._redis

    async def publish(self, message: str) -> None:
        await self._client().publish(self.channel, message)

    async def listen(self, on: Callable[[str], None]) -> None:
        pubsub = self._client().pubsub()
        await pubsub.subscribe(self.channel)
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    data = item["data"]
                    on(data.decode() if isinstance(data, bytes) else str(data))
        finally:
            await pubsub.aclose()

    async def aclose(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


class PostgresNudges:
    """NOTIFY through the pool; LISTEN on one connection held while this replica has a watcher."""

    def __init__(self, db: AppDatabase, channel: str) -> None:
        self.db, self.channel = db, channel

    async def publish(self, message: str) -> None:
        async with self.db.engine.connect() as conn:
            await conn.execute(select(func.pg_notify(self.channel, message)))
            await conn.commit()

    async def listen(self, on: Callable[[str], None]) -> None:
        async with self.db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            lost = asyncio.get_running_loop().create_future()

            def heard(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
                on(payload)

            def closed(_conn: Any) -> None:
                if not lost.done():
                    lost.set_result(None)

            await raw.add_listener(self.channel, heard)
            raw.add_termination_listener(closed)
            try:
                await lost  # until cancelled, or the connection is gone (then the poll alone, and a log line)
                log.warning("handoff nudges: the LISTEN connection closed; other replicas' changes come by the poll")
            finally:
                raw.remove_termination_listener(closed)
                if not raw.is_closed():
                    await raw.remove_listener(self.channel, heard)

    async def aclose(self) -> None:
        return None


def make_nudges(settings: Any, db: AppDatabase) -> Nudges | None:
    """Redis when `REDIS_URL` is set, else PostgreSQL when the app database is one, else none (SQLite)."""
    if settings.redis_url:
        return RedisNudges(settings.redis_url, f"{settings.redis_prefix}handoffs")
    if db.engine.dialect.name == "postgresql":
        return PostgresNudges(db, f"concierge_handoffs:{settings.database_schema or 'public'}")
    return None
