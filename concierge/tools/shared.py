"""State the replicas share through Redis when `REDIS_URL` is set: provider health and the web search rate.

Both stay decided in process, where generation and retrieval ask for them without waiting on the network; a sync
task exchanges them with Redis a few times a second:
- provider health: every replica's calls land in one window per model (a sorted set), each replica judges the
  whole window, and a circuit one replica opens (a timestamp) is open on all of them until its cooldown ends;
- the web search rate: calls are counted per minute across replicas; once the shared count reaches the limit,
  every replica pauses until the minute is over, and a provider's Retry-After pauses them all.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from typing import Any

from concierge.tools.llm.health import HealthPolicy, HealthTracker
from concierge.tools.web.cache import RateLimiter

log = logging.getLogger(__name__)


class SharedHealthTracker(HealthTracker):
    """A `HealthTracker` whose window and open circuits are the union of every replica's."""

    def __init__(self, redis: Any, prefix: str, policy: HealthPolicy | None = None) -> None:
        super().__init__(policy)
        self.redis, self.prefix = redis, prefix
        self.replica = uuid.uuid4().hex[:8]
        self._outbox: deque[tuple[str, float, bool]] = deque()
        self._counter = 0

    def record(self, name: str, ok: bool) -> Any:
        state = super().record(name, ok)
        self._outbox.append((name, time.time(), ok))
        return state

    def _key(self, name: str, what: str) -> str:
        return f"{self.prefix}health:{name}:{what}"

    async def sync(self) -> None:
        """Push this replica's new calls and open circuits; pull everyone's window and circuits."""
        now_wall, now_mono = time.time(), self.clock()
        pushed: dict[str, list[tuple[float, bool]]] = {}
        while self._outbox:
            name, at, ok = self._outbox.popleft()
            pushed.setdefault(name, []).append((at, ok))
        with self._lock:
            names = set(self._models)
            opened = {
                n: now_wall + max(self.policy.cooldown_s - (now_mono - h.opened_at), 0.0)
                for n, h in self._models.items()
                if h.state == "unhealthy"
            }
        async with self.redis.pipeline(transaction=False) as pipe:
            for name, calls in pushed.items():
                for at, ok in calls:
                    self._counter += 1
                    pipe.zadd(self._key(name, "calls"), {f"{self.replica}:{self._counter}:{int(ok)}": at})
                pipe.sadd(f"{self.prefix}health:models", name)
            for name, until in opened.items():
                pipe.zadd(self._key(name, "open"), {"until": until}, gt=True)
            await pipe.execute()
        known = {
            k.decode() if isinstance(k, bytes) else k for k in await self.redis.smembers(f"{self.prefix}health:models")
        }
        names |= known
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in sorted(names):
                pipe.zremrangebyscore(self._key(name, "calls"), "-inf", now_wall - self.policy.window_s)
                pipe.zrange(self._key(name, "calls"), 0, -1, withscores=True)
                pipe.zscore(self._key(name, "open"), "until")
            results = await pipe.execute()
        for i, name in enumerate(sorted(names)):
            calls, until = results[3 * i + 1], results[3 * i + 2]
            self._merge(name, calls, until, now_wall, now_mono)

    def _merge(self, name: str, calls: list[Any], open_until: float | None, now_wall: float, now_mono: float) -> None:
        window = sorted(
            (now_mono - (now_wall - at), (m.decode() if isinstance(m, bytes) else m).endswith(":1")) for m, at in calls
        )
        with self._lock:
            h = self._get(name)
            if h.state == "probing":
                return  # this replica's single probe decides; the others follow its outcome
            h.calls = deque(window)
            if open_until is not None and open_until > now_wall and h.state == "healthy":
                h.opened_at = now_mono - (self.policy.cooldown_s - (open_until - now_wall))
                self._move(h, "unhealthy", "opened by another replica")
                return
            failures = sum(1 for _, good in h.calls if not good)
            if (
                h.state == "healthy"
                and len(h.calls) >= self.policy.min_calls
                and failures / len(h.calls) > self.policy.failure_rate
            ):
                h.opened_at = now_mono
                self._move(h, "unhealthy", f"{failures} of {len(h.calls)} calls failed, across replicas")


class SharedRateLimiter(RateLimiter):
    """The web search rate limit counted across replicas (per minute), with a shared Retry-After pause."""

    def __init__(self, redis: Any, prefix: str, per_minute: float, burst: int | None = None) -> None:
        super().__init__(per_minute, burst)
        self.redis, self.prefix, self.per_minute = redis, prefix, per_minute
        self._spent = 0
        self._shared_pause = 0.0

    def try_acquire(self) -> bool:
        if time.time() < self._shared_pause:
            return False
        ok = super().try_acquire()
        if ok:
            self._spent += 1
        return ok

    def pause(self, seconds: float) -> None:
        super().pause(seconds)
        self._shared_pause = max(self._shared_pause, time.time() + seconds)

    async def sync(self) -> None:
        now = time.time()
        minute = int(now // 60)
        spent, self._spent = self._spent, 0
        key = f"{self.prefix}rate:web:{minute}"
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.incrby(key, spent)
            pipe.expire(key, 120)
            if self._shared_pause > now:
                pipe.zadd(f"{self.prefix}rate:web:pause", {"until": self._shared_pause}, gt=True)
            pipe.zscore(f"{self.prefix}rate:web:pause", "until")
            results = await pipe.execute()
        total, paused_until = int(results[0]), results[-1]
        if paused_until and paused_until > now:
            self._shared_pause = max(self._shared_pause, paused_until)
            super().pause(paused_until - now)
        if total >= self.per_minute:  # the replicas spent this minute's calls between them
            until = (minute + 1) * 60
            self._shared_pause = max(self._shared_pause, until)
            super().pause(until - now)


class SharedState:
    """Swaps a toolbox's provider health and web rate limiter for shared ones and keeps them in sync."""

    def __init__(self, tools: Any, redis: Any, prefix: str, interval_s: float = 0.25) -> None:
        self.tools, self.redis, self.prefix, self.interval_s = tools, redis, prefix, interval_s
        self._task: asyncio.Task | None = None

    @classmethod
    def attach(cls, tools: Any) -> "SharedState | None":
        settings = tools.settings
        if not settings.redis_url:
            return None
        import redis.asyncio as aioredis

        redis = aioredis.Redis.from_url(settings.redis_url)
        state = cls(tools, redis, settings.redis_prefix)
        tools.health = SharedHealthTracker(redis, settings.redis_prefix, tools.health.policy)
        web = getattr(tools, "web", None)
        if web is not None and hasattr(web, "limiter"):
            web.limiter = SharedRateLimiter(redis, settings.redis_prefix, settings.web_rate_per_minute)
        return state

    def start(self) -> "SharedState":
        self._task = asyncio.create_task(self._run(), name="shared-state-sync")
        return self

    async def sync(self) -> None:
        await self.tools.health.sync()
        limiter = getattr(getattr(self.tools, "web", None), "limiter", None)
        if isinstance(limiter, SharedRateLimiter):
            await limiter.sync()

    async def _run(self) -> None:
        while True:
            try:
                await self.sync()
            except Exception:
                log.exception("shared state: Redis sync failed; deciding from this replica's view meanwhile")
            await asyncio.sleep(self.interval_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self.sync()
        await self.redis.aclose()
