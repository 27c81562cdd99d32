"""The FastAPI app: opens the toolbox, the checkpointer and the event log once, compiles the graph, starts the run
executor, mounts the routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from concierge import __version__
from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.server.executor import RunExecutor
from concierge.server.routes import assistants, catalog, documents, health, retrieval, runs, threads, usage
from concierge.server.tracing import run_tracer
from concierge.tools.db.events import make_event_log
from concierge.tools.db.runs import RunConflict, RunNotFound
from concierge.tools.documents.worker import DocumentWorker
from concierge.tools.settings import Settings, get_settings
from concierge.tools.shared import SharedState
from concierge.tools.toolbox import Toolbox


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
                app.state.document_worker = await DocumentWorker(toolbox).start()
                try:
                    yield
                finally:
                    await app.state.document_worker.stop()
                    await state.runs.stop()
        finally:
            if shared is not None:
                await shared.stop()
            await events.aclose()
            await toolbox.close()

    app = FastAPI(title="Concierge", version=__version__, lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(threads.router)
    app.include_router(runs.router)
    app.include_router(assistants.router)
    app.include_router(usage.router)
    app.include_router(catalog.router)
    app.include_router(retrieval.router)
    app.include_router(documents.router)

    @app.exception_handler(RunConflict)
    async def conflict(request: Request, exc: RunConflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(RunNotFound)
    async def not_found(request: Request, exc: RunNotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app
