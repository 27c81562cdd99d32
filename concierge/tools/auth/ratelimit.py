"""Rate limits per key and per tenant, with the `limits` library: on Redis when `REDIS_URL` is set (shared by every
replica), in memory otherwise (one count per process).

Moving windows: a burst cannot pass twice the limit across a window's edge.
"""

import math
import time
from collections import deque
from collections.abc import Sequence

from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter


class MemoryWindows:
    """Moving windows in this process's memory: per limit and identifiers, the times of the hits still inside it.

    What `limits`' memory storage does, without its cost per request: that storage schedules an expiry sweep with
    each hit, and the sweep hands every key to a worker thread (`asyncio.to_thread`), two thread hops a request."""

    SWEEP_EVERY = 1000
    """Hits between two sweeps of the keys whose windows emptied (so idle keys do not stay in memory)."""

    def __init__(self) -> None:
        self._hits: dict[str, tuple[float, deque[float]]] = {}
        self._until_sweep = self.SWEEP_EVERY

    def hit(self, item: RateLimitItem, ids: Sequence[str]) -> float | None:
        """Count a hit; None when the window admits it, else the seconds until it admits another."""
        now = time.monotonic()
        window = float(item.get_expiry())
        key = item.key_for(*ids)
        entry = self._hits.get(key)
        if entry is None:
            entry = self._hits[key] = (window, deque())
        hits = entry[1]
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= item.amount:
            return hits[0] + window - now
        hits.append(now)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self._sweep(now)
        return None

    def _sweep(self, now: float) -> None:
        self._until_sweep = self.SWEEP_EVERY
        for key, (window, hits) in list(self._hits.items()):
            if not hits or hits[-1] <= now - window:
                del self._hits[key]


class RateLimiter:
    """`hit` counts one request against each of several named limits; the first one exceeded stops it."""

    def __init__(self, redis_url: str | None = None, key_prefix: str = "concierge:rate") -> None:
        self.backend = "redis" if redis_url else "memory"
        self._memory = None if redis_url else MemoryWindows()
        self._limiter: MovingWindowRateLimiter | None = None
        if redis_url:
            uri = redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1)
            self.storage = RedisStorage(uri, implementation="redispy", key_prefix=key_prefix)
            self._limiter = MovingWindowRateLimiter(self.storage)
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
                if self._memory is not None:
                    wait = self._memory.hit(item, ids)
                    if wait is not None:
                        return max(1.0, math.ceil(wait))
                    continue
                assert self._limiter is not None
                if not await self._limiter.hit(item, *ids):
                    stats = await self._limiter.get_window_stats(item, *ids)
                    return max(1.0, math.ceil(stats.reset_time - time.time()))
        return None
