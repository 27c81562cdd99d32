"""Answers, their ratings, and what customers did next: the explicit and implicit feedback of each tenant.

`collect_feedback` records every answer once (idempotent: a resumed node runs again); a rating is stored per
(tenant, thread, run, answer, key) and replaced when the customer rates again; `analyze_query` reports the
customer's next message (continued, response time, asked for a person); the business's own system reports a
booking or purchase through the API.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from concierge.state.human import Rating
from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import Answer, CompletedAction, FeedbackEntry
from concierge.tools.support.langsmith import LangSmithFeedback

DEFAULT_KEY = "rating"


class UnknownAnswer(LookupError):
    """No answer matches: the run or turn does not exist (yet), or belongs to another tenant."""


def entry_json(entry: FeedbackEntry) -> dict[str, Any]:
    return {
        "thread_id": entry.thread_id,
        "run_id": entry.run_id,
        "turn": entry.turn,
        "key": entry.key,
        "rating": _rating_out(entry.rating),
        "score": entry.score,
        "helpful": entry.helpful,
        "comment": entry.comment,
        "source": entry.source,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
    }


def _rating_out(stored: str | None) -> int | str | None:
    return int(stored) if stored is not None and stored.isdigit() else stored


@dataclass
class FeedbackStore:
    db: AppDatabase
    langsmith: LangSmithFeedback | None = None

    async def record_answer(
        self,
        *,
        tenant_id: str,
        thread_id: str,
        turn: int,
        run_id: str | None,
        message_id: str | None,
        question: str,
        grounded: bool,
        latency_ms: float | None,
        collecting: bool,
    ) -> None:
        """One row per answer; a second call for the same turn (the node resumed) changes nothing.

        The write is one statement (`INSERT ... ON CONFLICT DO NOTHING`) in a transaction of its own, so it never
        upgrades a read transaction, which SQLite refuses at once when another writer got in between.
        """
        row = {
            "tenant_id": tenant_id,
            "thread_id": thread_id,
            "turn": turn,
            "run_id": run_id or "",
            "message_id": message_id,
            "question": question[:4000],
            "grounded": grounded,
            "latency_ms": latency_ms,
            "feedback": "pending" if collecting else "off",
            "answered_at": utcnow(),
            "asked_human": False,
        }
        if await self.answer_of_turn(tenant_id, thread_id, turn) is not None:
            return  # the node resumed: recorded by the answering run (a read, no write lock taken)
        insert = pg_insert if self.db.engine.dialect.name == "postgresql" else sqlite_insert
        async with writing(self.db), self.db.session() as s:
            await s.execute(insert(Answer).values(**row).on_conflict_do_nothing())
            await s.commit()

    async def rate(
        self,
        rating: Rating,
        *,
        tenant_id: str,
        thread_id: str,
        turn: int | None = None,
        run_id: str | None = None,
        key: str = DEFAULT_KEY,
        source: str = "interrupt",
    ) -> dict[str, Any]:
        """Store (or replace) a rating of one answer, named by turn or by the run that gave it."""
        if rating.rating is None:
            raise ValueError("a rating is needed")
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            query = select(Answer).where(Answer.tenant_id == tenant_id, Answer.thread_id == thread_id)
            if turn is not None:
                query = query.where(Answer.turn == turn)
            if run_id is not None:
                query = query.where(Answer.run_id == run_id)
            answer = await s.scalar(query.order_by(Answer.turn.desc()).limit(1))
            if answer is None:
                raise UnknownAnswer(f"no answer {'of run ' + run_id if run_id else f'turn {turn}'} on this thread")
            entry = await s.scalar(
                select(FeedbackEntry).where(
                    FeedbackEntry.tenant_id == tenant_id,
                    FeedbackEntry.thread_id == thread_id,
                    FeedbackEntry.run_id == answer.run_id,
                    FeedbackEntry.turn == answer.turn,
                    FeedbackEntry.key == key,
                )
            )
            if entry is None:
                entry = FeedbackEntry(
                    tenant_id=tenant_id,
                    thread_id=thread_id,
                    run_id=answer.run_id,
                    turn=answer.turn,
                    key=key,
                    created_at=now,
                )
                s.add(entry)
            entry.rating, entry.score, entry.helpful = str(rating.rating), rating.score, rating.helpful
            entry.comment, entry.source, entry.updated_at = rating.comment, source, now
            answer.feedback = "rated"
            await s.commit()
        if self.langsmith is not None:
            self.langsmith.send(
                entry.run_id, key, score=rating.score, value=str(rating.rating), comment=rating.comment, source=source
            )
        return entry_json(entry)

    async def ratings(self, tenant_id: str, thread_id: str) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(FeedbackEntry)
                .where(FeedbackEntry.tenant_id == tenant_id, FeedbackEntry.thread_id == thread_id)
                .order_by(FeedbackEntry.turn, FeedbackEntry.key)
            )
            return [entry_json(e) for e in rows]

    async def answer_of_turn(self, tenant_id: str, thread_id: str, turn: int) -> Answer | None:
        async with self.db.session() as s:
            return await s.scalar(_answer(tenant_id, thread_id, turn))

    async def answer_of_run(self, run_id: str) -> Answer | None:
        async with self.db.session() as s:
            return await s.scalar(select(Answer).where(Answer.run_id == run_id).limit(1))

    async def customer_wrote(
        self, *, tenant_id: str, thread_id: str, at: datetime | None = None, wants_human: bool = False
    ) -> None:
        """The customer's next message after an answer: response time, "continued" if unrated, asked for a person.

        Read, then one guarded UPDATE in a transaction of its own (`next_message_at IS NULL`: only the first
        message after an answer counts), so SQLite never has to upgrade a read into a write.
        """
        at = at or utcnow()
        async with self.db.session() as s:
            latest = (
                await s.execute(
                    select(Answer.id, Answer.answered_at, Answer.next_message_at, Answer.feedback)
                    .where(Answer.tenant_id == tenant_id, Answer.thread_id == thread_id)
                    .order_by(Answer.turn.desc())
                    .limit(1)
                )
            ).first()
        if latest is None or latest.next_message_at is not None:
            return
        values: dict[str, Any] = {
            "next_message_at": at,
            "response_s": max(0.0, (at - latest.answered_at).total_seconds()),
        }
        if latest.feedback == "pending":
            values["feedback"] = "continued"
        if wants_human:
            values["asked_human"] = True
        async with writing(self.db), self.db.session() as s:
            await s.execute(
                update(Answer).where(Answer.id == latest.id, Answer.next_message_at.is_(None)).values(**values)
            )
            await s.commit()

    async def asked_human(self, *, tenant_id: str, thread_id: str, turn: int) -> None:
        """The customer accepted a person after this answer (or asked for one with the rating)."""
        async with writing(self.db), self.db.session() as s:
            answer = await s.scalar(_answer(tenant_id, thread_id, turn))
            if answer is not None and not answer.asked_human:
                answer.asked_human = True
                await s.commit()

    async def record_action(self, *, tenant_id: str, thread_id: str, kind: str, reference: str = "") -> dict[str, Any]:
        """A booking or purchase made after the conversation's latest answer."""
        async with writing(self.db), self.db.session() as s:
            answer = await s.scalar(
                select(Answer)
                .where(Answer.tenant_id == tenant_id, Answer.thread_id == thread_id)
                .order_by(Answer.turn.desc())
                .limit(1)
            )
            action = CompletedAction(
                tenant_id=tenant_id,
                thread_id=thread_id,
                turn=answer.turn if answer else None,
                kind=kind,
                reference=reference,
                created_at=utcnow(),
            )
            s.add(action)
            if answer is not None:
                answer.completed_action = kind
            await s.commit()
        return {
            "thread_id": thread_id,
            "turn": action.turn,
            "kind": kind,
            "reference": reference,
            "created_at": action.created_at.isoformat(),
        }


def _answer(tenant_id: str, thread_id: str, turn: int) -> Select[tuple[Answer]]:
    return select(Answer).where(Answer.tenant_id == tenant_id, Answer.thread_id == thread_id, Answer.turn == turn)
