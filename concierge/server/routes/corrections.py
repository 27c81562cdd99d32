"""Corrections: human agents' replies next to the bot drafts they replaced, for supervisors to review.

Approved ones over a quality threshold are what `concierge export-training` writes; each change to the approved
set makes a new numbered evaluation set (`GET /corrections/eval-set`, `concierge eval --corrections`).
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Security
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from concierge.server.auth import require
from concierge.server.deps import App
from concierge.server.routes.handoffs import Agent
from concierge.tools.support.corrections import CorrectionNotFound, correction_json, eval_questions

router = APIRouter(prefix="/corrections", tags=["corrections"])


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: StrictBool
    quality: Annotated[int, Field(ge=1, le=5)]
    """How good the agent's reply is as an example to learn from, 1-5."""
    note: Annotated[str, Field(max_length=4000)] = ""


@router.get("")
async def list_corrections(
    agent: Agent,
    app: App,
    status: Annotated[Literal["pending", "approved", "rejected"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Corrections oldest first; `status=pending` is the supervisors' review queue."""
    return [correction_json(c) for c in await app.tools.corrections.find(agent.tenant.id, status, limit)]


@router.get("/eval-set")
async def eval_set(
    agent: Agent, app: App, version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None
) -> dict[str, Any]:
    """A numbered evaluation set (the newest by default) as `concierge eval` questions."""
    try:
        number, corrections = await app.tools.corrections.eval_set(agent.tenant.id, version)
    except CorrectionNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return {"version": number, "questions": eval_questions(corrections, number)}


@router.get("/{correction_id}")
async def read_correction(correction_id: str, agent: Agent, app: App) -> dict[str, Any]:
    try:
        return correction_json(await app.tools.corrections.get(agent.tenant.id, correction_id))
    except CorrectionNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/{correction_id}/review", dependencies=[Security(require, scopes=["admin"])])
async def review(correction_id: str, body: Review, agent: Agent, app: App) -> dict[str, Any]:
    """A supervisor (`admin`) approves or rejects a correction with a quality score 1-5; approving adds it to a
    new evaluation set."""
    try:
        correction, version = await app.tools.corrections.review(
            agent.tenant.id,
            correction_id,
            approved=body.approved,
            quality=body.quality,
            reviewer=agent.name,
            note=body.note,
        )
    except CorrectionNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return {**correction_json(correction), "eval_set_version": version}
