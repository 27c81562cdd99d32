"""The learning figures (`tools/learning/signals.py`) are aggregated in SQL: the same rows give the same figures on
SQLite and on PostgreSQL, and the figures a plain Python reading of those rows gives (the policy version picked
from the runs' JSON metadata, turns answered or handed over, a turn's latest rating, nearest-rank percentiles)."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Answer, FeedbackEntry, HandoffEntry, Run, Tenant, Thread, UsageRecord
from concierge.tools.learning.signals import figures
from tests.postgres import PG_URL, pg_schema

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
COST_KEYS = ("cost_usd", "cost_per_turn_usd")


@dataclass
class Rows:
    """What is seeded, kept to compute the expected figures from."""

    runs: list[Run] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    handoffs: list[HandoffEntry] = field(default_factory=list)
    ratings: list[FeedbackEntry] = field(default_factory=list)
    calls: list[UsageRecord] = field(default_factory=list)

    def all(self) -> list[Any]:
        return [*self.runs, *self.answers, *self.handoffs, *self.ratings, *self.calls]


def _rows(seed: int) -> Rows:
    """Two tenants' runs in and around the window, under policy versions 1-3, no version, and versions that are
    no number (a string, which must not match) or a float (2.0 is 2, as Python says)."""
    rnd, rows = random.Random(seed), Rows()
    metas = [{"policy_version": 1}, {"policy_version": 2}, {"policy_version": 3}, {}, {"policy_version": "2"}]
    metas += [{"policy_version": 2.0, "experiment_arm": "treatment"}, {"other": {"policy_version": 2}}]
    for i in range(160):
        tenant = "t1" if i % 5 else "t2"
        thread, turn = f"{tenant}-th{i % 23}", i // 23 + 1
        run = Run(
            id=f"run-{i}",
            thread_id=thread,
            tenant_id=tenant,
            assistant_id="concierge",
            status=rnd.choice(["success"] * 5 + ["error", "timeout", "interrupted"]),
            meta=rnd.choice(metas),
            created_at=NOW - timedelta(hours=rnd.uniform(-2, 30)),
        )
        rows.runs.append(run)
        answered = rnd.random() < 0.8
        if answered:
            rows.answers.append(
                Answer(
                    tenant_id=tenant,
                    thread_id=thread,
                    turn=turn,
                    run_id=run.id,
                    grounded=rnd.random() < 0.8,
                    latency_ms=rnd.choice([None, round(rnd.uniform(100, 5000), 1), 800.0]),
                    feedback=rnd.choice(["pending", "rated", "continued", "off"]),
                    asked_human=rnd.random() < 0.2,
                    completed_action=rnd.choice([None, None, "", "booking", "purchase"]),
                )
            )
            for k in range(rnd.choice([0, 0, 1, 1, 2, 3])):
                rows.ratings.append(
                    FeedbackEntry(
                        tenant_id=tenant,
                        thread_id=thread,
                        run_id=run.id,
                        turn=turn,
                        key=f"rating-{k}",
                        helpful=rnd.choice([True, False, None]),
                        updated_at=NOW - timedelta(minutes=rnd.randrange(1000)),
                    )
                )
        if not answered or rnd.random() < 0.15:  # a handoff after an answer or instead of one, sometimes twice
            for n in range(rnd.choice([1, 1, 2])):
                rows.handoffs.append(
                    HandoffEntry(
                        id=f"h-{i}-{n}", tenant_id=tenant, thread_id=thread, turn=turn, run_id=run.id, reason="asked"
                    )
                )
        for _ in range(rnd.choice([0, 1, 1, 2, 3])):
            rows.calls.append(
                UsageRecord(
                    tenant_id=tenant,
                    run_id=run.id,
                    provider=rnd.choice(["local", "openai", "gemini"]),
                    model="m",
                    ok=rnd.random() < 0.85,
                    cost_usd=round(rnd.uniform(0, 0.002), 6),
                    day="2026-11-30",
                )
            )
    return rows


def _nearest_rank(values: list[float], q: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(max(-(-q * len(ordered) // 100), 1), len(ordered)) - 1]


def _expected(rows: Rows, tenant: str, version: int | None, until: datetime | None = None) -> dict[str, Any]:
    """The figures read row by row in Python (what `signals` computed before it moved into SQL)."""

    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    runs = [
        r
        for r in rows.runs
        if r.tenant_id == tenant
        and r.created_at >= SINCE
        and (until is None or r.created_at < until)
        and (version is None or r.meta.get("policy_version") == version)
    ]
    ids = {r.id for r in runs}
    answers = [a for a in rows.answers if a.tenant_id == tenant and a.run_id in ids]
    keys = {(a.thread_id, a.turn) for a in answers}
    handed = {(h.thread_id, h.turn) for h in rows.handoffs if h.tenant_id == tenant and h.run_id in ids}
    latest: dict[tuple[str, int], FeedbackEntry] = {}
    for f in rows.ratings:
        key = (f.thread_id, f.turn)
        rated = f.tenant_id == tenant and key in keys and f.helpful is not None
        if rated and (key not in latest or f.updated_at > latest[key].updated_at):
            latest[key] = f
    calls = [c for c in rows.calls if c.tenant_id == tenant and c.run_id in ids]
    remote = [c for c in calls if c.provider != "local"]
    turns, errors = len(keys | handed), sum(r.status in ("error", "timeout") for r in runs)
    helpful, cost = sum(bool(f.helpful) for f in latest.values()), sum(c.cost_usd for c in calls)
    latencies = [a.latency_ms for a in answers if a.latency_ms is not None]
    return {
        "policy_version": version,
        "runs": len(runs),
        "turns": turns,
        "answers": len(answers),
        "errors": errors,
        "error_rate": rate(errors, len(runs)),
        "rated": len(latest),
        "helpful": helpful,
        "helpful_rate": rate(helpful, len(latest)),
        "handoffs": len(handed),
        "handoff_rate": rate(len(handed), turns),
        "declined": sum(not a.grounded for a in answers),
        "continued": sum(a.feedback == "continued" for a in answers),
        "actions": sum(bool(a.completed_action) for a in answers),
        "asked_human": sum(a.asked_human for a in answers),
        "cost_usd": round(cost, 6),
        "cost_per_turn_usd": round(cost / turns, 8) if turns else None,
        "p50_latency_ms": _nearest_rank(latencies, 50),
        "p95_latency_ms": _nearest_rank(latencies, 95),
        "provider_calls": len(remote),
        "provider_errors": sum(not c.ok for c in remote),
        "provider_error_rate": rate(sum(not c.ok for c in remote), len(remote)),
    }


CASES: list[tuple[str, int | None, datetime | None]] = [
    ("t1", None, None),
    ("t1", 1, None),
    ("t1", 2, None),
    ("t1", 3, NOW - timedelta(hours=6)),
    ("t1", 4, None),
    ("t2", None, NOW),
    ("t2", 2, None),
    ("nobody", None, None),
]


async def _figures_of(db: AppDatabase, rows: Rows) -> list[dict[str, Any]]:
    await upgrade(db.engine)
    async with db.session() as s:
        s.add_all([Tenant(id="t1", name="One"), Tenant(id="t2", name="Two")])
        threads = {(r.tenant_id, r.thread_id) for r in rows.runs}
        s.add_all([Thread(id=thread, tenant_id=tenant) for tenant, thread in sorted(threads)])
        await s.flush()
        s.add_all(rows.all())
        await s.commit()
    return [await figures(db, tenant, version, SINCE, until) for tenant, version, until in CASES]


def _check(got: list[dict[str, Any]], rows: Rows) -> None:
    for (tenant, version, until), figures_ in zip(CASES, got, strict=True):
        want = _expected(rows, tenant, version, until)
        assert {k: v for k, v in figures_.items() if k not in COST_KEYS} == {
            k: v for k, v in want.items() if k not in COST_KEYS
        }, (tenant, version)
        for key in COST_KEYS:
            assert figures_[key] == pytest.approx(want[key], abs=1e-8), (tenant, version, key)


@pytest.fixture(scope="module")
def rows_seed() -> int:
    return 20261130


async def test_figures_on_sqlite_are_those_the_rows_give(tmp_path: Path, rows_seed: int) -> None:
    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}")
    try:
        got = await _figures_of(db, _rows(rows_seed))
    finally:
        await db.dispose()
    _check(got, _rows(rows_seed))
    every, v2 = got[0], got[2]
    assert every["turns"] > 40 and every["rated"] > 5 and every["handoffs"] > 3 and every["p95_latency_ms"]
    assert 0 < v2["runs"] < every["runs"], "version 2 is some of the runs (2.0 among them, the string '2' not)"
    assert got[4]["runs"] == 0 and got[4]["error_rate"] is None and got[4]["p50_latency_ms"] is None
    assert got[-1]["turns"] == 0 and got[-1]["cost_usd"] == 0.0


async def test_figures_on_postgresql_equal_those_on_sqlite(tmp_path: Path, rows_seed: int) -> None:
    sqlite = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}")
    try:
        on_sqlite = await _figures_of(sqlite, _rows(rows_seed))
    finally:
        await sqlite.dispose()
    async with pg_schema() as schema:
        pg = AppDatabase(PG_URL, schema)
        try:
            on_postgres = await _figures_of(pg, _rows(rows_seed))
        finally:
            await pg.dispose()
    _check(on_postgres, _rows(rows_seed))
    for a, b in zip(on_sqlite, on_postgres, strict=True):
        assert {k: v for k, v in a.items() if k not in COST_KEYS} == {k: v for k, v in b.items() if k not in COST_KEYS}
        assert a["cost_usd"] == pytest.approx(b["cost_usd"], abs=1e-9)
