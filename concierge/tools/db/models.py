"""Every table of the app database, in one module: what the app reads and writes and what Alembic migrates.

Every row that belongs to a business carries `tenant_id`. Adding a table? Define it here and write its revision
(see `migrations/README.md`).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from concierge.tools.db.base import Base, UTCDateTime, utcnow


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Agent configuration: the `Context` fields this tenant overrides."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Thread(Base):
    __tablename__ = "threads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    status: Mapped[str] = mapped_column(String(16), default="idle")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    values: Mapped[dict[str, Any] | None] = mapped_column("state_values", JSON, default=None)
    """The state after the thread's last run or update, as JSON (what `threads.search(values=...)` filters)."""
    interrupts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default=text("'{}'"))
    """Pending interrupts by task id: `{task_id: [{"value", "id"}]}`."""
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    runs_started: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Runs this thread has started; the next run's ordinal, which orders stream event ids across runs."""


class Run(Base):
    """A run of the graph on a thread: queued, executed by whichever replica claims it, kept as a record."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_thread_created", "thread_id", "created_at"),
        Index("ix_runs_status_created", "status", "created_at"),
        # One running run per thread, held by the database whichever replica claims it.
        Index(
            "ux_runs_one_running_per_thread",
            "thread_id",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    assistant_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, running, success, error, interrupted, timeout."""
    multitask_strategy: Mapped[str] = mapped_column(String(16), default="enqueue")
    kwargs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What the run does: input or command, stream modes, context, config, resumable, on_completion..."""
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    cancel: Mapped[str | None] = mapped_column(String(16), default=None)
    """`interrupt` or `rollback` once someone asked the running run to stop; its replica acts on it."""
    worker: Mapped[str | None] = mapped_column(String(128), default=None)
    ordinal: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class RunEvent(Base):
    """One streamed event of a run, kept for rejoining and thread streams when Redis is not configured."""

    __tablename__ = "run_events"
    __table_args__ = (
        Index("ix_run_events_run", "run_id", "seq"),
        Index("ix_run_events_thread", "thread_id", "ordinal", "seq"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    thread_id: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[str] = mapped_column(String(64))
    ordinal: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(100))
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title: Mapped[str] = mapped_column(String(300), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    """0..1 while processing: extraction, chunking, then embedding batch by batch."""
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        Index("ix_products_tenant_name", "tenant_id", "name"),
        Index("ix_products_tenant_model", "tenant_id", "model_number"),
        Index("ix_products_tenant_category", "tenant_id", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(100), default="")
    brand: Mapped[str | None] = mapped_column(String(200), default=None)
    model_number: Mapped[str | None] = mapped_column(String(100), default=None)
    tags: Mapped[list[str]] = mapped_column(default=list)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stock: Mapped[int | None] = mapped_column(Integer, default=None)
    """None when the tenant's catalog does not say (a price list without stock): never shown as 0."""
    stock_by_location: Mapped[dict[str, int] | None] = mapped_column(JSON(none_as_null=True), default=None)
    """Stock per shop location (location name to count, in the export's order) when the export gives it per
    location (a Square export of a seller with several stores); `stock` is then their sum. None when the export
    gives one total. For a product sold in versions: its versions' counts summed per location."""
    regular_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    """The price before a sale when `price` is a sale price (for a product sold in versions: its cheapest one's);
    None when not on sale."""


