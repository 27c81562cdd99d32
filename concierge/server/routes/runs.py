"""Runs: on a thread or stateless; streamed as Server-Sent Events, waited for, or in the background; listed,
joined, rejoined, cancelled. Any replica can serve any of these for a run executing on any replica."""

import asyncio
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, Security
from fastapi.responses import JSONResponse, StreamingResponse

from concierge.server.auth import Principal, customer, require, tenant_providers
from concierge.server.deps import App, AppState, CurrentPrincipal, CurrentTenant, ThreadId, ThreadRow
from concierge.server.runs import admit
from concierge.server.schemas import RunCreate, RunsCancel, RunStatus
from concierge.server.serialize import uri
from concierge.server.streams import StreamResponse, follow_run, json_when_done, run_result, sse_events
from concierge.tools.db.events import parse_position
from concierge.tools.db.models import Tenant, Thread
from concierge.tools.db.runs import RunNotFound, RunRecord, new_run_id

# A publishable key (a customer's browser) may run its own threads: those routes check the thread's token.
router = APIRouter(tags=["runs"], dependencies=[Security(customer, scopes=["chat"])])


def _where(thread_id: str | None, run_id: str) -> str:
    return f"/threads/{thread_id}/runs/{run_id}" if thread_id else f"/runs/{run_id}"


async def _cancel_on_disconnect(app: AppState, run: RunRecord) -> None:
    """`on_disconnect=cancel`: the client left, so the run stops (keeping what it checkpointed)."""
    ex = app.executor
    try:
        running = await ex.store.cancel(run.thread_id, [run.id], "interrupt")
    except Exception:  # already over: nothing to stop
        return
    for run_id in running:
        ex.interrupt(run_id, "interrupt")


async def _admit(
    app: AppState,
    request: Request,
    tenant: Tenant,
    principal: Principal,
    thread_id: str,
    body: RunCreate,
    *,
    stateless: bool,
    follow: bool,
) -> tuple[RunRecord, asyncio.Queue | None, str]:
    """Admit the run; with `follow`, subscribed to its events before it can start, so no event is missed. Returns
    the run, that subscription, and the run's path."""
    run_id = new_run_id()
    queue = app.executor.broker.subscribe_run(run_id) if follow else None
    try:
        run = await admit(
            app,
            tenant,
            principal,
            thread_id,
            body,
            run_id=run_id,
            temporary=stateless and body.on_completion != "keep",
            base_url=str(request.base_url),
            providers=tenant_providers(request),
        )
    except BaseException:
        if queue is not None:
            app.executor.broker.unsubscribe_run(run_id, queue)
        raise
    return run, queue, _where(None if stateless else thread_id, run.id)


async def _stream(
    app: AppState, request: Request, tenant: Tenant, principal: Principal, thread_id: str, body: RunCreate, *,
    stateless: bool,
) -> StreamResponse:  # fmt: skip
    run, queue, where = await _admit(app, request, tenant, principal, thread_id, body, stateless=stateless, follow=True)

    async def disconnected() -> None:
        if body.on_disconnect == "cancel":
            await _cancel_on_disconnect(app, run)

    return StreamResponse(
        sse_events(follow_run(app, run, 0, queue), None, with_ids=body.stream_resumable),
        heartbeat_s=app.tools.settings.sse_heartbeat_s,
        headers={"Location": uri(f"{where}/stream"), "Content-Location": uri(where)},
        on_disconnect=disconnected,
    )


async def _wait(
    app: AppState, request: Request, tenant: Tenant, principal: Principal, thread_id: str, body: RunCreate, *,
    stateless: bool,
) -> Response:  # fmt: skip
    run, queue, where = await _admit(app, request, tenant, principal, thread_id, body, stateless=stateless, follow=True)
    body_bytes = json_when_done(run_result(app, run, queue), app.tools.settings.sse_heartbeat_s)
    return StreamingResponse(
        body_bytes,
        media_type="application/json",
        headers={"Location": uri(f"/threads/{run.thread_id}/runs/{run.id}/join"), "Content-Location": uri(where)},
    )


