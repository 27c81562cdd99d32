"""A stub of the Google Custom Search JSON API and of Tavily's search API, served over real HTTP on 127.0.0.1.

It answers like the real services (same paths, parameters, bodies and error shapes), and on demand fails the
ways they do: 429 with Retry-After, 500, a body that is not JSON, a hang past any client timeout. Every request
is recorded so tests can check what the real clients sent.
"""

import asyncio
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.loopback import ThreadedServer

PEN_HITS = [
    {
        "title": "Ad · Kestrel KF-200 fountain pen, 20% off today",
        "link": "https://www.googleadservices.com/pagead/aclk?sa=L&adurl=https://pens.example/kf200",
        "displayLink": "www.googleadservices.com",
        "snippet": "Sponsored. Kestrel KF-200 deals.",
    },
    {
        "title": "Kestrel KF-200 review: a steel-nib workhorse",
        "link": "https://www.penreviews.example/kestrel-kf-200",
        "displayLink": "www.penreviews.example",
        "snippet": "The Kestrel KF-200 has a medium steel nib, a converter included, and weighs 22 g uncapped.",
    },
    {
        "title": "Kestrel (bird) - facts about the common kestrel",
        "link": "https://birds.example/kestrel",
        "displayLink": "birds.example",
        "snippet": "The common kestrel hovers over fields hunting voles.",
    },
    {
        "title": "Kestrel Fountain Pen KF-200 specifications",
        "link": "https://kestrel-pens.example/kf-200",
        "displayLink": "kestrel-pens.example",
        "snippet": "KF-200: brass barrel, lacquer finish, international short cartridges.",
    },
]


class WebStub:
    """Both APIs on one loopback server; set `mode` to "ok", "429", "500", "malformed", "hang" or "empty"."""

    def __init__(self, hits: list[dict[str, Any]] | None = None) -> None:
        self.mode = "ok"
        self.hits = hits if hits is not None else PEN_HITS
        self.requests: list[dict[str, Any]] = []
        self.url = ""
        self._server: ThreadedServer | None = None

    async def _failure(self, request: Request) -> Response | None:
        if self.mode == "429":
            body = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
            return JSONResponse(body, status_code=429, headers={"Retry-After": "30"})
        if self.mode == "500":
            return JSONResponse({"error": {"code": 500, "message": "Backend Error"}}, status_code=500)
        if self.mode == "malformed":
            return Response('{"items": [{"title": "cut off', media_type="application/json")
        if self.mode == "hang":  # until the client gives up, as a stuck backend would
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.05)
        return None

    async def google(self, request: Request) -> Response:
        self.requests.append({"api": "google", "params": dict(request.query_params)})
        if not request.query_params.get("key") or not request.query_params.get("cx"):
            return JSONResponse({"error": {"code": 400, "message": "Missing key or cx"}}, status_code=400)
        failure = await self._failure(request)
        if failure is not None:
            return failure
        num = int(request.query_params.get("num", "10"))
        body: dict[str, Any] = {"kind": "customsearch#search", "searchInformation": {"totalResults": "4"}}
        if self.mode != "empty":
            body["items"] = [{"kind": "customsearch#result", **h} for h in self.hits[:num]]
        return JSONResponse(body)

    async def tavily(self, request: Request) -> Response:
        payload = await request.json()
        self.requests.append({"api": "tavily", "json": payload, "auth": request.headers.get("authorization")})
        if request.headers.get("authorization", "") != "Bearer tvly-test":
            return JSONResponse({"detail": {"error": "Unauthorized: missing or invalid API key."}}, status_code=401)
        failure = await self._failure(request)
        if failure is not None:
            return failure
        results = [
            {"title": h["title"], "url": h["link"], "content": h["snippet"], "score": 0.9 - i / 10, "raw_content": None}
            for i, h in enumerate(self.hits[: payload.get("max_results", 5)])
        ]
        return JSONResponse({"query": payload["query"], "results": [] if self.mode == "empty" else results})

    def start(self) -> "WebStub":
        app = Starlette(
            routes=[
                Route("/customsearch/v1", self.google, methods=["GET"]),
                Route("/search", self.tavily, methods=["POST"]),
                Route("/ok", lambda r: JSONResponse({"ok": True})),
            ]
        )
        self._server = ThreadedServer(app, "web stub")
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        assert self._server
        self._server.stop()

    @property
    def google_endpoint(self) -> str:
        return f"{self.url}/customsearch/v1"

    @property
    def tavily_endpoint(self) -> str:
        return f"{self.url}/search"
