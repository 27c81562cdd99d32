"""Alerts: the tenant's incidents (quality drop, cost spike, p95 latency, provider errors, handoff rate) and one-off
events (rollbacks, experiments stopped), and the webhooks they go to (`tools/learning/alerts.py`).

Listing needs `analytics:view`; checking now and setting the webhooks need `admin`.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Security
from pydantic import BaseModel, ConfigDict, Field

from concierge.server.auth import Principal, require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.auth.keys import AdminError
from concierge.tools.auth.tenants import update_tenant
from concierge.tools.learning.alerts import alert_json

router = APIRouter(prefix="/alerts", tags=["learning"])
Reader = Security(require, scopes=["analytics:view"])
Admin = Annotated[Principal, Security(require, scopes=["admin"])]


class Webhooks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    webhooks: Annotated[list[str], Field(max_length=20)] = Field(
        description='URLs that take a Slack-compatible POST {"text": ...}'
    )


@router.get("", dependencies=[Reader])
async def list_alerts(
    app: App,
    tenant: CurrentTenant,
    status: Annotated[Literal["open", "resolved"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Alerts newest first, with where each was delivered."""
    return {"alerts": [alert_json(a) for a in await app.tools.alerts.find(tenant.id, status, limit)]}


@router.post("/check")
async def check(
    app: App,
    tenant: CurrentTenant,
    principal: Admin,
    window_s: Annotated[
        float | None, Query(gt=0, le=366 * 86400, description="Seconds of live figures (default the setting)")
    ] = None,
) -> dict[str, Any]:
    """Check every rule now (the server also does every `learning_check_s`); a rule newly firing sends one alert."""
    conf = app.tools.settings
    findings, sent = await app.tools.alerts.check(
        tenant.id,
        webhooks=list((tenant.settings or {}).get("alert_webhooks") or []),
        budget_usd=(tenant.settings or {}).get("daily_budget_usd"),
        window_s=window_s or conf.learning_window_s,
        min_samples=conf.learning_min_samples,
    )
    return {"findings": [f.__dict__ for f in findings], "sent": [alert_json(a) for a in sent]}


@router.get("/webhooks", dependencies=[Reader])
async def read_webhooks(tenant: CurrentTenant) -> dict[str, Any]:
    return {"webhooks": list((tenant.settings or {}).get("alert_webhooks") or [])}


@router.put("/webhooks")
async def set_webhooks(body: Webhooks, app: App, tenant: CurrentTenant, principal: Admin) -> dict[str, Any]:
    """Where the tenant's alerts go (the tenant's `alert_webhooks` setting; audited)."""
    try:
        view = await update_tenant(
            app.tools.db, app.tools.secrets, tenant.id, principal.actor, {"settings": {"alert_webhooks": body.webhooks}}
        )
    except AdminError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"webhooks": (view or {}).get("settings", {}).get("alert_webhooks", [])}
