"""The FastAPI app: opens the toolbox and the checkpointer once, compiles the graph, mounts the routers."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from concierge import __version__
from concierge.graph.checkpointer import open_checkpointer
from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.server.routes import (
    analytics,
    catalog,
    corrections,
    documents,
    feedback,
    handoffs,
    retrieval,
    runs,
    threads,
    usage,
)
from concierge.tools.documents.worker import DocumentWorker
from concierge.tools.settings import Settings, get_settings
from concierge.tools.toolbox import Toolbox


def create_app(settings: Settings | None = None, tools: Toolbox | None = None) -> FastAPI:
    """The app; `tools` replaces the toolbox built from `settings` (tests hand in stand-ins for remote services)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        toolbox = await (tools or Toolbox.from_settings(settings)).open()
        try:
            async with open_checkpointer(settings.checkpoint_path) as saver:
                app.state.concierge = AppState(tools=toolbox, graph=build_graph(saver))
                app.state.document_worker = await DocumentWorker(toolbox).start()
                try:
                    yield
                finally:
                    await app.state.document_worker.stop()
        finally:
            await toolbox.close()

    app = FastAPI(title="Concierge", version=__version__, lifespan=lifespan)
    app.include_router(threads.router)
    app.include_router(runs.router)
    app.include_router(usage.router)
    app.include_router(catalog.router)
    app.include_router(retrieval.router)
    app.include_router(documents.router)
    app.include_router(feedback.router)
    app.include_router(handoffs.router)
    app.include_router(corrections.router)
    app.include_router(analytics.router)

    @app.get("/ok", tags=["health"])
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return app
