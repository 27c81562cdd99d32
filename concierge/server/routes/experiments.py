"""Experiments: A/B rollout of a policy against the active one (`tools/learning/experiments.py`).

Starting one runs its evaluation gate first (the treatment through an evaluation set); reading needs
`analytics:view`, starting, evaluating and stopping need `admin`. Another tenant's experiment is a 404.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.server.evaluation import gate
from concierge.tools.learning.evalsets import EvalSetNotFound
from concierge.tools.learning.experiments import (
    GATE_METRICS,
    ExperimentConflict,
    ExperimentError,
    ExperimentNotFound,
    Experiments,
    experiment_json,
)
from concierge.tools.learning.policies import PolicyNotFound

router = APIRouter(prefix="/experiments", tags=["learning"])
Reader = Security(require, scopes=["analytics:view"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]


class ExperimentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    treatment_version: Annotated[int, Field(ge=1, le=2**31 - 1)]
    unit: Literal["customer", "thread"] = "customer"
    min_turns: Annotated[int, Field(ge=1, le=1_000_000)] = 30
    eval_set: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="The evaluation set the treatment must pass before any step up"
    )
    eval_set_version: Annotated[int | None, Field(ge=1, le=2**31 - 1)] = None
    metric: Literal[GATE_METRICS] = "facts_correct"  # type: ignore[valid-type]
    threshold: Annotated[float, Field(ge=0, le=1)] = 0.8


class Stop(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(max_length=2000)] = ""


def _experiments(app: App) -> Experiments:
    return Experiments(app.tools.db, app.tools.policies)


@router.post("", status_code=201)
async def start(body: ExperimentCreate, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Run the treatment through the evaluation set, then start at 10 % with the active policy as control."""
    experiments = _experiments(app)
    if running := await experiments.running(tenant.id):
        raise HTTPException(409, f"experiment {running.id} is running; stop it first")
    try:
        await app.tools.policies.get(tenant.id, body.treatment_version)
        result = await gate(
            app, tenant.id, body.treatment_version, body.eval_set, body.eval_set_version, body.metric, body.threshold
        )
        row = await experiments.create(
            tenant.id,
            body.treatment_version,
            unit=body.unit,
            min_turns=body.min_turns,
            eval_gate=result,
            actor=principal.actor,
        )
    except (PolicyNotFound, EvalSetNotFound) as exc:
        raise HTTPException(404, str(exc)) from None
    except ExperimentConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except ExperimentError as exc:
        raise HTTPException(422, str(exc)) from None
    return experiment_json(row)


@router.get("", dependencies=[Reader])
async def list_experiments(app: App, tenant: CurrentTenant) -> dict[str, Any]:
    return {"experiments": [experiment_json(e) for e in await _experiments(app).find(tenant.id)]}


@router.get("/{experiment_id}", dependencies=[Reader])
async def read_experiment(experiment_id: str, app: App, tenant: CurrentTenant) -> dict[str, Any]:
    """The experiment with both arms' live figures since its step began."""
    experiments = _experiments(app)
    try:
        e = await experiments.get(tenant.id, experiment_id)
    except ExperimentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    control, treatment = await experiments.arms(e)
    return {**experiment_json(e), "arms": {"control": control, "treatment": treatment}}


@router.post("/{experiment_id}/evaluate")
async def evaluate(experiment_id: str, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Decide now: stop early, wait, hold, step up or promote (the server also does so every `learning_check_s`)."""
    experiments = _experiments(app)
    try:
        decision = await experiments.evaluate(tenant.id, experiment_id, principal.actor)
        e = await experiments.get(tenant.id, experiment_id)
    except ExperimentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ExperimentConflict as exc:
        raise HTTPException(409, str(exc)) from None
    if decision["decision"] == "stop":
        hooks = list((tenant.settings or {}).get("alert_webhooks") or [])
        message = f"experiment {e.id} stopped early: {decision['reason']}"
        await app.tools.alerts.raise_event(tenant.id, "experiment", message, hooks)
    return {"decision": decision, "experiment": experiment_json(e)}


@router.post("/{experiment_id}/stop")
async def stop(experiment_id: str, body: Stop, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Cancel it by hand: every customer back on the control."""
    try:
        return experiment_json(await _experiments(app).stop(tenant.id, experiment_id, principal.actor, body.reason))
    except ExperimentNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ExperimentConflict as exc:
        raise HTTPException(409, str(exc)) from None
