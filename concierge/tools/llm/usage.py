"""What generation costs: one record per provider call, daily summaries, latency percentiles, budget alerts.

Its tables live in `concierge.tools.db.models` with the rest (SQLite or PostgreSQL).
Each record carries its UTC day as text, so daily summaries group the same way on every backend.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import BudgetAlert, UsageRecord
from concierge.tools.metrics import COST_USD, PROVIDER_CALLS, TOKENS, TTFT_SECONDS


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(int(-(-q * len(ordered) // 100)), 1)  # ceil(q/100 * n), at least 1
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class UsageLedger:
    db: AppDatabase

    async def record(self, calls: list[dict[str, Any]]) -> None:
        """Store a turn's provider calls in one transaction (fields as `UsageRecord`'s columns)."""
        if not calls:
            return
        for c in calls:
            provider = str(c.get("provider") or "unknown")
            PROVIDER_CALLS.labels(model=str(c.get("model") or provider), ok=str(bool(c.get("ok"))).lower()).inc()
            TOKENS.labels(provider=provider, kind="input").inc(c.get("input_tokens") or 0)
            TOKENS.labels(provider=provider, kind="output").inc(c.get("output_tokens") or 0)
            COST_USD.labels(provider=provider).inc(c.get("cost_usd") or 0.0)
            if c.get("ok") and c.get("ttft_ms") is not None:
                TTFT_SECONDS.labels(provider=provider).observe(c["ttft_ms"] / 1000)
        day = today()
        async with writing(self.db), self.db.session() as s:  # as every other writer (see `writing`)
            s.add_all(UsageRecord(**{"day": day, **c}) for c in calls)
            await s.commit()

    async def spent(self, tenant_id: str, day: str | None = None) -> float:
        async with self.db.session() as s:
            total = await s.scalar(
                select(func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(
                    UsageRecord.tenant_id == tenant_id, UsageRecord.day == (day or today())
                )
            )
        return float(total or 0.0)

    async def daily(self, tenant_id: str, since: date, until: date | None = None) -> list[dict[str, Any]]:
        """Per day and `provider/model`: calls, failures, tokens and cost, oldest day first."""
        until_s = (until or datetime.now(UTC).date()).isoformat()
        failed = func.sum(case((UsageRecord.ok.is_(False), 1), else_=0))
        query = (
            select(
                UsageRecord.day,
                UsageRecord.provider,
                UsageRecord.model,
                func.count(),
                failed,
                func.sum(UsageRecord.input_tokens),
                func.sum(UsageRecord.output_tokens),
                func.sum(UsageRecord.cost_usd),
            )
            .where(UsageRecord.tenant_id == tenant_id, UsageRecord.day >= since.isoformat(), UsageRecord.day <= until_s)
            .group_by(UsageRecord.day, UsageRecord.provider, UsageRecord.model)
            .order_by(UsageRecord.day, UsageRecord.model)
        )
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
        return [
            {
                "day": day,
                "provider": provider,
                "model": model,
                "calls": int(calls),
                "failures": int(failures or 0),
                "input_tokens": int(tin or 0),
                "output_tokens": int(tout or 0),
                "cost_usd": round(float(cost or 0.0), 6),
            }
            for day, provider, model, calls, failures, tin, tout, cost in rows
        ]

    async def latency(self, since: date, tenant_id: str | None = None) -> dict[str, dict[str, float]]:
        """p50 / p95 / p99 latency and time to first token of answered calls, per `provider/model`."""
        query = select(UsageRecord.model, UsageRecord.latency_ms, UsageRecord.ttft_ms, UsageRecord.ok).where(
            UsageRecord.day >= since.isoformat()
        )
        if tenant_id is not None:
            query = query.where(UsageRecord.tenant_id == tenant_id)
        async with self.db.session() as s:
            rows = (await s.execute(query)).all()
        by_model: dict[str, list[tuple[float, float | None, bool]]] = {}
        for model, latency, ttft, ok in rows:
            by_model.setdefault(model, []).append((latency, ttft, ok))
        out: dict[str, dict[str, float]] = {}
        for model, calls in sorted(by_model.items()):
            answered = [lat for lat, _, ok in calls if ok]
            firsts = [t for _, t, ok in calls if ok and t is not None]
            out[model] = {
                "calls": len(calls),
                "failures": sum(1 for *_, ok in calls if not ok),
                **{f"p{q}_ms": round(percentile(answered, q), 1) for q in (50, 95, 99)},
                **{f"ttft_p{q}_ms": round(percentile(firsts, q), 1) for q in (50, 95, 99)},
            }
        return out

    async def alert_budget(self, tenant_id: str, spent_usd: float, budget_usd: float) -> bool:
        """Raise today's budget alert for the tenant; False when it was already raised."""
        async with self.db.session() as s:
            day = today()
            exists = await s.scalar(
                select(BudgetAlert.id).where(BudgetAlert.tenant_id == tenant_id, BudgetAlert.day == day)
            )
            if exists is not None:
                return False
            s.add(BudgetAlert(tenant_id=tenant_id, day=day, spent_usd=spent_usd, budget_usd=budget_usd))
            try:
                await s.commit()
            except IntegrityError:  # another replica raised it first
                return False
        return True

    async def alerts(self, tenant_id: str) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            rows = (
                await s.scalars(
                    select(BudgetAlert).where(BudgetAlert.tenant_id == tenant_id).order_by(BudgetAlert.day.desc())
                )
            ).all()
        return [
            {
                "day": a.day,
                "spent_usd": round(a.spent_usd, 6),
                "budget_usd": a.budget_usd,
                "created_at": a.created_at.isoformat(),
            }
            for a in rows
        ]
