"""Evaluation sets: the tenant's named, versioned sets of cases (`tools/learning/evalsets.py`).

Reading needs `analytics:view`; changing a set (`admin`) stores it as a new version: cases sent in the body,
a JSON Lines file, one of the team's sets, or the approved corrections. Another tenant's set is a 404.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.learning.evalsets import (
    EvalSetError,
    EvalSetNotFound,
    check_name,
    parse_jsonl,
    set_json,
    team_sets,
)

router = APIRouter(prefix="/eval-sets", tags=["learning"])
Reader = Security(require, scopes=["analytics:view"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]
Version = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="A version; the newest by default")]


class CasesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: list[dict[str, Any]] = Field(description="Questions or conversations, as in a JSON Lines set")
    replace: bool = Field(default=False, description="Replace the set's cases instead of adding to them")


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Literal["team", "corrections", "jsonl"] = Field(
        description="`team`: the team's set of this name; `corrections`: approved corrections; `jsonl`: the file"
    )
    jsonl: str | None = Field(default=None, max_length=20_000_000, description="The JSON Lines text (`jsonl`)")
    filename: str = Field(default="", max_length=200)
    min_quality: Annotated[int, Field(ge=1, le=5)] = 1


def _name(name: str) -> str:
    try:
        return check_name(name)
    except EvalSetError as exc:
        raise HTTPException(422, str(exc)) from None


def _saved(row: Any, created: bool, response: Response) -> dict[str, Any]:
    response.status_code = 201 if created else 200
    return {**set_json(row, with_cases=False), "created": created}


@router.get("", dependencies=[Reader])
async def list_sets(app: App, tenant: CurrentTenant) -> dict[str, Any]:
    """The tenant's sets (newest version of each), and the team's sets it can import."""
    return {"sets": await app.tools.evalsets.summaries(tenant.id), "team_sets": sorted(team_sets())}


@router.get("/{name}", dependencies=[Reader])
async def read_set(name: str, app: App, tenant: CurrentTenant, version: Version = None) -> dict[str, Any]:
    try:
        return set_json(await app.tools.evalsets.get(tenant.id, _name(name), version))
    except EvalSetNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/{name}/versions", dependencies=[Reader])
async def set_versions(name: str, app: App, tenant: CurrentTenant) -> dict[str, Any]:
    try:
        return {"name": name, "versions": await app.tools.evalsets.versions(tenant.id, _name(name))}
    except EvalSetNotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.post("/{name}")
async def change_set(
    name: str, body: CasesBody, app: App, tenant: CurrentTenant, principal: Admin, response: Response
) -> dict[str, Any]:
    """Add cases (an existing id is replaced) or replace them all: `201` with the new version, `200` when the cases
    are those of the newest version already."""
    sets, name = app.tools.evalsets, _name(name)
    try:
        if body.replace:
            row, created = await sets.save(tenant.id, name, body.cases, origin="api", actor=principal.actor)
        else:
            row, created = await sets.add(tenant.id, name, body.cases, origin="api", actor=principal.actor)
    except EvalSetError as exc:
        raise HTTPException(422, str(exc)) from None
    return _saved(row, created, response)


@router.post("/{name}/import")
async def import_set(
    name: str, body: ImportBody, app: App, tenant: CurrentTenant, principal: Admin, response: Response
) -> dict[str, Any]:
    """A new version from the team's set of this name, the approved corrections, or a JSON Lines file."""
    sets, name = app.tools.evalsets, _name(name)
    try:
        if body.source == "team":
            row, created = await sets.import_team(tenant.id, name, principal.actor)
        elif body.source == "corrections":
            row, created = await sets.import_corrections(tenant.id, principal.actor, name, body.min_quality)
        else:
            if not body.jsonl:
                raise EvalSetError("jsonl: the file's text is needed with source `jsonl`")
            origin = f"import:{body.filename or 'upload'}"
            row, created = await sets.save(
                tenant.id, name, parse_jsonl(body.jsonl), origin=origin, actor=principal.actor
            )
    except EvalSetNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except EvalSetError as exc:
        raise HTTPException(422, str(exc)) from None
    return _saved(row, created, response)
