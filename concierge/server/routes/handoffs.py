"""The human agents' API: the queue of conversations waiting for a person, claim, reply, notes, resolve.

Agents act with the `handoff:resolve` scope; supervisors (`admin`) also take conversations back and review
corrections. A reply resumes the paused graph through the same run machinery as `POST /threads/{id}/runs/wait`,
so the customer sees it on the thread (and its join stream) as an assistant message written by a person.
Claiming is atomic in the database: of two agents claiming at once, on any replica, one wins, the other gets 409.
`GET /handoffs/stream` is the queue's changes as Server-Sent Events, what the console listens to.
"""

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Security
from langchain_core.messages import AIMessage
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sse_starlette import ServerSentEvent

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.server.routes.threads import announce_state
from concierge.server.runs import admit, thread_config
from concierge.server.schemas import RunCommand, RunCreate
from concierge.server.serialize import jsonable
from concierge.server.streams import StreamResponse, run_result
from concierge.state.human import HUMAN_AGENT, interrupt_kind
from concierge.tools.db.base import utcnow
from concierge.tools.db.models import HandoffEntry, Tenant, Thread
from concierge.tools.db.runs import new_run_id
from concierge.tools.support.handoffs import CLOSED, OPEN, HandoffConflict, HandoffNotFound, handoff_json

router = APIRouter(prefix="/handoffs", tags=["handoffs"])
StatusFilter = Literal["waiting", "claimed", "held", "open", "closed", "all"]
_STATUSES: dict[str, tuple[str, ...]] = {
    "waiting": ("waiting",),
    "claimed": ("claimed",),
    "held": ("held",),
    "open": OPEN,
    "closed": CLOSED,
    "all": OPEN + CLOSED,
}


class Staff(BaseModel):
    """Who acts: the tenant, the agent's name (what the queue and corrections show), supervisor or not."""

    tenant: Any
    name: str
    supervisor: bool
    principal: Any


async def current_agent(
    principal: Annotated[Principal, Security(require, scopes=["handoff:resolve"])],
    tenant: CurrentTenant,
    x_agent_id: Annotated[
        str | None, Header(max_length=128, description="The person acting, when agents share a key")
    ] = None,
) -> Staff:
    """The agent acting for the key's tenant: named by `X-Agent-Id`, else by the key's name; a key with `admin`
    is a supervisor (reviews corrections, takes a conversation back from another agent)."""
    name = (x_agent_id or "").strip() or principal.name or principal.key_id
    return Staff(tenant=tenant, name=name, supervisor=principal.has("admin"), principal=principal)


Agent = Annotated[Staff, Depends(current_agent)]


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    keep: StrictBool = False
    """Keep the conversation: the customer's next messages come to you, not the bot."""
    category: Annotated[str, Field(max_length=64)] | None = None
    """What kind of correction this is, when it replaces a bot draft (factual, tone, policy, ...)."""
    reason: Annotated[str, Field(max_length=2000)] | None = None


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(min_length=1, max_length=10_000)]


class ReleaseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: StrictBool = False
    """A supervisor takes a conversation back from whoever holds it."""


def _not_found(exc: HandoffNotFound) -> HTTPException:
    return HTTPException(404, str(exc))


async def _entry(app: App, tenant: Tenant, handoff_id: str) -> HandoffEntry:
    try:
        return await app.tools.handoffs.get(tenant.id, handoff_id)
    except HandoffNotFound as exc:
        raise _not_found(exc) from None


async def _thread(app: App, entry: HandoffEntry) -> Thread:
    async with app.tools.db.session() as s:
        thread = await s.get(Thread, entry.thread_id)
    if thread is None or thread.tenant_id != entry.tenant_id:
        raise HTTPException(404, f"thread {entry.thread_id} not found")
    return thread


async def _paused_here(app: App, entry: HandoffEntry) -> bool:
    """Is the thread paused at this handoff's interrupt (rather than idle, or paused elsewhere)?"""
    snapshot = await app.graph.aget_state(thread_config(entry.thread_id))
    return any(
        interrupt_kind(i.value) == "handoff" and i.value["action_request"]["args"].get("handoff_id") == entry.id
        for i in snapshot.interrupts
    )


