"""Policies as data: versioned, per tenant, everything that can change an answer.

A policy is a set of tenant settings laid over the tenant's own: the model chain and routing thresholds, the
prompt variant, retrieval weights and limits, the attribution style. Versions are numbered per tenant and never
edited; a change is a new version. One version is active (0 means the tenant's settings alone); a running
experiment sends a share of customers to its treatment instead. Every run records the version that produced it
(run metadata, usage records, retrieval log). The last `KEEP` versions are kept, and always the active one, the
one a rollback returns to, and those an experiment names.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, literal, select

from concierge.tools.auth.keys import AdminError
from concierge.tools.auth.tenants import check_settings
from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import ActivePolicy, Experiment, Policy, PolicyEvent

POLICY_FIELDS = frozenset(
    {
        "models", "tier_models", "simple_below", "complex_above", "long_context_above", "generation_timeout_s",
        "prompt_variant", "fusion", "semantic_weight", "max_results", "context_tokens", "sources",
        "source_timeouts", "attribution_style", "handoff_when_unanswered",
    }
)  # fmt: skip
"""What a policy may set: what changes an answer. Guardrails, budgets, keys and prices stay the tenant's."""
KEEP = 10
"""Versions kept per tenant (at least the last 3 are always there to roll back to)."""


class PolicyError(ValueError):
    """A policy change a person can fix; the message says what."""


class PolicyNotFound(LookupError):
    pass


def check_policy(settings: Any) -> dict[str, Any]:
    """The settings if each is a policy field of the right type; PolicyError naming the first bad one."""
    if not isinstance(settings, dict):
        raise PolicyError("settings must be a JSON object")
    unknown = sorted(set(settings) - POLICY_FIELDS)
    if unknown:
        raise PolicyError(
            f"settings.{unknown[0]}: not a policy field; policy fields are {', '.join(sorted(POLICY_FIELDS))}"
        )
    try:
        check_settings(settings)
    except AdminError as exc:
        raise PolicyError(str(exc)) from None
    return settings


def policy_json(p: Policy) -> dict[str, Any]:
    return {
        "version": p.version,
        "settings": p.settings,
        "note": p.note,
        "origin": p.origin,
        "created_by": p.created_by,
        "created_at": p.created_at.isoformat(),
    }


def event_json(e: PolicyEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "kind": e.kind,
        "from_version": e.from_version,
        "to_version": e.to_version,
        "actor": e.actor,
        "reason": e.reason,
        "detail": e.detail,
    }


