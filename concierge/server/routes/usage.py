"""Operators' view of generation: cost per tenant and day, latency percentiles, provider health, budget alerts.

Everything is the key's tenant's: its cost, alerts and latency; provider health is the process's view of the
credentials this tenant's calls go through (the deployment's keys, or the tenant's own).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Security

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.auth.tenants import provider_settings

router = APIRouter(tags=["usage"], dependencies=[Security(require, scopes=["analytics:view"])])
Days = Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")]


def _since(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days - 1)


@router.get("/usage/daily")
async def daily_cost(app: App, tenant: CurrentTenant, days: Days = 7) -> dict[str, Any]:
    """Cost per day, with calls, failures and tokens per `provider/model`: the tenant's daily summaries."""
    rows = await app.tools.usage.daily(tenant.id, _since(days))
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        day = out.setdefault(row["day"], {"day": row["day"], "cost_usd": 0.0, "calls": 0, "failures": 0, "models": []})
        day["cost_usd"] = round(day["cost_usd"] + row["cost_usd"], 6)
        day["calls"] += row["calls"]
        day["failures"] += row["failures"]
        day["models"].append({k: v for k, v in row.items() if k != "day"})
    return {"tenant_id": tenant.id, "days": list(out.values())}


@router.get("/usage/latency")
async def latency(app: App, tenant: CurrentTenant, days: Days = 1) -> dict[str, Any]:
    """p50 / p95 / p99 latency and time to first token of the tenant's answered calls, per `provider/model`."""
    return {"tenant_id": tenant.id, "models": await app.tools.usage.latency(_since(days), tenant.id)}


@router.get("/usage/alerts")
async def budget_alerts(app: App, tenant: CurrentTenant) -> dict[str, Any]:
    """Days on which the tenant's daily budget was spent and the router fell back to the cheapest chain."""
    return {"tenant_id": tenant.id, "alerts": await app.tools.usage.alerts(tenant.id)}


@router.get("/providers/health")
async def provider_health(app: App, tenant: CurrentTenant, days: Days = 1) -> dict[str, Any]:
    """Per `provider/model` this tenant reaches: circuit state of the credential its calls use (`key`: the
    deployment's or the tenant's own), window failure share, calls the breaker saved, transitions, and the
    tenant's latency percentiles; plus which providers are configured (never their keys)."""
    own = await provider_settings(app.tools.db, app.tools.secrets, tenant.id)
    whose = app.tools.models.fingerprints(own)
    health: dict[str, dict[str, Any]] = {}
    for key, entry in app.tools.health.snapshot().items():
        name, _, fingerprint = key.partition("#")
        if fingerprint in whose:
            health[name] = {**entry, "key": whose[fingerprint]}
    lat = await app.tools.usage.latency(_since(days), tenant.id)
    models = {name: {**health.get(name, {"state": "healthy"}), **lat.get(name, {})} for name in {*health, *lat}}
    return {
        "configured": app.tools.models.configured(own),
        "policy": vars(app.tools.health.policy),
        "models": dict(sorted(models.items())),
    }
