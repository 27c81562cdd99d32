"""Corrections: what a human agent replied where the bot had a draft, reviewed by supervisors.

Approved corrections with a quality score at or over a threshold become training data (`training.py`); every
change to the approved set makes a new numbered evaluation set, the approved corrections of that moment, which
`concierge eval --corrections` runs (the customer's question, with the agent's reply as reference answer).
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import Correction, EvalSetVersion
from concierge.tools.support.langsmith import LangSmithFeedback


class CorrectionNotFound(LookupError):
    pass


def correction_json(c: Correction) -> dict[str, Any]:
    return {
        "correction_id": c.id,
        "thread_id": c.thread_id,
        "turn": c.turn,
        "handoff_id": c.handoff_id,
        "question": c.question,
        "history": c.history,
        "draft": c.draft,
        "reply": c.reply,
        "category": c.category,
        "reason": c.reason,
        "agent": c.agent,
        "created_at": c.created_at.isoformat(),
        "status": c.status,
        "quality": c.quality,
        "reviewer": c.reviewer,
        "review_note": c.review_note,
        "reviewed_at": c.reviewed_at.isoformat() if c.reviewed_at else None,
    }


@dataclass
class Corrections:
    db: AppDatabase
    langsmith: LangSmithFeedback | None = None

    async def record(
        self,
        *,
        tenant_id: str,
        thread_id: str,
        turn: int,
        handoff_id: str | None,
        run_id: str,
        question: str,
        history: list[dict[str, Any]],
        draft: str,
        reply: str,
        category: str | None,
        reason: str,
        agent: str,
    ) -> Correction | None:
        """Store the reply next to the draft it replaced; the same turn again (a resumed node) is not doubled."""
        correction = Correction(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            thread_id=thread_id,
            turn=turn,
            handoff_id=handoff_id,
            run_id=run_id,
            question=question,
            history=history,
            draft=draft,
            reply=reply,
            category=category or ("accepted" if reply.strip() == draft.strip() else "corrected"),
            reason=reason,
            agent=agent,
            created_at=utcnow(),
        )
        async with writing(self.db), self.db.session() as s:
            if await s.scalar(
                select(Correction.id).where(
                    Correction.tenant_id == tenant_id, Correction.thread_id == thread_id, Correction.turn == turn
                )
            ):
                return None
            s.add(correction)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                return None
        if self.langsmith is not None:
            self.langsmith.send(
                run_id,
                "human_correction",
                value=correction.category,
                comment=reason or None,
                correction={"output": reply},
                source="human_agent",
            )
        return correction

    async def get(self, tenant_id: str, correction_id: str) -> Correction:
        async with self.db.session() as s:
            c = await s.scalar(
                select(Correction).where(Correction.id == correction_id, Correction.tenant_id == tenant_id)
            )
        if c is None:
            raise CorrectionNotFound(f"correction {correction_id} not found")
        return c

    async def find(self, tenant_id: str, status: str | None = None, limit: int = 100) -> list[Correction]:
        async with self.db.session() as s:
            query = select(Correction).where(Correction.tenant_id == tenant_id)
            if status:
                query = query.where(Correction.status == status)
            return list(await s.scalars(query.order_by(Correction.created_at, Correction.id).limit(limit)))

    async def review(
        self, tenant_id: str, correction_id: str, *, approved: bool, quality: int, reviewer: str, note: str = ""
    ) -> tuple[Correction, int | None]:
        """Approve or reject with a quality score (1-5); returns the correction and the new eval set version
        when the approved set changed."""
        async with writing(self.db), self.db.session() as s:
            c = await s.scalar(
                select(Correction)
                .where(Correction.id == correction_id, Correction.tenant_id == tenant_id)
                .with_for_update()
            )
            if c is None:
                raise CorrectionNotFound(f"correction {correction_id} not found")
            was_approved = c.status == "approved"
            c.status = "approved" if approved else "rejected"
            c.quality, c.reviewer, c.review_note, c.reviewed_at = quality, reviewer, note, utcnow()
            version = None
            if approved or was_approved:  # the approved set, or a score in it, changed
                version = await _new_eval_version(s, tenant_id)
            await s.commit()
        if self.langsmith is not None:
            self.langsmith.send(
                c.run_id,
                "correction_quality",
                score=(quality - 1) / 4,
                value=c.status,
                comment=note,
                source="supervisor",
            )
        return c, version

    async def approved(self, tenant_id: str, min_quality: int = 1) -> list[Correction]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(Correction)
                .where(
                    Correction.tenant_id == tenant_id,
                    Correction.status == "approved",
                    Correction.quality >= min_quality,
                )
                .order_by(Correction.created_at, Correction.id)
            )
            return list(rows)

    async def eval_set(self, tenant_id: str, version: int | None = None) -> tuple[int, list[Correction]]:
        """The numbered set (newest by default) and its corrections; (0, []) before any approval."""
        async with self.db.session() as s:
            query = select(EvalSetVersion).where(EvalSetVersion.tenant_id == tenant_id)
            query = query.where(EvalSetVersion.version == version) if version else query
            row = await s.scalar(query.order_by(EvalSetVersion.version.desc()).limit(1))
            if row is None:
                if version:
                    raise CorrectionNotFound(f"evaluation set version {version} not found")
                return 0, []
            rows = await s.scalars(select(Correction).where(Correction.id.in_(row.correction_ids)))
            by_id = {c.id: c for c in rows}
            return row.version, [by_id[i] for i in row.correction_ids if i in by_id]


async def _new_eval_version(s: Any, tenant_id: str) -> int:
    await s.flush()
    latest = await s.scalar(select(func.max(EvalSetVersion.version)).where(EvalSetVersion.tenant_id == tenant_id))
    ids = list(
        await s.scalars(
            select(Correction.id)
            .where(Correction.tenant_id == tenant_id, Correction.status == "approved")
            .order_by(Correction.created_at, Correction.id)
        )
    )
    version = (latest or 0) + 1
    s.add(EvalSetVersion(tenant_id=tenant_id, version=version, correction_ids=ids, created_at=utcnow()))
    return version


def eval_questions(corrections: list[Correction], version: int) -> list[dict[str, Any]]:
    """Corrections as `concierge eval` questions: the agent's reply is the reference answer."""
    return [
        {
            "id": f"v{version}-{c.id[:8]}",
            "question": c.question,
            "kind": "correction",
            "expected_sources": [],
            "answer": c.reply,
            "must_contain": [],
        }
        for c in corrections
        if c.question
    ]
