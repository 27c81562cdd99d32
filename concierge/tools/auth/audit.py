"""The audit log: every admin action (tenants, keys, settings) with who did it and when; never a secret."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import AuditEntry


async def record(
    session: AsyncSession, actor: str, action: str, tenant_id: str | None, target: str, detail: dict[str, Any]
) -> None:
    """Add an entry in the caller's transaction, so the action and its record commit together."""
    session.add(AuditEntry(at=utcnow(), actor=actor, action=action, tenant_id=tenant_id, target=target, detail=detail))


async def entries(db: AppDatabase, tenant_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Newest first; one tenant's, or every entry with `tenant_id=None`."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if tenant_id is not None:
        query = query.where(AuditEntry.tenant_id == tenant_id)
    async with db.session() as s:
        return [
            {
                "id": e.id,
                "at": e.at,
                "tenant_id": e.tenant_id,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail,
            }
            for e in await s.scalars(query)
        ]
