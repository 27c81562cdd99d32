"""Every tool handle a node may ask for, opened once per process and passed in the runtime context."""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from concierge.state import Context
from concierge.tools.auth.ratelimit import RateLimiter
from concierge.tools.auth.secrets import SecretBox, load_or_create_secret
from concierge.tools.auth.tenants import seal_plaintext_providers
from concierge.tools.catalog.search import Catalog
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.documents.indexes import make_document_index
from concierge.tools.documents.sqlite_index import DocumentIndex
from concierge.tools.learning.alerts import Alerts
from concierge.tools.learning.evalsets import EvalSets
from concierge.tools.learning.policies import Policies
from concierge.tools.llm.failover import RetryPolicy
from concierge.tools.llm.health import HealthPolicy, HealthTracker
from concierge.tools.llm.providers import ProviderRegistry
from concierge.tools.llm.usage import UsageLedger
from concierge.tools.settings import Settings, get_settings
from concierge.tools.support.corrections import Corrections
from concierge.tools.support.feedback import FeedbackStore
from concierge.tools.support.handoffs import HandoffQueue
from concierge.tools.support.langsmith import LangSmithFeedback
from concierge.tools.support.nudges import make_nudges
from concierge.tools.support.signing import FeedbackLinks
from concierge.tools.tokens import encoding
from concierge.tools.web.cache import build_web_search
from concierge.tools.web.search import WebSearch

if TYPE_CHECKING:  # only for annotations: the CLI's commands open a toolbox without loading LangGraph
    from langgraph.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Toolbox:
    settings: Settings
    db: AppDatabase
    documents: DocumentIndex
    catalog: Catalog
    models: ProviderRegistry
    secrets: SecretBox
    """Encrypts tenants' provider keys at rest and signs thread tokens."""
    limiter: RateLimiter = field(default_factory=RateLimiter)
    web: WebSearch | None = None
    health: HealthTracker = field(default_factory=HealthTracker)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    langsmith: LangSmithFeedback | None = None
    """Where ratings and corrections also go when LangSmith tracing is configured."""
    usage: UsageLedger = field(init=False)
    """Usage records and budget alerts, in the app database."""
    feedback: FeedbackStore = field(init=False)
    handoffs: HandoffQueue = field(init=False)
    corrections: Corrections = field(init=False)
    policies: Policies = field(init=False)
    """Versioned policies per tenant, the active one, and which experiment arm a run falls in."""
    evalsets: EvalSets = field(init=False)
    alerts: Alerts = field(init=False)
    feedback_links: FeedbackLinks | None = field(init=False, default=None)
    """Signed feedback URLs; made in `open()` (reading the server secret is file I/O)."""

    def __post_init__(self) -> None:
        self.usage = UsageLedger(self.db)
        self.feedback = FeedbackStore(self.db, self.langsmith)
        self.handoffs = HandoffQueue(self.db, self.settings.handoff_watch_s, make_nudges(self.settings, self.db))
        self.corrections = Corrections(self.db, self.langsmith)
        self.policies = Policies(self.db)
        self.evalsets = EvalSets(self.db)
        self.alerts = Alerts(self.db, self.settings.alert_webhook_timeout_s)

    def use_langsmith(self, sink: LangSmithFeedback | None) -> None:
        """Send ratings and corrections to this LangSmith client (tests point one at a loopback stub)."""
        self.langsmith = self.feedback.langsmith = self.corrections.langsmith = sink

    @classmethod
    def from_settings(cls, settings: Settings) -> "Toolbox":
        settings.ensure_dirs()
        db = AppDatabase(settings.app_db_url, settings.database_schema)
        return cls(
            settings=settings,
            db=db,
            documents=make_document_index(settings),
            catalog=Catalog(db, settings.catalog_refresh_s),
            models=ProviderRegistry.from_settings(settings),
            secrets=SecretBox(load_or_create_secret(settings.secret_key, settings.data_dir)),
            limiter=RateLimiter(settings.redis_url),
            health=HealthTracker(
                HealthPolicy(
                    window_s=settings.health_window_s,
                    failure_rate=settings.health_failure_rate,
                    min_calls=settings.health_min_calls,
                    cooldown_s=settings.health_cooldown_s,
                )
            ),
            retry=RetryPolicy(retries=settings.generation_retries, max_wait_s=settings.retry_max_wait_s),
            web=build_web_search(settings, db),
            langsmith=LangSmithFeedback.from_settings(settings),
        )

    async def open(self, migrate: bool = True, warm: bool = True) -> "Toolbox":
        """Migrate the database (unless a deploy step did) and load what would otherwise block the event loop.

        `warm=False` leaves the token encoding and the local embedding model to load on first use: a command that
        only reads or writes rows (`concierge documents list`, `policies list`) never pays the ~0.5-1 s for them.
        """
        if migrate:
            await upgrade(self.db.engine)
        secret = await asyncio.to_thread(load_or_create_secret, self.settings.secret_key, self.settings.data_dir)
        self.feedback_links = FeedbackLinks(secret.split(",")[0].strip(), self.settings.feedback_url_ttl_s)
        try:
            await seal_plaintext_providers(self.db, self.secrets)
        except Exception:
            if migrate:
                raise
            log.exception("could not seal provider keys: is the database migrated? (`concierge migrate`)")
        if not warm:
            return self
        await asyncio.to_thread(encoding)
        if (load := getattr(getattr(self.documents, "embedder", None), "load", None)) is not None:
            await asyncio.to_thread(load)  # the local embedding model: ~0.5 s, better here than in a first search
        return self

    async def close(self) -> None:
        await self.handoffs.aclose()
        if self.langsmith is not None:
            await self.langsmith.drain()
        await self.models.aclose()
        close_web = getattr(self.web, "aclose", None)
        if close_web is not None:
            await close_web()
        await self.db.dispose()
        if (close_index := getattr(self.documents, "close", None)) is not None:
            await close_index()


_default: Toolbox | None = None
_default_lock = asyncio.Lock()


async def default_toolbox() -> Toolbox:
    """For runs that bring no toolbox, such as under `langgraph dev`: built once from the environment.

    Built in a worker thread, since it creates directories and files.
    """
    global _default
    async with _default_lock:
        if _default is None:
            _default = await (await asyncio.to_thread(Toolbox.from_settings, get_settings())).open()
    return _default


async def toolbox(runtime: "Runtime[Context]") -> Toolbox:
    ctx = runtime.context
    return ctx.tools if ctx is not None and ctx.tools is not None else await default_toolbox()


def run_ids(runtime: "Runtime[Context]") -> tuple[str | None, str | None]:
    """(thread id, run id) of this execution; None outside a checkpointed, identified run (node unit tests)."""
    info = runtime.execution_info
    if info is None:
        return None, None
    return info.thread_id, (str(info.run_id) if info.run_id else None)


def context_of(runtime: "Runtime[Context]") -> Context:
    """The run's context; a run started without one (LangGraph passes None) gets the defaults."""
    return runtime.context if runtime.context is not None else Context()
