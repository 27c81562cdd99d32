"""Admitting a run: every check that can fail is made before anything is queued, so bad input is a clear 4xx and
costs nothing; then the run is recorded, and started here at once when its thread is free.
"""

import uuid
from typing import Any

from fastapi import HTTPException

from concierge.server.auth import Principal
from concierge.server.deps import AppState
from concierge.server.executor import thread_config
from concierge.server.schemas import RunCreate
from concierge.state.human import check_resume, interrupt_kind
from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Tenant, Thread
from concierge.tools.db.runs import RunConflict, RunRecord, new_run_id

GRAPH_ID = "concierge"
NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
ASSISTANT_ID = str(uuid.uuid5(NAMESPACE_GRAPH, GRAPH_ID))
"""The graph's assistant id, derived from the graph id the way the Agent Server derives it."""
UNSUPPORTED_MODES = {"events"}

__all__ = ["ASSISTANT_ID", "GRAPH_ID", "admit", "thread_config"]


def assistant_of(assistant_id: str) -> str:
    """The assistant a run names, by graph id or assistant id; 404 for any other."""
    if assistant_id in (GRAPH_ID, ASSISTANT_ID):
        return ASSISTANT_ID
    raise HTTPException(404, f"assistant {assistant_id!r} not found; this server has one: {GRAPH_ID!r}")


def run_kwargs(body: RunCreate, *, temporary: bool) -> dict[str, Any]:
    """What the run does, as stored with it (the executor reads only this)."""
    modes = body.modes()
    unsupported = UNSUPPORTED_MODES & set(modes)
    if unsupported:
        raise HTTPException(422, f"stream_mode {', '.join(sorted(unsupported))} is not supported")
    if body.command is None and not body.input:
        raise HTTPException(422, "a run needs `input` (e.g. {'messages': [...]}) or a `command`")
    cmd = body.command
    if cmd is not None and cmd.resume is None and not cmd.update and not cmd.goto:
        raise HTTPException(422, "a command needs `resume`, `update` or `goto`")
    configurable = (body.config or {}).get("configurable") or {}
    if configurable and body.context:
        raise HTTPException(400, "set either config.configurable or context, not both; prefer context")
    return {
        "input": body.input,
        "command": body.command.model_dump(exclude_none=True) if body.command else None,
        "stream_mode": modes,
        "subgraphs": body.stream_subgraphs,
        "resumable": body.stream_resumable,
        "context": body.context,
        "config": body.config,
        "checkpoint": body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None,
        "checkpoint_id": body.checkpoint_id,
        "interrupt_before": body.interrupt_before,
        "interrupt_after": body.interrupt_after,
        "durability": body.durability,
        "temporary": temporary,
        "on_disconnect": body.on_disconnect,
    }


def check_resume_value(pending: list[Any], resume: Any) -> None:
    """422 before the run is queued when the value cannot answer the pause (the thread stays paused).

    `resume` answers the only pending interrupt, or maps interrupt ids to values (LangGraph's form for several).
    """
    by_id = {i.id: i for i in pending}
    if isinstance(resume, dict) and resume and set(resume) <= set(by_id):
        answers = [(by_id[k], v) for k, v in resume.items()]
    else:
        answers = [(pending[0], resume)]
    for paused, value in answers:
        try:
            check_resume(paused.value, value)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None


def check_command(body: RunCreate, principal: Principal) -> None:
    """`command.update` and `command.goto` write the graph's state directly: an admin's tool, never a customer's."""
    cmd = body.command
    if cmd is not None and (cmd.update is not None or cmd.goto) and not principal.has("admin"):
        raise HTTPException(403, "command.update and command.goto need the `admin` scope; customers send resume")


async def admit(
    app: AppState,
    tenant: Tenant,
    principal: Principal,
    thread_id: str,
    body: RunCreate,
    *,
    run_id: str | None = None,
    temporary: bool = False,
    base_url: str = "",
    providers: dict[str, Any] | None = None,
) -> RunRecord:
    """Validate the run, queue it under the thread's multitask strategy, and start it here if its thread is free.

    404 for an unknown assistant or thread (unless `if_not_exists=create`), 422 for a malformed run or context,
    409 when the strategy refuses it or when it resumes a thread that is not paused or already being resumed.
    `providers` are the tenant's provider settings when the caller has them (the request's key lookup read them).
    """
    assistant_id = assistant_of(body.assistant_id)
    check_command(body, principal)
    kwargs = run_kwargs(body, temporary=temporary)
    if body.feedback_keys:  # the stream ends with signed feedback URLs, made from the address customers reach
        kwargs["feedback_keys"] = list(body.feedback_keys)
        kwargs["feedback_base"] = app.tools.settings.public_url or base_url
    # The policy this run answers under: its arm of a running experiment (by customer or thread), else the active
    # one; recorded with the run so every figure of the turn can be traced to the policy version that produced it.
    customer = (body.context or {}).get("customer_id") if isinstance(body.context, dict) else None
    policy = await app.tools.policies.resolve(tenant.id, thread_id=thread_id, customer_id=customer)
    # 404 or 422 now, not once queued
    context = await app.tenant_context(tenant.id, body.context, policy=policy, tenant=tenant, providers=providers)
    kwargs["policy_version"] = policy.version
    recorded = {"policy_version": policy.version}
    if policy.experiment_id:
        recorded |= {"experiment_id": policy.experiment_id, "experiment_arm": policy.arm}
    resume = body.command is not None and body.command.resume is not None

    async def paused() -> None:
        """Under the thread's lock: a resume must find the interrupt it answers, and is bound to that checkpoint."""
        snapshot = await app.graph.aget_state(thread_config(thread_id))
        if not snapshot.interrupts:
            raise RunConflict(f"thread {thread_id} is not paused at an interrupt; nothing to resume")
        handoff = any(interrupt_kind(i.value) == "handoff" for i in snapshot.interrupts)
        if handoff and not principal.has("handoff:resolve"):  # the reply speaks as the human agent
            raise HTTPException(403, "answering a handoff needs the `handoff:resolve` scope (a human agent's key)")
        check_resume_value(list(snapshot.interrupts), body.command.resume)  # 422 naming what is accepted
        kwargs["resume_checkpoint"] = snapshot.config["configurable"].get("checkpoint_id")

    def new_thread() -> Thread:
        now = utcnow()
        meta = {"graph_id": GRAPH_ID, "assistant_id": assistant_id}
        return Thread(id=thread_id, tenant_id=tenant.id, meta=meta, status="busy", created_at=now, updated_at=now)

    ex = app.executor
    admission = await ex.store.admit(
        run_id=run_id or new_run_id(),
        thread_id=thread_id,
        tenant_id=tenant.id,
        assistant_id=assistant_id,
        kwargs=kwargs,
        metadata={**(body.metadata or {}), **recorded},
        strategy=body.multitask_strategy,
        resume=resume,
        claim_for=ex.worker,
        create_thread=new_thread if body.if_not_exists == "create" or temporary else None,
        check=paused if resume else None,
        thread_metadata={"graph_id": GRAPH_ID, "assistant_id": assistant_id},
    )
    for superseded in admission.superseded:
        ex.interrupt(superseded, body.multitask_strategy)  # at once if it runs here; else through its heartbeat
    if admission.claimed:
        ex.launch(admission.run, context)
    else:
        ex.wake()
    return admission.run
