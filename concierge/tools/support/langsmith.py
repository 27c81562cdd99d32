"""Ratings and corrections to LangSmith as feedback on the run's trace, when tracing is configured.

The server passes its run id as the trace's root run id, so `create_feedback(run_id, ...)` lands on the trace of
the answer that was rated. Calls go out in the background (the LangSmith client is synchronous) and never fail a
customer's request: an error is logged. `drain()` waits for what is in flight (on shutdown, and in tests).
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from concierge.tools.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class LangSmithFeedback:
    """Sends feedback with a `langsmith.Client` (any client: tests point one at a loopback stub)."""

    client: Any
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def from_settings(cls, settings: Settings) -> "LangSmithFeedback | None":
        """Only when tracing is on and a key is set: without a trace there is nothing to attach feedback to."""
        if not (settings.langsmith_tracing and settings.langsmith_api_key):
            return None
        from langsmith import Client

        return cls(Client(api_url=settings.langsmith_endpoint, api_key=settings.langsmith_api_key))

    def send(
        self,
        run_id: str,
        key: str,
        *,
        score: float | None = None,
        value: Any = None,
        comment: str | None = None,
        correction: dict[str, Any] | None = None,
        source: str = "customer",
    ) -> None:
        """Queue one `create_feedback` call; a run id that is not a UUID (no trace) is skipped."""
        if not run_id:
            return
        kwargs: dict[str, Any] = {"score": score, "value": value, "comment": comment or None}
        if correction is not None:
            kwargs["correction"] = correction
        task = asyncio.get_running_loop().create_task(self._post(run_id, key, kwargs, source))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _post(self, run_id: str, key: str, kwargs: dict[str, Any], source: str) -> None:
        try:
            await asyncio.to_thread(self.client.create_feedback, run_id, key, source_info={"source": source}, **kwargs)
        except Exception as exc:  # LangSmith down or misconfigured: the rating is already stored with us
            log.warning("LangSmith feedback %s on run %s not sent: %s", key, run_id, exc)

    async def drain(self, timeout_s: float = 10.0) -> None:
        if self._pending:
            await asyncio.wait(set(self._pending), timeout=timeout_s)
