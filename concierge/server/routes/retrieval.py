"""Retrieval analytics and the web switch: the per-turn retrieval log, per-source figures, web search status."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Security
from pydantic import BaseModel

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant
from concierge.state import Context
from concierge.tools.db.models import Tenant
from concierge.tools.db.retrieval_log import entries, summary

router = APIRouter(prefix="/retrieval", tags=["retrieval"], dependencies=[Security(require, scopes=["analytics:view"])])


@router.get("/log")
async def retrieval_log(
    tenant: CurrentTenant,
    app: App,
    thread_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """One row per source asked in a turn, oldest first: status, results, time spent and its budget."""
    return {"entries": await entries(app.tools.db, tenant.id, thread_id, limit)}


@router.get("/summary")
async def retrieval_summary(tenant: CurrentTenant, app: App) -> dict[str, Any]:
    """Per source: runs, results, mean and worst time, and runs by status (ok, stale, timeout, error)."""
    return {"sources": await summary(app.tools.db, tenant.id)}


def _web_enabled(tenant: Tenant) -> bool:
    sources = (tenant.settings or {}).get("sources", Context().sources)
    return "web" in sources


@router.get("/web")
async def web_status(tenant: CurrentTenant, app: App) -> dict[str, Any]:
    """Whether web search is configured and on for this tenant, the provider, and its counters."""
    web = app.tools.web
    status = web.status() if web is not None and hasattr(web, "status") else {}
    return {"configured": web is not None, "enabled": _web_enabled(tenant), **status}


class WebSwitch(BaseModel):
    enabled: bool


@router.put("/web", dependencies=[Security(require, scopes=["admin"])])
async def switch_web(body: WebSwitch, tenant: CurrentTenant, app: App) -> dict[str, Any]:
    """Turn web search on or off for this tenant (kept in the tenant's `sources` setting; `admin` only)."""
    async with app.tools.db.session() as s:
        row = await s.get(Tenant, tenant.id)
        assert row is not None
        settings = dict(row.settings or {})
        sources = [x for x in settings.get("sources", Context().sources) if x != "web"]
        settings["sources"] = [*sources, "web"] if body.enabled else sources
        row.settings = settings
        await s.commit()
        enabled = _web_enabled(row)
    return {"configured": app.tools.web is not None, "enabled": enabled}
