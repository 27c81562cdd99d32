"""Runs on a thread: streamed as Server-Sent Events, or waited for."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from concierge.server.deps import App, ThreadRow
from concierge.server.runs import Event, prepare_input, run_events
from concierge.server.schemas import RunCreate
from concierge.server.serialize import dumps, jsonable

router = APIRouter(prefix="/threads/{thread_id}/runs", tags=["runs"])


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\r\ndata: {dumps(data)}\r\n\r\n".encode()


async def _locked(app: App, thread_id: str, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """Hold the thread's lock for the whole run; it was taken before the response started."""
    try:
        async for event in events:
            yield event
    finally:
        app.release(thread_id)


async def _start(app: App, thread: ThreadRow, body: RunCreate, base_url: str = "") -> AsyncIterator[Event]:
    lock = app.lock(thread.id)
    if lock.locked():
        raise HTTPException(409, f"thread {thread.id} is busy with another run")
    await lock.acquire()
    try:  # fail with 404, 409 or 422 before the response starts
        graph_input = await prepare_input(app, thread, body)
        context = await app.tenant_context(thread.tenant_id, body.context)
    except BaseException:
        app.release(thread.id)
        raise
    return _locked(app, thread.id, run_events(app, thread, body, graph_input, context, base_url))


@router.post("/stream")
async def stream_run(request: Request, thread: ThreadRow, body: RunCreate, app: App) -> StreamingResponse:
    """Run the graph and stream its events: `metadata` first, then what `stream_mode` asked for."""
    events = await _start(app, thread, body, str(request.base_url))

    async def body_bytes() -> AsyncIterator[bytes]:
        async for event, data in events:
            yield sse(event, data)

    return StreamingResponse(body_bytes(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/wait")
async def wait_run(thread: ThreadRow, body: RunCreate, app: App) -> dict[str, Any]:
    """Run the graph to its end or next interrupt; return the final values (with `__interrupt__` if paused)."""
    body = body.model_copy(update={"stream_mode": ["values", "updates"]})
    values: Any = {}
    interrupts: list[Any] = []
    async for event, data in await _start(app, thread, body):
        if event == "values":
            values = data
        elif event == "updates" and "__interrupt__" in data:
            interrupts = list(data["__interrupt__"])
        elif event == "error":
            return {"__error__": data}
    out = jsonable(values)
    if interrupts:
        out["__interrupt__"] = jsonable(interrupts)
    return out
