"""Threads: a customer's conversation. Create, find, read, patch, delete; read and update its state; its
checkpoint history; and follow everything its runs emit."""

import re
import uuid
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Header, HTTPException, Query, Response, Security
from langgraph.errors import InvalidUpdateError
from langgraph.types import StateSnapshot
from sqlalchemy import select

from concierge.graph.checkpointer import copy_thread, keep_latest
from concierge.server.auth import customer, require
from concierge.server.deps import App, CurrentPrincipal, CurrentTenant, ThreadRow
from concierge.server.executor import interrupts_of, thread_config
from concierge.server.schemas import (
    ALIAS,
    EXTRACTABLE,
    CheckpointConfig,
    HistoryQuery,
    StateAt,
    StateUpdate,
    Thread,
    ThreadCount,
    ThreadCreate,
    ThreadField,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
)
from concierge.server.serialize import dumps, jsonable, uri
from concierge.server.streams import STATE_UPDATE, StreamResponse, follow_thread
from concierge.tools.db.base import utcnow
from concierge.tools.db.events import LoggedEvent, parse_position, writing
from concierge.tools.db.models import Thread as ThreadModel
from concierge.tools.db.threads import count_threads, search_threads

router = APIRouter(prefix="/threads", tags=["threads"])
Chat = Security(customer, scopes=["chat"])
"""Thread routes a customer's browser may call with a publishable key (and the thread's token)."""
Staff = Security(require, scopes=["chat"])
"""Across the tenant's threads (search, count, metadata): a secret key only, never a customer's browser."""
Admin = Security(require, scopes=["admin"])
"""Writing a thread's state directly, deleting it: an admin's tool."""


async def thread_out(app: App, row: ThreadModel, *, fresh: bool = False) -> Thread:
    """The thread as the Agent Server returns it; `fresh`: just created under an id of ours, so no checkpoint."""
    values, interrupts = row.values, row.interrupts or {}
    if values is None and not fresh:  # never run since runs kept values on the row: read the checkpoint
        snapshot = await app.graph.aget_state(thread_config(row.id))
        values = jsonable(snapshot.values) if snapshot.values else None
        interrupts = interrupts_of(snapshot)
    return Thread(
        thread_id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata={**(row.meta or {}), "tenant_id": row.tenant_id},
        status=row.status,  # type: ignore[arg-type]
        state_updated_at=row.updated_at,
        values=values,
        interrupts=interrupts,
        error=row.error,
    )


@router.post("", response_model=Thread, dependencies=[Chat])
async def create_thread(
    body: ThreadCreate,
    app: App,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    response: Response,
    x_thread_token: Annotated[str | None, Header(description="The thread's token, to get it back")] = None,
) -> Thread:
    """A new conversation for the key's tenant. Its token (`metadata.thread_token` and the `X-Thread-Token`
    header) lets a customer with the tenant's publishable key read and continue it, and no other thread."""
    thread_id = body.thread_id or str(uuid.uuid4())
    if body.metadata.get("tenant_id") not in (None, tenant.id):
        raise HTTPException(422, "metadata.tenant_id: the tenant comes from the API key; leave it out")
    token = app.tools.secrets.thread_token(tenant.id, thread_id)
    async with writing(app.tools.db), app.tools.db.session() as s:  # as every other writer (see `writing`)
        # An id of ours is new (a random UUID): only a client's own id may name an existing thread.
        existing = await s.get(ThreadModel, thread_id) if body.thread_id else None
        if existing is not None:
            # Only the tenant's own thread comes back, and to a customer only with its token.
            mine = existing.tenant_id == tenant.id and (not principal.publishable or x_thread_token == token)
            if body.if_exists == "do_nothing" and mine:
                return await _with_token(app, existing, token, response)
            raise HTTPException(409, f"thread {thread_id} already exists")
        now = utcnow()
        meta = {k: v for k, v in body.metadata.items() if k not in ("tenant_id", "thread_token")}
        row = ThreadModel(id=thread_id, tenant_id=tenant.id, meta=meta, status="idle", created_at=now, updated_at=now)
        s.add(row)
        await s.commit()
    return await _with_token(app, row, token, response, fresh=not body.thread_id)


async def _with_token(app: App, row: ThreadModel, token: str, response: Response, fresh: bool = False) -> Thread:
    out = await thread_out(app, row, fresh=fresh)
    out.metadata["thread_token"] = token
    response.headers["X-Thread-Token"] = token
    return out


