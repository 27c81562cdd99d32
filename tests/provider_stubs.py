"""Loopback stand-ins for the OpenAI and Gemini HTTP APIs, for the real LangChain clients to talk to.

Each stub is a small Starlette app under uvicorn on 127.0.0.1, speaking the provider's wire format on the paths
its client calls, for the locked client versions and the newest ones (`scripts/test-latest`): OpenAI chat
completions (JSON and SSE chunks, usage chunk, `[DONE]`), the Responses API and embeddings; Gemini's
`generateContent` / `streamGenerateContent?alt=sse` / `batchEmbedContents` under both `/v1` (google-genai 3.x)
and `/v1beta` (older releases). A test scripts what each call gets, in order: an answer,
429 with Retry-After, 500, a hang, a context-length error, or a stream that breaks after a few tokens. The
benchmark passes a function instead, to inject faults at random.
"""

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.loopback import ThreadedServer

ReplyKind = Literal["answer", "rate_limit", "server_error", "hang", "context_length", "break", "stream_error"]


@dataclass
class Reply:
    """What one call gets. `text` None means "Answer from <model> [1]."."""

    kind: ReplyKind = "answer"
    text: str | None = None
    retry_after: str | None = None
    """Retry-After header value (seconds or an HTTP date)."""
    retry_after_ms: int | None = None
    """OpenAI's own `retry-after-ms` header; Gemini gets it as RetryInfo's `retryDelay` in the error body."""
    hang_s: float = 30.0
    break_after: int = 2
    """Chunks sent before a `break` stream dies."""
    chunk_delay_s: float = 0.0


def answer(text: str | None = None, **kw: Any) -> Reply:
    return Reply("answer", text, **kw)


def rate_limited(retry_after: str | None = None, retry_after_ms: int | None = None) -> Reply:
    return Reply("rate_limit", retry_after=retry_after, retry_after_ms=retry_after_ms)


def server_error() -> Reply:
    return Reply("server_error")


def hang(seconds: float = 30.0) -> Reply:
    return Reply("hang", hang_s=seconds)


def context_too_long() -> Reply:
    return Reply("context_length")


def breaks_after(chunks: int = 2, text: str | None = None) -> Reply:
    """The connection drops after `chunks` chunks."""
    return Reply("break", text, break_after=chunks)


def errors_after(chunks: int = 2, text: str | None = None) -> Reply:
    """The stream carries an error event after `chunks` chunks, as OpenAI does when a generation fails."""
    return Reply("stream_error", text, break_after=chunks)


@dataclass
class Seen:
    model: str
    stream: bool
    at: float
    body: dict[str, Any] = field(repr=False)
    path: str = ""
    """The path the client called, e.g. `/v1/models/gemini-2.5-flash:generateContent`."""


def _words(text: str) -> list[str]:
    parts = text.split(" ")
    return [p if i == 0 else " " + p for i, p in enumerate(parts)]


