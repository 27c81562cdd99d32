"""Rate limits per key and per tenant, with the `limits` library: on Redis when `REDIS_URL` is set (shared by every
replica), in memory otherwise (one count per process).

Moving windows: a burst cannot pass twice the limit across a window's edge.
"""

import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter


class RateLimiter:
    """`hit` counts one request against each of several named limits; the first one exceeded stops it."""

    def __init__(self, redis_url: str | None = None, key_prefix: str = "concierge:rate") -> None:
        storage: Storage
        if redis_url:
            uri = redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1)
            storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix)
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.backend = "redis" if redis_url else "memory"
        self._limiter = MovingWindowRateLimiter(storage)
        self._parsed: dict[str, list[RateLimitItem]] = {}

    def _items(self, rate: str) -> list[RateLimitItem]:
        if rate not in self._parsed:
            self._parsed[rate] = parse_many(rate)
        return self._parsed[rate]

    async def hit(self, checks: Sequence[tuple[str, Sequence[str]]]) -> float | None:
        """Each check is (rate such as '60/minute', identifiers). None when every limit admits the request,
        else the seconds until the exceeded one admits another (for `Retry-After`)."""
        for rate, ids in checks:
            for item in self._items(rate):
                if not await self._limiter.hit(item, *ids):
                    stats = await self._limiter.get_window_stats(item, *ids)
                    return max(1.0, math.ceil(stats.reset_time - time.time()))
        return None
