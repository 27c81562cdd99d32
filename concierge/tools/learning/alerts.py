"""Alerts: a tenant's figures crossing a line, sent to its webhooks as Slack-compatible JSON, once per incident.

Rules, each over the last window (`learning_window_s`) once it holds `learning_min_samples`:
- `quality_drop`: the helpful rate more than 10 % (relative) under the window before, and significantly so
  (one-sided two-proportion z-test, p < 0.05);
- `cost_spike`: today's provider spend over the daily budget by more than 20 %;
- `latency_p95`: answers' p95 latency over 5 s;
- `provider_errors`: over 5 % of provider calls failed (the local answerer aside);
- `handoff_rate`: over 25 % of turns handed to a person.
A rule that fires opens an incident and sends one alert; while it keeps firing nothing more is sent; when it stops
the incident is resolved, and the next time it fires is a new incident. One-off events (a rollback) are alerts
of their own; an incident that opens in the window of a rollback is recorded without a message (the rollback's
alert told of the drop that caused it). The body is `{"text": ...}`, which Slack's incoming webhooks (and
Mattermost, Discord's `/slack` endpoints, most chat tools) accept.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import AlertEntry, UsageRecord
from concierge.tools.learning.signals import figures
from concierge.tools.learning.stats import SIGNIFICANCE, two_proportion_z

log = logging.getLogger(__name__)

QUALITY_DROP = 0.10
COST_OVER_BUDGET = 0.20
P95_MS = 5000.0
PROVIDER_ERROR_RATE = 0.05
HANDOFF_RATE = 0.25
RULES = ("quality_drop", "cost_spike", "latency_p95", "provider_errors", "handoff_rate")
KINDS = (*RULES, "rollback", "experiment")


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on the current figures."""

    kind: str
    firing: bool
    value: float | None
    threshold: float
    message: str


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def rules(
    now: dict[str, Any], before: dict[str, Any], spent_usd: float, budget_usd: float | None, min_samples: int
) -> list[Finding]:
    """Every rule's verdict on this window's figures (`now`), the window before (`before`) and today's spend."""
    out = []
    cur, prev = now.get("helpful_rate"), before.get("helpful_rate")
    if now["rated"] >= min_samples and before["rated"] >= min_samples and prev:
        drop = (prev - cur) / prev
        # Over 10 % down, and more than chance: sixty ratings move 10 % between two quiet hours by luck alone.
        test = two_proportion_z(before["helpful"], before["rated"], now["helpful"], now["rated"])
        out.append(
            Finding(
                "quality_drop",
                drop > QUALITY_DROP and test["p_lower"] is not None and test["p_lower"] < SIGNIFICANCE,
                round(drop, 4),
                QUALITY_DROP,
                f"helpful rate {_pct(cur)} vs {_pct(prev)} the window before: down {drop * 100:.1f}% "
                f"(alert over {QUALITY_DROP * 100:.0f}%)",
            )
        )
    if budget_usd:
        over = spent_usd / budget_usd - 1
        out.append(
            Finding(
                "cost_spike",
                over > COST_OVER_BUDGET,
                round(over, 4),
                COST_OVER_BUDGET,
                f"spent {spent_usd:.4f} USD today against a daily budget of {budget_usd:.4f} USD "
                f"({over * 100:+.1f}%, alert over +{COST_OVER_BUDGET * 100:.0f}%)",
            )
        )
    if now["answers"] >= min_samples and now["p95_latency_ms"] is not None:
        p95 = float(now["p95_latency_ms"])
        out.append(
            Finding("latency_p95", p95 > P95_MS, p95, P95_MS, f"p95 latency {p95 / 1000:.2f} s (alert over 5 s)")
        )
    if now["provider_calls"] >= min_samples:
        rate = now["provider_error_rate"] or 0.0
        out.append(
            Finding(
                "provider_errors",
                rate > PROVIDER_ERROR_RATE,
                rate,
                PROVIDER_ERROR_RATE,
                f"provider error rate {_pct(rate)} over {now['provider_calls']} calls (alert over 5%)",
            )
        )
    if now["turns"] >= min_samples:
        rate = now["handoff_rate"] or 0.0
        out.append(
            Finding(
                "handoff_rate",
                rate > HANDOFF_RATE,
                rate,
                HANDOFF_RATE,
                f"handoff rate {_pct(rate)} over {now['turns']} turns (alert over 25%)",
            )
        )
    return out


def alert_json(a: AlertEntry) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "status": a.status,
        "message": a.message,
        "value": a.value,
        "threshold": a.threshold,
        "deliveries": a.deliveries,
        "created_at": a.created_at.isoformat(),
        "last_seen_at": a.last_seen_at.isoformat(),
        "resolved_at": a.resolved_at.isoformat() if a.resolved_at else None,
    }