class ProductVariant(Base):
    """One version of a product a shop sells (a size, a memory, a colour), with its own SKU, price and stock.

    The product's own price is then its lowest variant price ("from"), its stock the sum of theirs.
    """

    __tablename__ = "product_variants"
    __table_args__ = (Index("ix_product_variants_tenant_product", "tenant_id", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    sku: Mapped[str | None] = mapped_column(String(64), default=None)
    options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    """Option name to value, in the shop's order: {"Size": "15 inch", "Memory": "16GB"}."""
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    stock: Mapped[int | None] = mapped_column(Integer, default=None)
    stock_by_location: Mapped[dict[str, int] | None] = mapped_column(JSON(none_as_null=True), default=None)
    """Stock per shop location (location name to count), `stock` their sum; None when the export gives one total."""
    regular_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=None)
    """The price before a sale when `price` is a sale price; None when not on sale."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """The variant's place in the shop's list."""


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("service_id", "start"),
        Index("ix_slots_tenant_start", "tenant_id", "start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class CatalogVersion(Base):
    __tablename__ = "catalog_versions"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UsageRecord(Base):
    """One call to one provider, answered or failed."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_tenant_day", "tenant_id", "day"), Index("ix_usage_day_model", "day", "model"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    run_id: Mapped[str | None] = mapped_column(String(64), default=None)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(200))
    """`provider/model`."""
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    ttft_ms: Mapped[float | None] = mapped_column(Float, default=None)
    ok: Mapped[bool] = mapped_column(Boolean, default=True)
    error_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    failed_over_from: Mapped[str | None] = mapped_column(String(200), default=None)
    day: Mapped[str] = mapped_column(String(10))
    policy_version: Mapped[int | None] = mapped_column(Integer, default=None)
    """The tenant's policy version whose turn made this call (revision 0010); None before policies existed."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BudgetAlert(Base):
    """A tenant went over its daily budget: raised once per tenant and day."""

    __tablename__ = "budget_alerts"
    __table_args__ = (UniqueConstraint("tenant_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))
    spent_usd: Mapped[float] = mapped_column(Float)
    budget_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebCacheEntry(Base):
    __tablename__ = "web_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """sha256 of the provider name and the normalised query."""
    provider: Mapped[str] = mapped_column(String(32))
    query: Mapped[str] = mapped_column(Text)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class RetrievalLogEntry(Base):
    __tablename__ = "retrieval_log"
    __table_args__ = (
        Index("ix_retrieval_log_tenant_created", "tenant_id", "created_at"),
        Index("ix_retrieval_log_thread_turn", "thread_id", "turn"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    turn: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(32))
    sources_asked: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16))
    """ok, stale (served from an expired cache after a provider failure), timeout or error."""
    results: Mapped[int] = mapped_column(Integer, default=0)
    elapsed_ms: Mapped[float] = mapped_column(Float)
    budget_ms: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    policy_version: Mapped[int | None] = mapped_column(Integer, default=None)
    """The tenant's policy version of the turn (revision 0010)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "thread_id": self.thread_id,
            "turn": self.turn,
            "source": self.source,
            "sources_asked": list(self.sources_asked or []),
            "status": self.status,
            "results": self.results,
            "elapsed_ms": self.elapsed_ms,
            "budget_ms": self.budget_ms,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "policy_version": self.policy_version,
        }


# --- People around the bot: feedback, handoffs, corrections (revision 0008). Threads are named by id without a
# foreign key: a thread may live only in checkpoints (`langgraph dev`).


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


# --- Learning without breaking: evaluation sets, policies, experiments, alerts (revision 0010).


