"""Runs on a thread: streamed as Server-Sent Events, or waited for."""

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Security
from fastapi.responses import StreamingResponse

from concierge.server.auth import Principal, customer
from concierge.server.deps import App, CurrentPrincipal, ThreadRow
from concierge.server.runs import Event, pending_interrupts, prepare_input, run_events
from concierge.server.schemas import RunCreate
from concierge.server.serialize import dumps, jsonable
from concierge.state.human import interrupt_kind

# Every run route is on one thread (`ThreadRow`), so a publishable key needs that thread's token.
router = APIRouter(
    prefix="/threads/{thread_id}/runs", tags=["runs"], dependencies=[Security(customer, scopes=["chat"])]
)


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\r\ndata: {dumps(data)}\r\n\r\n".encode()


async def _locked(app: App, thread_id: str, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """Hold the thread's lock for the whole run; it was taken before the response started."""
    try:
        async for event in events:
            yield event
    finally:
        app.release(thread_id)


async def check_command(app: App, thread_id: str, body: RunCreate, principal: Principal) -> None:
    """`command.update` and `command.goto` write the graph's state directly: an admin's tool, never a customer's.
    Resuming a handoff speaks as the human agent: it needs `handoff:resolve`, so a customer cannot answer itself."""
    cmd = body.command
    if cmd is None:
        return
    if (cmd.update is not None or cmd.goto) and not principal.has("admin"):
        raise HTTPException(403, "command.update and command.goto need the `admin` scope; customers send resume")
    if cmd.resume is not None and not principal.has("handoff:resolve"):
        pending = await pending_interrupts(app, thread_id)
        if any(interrupt_kind(i.value) == "handoff" for i in pending):
            raise HTTPException(403, "answering a handoff needs the `handoff:resolve` scope (a human agent's key)")


async def _start(
    app: App, thread: ThreadRow, body: RunCreate, principal: Principal, base_url: str = ""
) -> AsyncIterator[Event]:
    await check_command(app, thread.id, body, principal)
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
async def stream_run(
    request: Request, thread: ThreadRow, body: RunCreate, app: App, principal: CurrentPrincipal
) -> StreamingResponse:
    """Run the graph and stream its events: `metadata` first, then what `stream_mode` asked for."""
    events = await _start(app, thread, body, principal, str(request.base_url))

    async def body_bytes() -> AsyncIterator[bytes]:
        async for event, data in events:
            yield sse(event, data)

    return StreamingResponse(body_bytes(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


@router.post("/wait")
async def wait_run(thread: ThreadRow, body: RunCreate, app: App, principal: CurrentPrincipal) -> dict[str, Any]:
    """Run the graph to its end or next interrupt; return the final values (with `__interrupt__` if paused)."""
    body = body.model_copy(update={"stream_mode": ["values", "updates"]})
    values: Any = {}
    interrupts: list[Any] = []
    async for event, data in await _start(app, thread, body, principal):
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
