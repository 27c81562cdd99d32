"""Threads: create one for a customer's conversation, read it back, read its state."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Response, Security
from langgraph.types import StateSnapshot

from concierge.server.auth import customer
from concierge.server.deps import App, CurrentPrincipal, CurrentTenant, ThreadRow
from concierge.server.runs import thread_config
from concierge.server.schemas import Thread, ThreadCreate
from concierge.server.serialize import jsonable
from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Thread as ThreadModel

router = APIRouter(prefix="/threads", tags=["threads"])
Chat = Security(customer, scopes=["chat"])
"""Thread routes a customer's browser may call with a publishable key (and the thread's token)."""


def _interrupts(snapshot: StateSnapshot) -> dict[str, list[dict[str, Any]]]:
    return {t.id: jsonable(list(t.interrupts)) for t in snapshot.tasks if t.interrupts}


async def _thread_out(app: App, row: ThreadModel) -> Thread:
    snapshot = await app.graph.aget_state(thread_config(row.id))
    return Thread(
        thread_id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        metadata={**row.meta, "tenant_id": row.tenant_id},
        status=row.status,  # type: ignore[arg-type]
        values=jsonable(snapshot.values) if snapshot.values else None,
        interrupts=_interrupts(snapshot),
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
    async with app.tools.db.session() as s:
        existing = await s.get(ThreadModel, thread_id)
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
    return await _with_token(app, row, token, response)


async def _with_token(app: App, row: ThreadModel, token: str, response: Response) -> Thread:
    out = await _thread_out(app, row)
    out.metadata["thread_token"] = token
    response.headers["X-Thread-Token"] = token
    return out


@router.get("/{thread_id}", response_model=Thread, dependencies=[Chat])
async def get_thread(thread: ThreadRow, app: App) -> Thread:
    return await _thread_out(app, thread)


@router.get("/{thread_id}/state", dependencies=[Chat])
async def get_thread_state(thread: ThreadRow, app: App) -> dict[str, Any]:
    """The latest checkpoint: values, the nodes to run next, pending interrupts."""
    snap = await app.graph.aget_state(thread_config(thread.id))
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
    }