@dataclass
class Alerts:
    db: AppDatabase
    timeout_s: float = 5.0

    async def _deliver(self, webhooks: list[str], tenant_id: str, text: str) -> list[dict[str, Any]]:
        """POST `{"text": ...}` to each webhook; a failing one is recorded, never raised."""
        out = []
        async with httpx.AsyncClient(timeout=self.timeout_s) as client:
            for url in webhooks:
                try:
                    r = await client.post(url, json={"text": text})
                    out.append({"url": url, "status": r.status_code})
                except httpx.HTTPError as exc:
                    log.warning("alert webhook failed", extra={"tenant_id": tenant_id, "url": url})
                    out.append({"url": url, "error": f"{type(exc).__name__}: {exc}"[:300]})
        return out

    async def raise_event(
        self, tenant_id: str, kind: str, message: str, webhooks: list[str], value: float | None = None
    ) -> AlertEntry:
        """A one-off alert (a rollback, an experiment stopped): sent now, closed at once."""
        text = f"[Concierge] {tenant_id}: {message}"
        deliveries = await self._deliver(webhooks, tenant_id, text)
        now = utcnow()
        row = AlertEntry(
            tenant_id=tenant_id,
            kind=kind,
            status="resolved",
            message=message,
            value=value,
            deliveries=deliveries,
            created_at=now,
            last_seen_at=now,
            resolved_at=now,
        )
        async with writing(self.db), self.db.session() as s:
            s.add(row)
            await s.commit()
            await s.refresh(row)
        return row

    async def apply(
        self, tenant_id: str, findings: list[Finding], webhooks: list[str], covered_by: AlertEntry | None = None
    ) -> list[AlertEntry]:
        """Open an incident (and send its one alert) for each rule newly firing; resolve those that stopped. An
        incident `covered_by` a rollback alert of the same window is opened without a message of its own: the
        rollback's alert already told of the drop that caused it."""
        sent = []
        for f in findings:
            async with self.db.session() as s:
                open_ = await s.scalar(
                    select(AlertEntry).where(
                        AlertEntry.tenant_id == tenant_id, AlertEntry.kind == f.kind, AlertEntry.status == "open"
                    )
                )
            if f.firing and open_ is not None:
                async with writing(self.db), self.db.session() as s:
                    row = await s.get(AlertEntry, open_.id)
                    if row is not None:
                        row.last_seen_at = utcnow()
                        await s.commit()
            elif f.firing:
                if covered_by is not None:
                    deliveries = [{"covered_by_alert": covered_by.id}]
                else:
                    deliveries = await self._deliver(webhooks, tenant_id, f"[Concierge] {tenant_id}: {f.message}")
                now = utcnow()
                row = AlertEntry(
                    tenant_id=tenant_id,
                    kind=f.kind,
                    message=f.message,
                    value=f.value,
                    threshold=f.threshold,
                    deliveries=deliveries,
                    created_at=now,
                    last_seen_at=now,
                )
                async with writing(self.db), self.db.session() as s:
                    s.add(row)
                    await s.commit()
                    await s.refresh(row)
                if covered_by is None:
                    sent.append(row)
            elif open_ is not None:
                async with writing(self.db), self.db.session() as s:
                    row = await s.get(AlertEntry, open_.id)
                    if row is not None:
                        row.status, row.resolved_at = "resolved", utcnow()
                        await s.commit()
        return sent

    async def check(
        self,
        tenant_id: str,
        *,
        webhooks: list[str],
        budget_usd: float | None,
        window_s: float,
        min_samples: int,
        now: datetime | None = None,
    ) -> tuple[list[Finding], list[AlertEntry]]:
        """Every rule on the tenant's live figures; the findings and the alerts this check sent."""
        now = now or utcnow()
        window = timedelta(seconds=window_s)
        current = await figures(self.db, tenant_id, None, now - window, now)
        before = await figures(self.db, tenant_id, None, now - 2 * window, now - window)
        async with self.db.session() as s:
            spent = await s.scalar(
                select(func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(
                    UsageRecord.tenant_id == tenant_id, UsageRecord.day == now.date().isoformat()
                )
            )
            rollback = await s.scalar(
                select(AlertEntry)
                .where(
                    AlertEntry.tenant_id == tenant_id,
                    AlertEntry.kind == "rollback",
                    AlertEntry.created_at >= now - window,
                )
                .order_by(AlertEntry.id.desc())
                .limit(1)
            )
        findings = rules(current, before, float(spent or 0.0), budget_usd, min_samples)
        # A rule without enough data this window is not firing: a quiet hour closes the incident it had opened.
        quiet = [Finding(k, False, None, 0.0, "not enough data") for k in RULES if k not in {f.kind for f in findings}]
        return findings, await self.apply(tenant_id, findings + quiet, webhooks, rollback)

    async def find(self, tenant_id: str, status: str | None = None, limit: int = 100) -> list[AlertEntry]:
        async with self.db.session() as s:
            query = select(AlertEntry).where(AlertEntry.tenant_id == tenant_id)
            if status:
                query = query.where(AlertEntry.status == status)
            return list(await s.scalars(query.order_by(AlertEntry.id.desc()).limit(limit)))