async def _background(
    app: AppState, request: Request, tenant: Tenant, principal: Principal, thread_id: str, body: RunCreate, *,
    stateless: bool,
) -> Response:  # fmt: skip
    run, _, where = await _admit(app, request, tenant, principal, thread_id, body, stateless=stateless, follow=False)
    return JSONResponse(run.as_api(), headers={"Content-Location": uri(where)})


@router.post("/threads/{thread_id}/runs/stream")
async def stream_run(
    request: Request, thread_id: ThreadId, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> StreamResponse:
    """Run the graph and stream its events: `metadata` first, then what `stream_mode` asked for."""
    return await _stream(app, request, tenant, principal, thread_id, body, stateless=False)


@router.post("/threads/{thread_id}/runs/wait")
async def wait_run(
    request: Request, thread_id: ThreadId, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Response:
    """Run to the end or the next interrupt; the final values (with `__interrupt__` if paused, `__error__` if
    it failed)."""
    return await _wait(app, request, tenant, principal, thread_id, body, stateless=False)


@router.post("/threads/{thread_id}/runs")
async def create_run(
    request: Request, thread_id: ThreadId, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Response:
    """Queue a run in the background; returns the run (follow it with `join` or its `stream`)."""
    return await _background(app, request, tenant, principal, thread_id, body, stateless=False)


@router.post("/runs/stream")
async def stream_stateless(
    request: Request, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> StreamResponse:
    """A run on a new thread of its own, deleted afterwards unless `on_completion` is `keep`."""
    _stateless(body)
    return await _stream(app, request, tenant, principal, str(uuid.uuid4()), body, stateless=True)


@router.post("/runs/wait")
async def wait_stateless(
    request: Request, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Response:
    _stateless(body)
    return await _wait(app, request, tenant, principal, str(uuid.uuid4()), body, stateless=True)


@router.post("/runs")
async def create_stateless(
    request: Request, body: RunCreate, app: App, tenant: CurrentTenant, principal: CurrentPrincipal
) -> Response:
    _stateless(body)
    return await _background(app, request, tenant, principal, str(uuid.uuid4()), body, stateless=True)


@router.post("/runs/cancel", status_code=204, dependencies=[Security(require, scopes=["chat"])])
async def cancel_runs(
    body: RunsCancel,
    app: App,
    tenant: CurrentTenant,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    """Stop several runs (a secret key's tool; a customer's browser cancels its own run, by thread): `thread_id`
    with `run_ids`, or every run of the tenant in a `status` (`pending`, `running` or `all`), never both. 404 for
    a thread that is not the tenant's; runs already over are skipped."""
    ex = app.executor
    if body.status is not None:
        if body.thread_id or body.run_ids:
            raise HTTPException(422, "with `status`, leave out `thread_id` and `run_ids`: it cancels every such run")
        by_thread: dict[str, list[str]] = {}
        for run in await ex.store.inflight_of(tenant.id, body.status):
            by_thread.setdefault(run.thread_id, []).append(run.id)
    else:
        if not body.thread_id or not body.run_ids:
            raise HTTPException(422, "give `thread_id` and `run_ids`, or a `status`")
        await _owned_thread(app, tenant.id, body.thread_id)
        by_thread = {body.thread_id: list(body.run_ids)}
    for thread_id, run_ids in by_thread.items():
        try:
            running = await ex.store.cancel(thread_id, run_ids, action)
        except RunNotFound:
            continue  # over already
        for run_id in running:
            ex.interrupt(run_id, action)
    return Response(status_code=204)


async def _owned_thread(app: AppState, tenant_id: str, thread_id: str) -> None:
    async with app.tools.db.session() as s:
        row = await s.get(Thread, thread_id)
    if row is None or row.tenant_id != tenant_id:
        raise HTTPException(404, f"thread {thread_id} not found")


def _stateless(body: RunCreate) -> None:
    if body.command is not None and body.command.resume is not None:
        raise HTTPException(400, "a resume needs the thread it resumes: use /threads/{thread_id}/runs")
    body.if_not_exists = "create"


@router.get("/threads/{thread_id}/runs")
async def list_runs(
    thread: ThreadRow,
    app: App,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    status: RunStatus | None = None,
) -> list[dict[str, Any]]:
    """The thread's runs, newest first."""
    return [r.as_api() for r in await app.executor.store.list_for(thread.id, limit, offset, status)]


async def _run(app: AppState, thread: Any, run_id: str) -> RunRecord:
    return await app.executor.store.get(run_id, thread_id=thread.id, tenant_id=thread.tenant_id)


@router.get("/threads/{thread_id}/runs/{run_id}")
async def get_run(run_id: str, thread: ThreadRow, app: App) -> dict[str, Any]:
    return (await _run(app, thread, run_id)).as_api()


@router.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
async def delete_run(run_id: str, thread: ThreadRow, app: App) -> Response:
    """Forget a finished run (409 while it is in flight: cancel it first)."""
    await app.executor.store.delete(thread.id, run_id)
    return Response(status_code=204)


@router.get("/threads/{thread_id}/runs/{run_id}/join")
async def join_run(run_id: str, thread: ThreadRow, app: App) -> Response:
    """Wait for the run to end; its result as `wait` gives it."""
    run = await _run(app, thread, run_id)
    return StreamingResponse(
        json_when_done(run_result(app, run), app.tools.settings.sse_heartbeat_s),
        media_type="application/json",
        headers={"Location": uri(f"/threads/{thread.id}/runs/{run.id}/join")},
    )


@router.get("/threads/{thread_id}/runs/{run_id}/stream")
async def join_run_stream(
    run_id: str,
    thread: ThreadRow,
    app: App,
    stream_mode: Annotated[list[str] | None, Query()] = None,
    cancel_on_disconnect: bool = False,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamResponse:
    """Rejoin a run's stream: events after `Last-Event-ID` (`-1`: from the start), then live until it ends."""
    run = await _run(app, thread, run_id)
    try:
        after = parse_position(last_event_id)
    except ValueError:
        raise HTTPException(422, f"Last-Event-ID {last_event_id!r} is not an event id of this server") from None
    if after is not None and run.ordinal is not None and after[0] not in (0, run.ordinal):
        raise HTTPException(422, f"Last-Event-ID {last_event_id!r} belongs to another run")
    after_seq = after[1] if after is not None and after[0] != 0 else 0
    if after is None:  # without a position, a rejoin hears what comes from now on (the Agent Server's behaviour)
        local = app.executor.active.get(run.id)
        if local is not None:
            after_seq = local.events[-1].seq if local.events else 0
        else:
            logged = await app.executor.log.run_events(run.thread_id, run.id, run.ordinal, 0)
            after_seq = logged[-1].seq if logged else 0
    modes = [m for part in stream_mode or [] for m in part.strip("[]").replace('"', "").split(",") if m] or None

    async def disconnected() -> None:
        if cancel_on_disconnect:
            await _cancel_on_disconnect(app, run)

    where = f"/threads/{thread.id}/runs/{run.id}"
    return StreamResponse(
        sse_events(follow_run(app, run, after_seq), modes, with_ids=bool(run.kwargs.get("resumable"))),
        heartbeat_s=app.tools.settings.sse_heartbeat_s,
        headers={"Location": uri(f"{where}/stream"), "Content-Location": uri(where)},
        on_disconnect=disconnected,
    )


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def cancel_run(
    run_id: str,
    thread: ThreadRow,
    app: App,
    wait: bool = False,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    """Stop a queued or running run: `interrupt` keeps what it checkpointed, `rollback` deletes the run and its
    checkpoints. 202 at once, or with `wait` the run's result once it has stopped."""
    ex = app.executor
    run = await _run(app, thread, run_id)
    queue = ex.broker.subscribe_run(run.id) if wait else None
    try:
        running = await ex.store.cancel(thread.id, [run.id], action)
    except BaseException:
        if queue is not None:
            ex.broker.unsubscribe_run(run.id, queue)
        raise
    for rid in running:
        ex.interrupt(rid, action)
    if queue is None:
        return Response(status_code=202)
    return StreamingResponse(
        json_when_done(run_result(app, run, queue), app.tools.settings.sse_heartbeat_s),
        media_type="application/json",
        headers={"Location": uri(f"/threads/{thread.id}/runs/{run.id}/join")},
    )