def check_extract(extract: dict[str, str]) -> None:
    """422 before the search for paths the Agent Server refuses: more than 10, an alias that is not an identifier
    or names a thread field, a path outside `values`, `metadata`, `config` and `interrupts`."""
    if len(extract) > 10:
        raise HTTPException(422, f"extract: at most 10 paths, got {len(extract)}")
    for alias, path in extract.items():
        if not re.match(ALIAS, alias) or alias in get_args(ThreadField) or alias in ("config", "state_updated_at"):
            raise HTTPException(422, f"extract: {alias!r} must be an identifier that is not a thread field")
        if path.split(".")[0].split("[")[0] not in EXTRACTABLE:
            raise HTTPException(422, f"extract.{alias}: {path!r} must start with one of {', '.join(EXTRACTABLE)}")


def extracted(thread: dict[str, Any], path: str) -> Any:
    """The value at a dot/bracket path (`values.messages[-1].content`) of a thread; None where it does not lead."""
    parts = re.split(r"\.|\[", path)
    current: Any = thread.get(parts[0])
    for part in parts[1:]:
        if current is None or part.startswith("_"):
            return None
        if not part:
            continue
        if part.endswith("]"):
            try:
                current = current[int(part[:-1])] if isinstance(current, list) else None
            except (ValueError, IndexError):
                return None
        else:
            current = current.get(part) if isinstance(current, dict) else None
    return current


@router.post("/search", dependencies=[Staff])
async def search(body: ThreadSearch, app: App, tenant: CurrentTenant) -> list[dict[str, Any]]:
    """The tenant's threads matching metadata, values (JSON containment) and status; paged and sorted; `extract`
    adds the values at the paths it names as `extracted`."""
    if body.extract:
        check_extract(body.extract)
    rows = await search_threads(
        app.tools.db,
        tenant.id,
        ids=body.ids,
        metadata=body.metadata,
        values=body.values,
        status=body.status,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by,
        sort_order=body.sort_order,
    )
    out = []
    for r in rows:
        thread = (await thread_out(app, r)).model_dump(mode="json")
        item = {k: v for k, v in thread.items() if k in body.select} if body.select else thread
        if body.extract:
            item["extracted"] = {alias: extracted(thread, path) for alias, path in body.extract.items()}
        out.append(item)
    return out


@router.post("/prune", dependencies=[Admin])
async def prune(body: ThreadPrune, app: App, tenant: CurrentTenant) -> dict[str, int]:
    """`delete`: delete the threads (runs in flight stopped first); `keep_latest`: drop every checkpoint but the
    latest, keeping the threads and their state (threads with a run in flight are left alone). Ids that are not
    the tenant's are skipped, as unknown ones are. Answers `{"pruned_count": n}`."""
    async with app.tools.db.session() as s:
        mine = list(
            await s.scalars(
                select(ThreadModel.id).where(ThreadModel.id.in_(body.thread_ids), ThreadModel.tenant_id == tenant.id)
            )
        )
    pruned = 0
    for thread_id in mine:
        if body.strategy == "delete":
            await app.delete_thread_now(thread_id)
            pruned += 1
        elif app.graph.checkpointer is not None and not await app.executor.store.inflight(thread_id):
            await keep_latest(app.graph.checkpointer, thread_id)
            pruned += 1
    return {"pruned_count": pruned}


@router.post("/count", dependencies=[Staff])
async def count(body: ThreadCount, app: App, tenant: CurrentTenant) -> int:
    return await count_threads(app.tools.db, tenant.id, metadata=body.metadata, values=body.values, status=body.status)


@router.get("/{thread_id}", response_model=Thread, dependencies=[Chat])
async def get_thread(thread: ThreadRow, app: App) -> Thread:
    return await thread_out(app, thread)


@router.patch("/{thread_id}", response_model=Thread, dependencies=[Staff])
async def patch_thread(body: ThreadPatch, thread: ThreadRow, app: App) -> Thread:
    """Merge `metadata` into the thread's (the tenant cannot be changed this way)."""
    if body.metadata.get("tenant_id") not in (None, thread.tenant_id):
        raise HTTPException(422, "metadata.tenant_id: a thread stays with its tenant")
    async with app.tools.db.session() as s:
        row = await s.get(ThreadModel, thread.id)
        if row is None:
            raise HTTPException(404, f"thread {thread.id} not found")
        row.meta = {**(row.meta or {}), **{k: v for k, v in body.metadata.items() if k != "tenant_id"}}
        row.updated_at = utcnow()
        await s.commit()
    return await thread_out(app, row)


