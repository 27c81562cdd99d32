"""Per tenant and day: helpful rate, feedback collected, implicit satisfaction, handoffs and how fast people came.

The figures and the implicit satisfaction formula are documented in `concierge/tools/support/analytics.py` and
the README.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Security

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.support.analytics import daily

router = APIRouter(tags=["analytics"], dependencies=[Security(require, scopes=["analytics:view"])])


@router.get("/analytics/daily")
async def daily_figures(
    app: App,
    tenant: CurrentTenant,
    days: Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")] = 7,
) -> dict[str, Any]:
    """One row per day of the tenant's calendar (its time zone), oldest first."""
    rows = await daily(
        app.tools.db,
        tenant.id,
        timezone=tenant.timezone,
        days=days,
        abandoned_after_s=app.tools.settings.abandoned_after_s,
    )
    return {"tenant_id": tenant.id, "timezone": tenant.timezone, "days": rows}
