"""Request bodies have a size limit, enforced while they stream in: a declared `Content-Length` over the limit is
refused with 413 before a byte of the body is read, and a body without one (chunked) is counted as it arrives and
refused the moment it passes the limit, so an oversized upload is never received whole.

Uploads (`POST /documents`) and catalog imports (`POST /catalog/import`) have their own, larger limits; every
other route with a body gets the general one (`CONCIERGE_MAX_BODY_KB`).
"""

import json
from collections.abc import Callable

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_SLACK = 64 * 1024
"""Room for a multipart envelope (boundaries, headers, a title) around a file at the limit."""


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the limit of {_human(limit)} for this route")


def _human(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"


class BodyLimit:
    """ASGI middleware; `limit_for(method, path)` is the largest body accepted, in bytes."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int]) -> None:
        self.app, self.limit_for = app, limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, limit)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)  # FastAPI and Starlette answer an HTTPException raised here as is
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge:
            # Raised outside a route's own handling (a route that reads the stream itself): answer here if we can.
            await _refuse(send, limit)


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"detail": BodyTooLarge(limit).detail}).encode()
    try:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
    except RuntimeError:  # the response had already started: nothing more can be said
        pass