@router.post("/{thread_id}/copy", response_model=Thread, dependencies=[Staff])
async def copy(thread: ThreadRow, app: App, tenant: CurrentTenant, response: Response) -> Thread:
    """A new thread holding this one's metadata, state and checkpoint history (its runs stay with the original);
    a run in flight on the original is copied as far as it has checkpointed."""
    thread_id, now = str(uuid.uuid4()), utcnow()
    row = ThreadModel(
        id=thread_id,
        tenant_id=tenant.id,
        meta=dict(thread.meta or {}),
        status="interrupted" if thread.interrupts else "idle",
        created_at=now,
        updated_at=now,
        values=thread.values,
        interrupts=thread.interrupts or {},
    )
    async with app.tools.db.session() as s:
        s.add(row)
        await s.commit()
    if app.graph.checkpointer is not None:
        await copy_thread(app.graph.checkpointer, thread.id, thread_id)
    return await _with_token(app, row, app.tools.secrets.thread_token(tenant.id, thread_id), response)


@router.delete("/{thread_id}", status_code=204, dependencies=[Admin])
async def delete_thread(thread: ThreadRow, app: App) -> Response:
    """Delete the thread, its checkpoints and its runs; runs in flight are stopped first."""
    await app.delete_thread_now(thread.id)
    return Response(status_code=204)


def state_out(snap: StateSnapshot) -> dict[str, Any]:
    """A checkpoint as the Agent Server's `ThreadState`."""
    checkpoint = _checkpoint(snap.config)
    parent = _checkpoint(snap.parent_config)
    return jsonable(
        {
            "values": snap.values,
            "next": list(snap.next),
            "tasks": [
                {
                    "id": t.id,
                    "name": t.name,
                    "path": list(t.path),
                    "error": str(t.error) if t.error else None,
                    "interrupts": list(t.interrupts),
                    "checkpoint": None,
                    "state": None,
                    "result": t.result,
                }
                for t in snap.tasks
            ],
            "metadata": snap.metadata or {},
            "created_at": snap.created_at,
            "checkpoint": checkpoint,
            "parent_checkpoint": parent,
            "interrupts": list(snap.interrupts),
            "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
            "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
        }
    )


