"""Finding a tenant's threads by metadata, state values and status, as `threads.search` and `threads.count` ask.

Metadata and values match by JSON containment (`{"a": {"b": 1}}` matches `{"a": {"b": 1, "c": 2}, "d": 3}`):
inside PostgreSQL with `@>`; on SQLite, the embedded default, in Python over the tenant's threads.
"""

from typing import Any

from sqlalchemy import Select, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Thread

SORTABLE = {
    "thread_id": Thread.id,
    "status": Thread.status,
    "created_at": Thread.created_at,
    "updated_at": Thread.updated_at,
    "state_updated_at": Thread.updated_at,
}


def contains(document: Any, pattern: Any) -> bool:
    """PostgreSQL's `@>` for JSON values: objects by key, recursively; arrays by each element; scalars equal."""
    if isinstance(pattern, dict):
        return isinstance(document, dict) and all(
            k in document and contains(document[k], v) for k, v in pattern.items()
        )
    if isinstance(pattern, list):
        if not isinstance(document, list):
            return False
        return all(any(contains(d, p) for d in document) for p in pattern)
    if isinstance(document, bool) or isinstance(pattern, bool):
        return document is pattern
    return document == pattern


def _filtered(
    stmt: Select, postgres: bool, metadata: dict[str, Any] | None, values: dict[str, Any] | None
) -> tuple[Select, bool]:
    """Add the containment filters in SQL where the database can; True when Python must still apply them."""
    if not (metadata or values):
        return stmt, False
    if not postgres:
        return stmt, True
    if metadata:
        stmt = stmt.where(cast(Thread.meta, JSONB).op("@>")(literal(metadata, JSONB)))
    if values:
        stmt = stmt.where(cast(Thread.values, JSONB).op("@>")(literal(values, JSONB)))
    return stmt, False


def _matches(row: Thread, metadata: dict[str, Any] | None, values: dict[str, Any] | None) -> bool:
    meta = {**(row.meta or {}), "tenant_id": row.tenant_id}
    return (not metadata or contains(meta, metadata)) and (not values or contains(row.values or {}, values))


async def search_threads(
    db: AppDatabase,
    tenant_id: str,
    *,
    ids: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status: str | None = None,
    limit: int = 10,
    offset: int = 0,
    sort_by: str = "updated_at",
    sort_order: str = "desc",
) -> list[Thread]:
    metadata = {k: v for k, v in (metadata or {}).items() if not (k == "tenant_id" and v == tenant_id)}
    stmt = select(Thread).where(Thread.tenant_id == tenant_id)
    if ids:
        stmt = stmt.where(Thread.id.in_(ids))
    if status:
        stmt = stmt.where(Thread.status == status)
    column = SORTABLE.get(sort_by, Thread.updated_at)
    order = column.asc() if sort_order == "asc" else column.desc()
    stmt = stmt.order_by(order, Thread.id.asc() if sort_order == "asc" else Thread.id.desc())
    stmt, in_python = _filtered(stmt, db.engine.dialect.name == "postgresql", metadata, values)
    async with db.session() as s:
        if not in_python:
            return list(await s.scalars(stmt.limit(limit).offset(offset)))
        rows = [r for r in await s.scalars(stmt) if _matches(r, metadata, values)]
    return rows[offset : offset + limit]


async def count_threads(
    db: AppDatabase,
    tenant_id: str,
    *,
    metadata: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status: str | None = None,
) -> int:
    metadata = {k: v for k, v in (metadata or {}).items() if not (k == "tenant_id" and v == tenant_id)}
    stmt = select(Thread).where(Thread.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Thread.status == status)
    stmt, in_python = _filtered(stmt, db.engine.dialect.name == "postgresql", metadata, values)
    async with db.session() as s:
        if not in_python:
            return int(await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        return sum(1 for r in await s.scalars(stmt) if _matches(r, metadata, values))