def bucket(experiment_id: str, unit_key: str) -> int:
    """0..99, the same for one customer (or thread) in one experiment on every replica: a share of `percent`
    holds the buckets under it, so a step up keeps everyone already treated in the treatment."""
    digest = hashlib.sha256(f"{experiment_id}:{unit_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


@dataclass(frozen=True)
class Resolved:
    """The policy a run gets: its version and settings, and the experiment arm that chose it, if any."""

    version: int
    settings: dict[str, Any]
    experiment_id: str | None = None
    arm: str | None = None


@dataclass
class Policies:
    db: AppDatabase

    async def create(
        self, tenant_id: str, settings: dict[str, Any], *, note: str = "", origin: str = "api", actor: str = ""
    ) -> Policy:
        check_policy(settings)
        async with writing(self.db), self.db.session() as s:
            latest = await s.scalar(select(func.max(Policy.version)).where(Policy.tenant_id == tenant_id))
            row = Policy(
                tenant_id=tenant_id,
                version=(latest or 0) + 1,
                settings=settings,
                note=note,
                origin=origin[:200],
                created_by=actor,
                created_at=utcnow(),
            )
            s.add(row)
            s.add(PolicyEvent(tenant_id=tenant_id, kind="create", to_version=row.version, actor=actor, reason=note))
            await s.flush()
            await self._prune(s, tenant_id)
            await s.commit()
        return row

    async def _prune(self, s: Any, tenant_id: str) -> None:
        versions = list(
            await s.scalars(select(Policy.version).where(Policy.tenant_id == tenant_id).order_by(Policy.version.desc()))
        )
        if len(versions) <= KEEP:
            return
        keep = set(versions[:KEEP])
        active = await s.get(ActivePolicy, tenant_id)
        if active is not None:
            keep |= {active.version, active.previous_version or 0}
        for c, t in await s.execute(
            select(Experiment.control_version, Experiment.treatment_version).where(
                Experiment.tenant_id == tenant_id, Experiment.status == "running"
            )
        ):
            keep |= {c, t}
        old = [v for v in versions if v not in keep]
        if old:
            await s.execute(delete(Policy).where(Policy.tenant_id == tenant_id, Policy.version.in_(old)))

    async def get(self, tenant_id: str, version: int) -> Policy:
        async with self.db.session() as s:
            row = await s.get(Policy, (tenant_id, version))
        if row is None:
            raise PolicyNotFound(f"policy version {version} not found")
        return row

    async def settings_of(self, tenant_id: str, version: int) -> dict[str, Any]:
        """A version's settings; version 0 is the tenant's settings alone."""
        return {} if version == 0 else (await self.get(tenant_id, version)).settings

    async def all(self, tenant_id: str) -> list[Policy]:
        async with self.db.session() as s:
            return list(await s.scalars(select(Policy).where(Policy.tenant_id == tenant_id).order_by(Policy.version)))

    async def active(self, tenant_id: str) -> ActivePolicy | None:
        async with self.db.session() as s:
            return await s.get(ActivePolicy, tenant_id)

    async def active_version(self, tenant_id: str) -> int:
        row = await self.active(tenant_id)
        return row.version if row is not None else 0

    async def activate(
        self,
        tenant_id: str,
        version: int,
        *,
        actor: str,
        reason: str = "",
        kind: str = "activate",
        baseline: dict[str, Any] | None = None,
        watch: bool = False,
        detail: dict[str, Any] | None = None,
    ) -> ActivePolicy:
        """Make `version` the one turns use; the version it replaces is where a rollback returns. With `watch`, the
        rollback watch compares its live figures with `baseline` (the replaced version's)."""
        if version != 0:
            await self.get(tenant_id, version)  # PolicyNotFound
        async with writing(self.db), self.db.session() as s:
            row = await s.get(ActivePolicy, tenant_id)
            before = row.version if row is not None else 0
            if row is None:
                row = ActivePolicy(tenant_id=tenant_id, version=version)
                s.add(row)
            row.version, row.previous_version, row.activated_at = version, before, utcnow()
            row.baseline, row.watched = baseline or {}, watch
            s.add(_event(tenant_id, kind, before, version, actor, reason, detail))
            await s.commit()
            await s.refresh(row)
        return row

    async def rollback(
        self, tenant_id: str, *, actor: str, reason: str, kind: str = "rollback", detail: dict[str, Any] | None = None
    ) -> ActivePolicy:
        """Back to the version the active one replaced; PolicyError when there is none."""
        async with writing(self.db), self.db.session() as s:
            row = await s.get(ActivePolicy, tenant_id)
            if row is None or row.previous_version is None:
                raise PolicyError("nothing to roll back to: no policy was active before this one")
            before, back = row.version, row.previous_version
            row.version, row.previous_version, row.activated_at = back, None, utcnow()
            row.baseline, row.watched = {}, False
            s.add(_event(tenant_id, kind, before, back, actor, reason, detail))
            await s.commit()
            await s.refresh(row)
        return row

    async def log(
        self,
        tenant_id: str,
        kind: str,
        *,
        actor: str,
        reason: str = "",
        from_version: int | None = None,
        to_version: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        async with writing(self.db), self.db.session() as s:
            s.add(_event(tenant_id, kind, from_version, to_version, actor, reason, detail))
            await s.commit()

    async def events(self, tenant_id: str, limit: int = 100, since: datetime | None = None) -> list[PolicyEvent]:
        async with self.db.session() as s:
            query = select(PolicyEvent).where(PolicyEvent.tenant_id == tenant_id)
            if since is not None:
                query = query.where(PolicyEvent.at >= since)
            return list(await s.scalars(query.order_by(PolicyEvent.id.desc()).limit(limit)))

    async def resolve(
        self, tenant_id: str, *, thread_id: str | None, customer_id: str | None, version: int | None = None
    ) -> Resolved:
        """The policy a run of this thread (and customer) gets: `version` if named, else its arm of the running
        experiment, else the active version."""
        if version is not None:
            return Resolved(version, await self.settings_of(tenant_id, version))
        async with self.db.session() as s:
            active_version, active_settings, experiment = (await s.execute(_LOOKUP, {"tenant": tenant_id})).one()
        if experiment is not None:
            key = (customer_id if experiment.unit == "customer" and customer_id else None) or thread_id or ""
            treated = bool(key) and bucket(experiment.id, key) < experiment.percent
            arm = "treatment" if treated else "control"
            chosen = experiment.treatment_version if treated else experiment.control_version
            return Resolved(chosen, await self.settings_of(tenant_id, chosen), experiment.id, arm)
        if not active_version:
            return Resolved(0, {})
        if active_settings is None:
            raise PolicyNotFound(f"policy version {active_version} not found")
        return Resolved(active_version, active_settings)


def _lookup() -> Any:
    """Every run's policy lookup in one statement (it was three): the tenant's active version with its settings,
    and its newest running experiment, if any. Selected from a one-row table so that a row comes back even when
    the tenant has neither. Built once, for parameter `tenant`."""
    tenant_id = bindparam("tenant")
    one = select(literal(1).label("one")).subquery()
    return (
        select(ActivePolicy.version, Policy.settings, Experiment)
        .select_from(one)
        .outerjoin(ActivePolicy, ActivePolicy.tenant_id == tenant_id)
        .outerjoin(Policy, (Policy.tenant_id == tenant_id) & (Policy.version == ActivePolicy.version))
        .outerjoin(Experiment, (Experiment.tenant_id == tenant_id) & (Experiment.status == "running"))
        .order_by(Experiment.created_at.desc())
        .limit(1)
    )


_LOOKUP = _lookup()


def _event(
    tenant_id: str,
    kind: str,
    from_version: int | None,
    to_version: int | None,
    actor: str,
    reason: str,
    detail: dict[str, Any] | None,
) -> PolicyEvent:
    """One line of the tenant's policy history (activations, rollbacks, experiment steps), stamped now."""
    return PolicyEvent(
        tenant_id=tenant_id,
        kind=kind,
        from_version=from_version,
        to_version=to_version,
        actor=actor,
        reason=reason,
        detail=detail or {},
        at=utcnow(),
    )