@router.get("")
async def queue(
    agent: Agent,
    app: App,
    status: Annotated[StatusFilter, Query()] = "open",
    assignee: Annotated[
        str | None, Query(max_length=128, description="`me`, an agent's name, or `none` for unclaimed")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """The tenant's conversations waiting for a person, oldest first, with reason and waiting time."""
    entries = await app.tools.handoffs.queue(
        agent.tenant.id,
        _STATUSES[status],
        limit,
        assignee=agent.name if assignee == "me" else assignee,
        unclaimed=assignee == "none",
    )
    return [handoff_json(e) for e in entries]


@router.get("/stream")
async def stream(agent: Agent, app: App) -> StreamResponse:
    """The tenant's queue as it changes, as Server-Sent Events: `ready` once following (then read the queue to
    catch up), then `queued`, `claimed`, `released`, `held`, `closed`, `customer_wrote` and `note`, each with the
    handoff's `handoff_id`, `thread_id`, `status`, `assignee` and `turn`. Changes made on another replica arrive
    within `CONCIERGE_HANDOFF_WATCH_S`. Only the key's tenant's handoffs, whatever the request says."""
    handoffs, tenant_id = app.tools.handoffs, agent.tenant.id

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with handoffs.watch(tenant_id) as queue:
            yield ServerSentEvent(event="ready", data=json.dumps({"tenant_id": tenant_id}))
            while True:
                change = await queue.get()
                yield ServerSentEvent(event=change["kind"], data=json.dumps(change))

    return StreamResponse(events(), heartbeat_s=app.tools.settings.sse_heartbeat_s)


@router.get("/{handoff_id}")
async def read(handoff_id: str, agent: Agent, app: App) -> dict[str, Any]:
    """The handoff with the whole conversation, the bot's draft and sources, and the agents' private notes."""
    entry = await _entry(app, agent.tenant, handoff_id)
    snapshot = await app.graph.aget_state(thread_config(entry.thread_id))
    messages = snapshot.values.get("messages", []) if snapshot.values else []
    return {
        **handoff_json(entry),
        "messages": jsonable(messages),
        "notes": await app.tools.handoffs.notes(agent.tenant.id, entry.id),
        "paused": await _paused_here(app, entry),
    }


@router.post("/{handoff_id}/claim")
async def claim(handoff_id: str, agent: Agent, app: App) -> dict[str, Any]:
    """Take the conversation; 409 when another agent has it."""
    try:
        entry = await app.tools.handoffs.claim(agent.tenant.id, handoff_id, agent.name)
    except HandoffNotFound as exc:
        raise _not_found(exc) from None
    except HandoffConflict as exc:
        raise HTTPException(409, str(exc)) from None
    return handoff_json(entry)


@router.post("/{handoff_id}/release")
async def release(handoff_id: str, agent: Agent, app: App, body: ReleaseBody | None = None) -> dict[str, Any]:
    """Put the conversation back in the queue for someone else."""
    force = bool(body and body.force)
    if force and not agent.supervisor:
        raise HTTPException(403, "only a supervisor takes a conversation back from another agent")
    try:
        entry = await app.tools.handoffs.release(agent.tenant.id, handoff_id, agent.name, force=force)
    except HandoffNotFound as exc:
        raise _not_found(exc) from None
    except HandoffConflict as exc:
        raise HTTPException(409, str(exc)) from None
    return handoff_json(entry)


@router.post("/{handoff_id}/reply")
async def reply(handoff_id: str, body: ReplyBody, agent: Agent, app: App) -> dict[str, Any]:
    """Answer the customer: resumes the paused conversation with your reply (claiming it first if nobody has)."""
    entry = await _entry(app, agent.tenant, handoff_id)
    if entry.status not in OPEN:
        raise HTTPException(409, f"handoff {handoff_id} is {entry.status}; it takes no more replies")
    if entry.assignee is None:
        try:
            entry = await app.tools.handoffs.claim(agent.tenant.id, handoff_id, agent.name)
        except HandoffConflict as exc:
            raise HTTPException(409, str(exc)) from None
    elif entry.assignee != agent.name:
        raise HTTPException(409, f"handoff {handoff_id} is claimed by {entry.assignee}")
    thread = await _thread(app, entry)
    text = body.text.strip()
    if not text:
        raise HTTPException(422, "the reply is empty")
    if not await _paused_here(app, entry):
        if entry.status != "held":
            raise HTTPException(409, f"thread {entry.thread_id} is not waiting for this handoff's reply")
        return await _write_to_held(app, entry, text, agent.name)
    resume = {"reply": text, "agent": agent.name, "keep": body.keep, "category": body.category, "reason": body.reason}
    out = await _resume(app, agent, thread.id, resume)
    if "__error__" in out:
        raise HTTPException(500, f"the reply could not be delivered: {out['__error__'].get('message')}")
    return {"handoff": handoff_json(await _entry(app, agent.tenant, handoff_id)), "message": out["messages"][-1]}


async def _resume(app: App, agent: Staff, thread_id: str, value: Any) -> dict[str, Any]:
    """Resume the paused thread as a run of the run queue (so the thread's join stream carries the reply live),
    and wait for it: the final values, or `__error__`."""
    body = RunCreate(command=RunCommand(resume=value), stream_mode=["values", "updates", "messages-tuple"])
    run_id = new_run_id()
    queue = app.executor.broker.subscribe_run(run_id)
    try:
        run = await admit(app, agent.tenant, agent.principal, thread_id, body, run_id=run_id)
    except BaseException:
        app.executor.broker.unsubscribe_run(run_id, queue)
        raise
    return await run_result(app, run, queue)


async def _write_to_held(app: App, entry: HandoffEntry, text: str, agent: str) -> dict[str, Any]:
    """A message to the customer in a conversation the agent keeps, between the customer's messages: written into
    the thread's state as the handoff node's (no run: the graph waits for the customer's next message), and
    announced as a `state_update` on the thread's stream."""
    if await app.executor.store.inflight(entry.thread_id):
        raise HTTPException(409, f"thread {entry.thread_id} is busy with a run; send the message when it is over")
    message = AIMessage(
        content=text, name=HUMAN_AGENT, additional_kwargs={HUMAN_AGENT: {"id": agent, "handoff_id": entry.id}}
    )
    await app.graph.aupdate_state(thread_config(entry.thread_id), {"messages": [message]}, as_node="handoff")
    snapshot = await app.graph.aget_state(thread_config(entry.thread_id))
    async with app.tools.db.session() as s:  # the thread as `GET /threads/{id}` and threads.search show it
        row = await s.get(Thread, entry.thread_id)
        if row is not None:
            row.values, row.updated_at = jsonable(snapshot.values), utcnow()
            await s.commit()
    await announce_state(app, entry.thread_id, snapshot)  # live to the customer's page (its join stream)
    await app.tools.handoffs.replied(entry.id, agent, keep=True)
    return {
        "handoff": handoff_json(await app.tools.handoffs.get(entry.tenant_id, entry.id)),
        "message": jsonable(message),
    }


@router.post("/{handoff_id}/notes", status_code=201)
async def add_note(handoff_id: str, body: NoteBody, agent: Agent, app: App) -> dict[str, Any]:
    """A private note for other agents; the customer never sees it."""
    try:
        return await app.tools.handoffs.add_note(agent.tenant.id, handoff_id, agent.name, body.text)
    except HandoffNotFound as exc:
        raise _not_found(exc) from None


@router.get("/{handoff_id}/notes")
async def notes(handoff_id: str, agent: Agent, app: App) -> list[dict[str, Any]]:
    await _entry(app, agent.tenant, handoff_id)
    return await app.tools.handoffs.notes(agent.tenant.id, handoff_id)


@router.post("/{handoff_id}/resolve")
async def resolve(handoff_id: str, agent: Agent, app: App) -> dict[str, Any]:
    """Close the conversation's handoff: it returns to the bot. A thread still paused for a reply is let go."""
    entry = await _entry(app, agent.tenant, handoff_id)
    if entry.assignee not in (None, agent.name) and not agent.supervisor:
        raise HTTPException(409, f"handoff {handoff_id} is claimed by {entry.assignee}")
    entry = await app.tools.handoffs.close(agent.tenant.id, handoff_id, "resolved")
    if await _paused_here(app, entry):
        thread = await _thread(app, entry)
        out = await _resume(app, agent, thread.id, [{"type": "ignore", "args": None}])
        if "__error__" in out:
            raise HTTPException(500, f"the thread could not be let go: {out['__error__'].get('message')}")
    return handoff_json(entry)
