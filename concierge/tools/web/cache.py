"""Web search with a memory: a 24-hour cache by query hash in the app database, a global rate limit, and a
stale answer (or none) when the provider fails. A failure is logged and counted here, never raised: the
customer's answer goes on with the tenant's own data.
"""

import asyncio
import hashlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import delete

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import WebCacheEntry
from concierge.tools.web.search import WebResult, WebSearch, WebSearchError, results_from_json

log = logging.getLogger(__name__)

FETCH_SIZE = 10
"""Results asked of the provider whatever the caller's limit, so one cache entry serves every limit."""


def cache_key(provider: str, query: str) -> str:
    return hashlib.sha256(f"{provider}\n{' '.join(query.lower().split())}".encode()).hexdigest()


class RateLimiter:
    """A token bucket shared by every tenant of the process, plus a pause a provider's Retry-After asks for."""

    def __init__(self, per_minute: float, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else max(1, int(per_minute // 6) or 1))
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.paused_until = 0.0

    def try_acquire(self) -> bool:
        now = time.monotonic()
        if now < self.paused_until:
            return False
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)


Origin = Literal["cache", "live", "stale", "none"]


@dataclass
class WebOutcome:
    """What a lookup returned and where it came from; `error` is the provider failure behind a stale or empty one."""

    results: list[WebResult]
    origin: Origin
    provider: str
    fetched_at: datetime | None = None
    error: str | None = None


@dataclass
class CachedWebSearch:
    """A provider behind the cache, the rate limit and the failure accounting; a `WebSearch` itself."""

    provider: Any
    db: AppDatabase
    ttl_s: float = 24 * 3600
    keep_s: float = 30 * 24 * 3600
    """Entries older than this are deleted; between `ttl_s` and this they serve only as a stale fallback."""
    timeout_s: float = 1.5
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(60))
    blocked_sites: tuple[str, ...] = ()
    stats: Counter[str] = field(default_factory=Counter)

    @property
    def name(self) -> str:
        return str(getattr(self.provider, "name", type(self.provider).__name__))

    async def search(self, query: str, limit: int) -> list[WebResult]:
        return (await self.lookup(query, limit)).results

    async def lookup(self, query: str, limit: int, timeout: float | None = None) -> WebOutcome:
        """Fresh cache, else the provider, else a stale cache entry, else nothing; never raises.

        `timeout` bounds the cache read and the provider call together (capped by `timeout_s`), leaving the
        caller time to use the fallback inside its own budget.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(timeout or self.timeout_s, self.timeout_s)
        self.stats["lookups"] += 1
        key = cache_key(self.name, query)
        async with self.db.session() as s:
            cached = await s.get(WebCacheEntry, key)
        now = utcnow()
        if cached is not None and now - cached.fetched_at < timedelta(seconds=self.ttl_s):
            self.stats["cache_hits"] += 1
            return WebOutcome(results_from_json(cached.results)[:limit], "cache", self.name, cached.fetched_at)

        try:
            if not self.limiter.try_acquire():
                raise WebSearchError("rate_limited_locally", "global web search rate limit reached")
            self.stats["provider_calls"] += 1
            async with asyncio.timeout_at(deadline):
                results = await self.provider.search(query, FETCH_SIZE)
        except Exception as exc:  # every failure is counted and falls back; cancellation still propagates
            kind = (
                exc.kind if isinstance(exc, WebSearchError) else "timeout" if isinstance(exc, TimeoutError) else "error"
            )
            if isinstance(exc, WebSearchError) and exc.retry_after:
                self.limiter.pause(min(exc.retry_after, 3600))
            return self._fallback(query, cached, limit, kind, str(exc) or type(exc).__name__)

        await self._store(key, query, results, now)
        self.stats["live"] += 1
        return WebOutcome(results[:limit], "live", self.name, now)

    def _fallback(self, query: str, cached: WebCacheEntry | None, limit: int, kind: str, message: str) -> WebOutcome:
        self.stats["failures"] += 1
        self.stats[f"failures.{kind}"] += 1
        error = f"{kind}: {message}"
        if cached is not None:
            self.stats["stale_served"] += 1
            log.warning(
                "web search %s failed for %r (%s); serving the cached answer of %s",
                self.name,
                query,
                error,
                cached.fetched_at.isoformat(),
            )
            return WebOutcome(results_from_json(cached.results)[:limit], "stale", self.name, cached.fetched_at, error)
        log.warning(
            "web search %s failed for %r (%s); no cached answer, going on without the web", self.name, query, error
        )
        return WebOutcome([], "none", self.name, None, error)

    async def _store(self, key: str, query: str, results: list[WebResult], now: datetime) -> None:
        rows = [r.__dict__ for r in results]
        async with self.db.session() as s:
            entry = await s.get(WebCacheEntry, key)
            if entry is None:
                s.add(WebCacheEntry(key=key, provider=self.name, query=query, results=rows, fetched_at=now))
            else:
                entry.results, entry.fetched_at, entry.query = rows, now, query
            await s.execute(
                delete(WebCacheEntry).where(WebCacheEntry.fetched_at < now - timedelta(seconds=self.keep_s))
            )
            await s.commit()

    def status(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "ttl_s": self.ttl_s,
            "rate_per_minute": round(self.limiter.rate * 60, 3),
            "paused_for_s": round(max(0.0, self.limiter.paused_until - time.monotonic()), 1),
            "counters": dict(self.stats),
        }

    async def aclose(self) -> None:
        close = getattr(self.provider, "aclose", None)
        if close is not None:
            await close()


def build_web_search(settings: Any, db: AppDatabase) -> "WebSearch | None":
    """The configured provider behind the cache, or None (web search off) when no key is set."""
    from concierge.tools.web.providers import GoogleCustomSearch, TavilySearch

    choice = (settings.web_provider or "").lower()
    google_ready = bool(settings.google_search_api_key and settings.google_cse_id)
    if choice not in ("", "google", "tavily", "off", "none"):
        raise ValueError(f"CONCIERGE_WEB_PROVIDER must be google, tavily or off, not {settings.web_provider!r}")
    if choice in ("off", "none"):
        return None
    if choice == "google" or (not choice and google_ready):
        if not google_ready:
            return None
        provider: Any = GoogleCustomSearch(
            settings.google_search_api_key, settings.google_cse_id, settings.google_endpoint, settings.web_timeout_s
        )
    elif settings.tavily_api_key:
        provider = TavilySearch(settings.tavily_api_key, settings.tavily_endpoint, settings.web_timeout_s)
    else:
        return None
    return CachedWebSearch(
        provider,
        db,
        ttl_s=settings.web_cache_ttl_s,
        timeout_s=settings.web_timeout_s,
        limiter=RateLimiter(settings.web_rate_per_minute),
        blocked_sites=tuple(s.strip().lower() for s in settings.web_blocked_sites.split(",") if s.strip()),
    )
