"""Admin: tenants, their keys, and the audit log. Every route needs the `admin` scope.

A tenant's admin key manages its own tenant; an operator's key (no tenant, made with `concierge keys create
--operator`) manages every tenant and creates new ones. Another tenant's tenant, key or log answers 404.
A new key is in the answer once and never again; provider keys are never in any answer.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App
from concierge.tools.auth import audit, keys, tenants
from concierge.tools.auth.keys import AdminError

router = APIRouter(prefix="/admin", tags=["admin"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]


async def operator(principal: Admin) -> Principal:
    """An operator's key (no tenant): checked before the body, so a tenant's admin hears why at once."""
    if not principal.operator:
        raise HTTPException(403, "creating tenants needs an operator's key (`concierge keys create --operator`)")
    return principal


Operator = Annotated[Principal, Depends(operator)]


class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="lowercase letters, digits, - and _")
    name: str | None = None
    description: str = ""
    timezone: str = "UTC"
    currency: str = "EUR"
    settings: dict[str, Any] = Field(default_factory=dict, description="Agent settings, origins, rate limits")
    providers: dict[str, Any] = Field(default_factory=dict, description="Provider keys; stored encrypted")


class TenantUpdate(BaseModel):
    """Fields to change; `settings` and `providers` are merged key by key, and a null value removes a key."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    timezone: str | None = None
    currency: str | None = None
    settings: dict[str, Any] | None = None
    providers: dict[str, Any] | None = None


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["secret", "publishable"] = "secret"
    scopes: list[str] = Field(default_factory=list, description=f"Of: {', '.join(keys.SCOPES)}")
    name: str = Field(default="", max_length=200)


def _mine(principal: Principal, tenant_id: str) -> None:
    """A tenant's admin acts on its own tenant only; anything else looks as if it did not exist."""
    if not principal.operator and principal.tenant_id != tenant_id:
        raise HTTPException(404, f"tenant {tenant_id!r} not found")


def _bad(exc: AdminError) -> HTTPException:
    return HTTPException(409 if "already exists" in str(exc) else 422, str(exc))


async def _refresh_origins(request: Request) -> None:
    refresh = getattr(request.app.state, "refresh_origins", None)
    if refresh is not None:
        await refresh()


@router.get("/tenants")
async def list_tenants(app: App, principal: Admin) -> dict[str, Any]:
    """Every tenant for an operator's key; the key's own tenant otherwise."""
    if principal.operator:
        return {"tenants": await tenants.list_tenants(app.tools.db, app.tools.secrets)}
    assert principal.tenant_id is not None
    own = await tenants.get_tenant(app.tools.db, app.tools.secrets, principal.tenant_id)
    return {"tenants": [own] if own else []}


@router.post("/tenants", status_code=201)
async def create_tenant(principal: Operator, body: TenantCreate, app: App, request: Request) -> dict[str, Any]:
    """A new tenant (operator's key only); make its keys next with `POST /admin/tenants/{id}/keys`."""
    try:
        out = await tenants.create_tenant(
            app.tools.db, app.tools.secrets, body.id, principal.actor, **body.model_dump(exclude={"id"})
        )
    except AdminError as exc:
        raise _bad(exc) from None
    await _refresh_origins(request)
    return out


@router.get("/tenants/{tenant_id}")
async def get_tenant(tenant_id: str, app: App, principal: Admin) -> dict[str, Any]:
    _mine(principal, tenant_id)
    out = await tenants.get_tenant(app.tools.db, app.tools.secrets, tenant_id)
    if out is None:
        raise HTTPException(404, f"tenant {tenant_id!r} not found")
    return out


@router.patch("/tenants/{tenant_id}")
async def update_tenant(
    tenant_id: str, body: TenantUpdate, app: App, principal: Admin, request: Request
) -> dict[str, Any]:
    """Change the tenant's configuration: guardrails, prompt, sources, models, budgets, prices, limits, origins,
    provider keys. The only way to change them: a run may carry facts about its customer, nothing else."""
    _mine(principal, tenant_id)
    try:
        out = await tenants.update_tenant(
            app.tools.db, app.tools.secrets, tenant_id, principal.actor, body.model_dump(exclude_unset=True)
        )
    except AdminError as exc:
        raise _bad(exc) from None
    if out is None:
        raise HTTPException(404, f"tenant {tenant_id!r} not found")
    await _refresh_origins(request)
    return out


@router.get("/tenants/{tenant_id}/keys")
async def list_keys(tenant_id: str, app: App, principal: Admin) -> dict[str, Any]:
    """The tenant's keys, revoked ones included, newest first: prefixes and scopes, never the keys."""
    _mine(principal, tenant_id)
    return {"keys": await keys.list_keys(app.tools.db, tenant_id)}


@router.post("/tenants/{tenant_id}/keys", status_code=201)
async def create_key(tenant_id: str, body: KeyCreate, app: App, principal: Admin, response: Response) -> dict:
    """A new key; `key` is in this answer only: store it now. A publishable key may only create and run threads."""
    _mine(principal, tenant_id)
    try:
        listing, key = await keys.create_key(
            app.tools.db, tenant_id, body.kind, body.scopes, body.name, principal.actor
        )
    except AdminError as exc:
        raise HTTPException(404 if "not found" in str(exc) else 422, str(exc)) from None
    response.headers["Cache-Control"] = "no-store"
    return {**listing, "key": key}


@router.delete("/tenants/{tenant_id}/keys/{key_id}")
async def revoke_key(tenant_id: str, key_id: str, app: App, principal: Admin) -> dict[str, Any]:
    """Revoke a key: it stops working at once. Revoking twice changes nothing."""
    _mine(principal, tenant_id)
    out = await keys.revoke_key(app.tools.db, key_id, principal.actor, tenant_id)
    if out is None:
        raise HTTPException(404, f"key {key_id} not found")
    return out


@router.get("/audit")
async def audit_log(app: App, principal: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Admin actions, newest first: who (which key, or the CLI), what, when. A tenant's admin sees its own."""
    return {"entries": await audit.entries(app.tools.db, principal.tenant_id, limit)}
