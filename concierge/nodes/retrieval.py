"""What the three retrieval nodes share: their input, and a time budget that turns failure into a record."""

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import TypedDict

from concierge.state.records import QueryAnalysis, RetrievedItem, SourceError, SourceName

log = logging.getLogger(__name__)


class RetrievalTask(TypedDict):
    """What `analyze_query` sends to each retrieval node it chose."""

    analysis: QueryAnalysis


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
