"""Catalog bookkeeping beside the product tables: a version per tenant, bumped on every change.

The in-memory search index compares this number to decide when to reload, so a change made by another
process (the CLI importing while the server runs) is seen on the next query.
"""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.tools.db.base import utcnow
from concierge.tools.db.models import CatalogVersion


async def bump_version(s: AsyncSession, tenant_id: str) -> None:
    """Mark the tenant's catalog as changed; call inside the session that changed it, before commit."""
    row = await s.get(CatalogVersion, tenant_id)
    if row is None:
        s.add(CatalogVersion(tenant_id=tenant_id, version=1, updated_at=utcnow()))
    else:
        row.version += 1
        row.updated_at = utcnow()


async def current_version(s: AsyncSession, tenant_id: str) -> int:
    return await s.scalar(select(CatalogVersion.version).where(CatalogVersion.tenant_id == tenant_id)) or 0
