"""The retrieval log: one row per source asked in a turn, for analytics on latency, yield and failures.

Written by `nodes.retrieval.run_source` after each source finishes or runs out of time; read by the
`/retrieval/log` routes. Rows of one turn share `thread_id` and `turn`; `sources_asked` repeats the turn's
whole fan-out so a row alone says what else ran beside it.
"""

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import RetrievalLogEntry
from concierge.tools.metrics import RETRIEVAL_SECONDS

log = logging.getLogger(__name__)
INSERT = insert(RetrievalLogEntry.__table__)


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
    policy_version: int | None = None


async def record(db: AppDatabase, run: SourceRun) -> None:
    """Store one source's run; a failure to log is itself only logged, never the turn's problem. Through the write
    gate like the run queue's writes (on SQLite, a writer meeting another waits in SQLite's busy handler, which
    sleeps in steps of up to 100 ms)."""
    RETRIEVAL_SECONDS.labels(source=run.source, status=run.status).observe(run.elapsed_ms / 1000)
    try:
        async with writing(db), db.session() as s:
            await s.execute(INSERT, [{**run.__dict__, "created_at": utcnow()}])
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
