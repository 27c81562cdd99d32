"""The retrieval log: one row per source asked in a turn, for analytics on latency, yield and failures.

Written by `nodes.retrieval.run_source` after each source finishes or runs out of time; read by the
`/retrieval/log` routes. Rows of one turn share `thread_id` and `turn`; `sources_asked` repeats the turn's
whole fan-out so a row alone says what else ran beside it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

from concierge.tools.appdb import AppDatabase, Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)


class RetrievalLogEntry(Base):
    __tablename__ = "retrieval_log"
    __table_args__ = (
        Index("ix_retrieval_log_tenant_created", "tenant_id", "created_at"),
        Index("ix_retrieval_log_thread_turn", "thread_id", "turn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(32))
    sources_asked: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))
    """ok, stale (served from an expired cache after a provider failure), timeout or error."""
    results: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[float] = mapped_column(Float)
    budget_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "thread_id": self.thread_id,
            "turn": self.turn,
            "source": self.source,
            "sources_asked": list(self.sources_asked or []),
            "status": self.status,
            "results": self.results,
            "elapsed_ms": self.elapsed_ms,
            "budget_ms": self.budget_ms,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class SourceRun:
    tenant_id: str
    thread_id: str | None
    turn: int
    source: str
    sources_asked: list[str]
    status: str
    results: int
    elapsed_ms: float
    budget_ms: float
    error: str | None = None


async def record(db: AppDatabase, run: SourceRun) -> None:
    """Store one source's run; a failure to log is itself only logged, never the turn's problem."""
    try:
        async with db.session() as s:
            s.add(RetrievalLogEntry(**run.__dict__, created_at=utcnow()))
            await s.commit()
    except Exception:
        log.warning("could not write the retrieval log for %s", run.source, exc_info=True)


async def entries(db: AppDatabase, tenant_id: str, thread_id: str | None = None, limit: int = 200) -> list[dict]:
    query = select(RetrievalLogEntry).where(RetrievalLogEntry.tenant_id == tenant_id)
    if thread_id:
        query = query.where(RetrievalLogEntry.thread_id == thread_id)
    async with db.session() as s:
        rows = (await s.scalars(query.order_by(RetrievalLogEntry.id.desc()).limit(limit))).all()
    return [r.as_dict() for r in reversed(rows)]


async def summary(db: AppDatabase, tenant_id: str) -> list[dict[str, Any]]:
    """Per source: runs, results, mean and worst time, and how many ended in each status."""
    e = RetrievalLogEntry
    async with db.session() as s:
        rows = (
            await s.execute(
                select(
                    e.source,
                    e.status,
                    func.count(),
                    func.sum(e.results),
                    func.avg(e.elapsed_ms),
                    func.max(e.elapsed_ms),
                )
                .where(e.tenant_id == tenant_id)
                .group_by(e.source, e.status)
            )
        ).all()
    out: dict[str, dict[str, Any]] = {}
    for source, status, n, results, avg_ms, max_ms in rows:
        agg = out.setdefault(
            source, {"source": source, "runs": 0, "results": 0, "mean_ms": 0.0, "max_ms": 0.0, "statuses": {}}
        )
        agg["mean_ms"] = (agg["mean_ms"] * agg["runs"] + float(avg_ms) * n) / (agg["runs"] + n)
        agg["runs"] += n
        agg["results"] += int(results or 0)
        agg["max_ms"] = max(agg["max_ms"], float(max_ms))
        agg["statuses"][status] = n
    for agg in out.values():
        agg["mean_ms"] = round(agg["mean_ms"], 1)
        agg["max_ms"] = round(agg["max_ms"], 1)
    return sorted(out.values(), key=lambda a: a["source"])