def _checkpoint(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    c = config["configurable"]
    return {
        "thread_id": c["thread_id"],
        "checkpoint_ns": c.get("checkpoint_ns", ""),
        "checkpoint_id": c.get("checkpoint_id"),
        "checkpoint_map": c.get("checkpoint_map") or {},
    }


@router.get("/{thread_id}/state", dependencies=[Chat])
async def get_state(thread: ThreadRow, app: App, subgraphs: bool = False) -> dict[str, Any]:
    """The latest checkpoint: values, the nodes to run next, pending interrupts."""
    return state_out(await app.graph.aget_state(thread_config(thread.id), subgraphs=subgraphs))


async def _state_at(app: App, thread_id: str, checkpoint: dict[str, Any], subgraphs: bool) -> dict[str, Any]:
    config = {"configurable": {**checkpoint, "thread_id": thread_id}}
    snap = await app.graph.aget_state(config, subgraphs=subgraphs)
    if snap.created_at is None:
        raise HTTPException(404, f"checkpoint {checkpoint.get('checkpoint_id')} not found on thread {thread_id}")
    return state_out(snap)


@router.get("/{thread_id}/state/{checkpoint_id}", dependencies=[Chat])
async def get_state_at(checkpoint_id: str, thread: ThreadRow, app: App, subgraphs: bool = False) -> dict[str, Any]:
    return await _state_at(app, thread.id, {"checkpoint_id": checkpoint_id}, subgraphs)


@router.post("/{thread_id}/state/checkpoint", dependencies=[Chat])
async def post_state_at(body: StateAt, thread: ThreadRow, app: App) -> dict[str, Any]:
    checkpoint = body.checkpoint.model_dump(exclude_none=True, exclude={"thread_id"})
    return await _state_at(app, thread.id, checkpoint, body.subgraphs)


@router.post("/{thread_id}/state", dependencies=[Admin])
async def update_state(body: StateUpdate, thread: ThreadRow, app: App) -> dict[str, Any]:
    """Write `values` into the thread's state as if `as_node` had returned them (a human's correction, an agent's
    note). Refused while a run is in flight: it would race the run's own writes."""
    if await app.executor.store.inflight(thread.id):
        raise HTTPException(409, f"thread {thread.id} is busy with a run; update its state when the run is over")
    configurable: dict[str, Any] = {"thread_id": thread.id}
    if body.checkpoint is not None:
        configurable.update(body.checkpoint.model_dump(exclude_none=True, exclude={"thread_id"}))
    if body.checkpoint_id:
        configurable["checkpoint_id"] = body.checkpoint_id
    try:
        config = await app.graph.aupdate_state({"configurable": configurable}, body.values, as_node=body.as_node)
    except (InvalidUpdateError, ValueError, KeyError) as exc:
        raise HTTPException(422, f"cannot update the state: {exc}") from None
    snap = await app.graph.aget_state(thread_config(thread.id))
    async with app.tools.db.session() as s:
        row = await s.get(ThreadModel, thread.id)
        if row is not None:
            row.values = jsonable(snap.values) if snap.values else {}
            row.interrupts = interrupts_of(snap)
            row.status = "interrupted" if snap.next else "idle"
            row.error, row.updated_at = None, utcnow()
            await s.commit()
    await announce_state(app, thread.id, snap)
    checkpoint = _checkpoint(config)
    assert checkpoint is not None
    return {"checkpoint": checkpoint, "configurable": checkpoint, "checkpoint_id": checkpoint["checkpoint_id"]}


async def announce_state(app: App, thread_id: str, snap: StateSnapshot) -> None:
    """A `state_update` event on the thread's stream (`stream_mode=state_update`), as the Agent Server sends it,
    to followers on every replica: a human's correction reaches a waiting screen without a run."""
    ex = app.executor
    ordinal = await ex.store.next_ordinal(thread_id)
    if ordinal is None:
        return
    data = dumps({"state": state_out(snap), "thread_id": thread_id})
    event = LoggedEvent(thread_id, "", ordinal, 1, STATE_UPDATE, data)
    await ex.log.append([event])
    ex.broker.publish(event)


async def _history(app: App, thread_id: str, q: HistoryQuery) -> list[dict[str, Any]]:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if q.checkpoint is not None:
        configurable.update(q.checkpoint.model_dump(exclude_none=True, exclude={"thread_id"}))
    before = None
    if q.before is not None:
        if isinstance(q.before, str):
            ref = {"checkpoint_id": q.before}
        elif isinstance(q.before, CheckpointConfig):
            ref = q.before.configurable.model_dump(exclude_none=True)
        else:
            ref = q.before.model_dump(exclude_none=True)
        before = {"configurable": {**ref, "thread_id": thread_id}}
    states = app.graph.aget_state_history(
        {"configurable": configurable}, limit=q.limit, before=before, filter=q.metadata or None
    )
    return [state_out(s) async for s in states]


@router.get("/{thread_id}/history", dependencies=[Chat])
async def get_history(
    thread: ThreadRow, app: App, limit: Annotated[int, Query(ge=1, le=1000)] = 10, before: str | None = None
) -> list[dict[str, Any]]:
    """Checkpoints, newest first."""
    return await _history(app, thread.id, HistoryQuery(limit=limit, before=before))


@router.post("/{thread_id}/history", dependencies=[Chat])
async def post_history(body: HistoryQuery, thread: ThreadRow, app: App) -> list[dict[str, Any]]:
    return await _history(app, thread.id, body)


@router.get("/{thread_id}/stream", dependencies=[Chat])
async def join_thread_stream(
    thread: ThreadRow,
    app: App,
    stream_mode: Annotated[list[str], Query()] = ["run_modes"],  # noqa: B006 (FastAPI copies it)
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamResponse:
    """Everything any run on the thread emits, whichever replica executes it: a customer waiting here hears a
    human agent's reply the moment the agent's run produces it. `stream_mode`: `run_modes` (every run event,
    the default), `lifecycle` (`metadata` at each run's start and `{"status": "run_done"}` at its end) and
    `state_update` (`{state, thread_id}` when the state is written directly, `POST /threads/{id}/state`).
    `Last-Event-ID` replays what came after it (`-1`: all that is kept)."""
    modes = [m for part in stream_mode for m in part.strip("[]").replace('"', "").split(",") if m]
    unknown = set(modes) - {"run_modes", "lifecycle", "state_update"}
    if unknown:
        raise HTTPException(422, f"stream_mode: unknown {', '.join(sorted(unknown))}")
    try:
        after = parse_position(last_event_id)
    except ValueError:
        raise HTTPException(422, f"Last-Event-ID {last_event_id!r} is not an event id of this server") from None
    return StreamResponse(
        follow_thread(app, thread.id, after, modes),
        heartbeat_s=app.tools.settings.sse_heartbeat_s,
        headers={"Content-Location": uri(f"/threads/{thread.id}/stream")},
    )
