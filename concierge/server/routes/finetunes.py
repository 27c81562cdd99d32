"""Fine-tuning jobs (`tools/learning/finetune.py`): the tenant's approved corrections sent to OpenAI's fine-tuning
API, followed, and the resulting model registered as a candidate policy to compare and roll out.

Starting and refreshing need `admin`; reading needs `analytics:view`. Another tenant's job is a 404.
"""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.learning.finetune import DEFAULT_BASE, FineTuneError, FineTuneNotFound, FineTunes, job_json

router = APIRouter(prefix="/fine-tunes", tags=["learning"])
Reader = Security(require, scopes=["analytics:view"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]


class FineTuneCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_model: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._:-]+$")] = DEFAULT_BASE
    min_quality: Annotated[int, Field(ge=1, le=5)] = 4


def fine_tunes(app: Any) -> FineTunes:
    tools = app.tools
    return FineTunes(tools.db, tools.secrets, tools.policies, tools.corrections, tools.models.providers.get("openai"))


@router.post("", status_code=201)
async def start(body: FineTuneCreate, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Export the approved corrections at or over `min_quality` and submit them (422: no OpenAI key, nothing to
    learn from, or OpenAI refused)."""
    try:
        row = await fine_tunes(app).start(
            tenant.id, base_model=body.base_model, min_quality=body.min_quality, actor=principal.actor
        )
    except FineTuneError as exc:
        raise HTTPException(422, str(exc)) from None
    return job_json(row)


@router.get("", dependencies=[Reader])
async def list_jobs(app: App, tenant: CurrentTenant) -> dict[str, Any]:
    return {"jobs": [job_json(j) for j in await fine_tunes(app).find(tenant.id)]}


@router.get("/{job_id}", dependencies=[Reader])
async def read_job(job_id: str, app: App, tenant: CurrentTenant) -> dict[str, Any]:
    try:
        return job_json(await fine_tunes(app).get(tenant.id, job_id))
    except FineTuneNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/{job_id}/refresh")
async def refresh(job_id: str, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Ask OpenAI how the job is doing; once it succeeded its model becomes a candidate policy (`policy_version`)."""
    try:
        return job_json(await fine_tunes(app).refresh(tenant.id, job_id, principal.actor))
    except FineTuneNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except FineTuneError as exc:
        raise HTTPException(502, str(exc)) from None