class StubProvider:
    """A provider API on a loopback port. Script replies per model with `script`; unscripted calls get `default`."""

    name = "stub"

    def __init__(self, default: Callable[[str, int], Reply] | None = None) -> None:
        self.default = default or (lambda model, n: answer())
        self.scripts: dict[str, deque[Reply]] = {}
        self.seen: list[Seen] = []
        self.url = ""
        self._server: ThreadedServer | None = None
        self._stopping = threading.Event()

    def reset(self) -> "StubProvider":
        """Forget scripts and calls, answer by default: one server can serve many tests."""
        self.default = lambda model, n: answer()
        self.scripts.clear()
        self.seen.clear()
        return self

    def script(self, model: str, *replies: Reply) -> "StubProvider":
        self.scripts.setdefault(model, deque()).extend(replies)
        return self

    def calls(self, model: str | None = None) -> list[Seen]:
        return [s for s in self.seen if model is None or s.model == model]

    def next_reply(self, model: str) -> Reply:
        queue = self.scripts.get(model)
        if queue:
            return queue.popleft()
        return self.default(model, len(self.calls(model)))

    def text_for(self, model: str, reply: Reply) -> str:
        return reply.text if reply.text is not None else f"Answer from {model} [1]."

    def routes(self) -> list[Route]:
        raise NotImplementedError

    async def _hang(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self._stopping.is_set():
            await asyncio.sleep(0.05)

    def start(self) -> "StubProvider":
        self._server = ThreadedServer(Starlette(routes=self.routes()), f"{self.name} stub", log_level="critical")
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.stop(timeout_s=10)

    def __enter__(self) -> "StubProvider":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _health(_: Request) -> Response:
    return Response("ok")


class OpenAIStub(StubProvider):
    """The OpenAI API as the `openai` client calls it (`ChatOpenAI(base_url=stub.base_url)`).

    `POST /v1/chat/completions` (JSON, or SSE chunks with a usage chunk and `[DONE]`); `POST /v1/responses`, the
    Responses API, which langchain-openai takes for Responses-only models (`*-pro`, `codex`) and reasoning options
    (JSON, or typed SSE events); `POST /v1/embeddings`. Each call takes the next scripted reply of its model.
    """

    name = "openai"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def routes(self) -> list[Route]:
        return [
            Route("/v1/chat/completions", self.completions, methods=["POST"]),
            Route("/v1/responses", self.responses, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
            Route("/v1/files", self.upload, methods=["POST"]),
            Route("/v1/fine_tuning/jobs", self.create_job, methods=["POST"]),
            Route("/v1/fine_tuning/jobs/{job_id}", self.retrieve_job, methods=["GET"]),
            Route("/healthz", _health),
        ]

    # Fine-tuning: files are kept as uploaded; a job moves validating_files -> running -> succeeded, one step per
    # retrieve (or to `fine_tune_outcome` "failed"), and then names its model `ft:<base>:concierge::<job>`.
    files: dict[str, dict[str, Any]]
    jobs: dict[str, dict[str, Any]]
    fine_tune_outcome: str = "succeeded"

    def _ft_state(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        if not hasattr(self, "files"):
            self.files, self.jobs = {}, {}
        return self.files, self.jobs

    async def upload(self, request: Request) -> Response:
        files, _ = self._ft_state()
        form = await request.form()
        upload = form["file"]
        content = await upload.read()  # type: ignore[union-attr]
        file_id = f"file-{len(files) + 1:04d}"
        files[file_id] = {"purpose": form.get("purpose"), "filename": upload.filename, "content": content}  # type: ignore[union-attr]
        return JSONResponse(
            {
                "id": file_id,
                "object": "file",
                "bytes": len(content),
                "created_at": int(time.time()),
                "filename": upload.filename,  # type: ignore[union-attr]
                "purpose": form.get("purpose"),
                "status": "processed",
            }
        )

    def _job(self, job: dict[str, Any]) -> dict[str, Any]:
        return {
            "object": "fine_tuning.job",
            "created_at": job["created_at"],
            "error": job.get("error"),
            "fine_tuned_model": job.get("fine_tuned_model"),
            "finished_at": job.get("finished_at"),
            "hyperparameters": {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"},
            "organization_id": "org-stub",
            "result_files": [],
            "seed": 7,
            "trained_tokens": job.get("trained_tokens"),
            **{k: job[k] for k in ("id", "model", "status", "training_file", "validation_file")},
        }

    async def create_job(self, request: Request) -> Response:
        files, jobs = self._ft_state()
        body = await request.json()
        for key in ("training_file", "validation_file"):
            if body.get(key) is not None and body[key] not in files:
                error = {"message": f"invalid {key}: {body[key]}", "type": "invalid_request_error", "param": key}
                return JSONResponse({"error": error}, status_code=400)
        job_id = f"ftjob-{len(jobs) + 1:04d}"
        jobs[job_id] = {
            "id": job_id,
            "model": body["model"],
            "status": "validating_files",
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "created_at": int(time.time()),
            "suffix": body.get("suffix"),
        }
        return JSONResponse(self._job(jobs[job_id]))

    async def retrieve_job(self, request: Request) -> Response:
        _, jobs = self._ft_state()
        job = jobs.get(request.path_params["job_id"])
        if job is None:
            return JSONResponse({"error": {"message": "no such job", "type": "invalid_request_error"}}, status_code=404)
        order = ["validating_files", "running", self.fine_tune_outcome]
        if job["status"] in order[:-1]:
            job["status"] = order[order.index(job["status"]) + 1]
        if job["status"] == "succeeded" and not job.get("fine_tuned_model"):
            job["fine_tuned_model"] = f"ft:{job['model']}:concierge::{job['id'][-4:]}"
            job["finished_at"], job["trained_tokens"] = int(time.time()), 1234
        if job["status"] == "failed" and not job.get("error"):
            job["error"] = {"code": "invalid_training_file", "message": "too few examples", "param": "training_file"}
        return JSONResponse(self._job(job))

    async def _receive(self, request: Request) -> tuple[dict[str, Any], str, bool, Reply]:
        body = await request.json()
        model, stream = body.get("model", ""), bool(body.get("stream"))
        self.seen.append(Seen(model, stream, time.monotonic(), body, request.url.path))
        return body, model, stream, self.next_reply(model)

    async def _fault(self, reply: Reply, prompt_tokens: int, param: str = "messages") -> Response | None:
        """The HTTP answer of a failing call (the same on every endpoint), or None when the call succeeds."""
        if reply.kind == "hang":
            await self._hang(reply.hang_s)
            return JSONResponse({"error": {"message": "hung", "type": "server_error"}}, status_code=504)
        if reply.kind == "rate_limit":
            headers = {}
            if reply.retry_after is not None:
                headers["retry-after"] = reply.retry_after
            if reply.retry_after_ms is not None:
                headers["retry-after-ms"] = str(reply.retry_after_ms)
            error = {"message": "Rate limit reached for requests", "type": "requests", "code": "rate_limit_exceeded"}
            return JSONResponse({"error": error}, status_code=429, headers=headers)
        if reply.kind == "server_error":
            error = {"message": "The server had an error while processing your request.", "type": "server_error"}
            return JSONResponse({"error": error}, status_code=500)
        if reply.kind == "context_length":
            error = {
                "message": f"This model's maximum context length is 128000 tokens. However, your messages resulted "
                f"in {prompt_tokens + 128000} tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": param,
                "code": "context_length_exceeded",
            }
            return JSONResponse({"error": error}, status_code=400)
        return None

    async def completions(self, request: Request) -> Response:
        body, model, stream, reply = await self._receive(request)
        prompt_tokens = max(len(json.dumps(body.get("messages", []))) // 4, 1)
        if fault := await self._fault(reply, prompt_tokens):
            return fault
        text = self.text_for(model, reply)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text.split()),
            "total_tokens": prompt_tokens + len(text.split()),
        }
        if not stream:
            return JSONResponse(
                {
                    "id": f"chatcmpl-{len(self.seen)}",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                    ],
                    "usage": usage,
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return StreamingResponse(
            self._sse(model, text, usage if include_usage else None, reply), media_type="text/event-stream"
        )

    async def _sse(self, model: str, text: str, usage: dict | None, reply: Reply) -> AsyncIterator[str]:
        base = {"id": f"chatcmpl-{len(self.seen)}", "object": "chat.completion.chunk", "created": int(time.time())}
        base["model"] = model

        def chunk(delta: dict, finish: str | None = None) -> str:
            payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(payload)}\n\n"

        yield chunk({"role": "assistant", "content": ""})
        for i, word in enumerate(_words(text)):
            if reply.kind == "break" and i == reply.break_after:
                raise ConnectionResetError("stub: the stream dies mid-answer")
            if reply.kind == "stream_error" and i == reply.break_after:
                error = {"message": "The server had an error while processing your request.", "type": "server_error"}
                yield f"data: {json.dumps({'error': error})}\n\n"
                return
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
            yield chunk({"content": word})
        yield chunk({}, "stop")
        if usage is not None:
            yield f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n"
        yield "data: [DONE]\n\n"

    async def responses(self, request: Request) -> Response:
        body, model, stream, reply = await self._receive(request)
        prompt_tokens = max(len(json.dumps(body.get("input", []))) // 4, 1)
        if fault := await self._fault(reply, prompt_tokens, param="input"):
            return fault
        text = self.text_for(model, reply)
        n = len(self.seen)
        usage = {
            "input_tokens": prompt_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": len(text.split()),
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + len(text.split()),
        }
        message = {"type": "message", "id": f"msg_{n}", "status": "completed", "role": "assistant"}
        message["content"] = [{"type": "output_text", "text": text, "annotations": []}]
        response = {
            "id": f"resp_{n}",
            "object": "response",
            "created_at": int(time.time()),
            "status": "completed",
            "model": model,
            "output": [message],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
            "usage": usage,
        }
        if not stream:
            return JSONResponse(response)
        return StreamingResponse(self._response_events(response, reply), media_type="text/event-stream")

    async def _response_events(self, response: dict[str, Any], reply: Reply) -> AsyncIterator[str]:
        """The Responses API's typed events: created, the message item, text deltas, done, completed."""
        sequence = 0

        def event(kind: str, **data: Any) -> str:
            nonlocal sequence
            sequence += 1
            return f"event: {kind}\ndata: {json.dumps({'type': kind, 'sequence_number': sequence, **data})}\n\n"

        message = response["output"][0]
        text = message["content"][0]["text"]
        started = {**response, "status": "in_progress", "output": [], "usage": None}
        at = {"item_id": message["id"], "output_index": 0, "content_index": 0}
        yield event("response.created", response=started)
        yield event("response.in_progress", response=started)
        yield event(
            "response.output_item.added", output_index=0, item={**message, "status": "in_progress", "content": []}
        )
        yield event("response.content_part.added", **at, part={"type": "output_text", "text": "", "annotations": []})
        for i, word in enumerate(_words(text)):
            if reply.kind == "break" and i == reply.break_after:
                raise ConnectionResetError("stub: the stream dies mid-answer")
            if reply.kind == "stream_error" and i == reply.break_after:
                yield event("error", code="server_error", message="The server had an error processing your request.")
                return
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
            yield event("response.output_text.delta", **at, delta=word)
        yield event("response.output_text.done", **at, text=text)
        yield event("response.content_part.done", **at, part=message["content"][0])
        yield event("response.output_item.done", output_index=0, item=message)
        yield event("response.completed", response=response)

    async def embeddings(self, request: Request) -> Response:
        body, model, _, reply = await self._receive(request)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if fault := await self._fault(reply, max(len(json.dumps(texts)) // 4, 1), param="input"):
            return fault
        data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(texts)]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        return JSONResponse({"object": "list", "data": data, "model": model, "usage": usage})


def _vector(text: Any) -> list[float]:
    """A small deterministic embedding: tests check shapes and which text went where."""
    return [float(len(str(text))), 1.0, 2.0]


class GeminiStub(StubProvider):
    """`POST /{version}/models/{model}:generateContent` and `:streamGenerateContent?alt=sse`, as google-genai calls
    them (`ChatGoogleGenerativeAI(base_url=stub.url)`). Google serves both API versions, and so does the stub:
    google-genai 3.x calls `v1`, older releases (and `api_version="v1beta"`) call `v1beta`."""

    name = "gemini"
    versions = ("v1", "v1beta")

    @property
    def base_url(self) -> str:
        return self.url

    def routes(self) -> list[Route]:
        generate = [Route(f"/{v}/models/{{rest:path}}", self.generate, methods=["POST"]) for v in self.versions]
        return [*generate, Route("/healthz", _health)]

    @staticmethod
    def _error(code: int, status: str, message: str, details: list | None = None, headers: dict | None = None):
        error: dict[str, Any] = {"code": code, "message": message, "status": status}
        if details:
            error["details"] = details
        return JSONResponse({"error": error}, status_code=code, headers=headers)

    async def _fault(self, reply: Reply, prompt_tokens: int) -> Response | None:
        """The HTTP answer of a failing call (the same for every method), or None when the call succeeds."""
        if reply.kind == "hang":
            await self._hang(reply.hang_s)
            return self._error(504, "DEADLINE_EXCEEDED", "hung")
        if reply.kind == "rate_limit":
            details = []
            if reply.retry_after_ms is not None:
                delay = f"{reply.retry_after_ms / 1000:g}s"
                details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
            headers = {"retry-after": reply.retry_after} if reply.retry_after is not None else None
            message = "You exceeded your current quota, please check your plan and billing details."
            return self._error(429, "RESOURCE_EXHAUSTED", message, details, headers)
        if reply.kind == "server_error":
            return self._error(500, "INTERNAL", "An internal error has occurred. Please retry.")
        if reply.kind == "context_length":
            message = (
                f"The input token count ({prompt_tokens + 1048576}) exceeds the maximum number of tokens "
                "allowed (1048576)."
            )
            return self._error(400, "INVALID_ARGUMENT", message)
        return None

    async def _embed(self, method: str, body: dict[str, Any], reply: Reply) -> Response:
        requests = body["requests"] if method == "batchEmbedContents" else [body]
        texts = [" ".join(p.get("text", "") for p in r["content"]["parts"]) for r in requests]
        if fault := await self._fault(reply, max(len(json.dumps(texts)) // 4, 1)):
            return fault
        vectors = [{"values": [float(len(t)), 0.0, 1.0, 2.0]} for t in texts]
        return JSONResponse({"embeddings": vectors} if method == "batchEmbedContents" else {"embedding": vectors[0]})

    async def generate(self, request: Request) -> Response:
        """`{model}:{method}`: generate, stream (`?alt=sse`, as the client always asks), or embed."""
        model, _, method = request.path_params["rest"].partition(":")
        if method == "streamGenerateContent" and request.query_params.get("alt") != "sse":
            return self._error(400, "INVALID_ARGUMENT", "stub: streams are served as SSE only (?alt=sse)")
        if method not in ("generateContent", "streamGenerateContent", "embedContent", "batchEmbedContents"):
            return self._error(404, "NOT_FOUND", f"stub: no method {method!r}")
        body = await request.json()
        stream = method == "streamGenerateContent"
        self.seen.append(Seen(model, stream, time.monotonic(), body, request.url.path))
        reply = self.next_reply(model)
        if method in ("embedContent", "batchEmbedContents"):
            return await self._embed(method, body, reply)
        prompt_tokens = max(len(json.dumps(body.get("contents", []))) // 4, 1)
        if fault := await self._fault(reply, prompt_tokens):
            return fault
        text = self.text_for(model, reply)
        out_tokens = len(text.split())
        usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": out_tokens}
        usage["totalTokenCount"] = prompt_tokens + out_tokens
        if not stream:
            return JSONResponse(
                {
                    "candidates": [
                        {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
                    ],
                    "usageMetadata": usage,
                    "modelVersion": model,
                }
            )
        return StreamingResponse(self._sse(model, text, usage, reply), media_type="text/event-stream")

    async def _sse(self, model: str, text: str, usage: dict, reply: Reply) -> AsyncIterator[str]:
        words = _words(text)
        for i, word in enumerate(words):
            if reply.kind == "break" and i == reply.break_after:
                raise ConnectionResetError("stub: the stream dies mid-answer")
            if reply.chunk_delay_s:
                await asyncio.sleep(reply.chunk_delay_s)
            candidate: dict[str, Any] = {"content": {"parts": [{"text": word}], "role": "model"}, "index": 0}
            payload: dict[str, Any] = {"candidates": [candidate], "modelVersion": model}
            if i == len(words) - 1:
                candidate["finishReason"] = "STOP"
                payload["usageMetadata"] = usage
            yield f"data: {json.dumps(payload)}\n\n"
