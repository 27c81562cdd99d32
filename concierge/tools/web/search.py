"""Web search behind one interface; off unless a provider is configured.

The providers (Google Custom Search, Tavily) live in `web_providers.py`, the 24-hour cache, rate limit and
failure accounting in `webcache.py`. This module holds what they share: the result record, the protocol, the
query built from a catalog product, and the filter that drops ads and hits about something else.
"""

import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from rapidfuzz import fuzz

from concierge.tools.analysis.text import keywords


@dataclass(frozen=True)
class WebResult:
    url: str
    title: str
    snippet: str
    site: str
    score: float


class WebSearch(Protocol):
    """A web search provider (Google Custom Search, Tavily) as `retrieve_web` sees it."""

    async def search(self, query: str, limit: int) -> list[WebResult]: ...


class WebSearchError(Exception):
    """A provider call that failed: `kind` is what the failure counters are keyed by."""

    def __init__(self, kind: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


def query_for_product(name: str, brand: str | None, model_number: str | None, category: str) -> str:
    """A search query naming one product precisely: brand, name, model and category, each word once."""
    seen: dict[str, None] = {}
    for part in (brand or "", name, model_number or "", category):
        for word in part.split():
            if word.lower() not in {w.lower() for w in seen}:
                seen.setdefault(word, None)
    return " ".join(seen)


_AD_HOSTS = ("googleadservices.com", "doubleclick.net", "googlesyndication.com", "adservice.google.", "bing.com/aclk")
_AD_PARAMS = {"gclid", "gclsrc", "dclid", "msclkid", "adurl"}
_AD_TITLE = re.compile(r"^\s*(ad|ads|sponsored|anzeige|publicité)\b\s*[·:|\-–]", re.I)


def is_ad(result: WebResult) -> bool:
    parts = urlsplit(result.url)
    host_path = f"{parts.netloc.lower()}{parts.path.lower()}"
    if any(h in host_path for h in _AD_HOSTS) or "/aclk" in parts.path.lower() or "/pagead/" in parts.path.lower():
        return True
    if _AD_PARAMS & set(parse_qs(parts.query)):
        return True
    return bool(_AD_TITLE.match(result.title))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def relevant(result: WebResult, name: str, model_number: str | None) -> bool:
    """Does the hit talk about this product: its model number, or most of the words of its name?"""
    text = f"{result.title} {result.snippet}"
    if model_number and len(_norm(model_number)) >= 3 and _norm(model_number) in _norm(text):
        return True
    wanted = keywords(name)
    if not wanted:
        return False
    found = set(keywords(text))
    hits = sum(
        1 for w in wanted if w in found or any(fuzz.ratio(w, f) >= 85 for f in found if abs(len(f) - len(w)) <= 2)
    )
    return hits / len(wanted) >= 0.6


def filter_results(
    results: list[WebResult],
    *,
    name: str,
    model_number: str | None = None,
    blocked_sites: tuple[str, ...] = (),
    limit: int = 5,
) -> list[WebResult]:
    """Drop ads, blocked sites, duplicates and hits about something else; keep the provider's order."""
    kept, seen = [], set()
    for r in results:
        if not r.url.startswith(("http://", "https://")) or is_ad(r):
            continue
        sites = {r.site.lower().removeprefix("www."), site_of(r.url)}
        if any(site == b or site.endswith("." + b) for b in blocked_sites for site in sites):
            continue
        key = r.url.split("#")[0].rstrip("/")
        if key in seen or not relevant(r, name, model_number):
            continue
        seen.add(key)
        kept.append(r)
    return kept[:limit]


def site_of(url: str) -> str:
    return urlsplit(url).netloc.lower().removeprefix("www.")


def results_from_json(rows: list[dict[str, Any]]) -> list[WebResult]:
    return [WebResult(r["url"], r["title"], r["snippet"], r["site"], float(r["score"])) for r in rows]
