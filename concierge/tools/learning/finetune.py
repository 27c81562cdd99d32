"""Fine-tuning jobs: the tenant's approved corrections, exported as chat fine-tuning files, submitted to OpenAI's
fine-tuning API through its own client, followed, and the resulting model registered as a candidate policy.

Optional: it needs an OpenAI key, the tenant's own (`providers.openai`) or the deployment's. The candidate policy
puts `openai/<fine-tuned model>` first in the chain; the model's price (the base model's, twice, which is what
OpenAI charges for fine-tuned inference on its small models) goes into the tenant's `prices`, since a model
without a price is never called. Nothing reaches customers until the candidate is compared and rolled out
(`concierge compare`, an experiment with its evaluation gate).
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from concierge.tools.auth.secrets import SecretBox
from concierge.tools.auth.tenants import provider_settings, update_tenant
from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import FineTuneJob, Tenant
from concierge.tools.learning.policies import Policies
from concierge.tools.llm.providers import MODELS, ProviderConfig
from concierge.tools.support.corrections import Corrections
from concierge.tools.support.training import export, system_prompt

if TYPE_CHECKING:  # imported where a job is started or followed: the server and CLI start without it (~0.3 s)
    import openai

TERMINAL = ("succeeded", "failed", "cancelled")
DEFAULT_BASE = "gpt-4o-mini-2024-07-18"


class FineTuneError(ValueError):
    """Something a person can fix (no key, no examples); the message says what."""


class FineTuneNotFound(LookupError):
    pass


def job_json(j: FineTuneJob) -> dict[str, Any]:
    return {
        "job_id": j.id,
        "provider": j.provider,
        "base_model": j.base_model,
        "status": j.status,
        "fine_tuned_model": j.fine_tuned_model,
        "policy_version": j.policy_version,
        "detail": j.detail,
        "created_by": j.created_by,
        "created_at": j.created_at.isoformat(),
        "updated_at": j.updated_at.isoformat(),
    }


def _base_price(base_model: str) -> dict[str, float]:
    """Twice the base model's price (OpenAI's fine-tuned inference price on its mini models); the mini's if the
    base is not in the table."""
    info = MODELS.get(f"openai/{base_model}") or next(
        (m for name, m in MODELS.items() if name.startswith("openai/") and base_model.startswith(name[7:])),
        MODELS["openai/gpt-4o-mini"],
    )
    return {"input": info.price_in * 2, "output": info.price_out * 2, "context_window": info.context_window}


@dataclass
class FineTunes:
    db: AppDatabase
    secrets: SecretBox
    policies: Policies
    corrections: Corrections
    deployment_openai: ProviderConfig | None = None
    timeout_s: float = 60.0

    async def _client(self, tenant_id: str) -> "openai.AsyncOpenAI":
        import openai

        own = (await provider_settings(self.db, self.secrets, tenant_id)).get("openai")
        config = ProviderConfig.parse("openai", own) if own else self.deployment_openai
        if config is None or not config.api_key:
            raise FineTuneError(
                "fine-tuning needs an OpenAI key: the tenant's own (providers.openai) or OPENAI_API_KEY"
            )
        return openai.AsyncOpenAI(
            api_key=config.api_key, base_url=config.base_url, timeout=self.timeout_s, max_retries=1
        )

    async def start(self, tenant_id: str, *, base_model: str, min_quality: int, actor: str) -> FineTuneJob:
        """Export the approved corrections at or over `min_quality`, upload the files, create the job."""
        import openai

        async with self.db.session() as s:
            tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            raise FineTuneNotFound(f"tenant {tenant_id!r} not found")
        client = await self._client(tenant_id)
        approved = await self.corrections.approved(tenant_id)
        kept = [c for c in approved if (c.quality or 0) >= min_quality]
        if not kept:
            raise FineTuneError(f"no approved corrections with quality >= {min_quality} to learn from")
        with tempfile.TemporaryDirectory(prefix="concierge-ft-") as tmp:
            stats = export(
                kept,
                Path(tmp),
                system=system_prompt(tenant.name, tenant.description),
                min_quality=min_quality,
                approved_total=len(approved),
            )
            try:
                async with client:
                    train_path = Path(stats["files"]["openai_train"])
                    train = await client.files.create(
                        file=(train_path.name, train_path.read_bytes()), purpose="fine-tune"
                    )
                    validation_id = None
                    if stats["validation"]:
                        val_path = Path(stats["files"]["openai_validation"])
                        val = await client.files.create(
                            file=(val_path.name, val_path.read_bytes()), purpose="fine-tune"
                        )
                        validation_id = val.id
                    job = await client.fine_tuning.jobs.create(
                        model=base_model,
                        training_file=train.id,
                        validation_file=validation_id,
                        suffix=tenant_id[:18],
                    )
            except openai.OpenAIError as exc:
                raise FineTuneError(f"OpenAI refused the job: {exc}") from None
        now = utcnow()
        row = FineTuneJob(
            id=job.id,
            tenant_id=tenant_id,
            base_model=base_model,
            status=job.status,
            detail={
                "training_file": train.id,
                "validation_file": validation_id,
                **{k: stats[k] for k in ("exported", "train", "validation", "tokens_total", "mean_quality")},
            },
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        async with writing(self.db), self.db.session() as s:
            s.add(row)
            await s.commit()
        return row

    async def get(self, tenant_id: str, job_id: str) -> FineTuneJob:
        async with self.db.session() as s:
            row = await s.get(FineTuneJob, job_id)
        if row is None or row.tenant_id != tenant_id:
            raise FineTuneNotFound(f"fine-tuning job {job_id} not found")
        return row

    async def find(self, tenant_id: str) -> list[FineTuneJob]:
        async with self.db.session() as s:
            return list(
                await s.scalars(
                    select(FineTuneJob).where(FineTuneJob.tenant_id == tenant_id).order_by(FineTuneJob.created_at)
                )
            )

    async def refresh(self, tenant_id: str, job_id: str, actor: str) -> FineTuneJob:
        """Ask OpenAI how the job is doing; once it succeeded, register its model as a candidate policy (once)."""
        import openai

        row = await self.get(tenant_id, job_id)
        if row.status not in TERMINAL:
            client = await self._client(tenant_id)
            try:
                async with client:
                    job = await client.fine_tuning.jobs.retrieve(job_id)
            except openai.OpenAIError as exc:
                raise FineTuneError(f"OpenAI could not say how job {job_id} is doing: {exc}") from None
            async with writing(self.db), self.db.session() as s:
                stored = await s.get(FineTuneJob, job_id)
                assert stored is not None
                stored.status, stored.fine_tuned_model, stored.updated_at = job.status, job.fine_tuned_model, utcnow()
                if job.error is not None and job.error.message:
                    stored.detail = {**stored.detail, "error": job.error.message}
                await s.commit()
            row = await self.get(tenant_id, job_id)
        if row.status == "succeeded" and row.fine_tuned_model and row.policy_version is None:
            row = await self._register(row, actor)
        return row

    async def _register(self, row: FineTuneJob, actor: str) -> FineTuneJob:
        name = f"openai/{row.fine_tuned_model}"
        async with self.db.session() as s:
            tenant = await s.get(Tenant, row.tenant_id)
        prices = dict((tenant.settings or {}).get("prices") or {}) if tenant else {}
        prices[name] = _base_price(row.base_model)
        await update_tenant(self.db, self.secrets, row.tenant_id, actor, {"settings": {"prices": prices}})
        policy = await self.policies.create(
            row.tenant_id,
            {"models": [name]},
            note=f"fine-tuned {row.base_model} on {row.detail.get('exported', 0)} corrections (job {row.id})",
            origin=f"fine-tune:{row.id}",
            actor=actor,
        )
        async with writing(self.db), self.db.session() as s:
            stored = await s.get(FineTuneJob, row.id)
            assert stored is not None
            stored.policy_version, stored.updated_at = policy.version, utcnow()
            await s.commit()
        return await self.get(row.tenant_id, row.id)
