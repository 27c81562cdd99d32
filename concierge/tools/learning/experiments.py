"""A/B rollout of a policy: a treatment against the active policy (the control), in 10 / 50 / 100 % steps.

Assignment is by customer (the run's `customer_id`, else its thread) or by thread: a hash of the experiment and
the unit puts each in a bucket 0..99, treated when under the step's percent, so the same customer gets the same
arm on every replica and stays treated when the share grows (`policies.bucket`).

Each evaluation compares the arms' live figures since the step began (`signals.figures`): the helpful rate from
ratings, the handoff rate and the error rate, with a one-sided two-proportion z-test each (normal CDF through
`math.erf`). The treatment is *clearly worse* when any of them is worse at `ALPHA`: the experiment stops early and
the control keeps every customer. It steps up only when both arms hold `min_turns` turns, no test finds it worse,
and it passed the evaluation gate (its figure on an evaluation set at or over the threshold). A step past 50 %
promotes it: it becomes the active policy, and the rollback watch holds it to the figures it showed at 50 %.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import Experiment
from concierge.tools.learning.policies import Policies
from concierge.tools.learning.signals import figures
from concierge.tools.learning.stats import SIGNIFICANCE, two_proportion_z

STEPS = (10, 50, 100)
ALPHA = SIGNIFICANCE
GATE_METRICS = ("facts_correct", "rouge_l", "citation_precision", "hit_at_5", "exact_figure", "handoff_recall")
HISTORY_KEEP = 200


class ExperimentError(ValueError):
    """An experiment request a person can fix."""


class ExperimentConflict(ExperimentError):
    """Another experiment is running for the tenant, or this one is over."""


class ExperimentNotFound(LookupError):
    pass


def compare_arms(control: dict[str, Any], treatment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The three tests; `worse` is True when the treatment is significantly worse on that figure."""
    helpful = two_proportion_z(control["helpful"], control["rated"], treatment["helpful"], treatment["rated"])
    handoff = two_proportion_z(control["handoffs"], control["turns"], treatment["handoffs"], treatment["turns"])
    errors = two_proportion_z(control["errors"], control["runs"], treatment["errors"], treatment["runs"])
    return {
        "helpful_rate": {**helpful, "worse": helpful["p_lower"] is not None and helpful["p_lower"] < ALPHA},
        "handoff_rate": {**handoff, "worse": handoff["p_higher"] is not None and handoff["p_higher"] < ALPHA},
        "error_rate": {**errors, "worse": errors["p_higher"] is not None and errors["p_higher"] < ALPHA},
    }


def experiment_json(e: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": e.id,
        "control_version": e.control_version,
        "treatment_version": e.treatment_version,
        "unit": e.unit,
        "percent": e.percent,
        "status": e.status,
        "min_turns": e.min_turns,
        "eval": e.eval,
        "reason": e.reason,
        "history": e.history,
        "created_by": e.created_by,
        "created_at": e.created_at.isoformat(),
        "step_started_at": e.step_started_at.isoformat(),
        "ended_at": e.ended_at.isoformat() if e.ended_at else None,
    }


def gate(summary: dict[str, Any], metric: str, threshold: float) -> bool:
    value = summary.get(metric)
    return isinstance(value, int | float) and not math.isnan(value) and value >= threshold


