"""A stand-in for the LangSmith API on 127.0.0.1: records what the real `langsmith.Client` posts as feedback.

It answers `GET /info` (the client asks once) and `POST /feedback` (`create_feedback` without a trace id posts
right away); anything else the client might send gets an empty 200.
"""

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.loopback import ThreadedServer


class LangSmithStub:
    def __init__(self) -> None:
        self.feedback: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        app = Starlette(
            routes=[
                Route("/info", self._info, methods=["GET"]),
                Route("/feedback", self._feedback, methods=["POST"]),
                Route("/{path:path}", self._other, methods=["GET", "POST", "PATCH", "PUT"]),
            ]
        )
        self.server = ThreadedServer(app, "langsmith stub")
        self.url = ""

    def start(self) -> "LangSmithStub":
        self.url = self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def client(self) -> Any:
        from langsmith import Client

        return Client(api_url=self.url, api_key="lsv2_test_key", auto_batch_tracing=False)

    async def _info(self, request: Request) -> JSONResponse:
        self.requests.append(("GET", "/info"))
        return JSONResponse({"version": "0.10.0", "instance_flags": {}, "batch_ingest_config": {}})

    async def _feedback(self, request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        self.requests.append(("POST", "/feedback"))
        self.feedback.append(body)
        return JSONResponse(body)

    async def _other(self, request: Request) -> JSONResponse:
        self.requests.append((request.method, request.url.path))
        return JSONResponse({})
