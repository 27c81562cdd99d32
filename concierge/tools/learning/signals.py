"""Live figures of a tenant's turns over a window, for one policy version or all: what experiments, the rollback
watch and alerts decide on.

A run's policy version is in its metadata (`policy_version`, set when it was admitted); answers, handoffs and
provider calls name their run, ratings their thread and turn. Figures: turns, helpful rate (of answers rated
helpful or not), handoff rate (turns handed to a person), error rate (runs that failed), declined answers,
implicit signals (continued, completed actions, asked for a person), cost, p50/p95 latency of answers, and the
provider error rate (failed provider calls over calls, the built-in local answerer aside).

All of it is one SQL statement (SQLAlchemy Core, the same on SQLite and PostgreSQL): the window's runs, picked by
the version in their JSON metadata, as a CTE, and every figure an aggregate over the rows that name those runs.
Nothing is loaded row by row into Python, so a month of turns costs the database a scan, not the server memory.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Label, and_, case, cast, func, literal, select, union
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Answer, FeedbackEntry, HandoffEntry, Run, UsageRecord

LOCAL_PROVIDER = "local"
PERCENTILES = (50, 95)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows meet `condition`: 0, not NULL, over no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figure(name: str, value: ColumnElement[Any], source: FromClause, *where: ColumnElement[bool]) -> Label[Any]:
    """One aggregate as a column of the single result row (scalar subqueries: no FROM to cross-join)."""
    return select(value).select_from(source).where(*where).scalar_subquery().label(name)


def _of_version(version: int, postgres: bool) -> ColumnElement[bool]:
    """The run's `policy_version` metadata is this number: JSON containment on PostgreSQL (the column is `json`,
    which has no equality), `json_extract` on SQLite (a number only equals a number there, as in Python)."""
    if postgres:
        return cast(Run.meta, JSONB).op("@>")(literal({"policy_version": version}, JSONB))
    return func.json_extract(Run.meta, "$.policy_version") == version


def _statement(tenant_id: str, version: int | None, since: datetime, until: datetime | None, postgres: bool) -> Select:
    runs_q = select(Run.id, Run.status).where(Run.tenant_id == tenant_id, Run.created_at >= since)
    if until is not None:
        runs_q = runs_q.where(Run.created_at < until)
    if version is not None:
        runs_q = runs_q.where(_of_version(version, postgres))
    runs = runs_q.cte("window_runs")
    in_window = select(runs.c.id)
    answers = (
        select(
            Answer.thread_id,
            Answer.turn,
            Answer.latency_ms,
            Answer.grounded,
            Answer.feedback,
            Answer.asked_human,
            Answer.completed_action,
        )
        .where(Answer.tenant_id == tenant_id, Answer.run_id.in_(in_window))
        .cte("window_answers")
    )
    handed = (
        select(HandoffEntry.thread_id, HandoffEntry.turn)
        .where(HandoffEntry.tenant_id == tenant_id, HandoffEntry.run_id.in_(in_window))
        .distinct()
        .cte("window_handoffs")
    )
    turns = union(select(answers.c.thread_id, answers.c.turn), select(handed.c.thread_id, handed.c.turn)).subquery()
    # A turn rated more than once (another key, a signed URL after the widget) counts by its latest rating.
    ratings = (
        select(
            FeedbackEntry.helpful,
            func.row_number()
            .over(
                partition_by=(FeedbackEntry.thread_id, FeedbackEntry.turn),
                order_by=(FeedbackEntry.updated_at.desc(), FeedbackEntry.id.desc()),
            )
            .label("nth"),
        )
        .join(answers, and_(answers.c.thread_id == FeedbackEntry.thread_id, answers.c.turn == FeedbackEntry.turn))
        .where(FeedbackEntry.tenant_id == tenant_id, FeedbackEntry.helpful.is_not(None))
        .subquery()
    )
    latest = ratings.c.nth == 1
    calls = (
        select(UsageRecord.provider, UsageRecord.ok, UsageRecord.cost_usd)
        .where(UsageRecord.tenant_id == tenant_id, UsageRecord.run_id.in_(in_window))
        .subquery()
    )
    remote = calls.c.provider != LOCAL_PROVIDER
    return select(
        _figure("runs", func.count(), runs),
        _figure("errors", _count(runs.c.status.in_(("error", "timeout"))), runs),
        _figure("answers", func.count(), answers),
        _figure("declined", _count(~answers.c.grounded), answers),
        _figure("continued", _count(answers.c.feedback == "continued"), answers),
        _figure(
            "actions", _count(and_(answers.c.completed_action.is_not(None), answers.c.completed_action != "")), answers
        ),
        _figure("asked_human", _count(answers.c.asked_human.is_(True)), answers),
        _figure("turns", func.count(), turns),
        _figure("handoffs", func.count(), handed),
        _figure("rated", func.count(), ratings, latest),
        _figure("helpful", _count(ratings.c.helpful.is_(True)), ratings, latest),
        _figure("cost_usd", func.coalesce(func.sum(func.coalesce(calls.c.cost_usd, 0.0)), 0.0), calls),
        _figure("provider_calls", func.count(), calls, remote),
        _figure("provider_errors", func.count(), calls, remote, calls.c.ok.is_(False)),
        *_percentiles(answers),
    )


def _percentiles(answers: FromClause) -> list[Label[Any]]:
    """Nearest-rank p50 and p95 of the answers' latencies: the value whose rank is ceil(q * n / 100)."""
    ranked = (
        select(
            answers.c.latency_ms,
            func.row_number().over(order_by=answers.c.latency_ms).label("nth"),
            func.count().over().label("n"),
        )
        .where(answers.c.latency_ms.is_not(None))
        .subquery()
    )
    return [
        _figure(f"p{q}_latency_ms", func.max(ranked.c.latency_ms), ranked, ranked.c.nth == (q * ranked.c.n + 99) // 100)
        for q in PERCENTILES
    ]


async def figures(
    db: AppDatabase, tenant_id: str, version: int | None, since: datetime, until: datetime | None = None
) -> dict[str, Any]:
    """The tenant's figures over [since, until) for turns of policy `version` (None: every turn)."""
    postgres = db.engine.dialect.name == "postgresql"
    async with db.session() as s:
        row = (await s.execute(_statement(tenant_id, version, since, until, postgres))).one()._mapping
    turns, cost = row["turns"], float(row["cost_usd"])
    return {
        "policy_version": version,
        "runs": row["runs"],
        "turns": turns,
        "answers": row["answers"],
        "errors": row["errors"],
        "error_rate": _rate(row["errors"], row["runs"]),
        "rated": row["rated"],
        "helpful": row["helpful"],
        "helpful_rate": _rate(row["helpful"], row["rated"]),
        "handoffs": row["handoffs"],
        "handoff_rate": _rate(row["handoffs"], turns),
        "declined": row["declined"],
        "continued": row["continued"],
        "actions": row["actions"],
        "asked_human": row["asked_human"],
        "cost_usd": round(cost, 6),
        "cost_per_turn_usd": round(cost / turns, 8) if turns else None,
        **{f"p{q}_latency_ms": row[f"p{q}_latency_ms"] for q in PERCENTILES},
        "provider_calls": row["provider_calls"],
        "provider_errors": row["provider_errors"],
        "provider_error_rate": _rate(row["provider_errors"], row["provider_calls"]),
    }
