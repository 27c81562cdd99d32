"""Running the graph for one request, as the Agent Server's event stream.

Both `/runs/stream` and `/runs/wait` go through `run_events`; the second just keeps the last values.
"""

import logging
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from fastapi import HTTPException
from langchain_core.messages import AIMessageChunk, BaseMessage
from langgraph.types import Command, Interrupt

from concierge.server.deps import AppState
from concierge.server.schemas import RunCreate
from concierge.state import Context
from concierge.state.conversation import DISCARDED_EVENT
from concierge.state.human import check_resume
from concierge.tools.db.models import Thread

log = logging.getLogger(__name__)
Event = tuple[str, Any]
_NODE_NOTE = re.compile(r"During task with name '([^']+)'")


def thread_config(thread_id: str, run_id: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    if run_id:
        config["run_id"] = run_id
    return config


async def pending_interrupts(app: AppState, thread_id: str) -> list[Any]:
    snapshot = await app.graph.aget_state(thread_config(thread_id))
    return list(snapshot.interrupts)


async def prepare_input(app: AppState, thread: Thread, body: RunCreate) -> Any:
    """The graph input for a run; 409 when resuming a thread that is not paused, 422 when there is none."""
    if body.command is not None:
        if body.command.resume is not None:
            pending = await pending_interrupts(app, thread.id)
            if not pending:
                raise HTTPException(409, f"thread {thread.id} is not paused at an interrupt; nothing to resume")
            check_resume_value(pending, body.command.resume)
        cmd = body.command
        return Command(resume=cmd.resume, update=cmd.update, goto=cmd.goto or ())
    if not body.input:
        raise HTTPException(422, "a run needs `input` (e.g. {'messages': [...]}) or a `command`")
    return body.input


def check_resume_value(pending: list[Interrupt], resume: Any) -> None:
    """422 before the run starts when the value cannot answer the pause (the thread stays paused).

    `resume` answers the only pending interrupt, or maps interrupt ids to values (LangGraph's form for several).
    """
    by_id = {i.id: i for i in pending}
    if isinstance(resume, dict) and resume and set(resume) <= set(by_id):
        answers = [(by_id[k], v) for k, v in resume.items()]
    else:
        answers = [(pending[0], resume)]
    for paused, value in answers:
        try:
            check_resume(paused.value, value)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from None


def _failed_node(exc: BaseException) -> str | None:
    for note in getattr(exc, "__notes__", []):
        if m := _NODE_NOTE.search(note):
            return m.group(1)
    return None


def feedback_urls(app: AppState, *, base_url: str, run_id: str, thread: Thread, keys: list[str]) -> dict[str, str]:
    """{key: signed URL} for the `feedback` event that ends a run started with `feedback_keys`."""
    links = app.tools.feedback_links
    assert links is not None, "the toolbox is opened with the app"
    base = (app.tools.settings.public_url or base_url).rstrip("/")
    return {
        key: f"{base}/feedback/{links.token(run_id=run_id, key=key, thread_id=thread.id, tenant_id=thread.tenant_id)}"
        for key in keys
    }


async def run_events(
    app: AppState, thread: Thread, body: RunCreate, graph_input: Any, context: Context, base_url: str = ""
) -> AsyncIterator[Event]:
    """Yield `(event, data)` pairs: `metadata` first, then what `stream_mode` asked for, or `error`; a run
    started with `feedback_keys` ends with `feedback`, {key: signed URL}."""
    run_id = str(uuid.uuid4())
    modes = body.modes()
    internal = {"messages" if m == "messages-tuple" else m for m in modes} | {"updates"}
    # A client streaming tokens must hear when streamed tokens are withdrawn (a provider failed mid-answer).
    streams_tokens = bool({"messages", "messages-tuple"} & set(modes))
    if streams_tokens:
        internal.add("custom")
    yield "metadata", {"run_id": run_id, "attempt": 1}
    partial: dict[str, AIMessageChunk] = {}
    status = "idle"
    await _set_status(app, thread.id, "busy")
    try:
        async for mode, chunk in app.graph.astream(
            graph_input, thread_config(thread.id, run_id), context=context, stream_mode=sorted(internal)
        ):
            if mode == "updates" and "__interrupt__" in chunk:
                status = "interrupted"
            if mode == "messages":
                for event in _message_events(chunk, modes, partial):
                    yield event
            elif mode in modes:
                yield mode, chunk
            elif mode == "custom" and streams_tokens and _is_discard(chunk):
                yield "custom", chunk
        if body.feedback_keys:
            yield (
                "feedback",
                feedback_urls(app, base_url=base_url, run_id=run_id, thread=thread, keys=body.feedback_keys),
            )
    except Exception as exc:
        node = _failed_node(exc)
        where = f" in node '{node}'" if node else ""
        log.exception("run %s on thread %s failed%s", run_id, thread.id, where)
        status = "error"
        yield "error", {"error": type(exc).__name__, "message": f"{exc}{where}", "node": node}
    finally:
        await _set_status(app, thread.id, status)


def _is_discard(chunk: Any) -> bool:
    return isinstance(chunk, dict) and chunk.get("event") == DISCARDED_EVENT


def _message_events(
    chunk: tuple[BaseMessage, dict], modes: list[str], partial: dict[str, AIMessageChunk]
) -> list[Event]:
    """`messages-tuple` sends each token as `[chunk, metadata]`; `messages` sends the message so far."""
    message, metadata = chunk
    events: list[Event] = []
    if "messages-tuple" in modes:
        events.append(("messages", [message, metadata]))
    if "messages" in modes:
        key = message.id or ""
        if key not in partial:
            events.append(("messages/metadata", {key: {"metadata": metadata}}))
        if isinstance(message, AIMessageChunk):
            partial[key] = partial[key] + message if key in partial else message
            events.append(("messages/partial", [partial[key]]))
        else:
            events.append(("messages/complete", [message]))
    return events


async def _set_status(app: AppState, thread_id: str, status: str) -> None:
    async with app.tools.db.session() as s:
        thread = await s.get(Thread, thread_id)
        if thread is not None:
            thread.status, thread.updated_at = status, datetime.now(UTC)
            await s.commit()
