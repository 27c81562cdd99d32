"""Live figures of a tenant's turns over a window, for one policy version or all: what experiments, the rollback
watch and alerts decide on.

A run's policy version is in its metadata (`policy_version`, set when it was admitted); answers, handoffs and
provider calls name their run, ratings their thread and turn. Figures: turns, helpful rate (of answers rated
helpful or not), handoff rate (turns handed to a person), error rate (runs that failed), declined answers,
implicit signals (continued, completed actions, asked for a person), cost, p50/p95 latency of answers, and the
provider error rate (failed provider calls over calls, the built-in local answerer aside).
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Answer, FeedbackEntry, HandoffEntry, Run, UsageRecord

CHUNK = 500
LOCAL_PROVIDER = "local"


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(int(-(-q * len(ordered) // 100)), 1)
    return ordered[min(rank, len(ordered)) - 1]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def figures(
    db: AppDatabase, tenant_id: str, version: int | None, since: datetime, until: datetime | None = None
) -> dict[str, Any]:
    """The tenant's figures over [since, until) for turns of policy `version` (None: every turn)."""
    async with db.session() as s:
        query = select(Run.id, Run.status, Run.meta, Run.thread_id).where(
            Run.tenant_id == tenant_id, Run.created_at >= since
        )
        if until is not None:
            query = query.where(Run.created_at < until)
        runs = [
            r
            for r in (await s.execute(query)).all()
            if version is None or (r.meta or {}).get("policy_version") == version
        ]
        ids = [r.id for r in runs]
        answers: list[Any] = []
        handoffs: list[Any] = []
        calls: list[Any] = []
        for part in _chunks(ids):
            answers += (
                await s.execute(
                    select(
                        Answer.thread_id,
                        Answer.turn,
                        Answer.latency_ms,
                        Answer.grounded,
                        Answer.feedback,
                        Answer.asked_human,
                        Answer.completed_action,
                    ).where(Answer.tenant_id == tenant_id, Answer.run_id.in_(part))
                )
            ).all()
            handoffs += (
                await s.execute(
                    select(HandoffEntry.thread_id, HandoffEntry.turn).where(
                        HandoffEntry.tenant_id == tenant_id, HandoffEntry.run_id.in_(part)
                    )
                )
            ).all()
            calls += (
                await s.execute(
                    select(UsageRecord.provider, UsageRecord.ok, UsageRecord.cost_usd).where(
                        UsageRecord.tenant_id == tenant_id, UsageRecord.run_id.in_(part)
                    )
                )
            ).all()
        keys = {(a.thread_id, a.turn) for a in answers}
        threads = sorted({t for t, _ in keys})
        ratings: dict[tuple[str, int], bool] = {}
        for part in _chunks(threads):
            for thread_id, turn, helpful in (
                await s.execute(
                    select(FeedbackEntry.thread_id, FeedbackEntry.turn, FeedbackEntry.helpful).where(
                        FeedbackEntry.tenant_id == tenant_id,
                        FeedbackEntry.thread_id.in_(part),
                        FeedbackEntry.helpful.is_not(None),
                    )
                )
            ).all():
                if (thread_id, turn) in keys:
                    ratings[(thread_id, turn)] = bool(helpful)
    handed = {(h.thread_id, h.turn) for h in handoffs}
    turns = len(keys | handed)
    errors = sum(r.status in ("error", "timeout") for r in runs)
    latencies = [a.latency_ms for a in answers if a.latency_ms is not None]
    remote = [c for c in calls if c.provider != LOCAL_PROVIDER]
    helpful = sum(ratings.values())
    return {
        "policy_version": version,
        "runs": len(runs),
        "turns": turns,
        "answers": len(answers),
        "errors": errors,
        "error_rate": _rate(errors, len(runs)),
        "rated": len(ratings),
        "helpful": helpful,
        "helpful_rate": _rate(helpful, len(ratings)),
        "handoffs": len(handed),
        "handoff_rate": _rate(len(handed), turns),
        "declined": sum(not a.grounded for a in answers),
        "continued": sum(a.feedback == "continued" for a in answers),
        "actions": sum(bool(a.completed_action) for a in answers),
        "asked_human": sum(bool(a.asked_human) for a in answers),
        "cost_usd": round(sum(c.cost_usd or 0.0 for c in calls), 6),
        "cost_per_turn_usd": round(sum(c.cost_usd or 0.0 for c in calls) / turns, 8) if turns else None,
        "p50_latency_ms": percentile(latencies, 50),
        "p95_latency_ms": percentile(latencies, 95),
        "provider_calls": len(remote),
        "provider_errors": sum(not c.ok for c in remote),
        "provider_error_rate": _rate(sum(not c.ok for c in remote), len(remote)),
    }
