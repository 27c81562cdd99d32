"""One pass of the learning loop for a tenant: step its running experiment, watch its new policy for a rollback,
check its alerts. The server runs it every `learning_check_s`; routes and the CLI run it on demand."""

from typing import Any

from concierge.tools.db.models import Tenant
from concierge.tools.learning.experiments import Experiments
from concierge.tools.learning.rollback import RollbackWatch


async def tick(tools: Any, tenant_id: str, actor: str = "learning-loop") -> dict[str, Any]:
    """What each part decided: `experiment` (or None), `rollback` (or None), `alerts` (the findings and those sent)."""
    settings = tools.settings
    async with tools.db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
    conf = (tenant.settings if tenant is not None else None) or {}
    hooks = list(conf.get("alert_webhooks") or [])
    experiments = Experiments(tools.db, tools.policies)
    out: dict[str, Any] = {"experiment": None, "rollback": None}
    running = await experiments.running(tenant_id)
    if running is not None:
        decision = await experiments.evaluate(tenant_id, running.id, actor)
        out["experiment"] = {"experiment_id": running.id, **decision}
        if decision["decision"] == "stop":
            await tools.alerts.raise_event(
                tenant_id, "experiment", f"experiment {running.id} stopped early: {decision['reason']}", hooks
            )
    watch = RollbackWatch(tools.policies, tools.alerts)
    out["rollback"] = await watch.check(
        tenant_id, window_s=settings.learning_window_s, min_samples=settings.learning_min_samples, webhooks=hooks
    )
    findings, sent = await tools.alerts.check(
        tenant_id,
        webhooks=hooks,
        budget_usd=conf.get("daily_budget_usd"),
        window_s=settings.learning_window_s,
        min_samples=settings.learning_min_samples,
    )
    out["alerts"] = {
        "findings": [f.__dict__ for f in findings],
        "sent": [a.id for a in sent],
    }
    return out
