"""The FastAPI app: opens the toolbox, the checkpointer and the event log once, compiles the graph, starts the run
executor, mounts the routers."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.middleware.cors import CORSMiddleware

from concierge import __version__
from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.server.body_limit import MULTIPART_SLACK, BodyLimit
from concierge.server.deps import AppState
from concierge.server.executor import RunExecutor
from concierge.server.routes import (
    admin,
    alerts,
    analytics,
    assistants,
    catalog,
    corrections,
    documents,
    evalsets,
    evaluation,
    experiments,
    feedback,
    finetunes,
    handoffs,
    health,
    policies,
    retrieval,
    runs,
    threads,
    usage,
)
from concierge.server.tracing import run_tracer
from concierge.server.web import mount_web
from concierge.tools.db.events import make_event_log
from concierge.tools.db.leases import Leases
from concierge.tools.db.models import Tenant
from concierge.tools.db.runs import RunConflict, RunNotFound
from concierge.tools.documents.worker import DocumentWorker
from concierge.tools.learning.watch import tick
from concierge.tools.settings import Settings, get_settings
from concierge.tools.shared import SharedState
from concierge.tools.toolbox import Toolbox

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, tools: Toolbox | None = None) -> FastAPI:
    """The app; `tools` replaces the toolbox built from `settings` (tests hand in stand-ins for remote services)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        toolbox = await (tools or Toolbox.from_settings(settings)).open(migrate=settings.migrate_on_start)
        events = make_event_log(settings, toolbox.db)
        shared = SharedState.attach(toolbox)  # provider health and rate counters in Redis, when configured
        if shared is not None:
            shared.start()
        try:
            async with open_checkpointer(settings, setup=settings.migrate_on_start) as saver:
                state = AppState(tools=toolbox, graph=build_graph(saver), events=events)
                state.runs = await RunExecutor(state, events, tracing=run_tracer(settings)).start()
                app.state.concierge = state

                async def refresh_origins() -> None:
                    async with toolbox.db.session() as s:
                        rows = await s.scalars(select(Tenant.settings))
                        origins.clear()
                        origins.update(o for r in rows for o in (r or {}).get("allowed_origins", []))

                app.state.refresh_origins = refresh_origins
                with contextlib.suppress(Exception):  # an unmigrated database: /readyz says so
                    await refresh_origins()
                refresher = asyncio.create_task(_every(ORIGINS_REFRESH_S, refresh_origins))
                warming = asyncio.create_task(warm_tenants(toolbox))
                leases = Leases(toolbox.db)
                learning = (
                    asyncio.create_task(
                        _every(settings.learning_check_s, lambda: learning_pass(toolbox, leases, settings))
                    )
                    if settings.learning_check_s > 0
                    else None
                )
                app.state.document_worker = await DocumentWorker(toolbox).start()
                try:
                    yield
                finally:
                    refresher.cancel()
                    warming.cancel()
                    if learning is not None:
                        learning.cancel()
                        with contextlib.suppress(Exception):
                            await leases.release(LEARNING_LEASE)
                    await app.state.document_worker.stop()
                    await state.runs.stop()
        finally:
            if shared is not None:
                await shared.stop()
            await events.aclose()
            await toolbox.close()

    origins: set[str] = set()
    """Every tenant's allowed browser origins: a preflight cannot say which tenant it is for."""
    app = FastAPI(title="Concierge", version=__version__, lifespan=lifespan)
    mb = 1024 * 1024

    def limit_for(method: str, path: str) -> int:
        if method == "POST" and path == "/documents":
            return int(settings.max_upload_mb * mb) + MULTIPART_SLACK
        if method == "POST" and path == "/catalog/import":
            return int(settings.max_import_mb * mb) + MULTIPART_SLACK
        return int(settings.max_body_kb * 1024)

    app.add_middleware(BodyLimit, limit_for=limit_for)
    app.add_middleware(
        TenantOrigins,
        origins=origins,
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=["Authorization", "X-Api-Key", "X-Thread-Token", "Content-Type", "Last-Event-ID"],
        expose_headers=["X-Thread-Token", "Content-Location", "Location", "Retry-After"],
        max_age=600,
    )
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(threads.router)
    app.include_router(runs.router)
    app.include_router(assistants.router)
    app.include_router(usage.router)
    app.include_router(catalog.router)
    app.include_router(retrieval.router)
    app.include_router(documents.router)
    app.include_router(feedback.router)
    app.include_router(handoffs.router)
    app.include_router(corrections.router)
    app.include_router(analytics.router)
    app.include_router(evaluation.router)
    app.include_router(evalsets.router)
    app.include_router(policies.router)
    app.include_router(experiments.router)
    app.include_router(alerts.router)
    app.include_router(finetunes.router)
    mount_web(app)  # the widget's script, the agent console, the operator pages

    @app.exception_handler(RunConflict)
    async def conflict(request: Request, exc: RunConflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(RunNotFound)
    async def not_found(request: Request, exc: RunNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        """One sentence a person can read, naming each field, instead of a list of error objects."""
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app


ORIGINS_REFRESH_S = 30.0
"""How soon another replica's change to a tenant's origins reaches this one's preflight answers."""


class TenantOrigins(CORSMiddleware):
    """CORS for browsers on the tenants' own sites: an origin is allowed when some tenant lists it; which tenant a
    request is for is known only from its key, and `auth.authenticate` then checks the origin against that one."""

    def __init__(self, app, origins: set[str], **kwargs) -> None:
        super().__init__(app, allow_origins=[], allow_credentials=False, **kwargs)
        self.tenant_origins = origins

    def is_allowed_origin(self, origin: str) -> bool:
        return origin in self.tenant_origins


WARM_TENANTS = 100
"""How many tenants a starting replica prepares before their first customers ask (the newest first)."""


async def warm_tenants(toolbox: Toolbox) -> None:
    """Load what a tenant's first turn needs in the background at start (its catalog index and vocabulary, its
    documents' vectors, the embedding model's first run): left to the first turn, they took 0.7-0.9 s of its
    0.25 s source budgets on a loaded 2-core machine, and the first customer was told "I don't know"."""
    with contextlib.suppress(Exception):  # an unmigrated database: /readyz says so
        async with toolbox.db.session() as s:
            newest = select(Tenant.id, Tenant.name).order_by(Tenant.created_at.desc()).limit(WARM_TENANTS)
            tenants = (await s.execute(newest)).all()
        for tenant_id, name in tenants:
            await toolbox.catalog.vocabulary(tenant_id)
            await toolbox.documents.search(tenant_id, name, limit=1)


LEARNING_LEASE = "learning-loop"


async def learning_pass(toolbox: Toolbox, leases: Leases, settings: Settings) -> None:
    """Step experiments, watch new policies, check alerts: for every tenant, one failing never stopping the rest.
    Only the replica holding the learning lease does it (renewed every pass; another replica takes over within
    three periods of the holder dying), so an experiment is stepped and an incident alerted once."""
    if not await leases.acquire(LEARNING_LEASE, ttl_s=3 * settings.learning_check_s):
        return
    async with toolbox.db.session() as s:
        tenants = list(await s.scalars(select(Tenant.id)))
    for tenant_id in tenants:
        try:
            await tick(toolbox, tenant_id)
        except Exception:
            log.exception("learning pass failed", extra={"tenant_id": tenant_id})


async def _every(seconds: float, job) -> None:
    while True:
        await asyncio.sleep(seconds)
        with contextlib.suppress(Exception):
            await job()
