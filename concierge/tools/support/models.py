"""Tables of feedback, handoffs and corrections (revision 0008).

Every row carries its tenant; threads are named by id (a thread may live only in checkpoints, as under
`langgraph dev`, so there is no foreign key to `threads`).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from concierge.tools.appdb import Base, UTCDateTime, utcnow


class Answer(Base):
    """One answer the bot gave, with the implicit signals that followed it."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "thread_id", "turn"),
        Index("ix_answers_tenant_answered", "tenant_id", "answered_at"),
        Index("ix_answers_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    thread_id: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(64), default="")
    """The run that produced the answer: LangSmith's trace, the signed feedback URL's binding."""
    message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    question: Mapped[str] = mapped_column(Text, default="")
    grounded: Mapped[bool] = mapped_column(Boolean, default=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, default=None)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    feedback: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, rated, continued (the customer asked something else), off (the tenant collects none)."""
    next_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    response_s: Mapped[float | None] = mapped_column(Float, default=None)
    """Seconds from the answer to the customer's next message."""
    asked_human: Mapped[bool] = mapped_column(Boolean, default=False)
    completed_action: Mapped[str | None] = mapped_column(String(32), default=None)
    """booking or purchase, recorded through the API after this answer."""


class FeedbackEntry(Base):
    """A rating of an answer; rating again under the same key replaces it."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("tenant_id", "thread_id", "run_id", "turn", "key"),
        Index("ix_feedback_tenant_created", "tenant_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    thread_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(String(64), default="")
    turn: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(64), default="rating")
    rating: Mapped[str | None] = mapped_column(String(16), default=None)
    """As given: 1-5, helpful, not_helpful, up, down."""
    score: Mapped[float | None] = mapped_column(Float, default=None)
    helpful: Mapped[bool | None] = mapped_column(Boolean, default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="interrupt")
    """interrupt (resumed run), api, signed_url."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CompletedAction(Base):
    """A booking or purchase the business's own system reported after an answer: the strongest good signal."""

    __tablename__ = "completed_actions"
    __table_args__ = (Index("ix_completed_actions_tenant_created", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    thread_id: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int | None] = mapped_column(Integer, default=None)
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HandoffEntry(Base):
    """A conversation in the human agents' queue, from waiting to resolved.

    `assignee` is claimed with a conditional UPDATE, so of two agents claiming at once exactly one wins.
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_queue", "tenant_id", "status", "waiting_since"),
        Index("ix_handoffs_thread", "thread_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    thread_id: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str] = mapped_column(String(64), default="")
    """The run whose draft the agent sees: its LangSmith trace gets the correction."""
    reason: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    """waiting, claimed, held (open); answered, ignored, resolved (closed)."""
    assignee: Mapped[str | None] = mapped_column(String(128), default=None)
    question: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    customer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class HandoffNote(Base):
    """A private note between agents on a handoff; never shown to the customer."""

    __tablename__ = "handoff_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[str] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    author: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Correction(Base):
    """A human agent's reply after a bot draft: training data once a supervisor approves it."""

    __tablename__ = "corrections"
    __table_args__ = (
        UniqueConstraint("tenant_id", "thread_id", "turn"),
        Index("ix_corrections_tenant_status", "tenant_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    thread_id: Mapped[str] = mapped_column(String(64))
    turn: Mapped[int] = mapped_column(Integer)
    handoff_id: Mapped[str | None] = mapped_column(String(64), default=None)
    run_id: Mapped[str] = mapped_column(String(64), default="")
    """The run that produced the draft, for LangSmith."""
    question: Mapped[str] = mapped_column(Text, default="")
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Earlier turns as [{role, content}], oldest first."""
    draft: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), default="corrected")
    reason: Mapped[str] = mapped_column(Text, default="")
    agent: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, approved, rejected."""
    quality: Mapped[int | None] = mapped_column(Integer, default=None)
    """1-5, set by the supervisor who reviewed it."""
    reviewer: Mapped[str | None] = mapped_column(String(128), default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class EvalSetVersion(Base):
    """A numbered snapshot of a tenant's approved corrections: the evaluation set `concierge eval` reads."""

    __tablename__ = "eval_set_versions"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    correction_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