class EvalSet(Base):
    """One version of a tenant's named evaluation set: its cases as they were then. Changing a set adds a version."""

    __tablename__ = "eval_sets"
    __table_args__ = (UniqueConstraint("tenant_id", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    cases: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Questions and conversations in the harness's JSON Lines form, one object each."""
    sha256: Mapped[str] = mapped_column(String(64))
    """Of the cases as canonical JSON: the same cases again make no new version."""
    origin: Mapped[str] = mapped_column(String(300), default="")
    """Where the cases came from: `team:<file>`, `corrections:<n>`, `import:<file>`."""
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Policy(Base):
    """One version of what can change a tenant's answers: models and routing, prompt variant, retrieval, citations.

    Its `settings` are tenant settings (a subset of the `Context` fields) laid over the tenant's own."""

    __tablename__ = "policies"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(String(200), default="")
    """`api`, `cli`, `fine-tune:<job>`..."""
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ActivePolicy(Base):
    """The policy a tenant's turns use, the one before it (where a rollback returns) and the baseline to watch."""

    __tablename__ = "active_policies"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer, default=None)
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    baseline: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Live figures of the previous policy when this one took over: what the rollback watch compares against."""
    watched: Mapped[bool] = mapped_column(Boolean, default=False)
    """True while the rollback watch compares this policy with its baseline."""


class PolicyEvent(Base):
    """Something that changed which policy answers: activation, rollback (with its reason), experiment steps."""

    __tablename__ = "policy_events"
    __table_args__ = (Index("ix_policy_events_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    from_version: Mapped[int | None] = mapped_column(Integer, default=None)
    to_version: Mapped[int | None] = mapped_column(Integer, default=None)
    actor: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Experiment(Base):
    """An A/B rollout of a treatment policy against the control, by customer or thread, in 10/50/100 % steps."""

    __tablename__ = "experiments"
    __table_args__ = (Index("ix_experiments_tenant_status", "tenant_id", "status"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    control_version: Mapped[int] = mapped_column(Integer)
    treatment_version: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16), default="thread")
    """`customer` (the run's customer_id, else its thread) or `thread`."""
    percent: Mapped[int] = mapped_column(Integer, default=10)
    status: Mapped[str] = mapped_column(String(16), default="running")
    """running, stopped (early, treatment worse), promoted (reached 100 %), cancelled."""
    min_turns: Mapped[int] = mapped_column(Integer, default=30)
    eval: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The evaluation gate: set name and version, threshold, the treatment's figures, passed."""
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Every decision, with the per-arm figures and the test it rests on."""
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AlertEntry(Base):
    """An incident: one alert sent when it opens, none while it stays open, closed when the figure recovers."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_tenant_kind_status", "tenant_id", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"))
    kind: Mapped[str] = mapped_column(String(32))
    """quality_drop, cost_spike, latency_p95, provider_errors, handoff_rate, rollback."""
    status: Mapped[str] = mapped_column(String(16), default="open")
    message: Mapped[str] = mapped_column(Text, default="")
    value: Mapped[float | None] = mapped_column(Float, default=None)
    threshold: Mapped[float | None] = mapped_column(Float, default=None)
    deliveries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Each webhook the alert went to, with its HTTP status or error."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class FineTuneJob(Base):
    """A fine-tuning job submitted to a provider with the tenant's approved corrections, and the candidate policy
    its model became."""

    __tablename__ = "fine_tune_jobs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    """The provider's job id."""
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id"), index=True)
    provider: Mapped[str] = mapped_column(String(64), default="openai")
    base_model: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="validating_files")
    """The provider's: validating_files, queued, running, succeeded, failed, cancelled."""
    fine_tuned_model: Mapped[str | None] = mapped_column(String(300), default=None)
    policy_version: Mapped[int | None] = mapped_column(Integer, default=None)
    """The candidate policy registered once the job succeeded."""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Files sent (ids, examples, tokens), the provider's error if it failed."""
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


metadata = Base.metadata
"""Every table above: what Alembic migrates and the drift test compares against."""


class ApiKey(Base):
    """A credential: its SHA-256 only (the key itself is shown once), its tenant, kind and scopes.

    A key without a tenant is an operator's: it manages tenants and their keys, and reads no tenant's data.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(ForeignKey("tenants.id"), index=True, default=None)
    kind: Mapped[str] = mapped_column(String(16), default="secret")
    """`secret` (servers, staff) or `publishable` (a browser widget: create and run threads only)."""
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(32))
    """The key's first characters, to tell keys apart in a listing."""
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class AuditEntry(Base):
    """One admin action: who did what to which tenant or key, and when. Never holds a secret."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TenantSecret(Base):
    """A tenant's provider keys, encrypted with the server's secret (Fernet); decrypted only to build a client."""

    __tablename__ = "tenant_secrets"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    providers: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lease(Base):
    """A named job that one replica at a time should run (the learning loop): held by `holder` until `expires_at`,
    renewed while it runs, taken over by another replica once a dead holder's time runs out."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
