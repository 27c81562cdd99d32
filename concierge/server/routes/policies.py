"""Policies: versioned per tenant, the active one, rollback, the event log, and comparing two on an evaluation set.

Reading needs `analytics:view`; creating, activating, rolling back and comparing (which runs the set through the
graph twice) need `admin`. Another tenant's policy is a 404.
"""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.server.evaluation import compare_policies
from concierge.tools.db.base import utcnow
from concierge.tools.learning.evalsets import EvalSetNotFound
from concierge.tools.learning.experiments import Experiments, experiment_json
from concierge.tools.learning.policies import PolicyError, PolicyNotFound, event_json, policy_json
from concierge.tools.learning.rollback import RollbackWatch
from concierge.tools.learning.signals import figures

router = APIRouter(prefix="/policies", tags=["learning"])
Reader = Security(require, scopes=["analytics:view"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]
VersionNumber = Annotated[int, Field(ge=0, le=2**31 - 1)]
PathVersion = Annotated[int, Path(ge=0, le=2**31 - 1, description="A policy version of the key's tenant")]
WindowS = Annotated[
    float | None, Query(gt=0, le=366 * 86400, description="Seconds of live figures to judge (default the setting)")
]


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] = Field(description="Policy fields: models, routing thresholds, prompt_variant, ...")
    note: Annotated[str, Field(max_length=2000)] = ""
    activate: bool = Field(default=False, description="Make it the active policy at once (no experiment)")


class Activate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=2000)] = ""
    watch: bool = Field(default=True, description="Watch it against the replaced policy's figures; roll back on a drop")


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class Compare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: VersionNumber = Field(description="The current policy (0: the tenant's settings alone)")
    b: VersionNumber = Field(description="The candidate")
    set: Annotated[str, Field(min_length=1, max_length=100)] = Field(description="The evaluation set's name")
    set_version: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None


async def _state(app: App, tenant_id: str) -> dict[str, Any]:
    active = await app.tools.policies.active(tenant_id)
    running = await Experiments(app.tools.db, app.tools.policies).running(tenant_id)
    return {
        "active_version": active.version if active else 0,
        "previous_version": active.previous_version if active else None,
        "activated_at": active.activated_at.isoformat() if active else None,
        "watched": bool(active and active.watched),
        "experiment": experiment_json(running) if running else None,
    }


@router.get("", dependencies=[Reader])
async def list_policies(app: App, tenant: CurrentTenant) -> dict[str, Any]:
    """Every kept version, which is active, the one a rollback returns to, and the running experiment."""
    return {
        **await _state(app, tenant.id),
        "policies": [policy_json(p) for p in await app.tools.policies.all(tenant.id)],
    }


@router.post("", status_code=201)
async def create_policy(body: PolicyCreate, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """A new version (422 naming a field that is not a policy field or has the wrong type)."""
    try:
        row = await app.tools.policies.create(tenant.id, body.settings, note=body.note, actor=principal.actor)
    except PolicyError as exc:
        raise HTTPException(422, str(exc)) from None
    if body.activate:
        await app.tools.policies.activate(tenant.id, row.version, actor=principal.actor, reason=body.note)
    return {**policy_json(row), **await _state(app, tenant.id)}


@router.get("/events", dependencies=[Reader])
async def policy_events(
    app: App, tenant: CurrentTenant, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> dict[str, Any]:
    """Creations, activations, rollbacks (with their reasons) and experiment steps, newest first."""
    return {"events": [event_json(e) for e in await app.tools.policies.events(tenant.id, limit)]}


@router.post("/rollback")
async def rollback(body: Rollback, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Back to the policy the active one replaced (409 when there is none)."""
    try:
        await app.tools.policies.rollback(tenant.id, actor=principal.actor, reason=body.reason)
    except PolicyError as exc:
        raise HTTPException(409, str(exc)) from None
    return await _state(app, tenant.id)


@router.post("/watch")
async def watch(app: App, tenant: CurrentTenant, principal: Admin, window_s: WindowS = None) -> dict[str, Any]:
    """Run the rollback watch now: compare the watched policy with its baseline, roll back on a drop over 5 %."""
    hooks = list((tenant.settings or {}).get("alert_webhooks") or [])
    conf = app.tools.settings
    result = await RollbackWatch(app.tools.policies, app.tools.alerts).check(
        tenant.id, window_s=window_s or conf.learning_window_s, min_samples=conf.learning_min_samples, webhooks=hooks
    )
    return {"result": result, **await _state(app, tenant.id)}


@router.post("/compare")
async def compare(body: Compare, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Both policies through one version of an evaluation set: quality, cost and latency side by side, and a
    recommendation (the JSON of `concierge compare`)."""
    try:
        return await compare_policies(app, tenant.id, body.a, body.b, body.set, body.set_version)
    except (PolicyNotFound, EvalSetNotFound) as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{version}", dependencies=[Reader])
async def read_policy(version: PathVersion, app: App, tenant: CurrentTenant) -> dict[str, Any]:
    try:
        return policy_json(await app.tools.policies.get(tenant.id, version))
    except PolicyNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/{version}/activate")
async def activate(
    version: PathVersion, body: Activate, app: App, tenant: CurrentTenant, principal: Admin
) -> dict[str, Any]:
    """Make a version the active one now; with `watch`, the replaced policy's figures over the last window are the
    baseline the rollback watch compares it with."""
    current = await app.tools.policies.active_version(tenant.id)
    if running := await Experiments(app.tools.db, app.tools.policies).running(tenant.id):
        raise HTTPException(409, f"experiment {running.id} is running; stop it before activating another policy")
    if version == current:
        raise HTTPException(409, f"policy {version} is already active")
    since = utcnow() - timedelta(seconds=app.tools.settings.learning_window_s)
    baseline = await figures(app.tools.db, tenant.id, current, since) if body.watch else {}
    try:
        await app.tools.policies.activate(
            tenant.id, version, actor=principal.actor, reason=body.reason, baseline=baseline, watch=body.watch
        )
    except PolicyNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return await _state(app, tenant.id)
