"""What the three retrieval nodes share: their input, and a time budget that turns failure into a record."""

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import NotRequired, TypedDict

from langgraph.config import get_config
from langgraph.runtime import Runtime

from concierge.state import Context
from concierge.state.records import QueryAnalysis, RetrievedItem, SourceError, SourceName
from concierge.tools.db.retrieval_log import SourceRun, record
from concierge.tools.toolbox import context_of, toolbox

log = logging.getLogger(__name__)


class RetrievalTask(TypedDict):
    """What `analyze_query` sends to each retrieval node it chose."""

    analysis: QueryAnalysis
    turn: NotRequired[int]


async def within_budget(source: SourceName, seconds: float, search: Awaitable[list[RetrievedItem]]) -> dict:
    """Run one source's search; a timeout or an exception becomes an error record, never a failed turn."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            items = await search
    except TimeoutError:
        return {"source_errors": [_error(source, "timeout", f"no answer within {seconds:g} s", started)]}
    except Exception as exc:
        log.warning("%s retrieval failed: %s", source, exc, exc_info=True)
        return {"source_errors": [_error(source, "error", f"{type(exc).__name__}: {exc}", started)]}
    return {"retrieved": items}


def _error(source: SourceName, kind: str, message: str, started: float) -> SourceError:
    elapsed = (time.perf_counter() - started) * 1000
    return SourceError(source=source, kind=kind, message=message, elapsed_ms=round(elapsed, 1))  # type: ignore[typeddict-item]


def budget_for(ctx: Context, source: SourceName) -> float:
    """The source's own time budget if the context names one, else the general one."""
    return float((ctx.source_timeouts or {}).get(source, ctx.source_timeout_s))


def _thread_id() -> str | None:
    try:
        return get_config().get("configurable", {}).get("thread_id")
    except RuntimeError:  # called outside a graph run, as unit tests do
        return None


async def run_source(
    runtime: Runtime[Context], task: RetrievalTask, source: SourceName, search: Awaitable[list[RetrievedItem]]
) -> dict:
    """`within_budget` under the source's own budget, then one retrieval-log row for analytics."""
    ctx = context_of(runtime)
    seconds = budget_for(ctx, source)
    started = time.perf_counter()
    update = await within_budget(source, seconds, search)
    elapsed = (time.perf_counter() - started) * 1000
    items = update.get("retrieved", [])
    errors = update.get("source_errors", [])
    stale = [i for i in items if i["metadata"].get("origin") == "stale"]
    status = errors[0]["kind"] if errors and not items else "stale" if stale else "ok"
    run = SourceRun(
        tenant_id=ctx.tenant_id,
        thread_id=_thread_id(),
        turn=int(task.get("turn", 0)),
        source=source,
        sources_asked=list(task["analysis"]["sources"]),
        status=status,
        results=len(items),
        elapsed_ms=round(elapsed, 1),
        budget_ms=round(seconds * 1000, 1),
        error="; ".join(e["message"] for e in errors) or None,
        policy_version=ctx.policy_version,
    )
    await record((await toolbox(runtime)).db, run)
    return update


def about_rank(item: RetrievedItem, wanted: set[str]) -> int:
    """0 for a passage about an item asked for, 1 for one about nothing in particular, 2 for one about others."""
    about = set(item["metadata"].get("about") or ())
    if item["source"] == "catalog":
        about.add(item["id"])
    if not wanted or not about:
        return 1 if wanted else 0
    return 0 if about & wanted else 2
