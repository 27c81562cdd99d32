"""LangSmith tracing of runs, when configured: the run id is the trace id, and each trace carries the tenant and
thread (known at the start) and the provider, tier and route (known once the run has routed and answered) as
metadata and as tags, so traces filter by any of them.
"""

from collections import defaultdict
from functools import cache
from typing import Any

from concierge.tools.db.runs import RunRecord
from concierge.tools.settings import Settings


class Tracing:
    """Per-run LangSmith callbacks, all sending through one client; `flush` before the process exits."""

    def __init__(self, settings: Settings) -> None:
        from langsmith import Client

        self.settings = settings
        self.client = Client(api_url=settings.langsmith_endpoint, api_key=settings.langsmith_api_key)

    def __call__(self, run: RunRecord) -> list[Any]:
        return [
            RunTracer(
                client=self.client,
                project_name=self.settings.langsmith_project,
                tags=[f"tenant:{run.tenant_id}", f"thread:{run.thread_id}"],
                metadata={"tenant_id": run.tenant_id, "thread_id": run.thread_id, "run_id": run.id},
            )
        ]

    def flush(self) -> None:
        self.client.flush()


def run_tracer(settings: Settings) -> Tracing | None:
    """The run callbacks factory, or None when tracing is off."""
    return Tracing(settings) if settings.langsmith_tracing else None


@cache
def _tracer_class() -> type:
    from langchain_core.tracers.langchain import LangChainTracer

    class _RunTracer(LangChainTracer):
        """Adds what the graph decided (provider, tier, route) to the root run before it is sent."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._notes: dict[Any, dict[str, Any]] = defaultdict(dict)

        def _on_chain_end(self, run: Any) -> None:
            outputs = run.outputs if isinstance(run.outputs, dict) else {}
            notes = self._notes[run.trace_id]
            if (route := outputs.get("route")) and isinstance(route, dict):
                notes["tier"] = route.get("tier")
                notes["route"] = " > ".join(route.get("chain") or [])
            if (generation := outputs.get("generation")) and isinstance(generation, dict):
                notes["provider"] = generation.get("provider")
                notes["model"] = generation.get("model")
            if run.name == "handoff":
                notes["handoff"] = True
            if run.parent_run_id is None:
                found = {k: v for k, v in self._notes.pop(run.trace_id, {}).items() if v not in (None, "")}
                run.extra.setdefault("metadata", {}).update(found)
                run.tags = [*(run.tags or []), *(f"{k}:{v}" for k, v in found.items() if k in ("provider", "tier"))]
            super()._on_chain_end(run)

    return _RunTracer


def RunTracer(**kwargs: Any) -> Any:
    return _tracer_class()(**kwargs)
