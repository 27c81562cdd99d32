"""Liveness, readiness and metrics: what an orchestrator and Prometheus ask every replica."""

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Depends, Response, Security
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from concierge.server.auth import require
from concierge.server.deps import App, AppState, get_tenant
from concierge.tools.db.migrate import current_revision, head
from concierge.tools.metrics import PROVIDER_HEALTHY, QUEUE_DEPTH, REGISTRY, RUNS_ACTIVE, RUNS_RUNNING

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 3.0


@router.get("/ok")
async def ok() -> dict[str, bool]:
    return {"ok": True}


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving (restart it if this fails). Open, like `/readyz`: probes carry no key."""
    return {"status": "ok"}


async def _database(app: AppState) -> str:
    async with app.tools.db.engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        revision = await conn.run_sync(current_revision)
    expected = await asyncio.to_thread(head)
    if revision != expected:
        raise RuntimeError(f"schema at revision {revision}, this server needs {expected}: run `concierge migrate`")
    return f"revision {revision}"


async def _checkpoints(app: AppState) -> str:
    saver = app.graph.checkpointer
    await saver.aget_tuple({"configurable": {"thread_id": "readyz", "checkpoint_ns": ""}})
    return type(saver).__name__


async def _events(app: AppState) -> str:
    assert app.events is not None
    await app.events.ping()
    return type(app.events).__name__


async def _documents(app: AppState) -> str:
    ping = getattr(app.tools.documents, "ping", None)
    if ping is not None:
        await ping()
    return type(app.tools.documents).__name__


async def _check(name: str, probe: Any) -> tuple[str, dict[str, Any]]:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
        ok = True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}", False
    return name, {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


@router.get("/readyz")
async def readyz(app: App) -> JSONResponse:
    """Every store this replica needs answers: the app database (at the schema this code expects), the
    checkpoints, the event log (Redis or the database), the document index. 503 naming what failed otherwise."""
    checks = dict(
        await asyncio.gather(
            _check("database", _database(app)),
            _check("checkpoints", _checkpoints(app)),
            _check("event_log", _events(app)),
            _check("documents", _documents(app)),
        )
    )
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", dependencies=[Security(require, scopes=["analytics:view"]), Depends(get_tenant)])
async def metrics(app: App) -> Response:
    """Prometheus metrics; the queue and provider health are sampled now."""
    try:
        QUEUE_DEPTH.set(await app.executor.store.count("pending"))
        RUNS_RUNNING.set(await app.executor.store.count("running"))
    except Exception:  # the database is down: /readyz says so; still answer with what this process knows
        pass
    RUNS_ACTIVE.set(len(app.executor.active))
    for model, health in app.tools.health.snapshot().items():
        PROVIDER_HEALTHY.labels(model=model).set(1.0 if health["state"] == "healthy" else 0.0)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
