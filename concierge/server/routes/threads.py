"""Threads: create one for a customer's conversation, read it back, read its state."""

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException
from langgraph.types import StateSnapshot

from concierge.server.deps import App, ThreadRow
from concierge.server.runs import thread_config
from concierge.server.schemas import Thread, ThreadCreate
from concierge.server.serialize import jsonable
from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Tenant
from concierge.tools.db.models import Thread as ThreadModel

router = APIRouter(prefix="/threads", tags=["threads"])


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


@router.post("", response_model=Thread)
async def create_thread(body: ThreadCreate, app: App) -> Thread:
    """A new conversation. `metadata.tenant_id` names the business; the default tenant otherwise."""
    thread_id = body.thread_id or str(uuid.uuid4())
    tenant_id = str(body.metadata.get("tenant_id") or app.tools.settings.default_tenant)
    async with app.tools.db.session() as s:
        existing = await s.get(ThreadModel, thread_id)
        if existing is not None:
            if body.if_exists == "do_nothing":
                return await _thread_out(app, existing)
            raise HTTPException(409, f"thread {thread_id} already exists")
        if await s.get(Tenant, tenant_id) is None:
            raise HTTPException(404, f"tenant {tenant_id!r} not found; run `concierge seed-demo` for the demo")
        now = utcnow()
        meta = {k: v for k, v in body.metadata.items() if k != "tenant_id"}
        row = ThreadModel(id=thread_id, tenant_id=tenant_id, meta=meta, status="idle", created_at=now, updated_at=now)
        s.add(row)
        await s.commit()
    return await _thread_out(app, row)


@router.get("/{thread_id}", response_model=Thread)
async def get_thread(thread: ThreadRow, app: App) -> Thread:
    return await _thread_out(app, thread)


@router.get("/{thread_id}/state")
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