@dataclass
class Experiments:
    db: AppDatabase
    policies: Policies

    async def create(
        self,
        tenant_id: str,
        treatment_version: int,
        *,
        unit: str,
        min_turns: int,
        eval_gate: dict[str, Any],
        actor: str,
    ) -> Experiment:
        """Start at 10 % with the active policy as control; ExperimentConflict while another one runs."""
        if unit not in ("customer", "thread"):
            raise ExperimentError("unit: `customer` or `thread`")
        await self.policies.get(tenant_id, treatment_version)  # PolicyNotFound
        control = await self.policies.active_version(tenant_id)
        if control == treatment_version:
            raise ExperimentError(f"policy {treatment_version} is already the active policy: nothing to compare")
        now = utcnow()
        row = Experiment(
            id=f"exp_{uuid.uuid4().hex[:16]}",
            tenant_id=tenant_id,
            control_version=control,
            treatment_version=treatment_version,
            unit=unit,
            percent=STEPS[0],
            status="running",
            min_turns=min_turns,
            eval=eval_gate,
            history=[],
            created_by=actor,
            created_at=now,
            step_started_at=now,
        )
        async with writing(self.db), self.db.session() as s:
            running = await s.scalar(
                select(Experiment.id).where(Experiment.tenant_id == tenant_id, Experiment.status == "running")
            )
            if running:
                raise ExperimentConflict(f"experiment {running} is running; stop it first")
            s.add(row)
            await s.commit()
        await self.policies.log(
            tenant_id,
            "experiment_start",
            actor=actor,
            from_version=control,
            to_version=treatment_version,
            reason=f"{row.id} at {row.percent}%",
            detail={"experiment_id": row.id, "eval": eval_gate},
        )
        return row

    async def get(self, tenant_id: str, experiment_id: str) -> Experiment:
        async with self.db.session() as s:
            row = await s.scalar(
                select(Experiment).where(Experiment.id == experiment_id, Experiment.tenant_id == tenant_id)
            )
        if row is None:
            raise ExperimentNotFound(f"experiment {experiment_id} not found")
        return row

    async def find(self, tenant_id: str, status: str | None = None) -> list[Experiment]:
        async with self.db.session() as s:
            query = select(Experiment).where(Experiment.tenant_id == tenant_id)
            if status:
                query = query.where(Experiment.status == status)
            return list(await s.scalars(query.order_by(Experiment.created_at.desc())))

    async def running(self, tenant_id: str) -> Experiment | None:
        rows = await self.find(tenant_id, "running")
        return rows[0] if rows else None

    async def arms(self, e: Experiment, until: datetime | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both arms' live figures since the step began."""
        control = await figures(self.db, e.tenant_id, e.control_version, e.step_started_at, until)
        treatment = await figures(self.db, e.tenant_id, e.treatment_version, e.step_started_at, until)
        return control, treatment

    async def evaluate(self, tenant_id: str, experiment_id: str, actor: str = "system") -> dict[str, Any]:
        """Look at the arms and act: stop early, wait, hold (the evaluation gate failed), step up or promote."""
        e = await self.get(tenant_id, experiment_id)
        if e.status != "running":
            raise ExperimentConflict(f"experiment {e.id} is {e.status}")
        control, treatment = await self.arms(e)
        tests = compare_arms(control, treatment)
        enough = min(control["turns"], treatment["turns"]) >= e.min_turns
        worse = [name for name, t in tests.items() if t["worse"]]
        decision: dict[str, Any] = {
            "at": utcnow().isoformat(),
            "percent": e.percent,
            "control": control,
            "treatment": treatment,
            "tests": tests,
        }
        if worse:
            # Clearly worse is worth acting on before the sample is complete: every customer goes back to control.
            decision |= {"decision": "stop", "reason": f"treatment significantly worse on {', '.join(worse)}"}
        elif not enough:
            decision |= {
                "decision": "wait",
                "reason": f"each arm needs {e.min_turns} turns (control {control['turns']}, "
                f"treatment {treatment['turns']})",
            }
        elif not e.eval.get("passed"):
            decision |= {"decision": "hold", "reason": "the treatment did not pass the evaluation gate"}
        elif e.percent >= STEPS[-2]:
            decision |= {"decision": "promote", "reason": "no figure worse at 50 %; promoted to 100 %"}
        else:
            nxt = next(p for p in STEPS if p > e.percent)
            decision |= {"decision": "step_up", "reason": f"no figure worse at {e.percent} %; now {nxt} %"}
        await self._act(e, decision, actor)
        return decision

    async def _act(self, e: Experiment, decision: dict[str, Any], actor: str) -> None:
        kind = decision["decision"]
        if kind == "wait":
            return  # nothing decided: the history keeps decisions only
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            row = await s.get(Experiment, e.id)
            assert row is not None
            row.history = [*row.history, decision][-HISTORY_KEEP:]
            if kind == "stop":
                row.status, row.reason, row.ended_at = "stopped", decision["reason"], now
            elif kind == "step_up":
                row.percent = next(p for p in STEPS if p > row.percent)
                row.step_started_at = now
            elif kind == "promote":
                row.percent, row.status, row.reason, row.ended_at = 100, "promoted", decision["reason"], now
            await s.commit()
        if kind in ("step_up", "stop"):  # a step moves traffic towards the treatment, a stop back to the control
            towards = kind == "step_up"
            await self.policies.log(
                e.tenant_id,
                "experiment_step" if towards else "experiment_stop",
                actor=actor,
                from_version=e.control_version if towards else e.treatment_version,
                to_version=e.treatment_version if towards else e.control_version,
                reason=decision["reason"],
                detail={"experiment_id": e.id, "tests": decision["tests"]},
            )
        elif kind == "promote":
            await self.policies.activate(
                e.tenant_id,
                e.treatment_version,
                actor=actor,
                kind="experiment_promote",
                reason=f"{e.id}: {decision['reason']}",
                baseline=decision["treatment"],
                watch=True,
                detail={"experiment_id": e.id, "tests": decision["tests"]},
            )

    async def stop(self, tenant_id: str, experiment_id: str, actor: str, reason: str) -> Experiment:
        e = await self.get(tenant_id, experiment_id)
        if e.status != "running":
            raise ExperimentConflict(f"experiment {e.id} is {e.status}")
        async with writing(self.db), self.db.session() as s:
            row = await s.get(Experiment, e.id)
            assert row is not None
            row.status, row.reason, row.ended_at = "cancelled", reason or "stopped by hand", utcnow()
            await s.commit()
            await s.refresh(row)
        await self.policies.log(
            tenant_id,
            "experiment_cancel",
            actor=actor,
            from_version=e.treatment_version,
            to_version=e.control_version,
            reason=row.reason,
            detail={"experiment_id": e.id},
        )
        return row
