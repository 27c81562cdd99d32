"""The web search providers: Google Custom Search JSON API and Tavily, over httpx.

Each turns every way a call can fail (a status, a body that is not what the API documents, a timeout, a refused
connection) into a `WebSearchError` with a short `kind`, so the cache above can count failures and fall back.
Endpoints are configurable, which is how the tests point the real clients at stub servers on 127.0.0.1.
"""

import json
from typing import Any

import httpx

from concierge.tools.web.search import WebResult, WebSearchError, site_of

GOOGLE_ENDPOINT = "https://www.googleapis.com/customsearch/v1"
TAVILY_ENDPOINT = "https://api.tavily.com/search"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


async def _call(client: httpx.AsyncClient, request: httpx.Request) -> Any:
    try:
        response = await client.send(request)
    except httpx.TimeoutException as exc:
        raise WebSearchError("timeout", f"no answer in time: {type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise WebSearchError("transport", f"{type(exc).__name__}: {exc}") from None
    if response.status_code == 429:
        raise WebSearchError("rate_limited", "provider answered 429", _retry_after(response))
    if response.status_code >= 400:
        raise WebSearchError(f"http_{response.status_code}", f"provider answered {response.status_code}")
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise WebSearchError("malformed", "provider answered with a body that is not JSON") from None


class GoogleCustomSearch:
    """Google's Custom Search JSON API: `GET ?key=&cx=&q=&num=`, results under `items`."""

    name = "google"

    def __init__(self, api_key: str, engine_id: str, endpoint: str = GOOGLE_ENDPOINT, timeout: float = 1.5) -> None:
        self.api_key, self.engine_id, self.endpoint = api_key, engine_id, endpoint
        self.client = httpx.AsyncClient(timeout=timeout)

    async def search(self, query: str, limit: int) -> list[WebResult]:
        params = {"key": self.api_key, "cx": self.engine_id, "q": query, "num": max(1, min(limit, 10))}
        body = await _call(self.client, self.client.build_request("GET", self.endpoint, params=params))
        if not isinstance(body, dict) or not isinstance(body.get("items", []), list):
            raise WebSearchError("malformed", "Google answer has no list of items")
        results = []
        for rank, item in enumerate(body.get("items", [])):
            if not isinstance(item, dict) or not isinstance(item.get("link"), str):
                raise WebSearchError("malformed", "Google item without a link")
            url = item["link"]
            results.append(
                WebResult(
                    url=url,
                    title=str(item.get("title", "")),
                    snippet=" ".join(str(item.get("snippet", "")).split()),
                    site=str(item.get("displayLink") or site_of(url)).removeprefix("www."),
                    score=round(1 / (1 + rank), 3),
                )
            )
        return results

    async def aclose(self) -> None:
        await self.client.aclose()


class TavilySearch:
    """Tavily's search API: `POST` a JSON query with a bearer key, results under `results`."""

    name = "tavily"

    def __init__(self, api_key: str, endpoint: str = TAVILY_ENDPOINT, timeout: float = 1.5) -> None:
        self.api_key, self.endpoint = api_key, endpoint
        self.client = httpx.AsyncClient(timeout=timeout)

    async def search(self, query: str, limit: int) -> list[WebResult]:
        payload = {"query": query, "max_results": max(1, min(limit, 20)), "search_depth": "basic"}
        headers = {"Authorization": f"Bearer {self.api_key}"}
        body = await _call(self.client, self.client.build_request("POST", self.endpoint, json=payload, headers=headers))
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise WebSearchError("malformed", "Tavily answer has no list of results")
        results = []
        for item in body["results"]:
            if not isinstance(item, dict) or not isinstance(item.get("url"), str):
                raise WebSearchError("malformed", "Tavily result without a url")
            try:
                score = float(item.get("score", 0.0))
            except (TypeError, ValueError):
                score = 0.0
            results.append(
                WebResult(
                    url=item["url"],
                    title=str(item.get("title", "")),
                    snippet=" ".join(str(item.get("content", "")).split())[:1000],
                    site=site_of(item["url"]),
                    score=round(score, 3),
                )
            )
        return results

    async def aclose(self) -> None:
        await self.client.aclose()
