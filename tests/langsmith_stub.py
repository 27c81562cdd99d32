"""A loopback stand-in for the LangSmith API, for the real `langsmith.Client` to send traces to.

It answers `/info` and takes runs as the client sends them (`/runs/multipart`, zstd-compressed or not;
`/runs/batch`; single `POST`/`PATCH /runs`), keeping every run's fields merged by id, as LangSmith would store it;
and feedback as `create_feedback` posts it without a trace id (`POST /feedback`), kept in `feedback`.
"""

import json
from collections import defaultdict
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.loopback import ThreadedServer


class LangSmithStub:
    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = defaultdict(dict)
        self.feedback: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.url = ""
        self._server: ThreadedServer | None = None

    def _merge(self, run: dict[str, Any]) -> None:
        run_id = str(run.get("id"))
        stored = self.runs[run_id]
        for key, value in run.items():
            if key == "extra" and isinstance(value, dict) and isinstance(stored.get("extra"), dict):
                stored["extra"] = {**stored["extra"], **value}
            elif value is not None:
                stored[key] = value

    async def info(self, request: Request) -> Response:
        config = {
            "use_multipart_endpoint": True,
            "scale_up_qsize_trigger": 1000,
            "scale_up_nthreads_limit": 16,
            "scale_down_nempty_trigger": 4,
            "size_limit": 100,
            "size_limit_bytes": 20_971_520,
        }
        return JSONResponse({"version": "0.0.0-stub", "batch_ingest_config": config})

    async def multipart(self, request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "zstd":
            import zstandard

            body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
        self.requests.append(f"{request.method} {request.url.path}")
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + body)
        parts: dict[str, dict[str, Any]] = defaultdict(dict)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition") or ""
            op, run_id, *field = name.split(".")
            payload = json.loads(part.get_payload(decode=True) or b"null")
            if field:
                parts[(op, run_id)][field[0]] = payload  # type: ignore[index]
            else:
                parts[(op, run_id)].update(payload or {})  # type: ignore[index]
        for (_, run_id), run in parts.items():  # type: ignore[misc]
            self._merge({"id": run_id, **run})
        return JSONResponse({}, status_code=202)

    async def batch(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.url.path}")
        body = await request.json()
        for run in [*body.get("post", []), *body.get("patch", [])]:
            self._merge(run)
        return JSONResponse({}, status_code=202)

    async def single(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.url.path}")
        run = await request.json()
        if "run_id" in request.path_params:
            run["id"] = request.path_params["run_id"]
        self._merge(run)
        return JSONResponse({}, status_code=202)

    async def feedback_post(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.url.path}")
        body = await request.json()
        self.feedback.append(body)
        return JSONResponse(body)

    def client(self) -> Any:
        """A real `langsmith.Client` sending here."""
        from langsmith import Client

        return Client(api_url=self.url, api_key="lsv2_test_key", auto_batch_tracing=False)

    async def anything(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return JSONResponse({})

    def roots(self) -> list[dict[str, Any]]:
        return [r for r in self.runs.values() if not r.get("parent_run_id") and r.get("name")]

    def start(self) -> "LangSmithStub":
        app = Starlette(
            routes=[
                Route("/info", self.info),
                Route("/runs/multipart", self.multipart, methods=["POST"]),
                Route("/runs/batch", self.batch, methods=["POST"]),
                Route("/runs", self.single, methods=["POST"]),
                Route("/runs/{run_id}", self.single, methods=["PATCH"]),
                Route("/feedback", self.feedback_post, methods=["POST"]),
                Route("/{path:path}", self.anything, methods=["GET", "POST", "PATCH", "PUT"]),
            ]
        )
        self._server = ThreadedServer(app, "langsmith stub", log_level="critical")
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> "LangSmithStub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
