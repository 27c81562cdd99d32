"""What operators see: structured logs carrying tenant, thread and run ids, run metrics, LangSmith traces.

Logs are structlog, one JSON object a line by default; the ids are bound per run (contextvars), so every line a
run causes carries them, including the standard library's loggers. Tracing, when configured, sends each run to
LangSmith with the run id as the trace id and tenant, thread, provider, tier and route as metadata and tags.
"""

import logging
import sys
from typing import Any

import structlog

from concierge.tools.metrics import RUNS_FINISHED, RUNS_STARTED, TURN_SECONDS
from concierge.tools.settings import Settings

__all__ = ["RUNS_FINISHED", "RUNS_STARTED", "configure_logging", "run_finished"]

# Until the server configures logging, structlog hands its events to the standard library as plain records, so
# libraries, tests and the CLI see them under the usual levels and handlers.
structlog.configure(
    processors=[
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.stdlib.render_to_log_kwargs,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
)


def configure_logging(settings: Settings) -> None:
    """structlog for our loggers and the standard library's, rendered as JSON (or for a console) on stderr."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if settings.log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]  # the server owns its process's logging: the CLI's plain handler would print twice
    root.setLevel(settings.log_level.upper())


def run_finished(status: str, elapsed_s: float, kind: str) -> None:
    """Count a finished run; a successful one's duration is a turn's latency (`kind`: a question or a resume)."""
    RUNS_FINISHED.labels(status=status).inc()
    if status == "success":
        TURN_SECONDS.labels(kind=kind).observe(elapsed_s)
