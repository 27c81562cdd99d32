"""The rollback watch: a policy that took over is compared with its baseline over the last window; when a figure is
worse by more than `DROP` (5 %, relative) the tenant goes back to the previous policy, the event is logged with its
reason and an alert goes out.

The baseline of a policy promoted by an experiment is what it showed in the experiment's last step (its treatment
arm's figures: the quality and latency the rollout accepted); of a policy activated by hand with `watch`, the
figures of the policy it replaced over the window before.

Figures watched: helpful rate (lower is worse), handoff rate, error rate and p95 latency (higher is worse). A rate
must also move by at least `MIN_ABS` (one point) and more than chance (a one-sided two-proportion z-test, p <
0.05), and latency by `MIN_MS`, so a baseline of 0 % errors does not turn one failed run in a thousand into a
rollback. Nothing is judged before the window holds `min_samples` turns.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from concierge.tools.db.base import utcnow
from concierge.tools.learning.alerts import Alerts
from concierge.tools.learning.policies import Policies
from concierge.tools.learning.signals import figures
from concierge.tools.learning.stats import SIGNIFICANCE, two_proportion_z

DROP = 0.05
MIN_ABS = 0.01
MIN_MS = 250.0
WATCHED = (("helpful_rate", -1), ("handoff_rate", 1), ("error_rate", 1), ("p95_latency_ms", 1))
"""Figure and the direction that is worse: -1 when lower is worse, 1 when higher is."""


COUNTS = {"helpful_rate": ("helpful", "rated"), "handoff_rate": ("handoffs", "turns"), "error_rate": ("errors", "runs")}


def _significant(name: str, baseline: dict[str, Any], now: dict[str, Any]) -> bool:
    """A rate's change is more than chance (one-sided z-test); latency has no such test and counts as is."""
    if name not in COUNTS or not all(k in d for d in (baseline, now) for k in COUNTS[name]):
        return True
    part, whole = COUNTS[name]
    test = two_proportion_z(baseline[part], baseline[whole], now[part], now[whole])
    p = test["p_lower"] if name == "helpful_rate" else test["p_higher"]
    return p is not None and p < SIGNIFICANCE


def regressions(baseline: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Each watched figure worse than its baseline by more than 5 % (and, for a rate, more than chance), as a
    sentence."""
    out = []
    for name, worse in WATCHED:
        base, cur = baseline.get(name), now.get(name)
        if base is None or cur is None:
            continue
        delta = (cur - base) * worse  # > 0 when worse
        floor = MIN_MS if name.endswith("_ms") else MIN_ABS
        if delta > max(DROP * abs(base), floor) and _significant(name, baseline, now):
            change = delta / abs(base) * 100 if base else float("inf")
            out.append(f"{name} {cur:g} vs baseline {base:g} ({change:.1f}% worse)")
    return out


@dataclass
class RollbackWatch:
    policies: Policies
    alerts: Alerts

    async def check(
        self,
        tenant_id: str,
        *,
        window_s: float,
        min_samples: int,
        webhooks: list[str],
        now: datetime | None = None,
    ) -> dict[str, Any] | None:
        """Roll back if the watched policy regressed; what happened, or None when nothing is watched or judged."""
        active = await self.policies.active(tenant_id)
        if active is None or not active.watched or active.previous_version is None:
            return None
        now = now or utcnow()
        since = max(active.activated_at, now - timedelta(seconds=window_s))
        current = await figures(self.policies.db, tenant_id, active.version, since, None)
        if current["turns"] < min_samples:
            return {"decision": "wait", "figures": current, "baseline": active.baseline}
        bad = regressions(active.baseline, current)
        if not bad:
            return {"decision": "keep", "figures": current, "baseline": active.baseline}
        reason = f"policy {active.version} regressed: " + "; ".join(bad)
        back = await self.policies.rollback(
            tenant_id,
            actor="rollback-watch",
            reason=reason,
            kind="auto_rollback",
            detail={"figures": current, "baseline": active.baseline},
        )
        alert = await self.alerts.raise_event(
            tenant_id, "rollback", f"rolled back from policy {active.version} to {back.version}: {reason}", webhooks
        )
        return {
            "decision": "rollback",
            "reason": reason,
            "from_version": active.version,
            "to_version": back.version,
            "figures": current,
            "baseline": active.baseline,
            "alert_id": alert.id,
        }
