"""Following runs and threads from any replica: as Server-Sent Events, or until the run's result is known.

A run executing on this replica is followed through the broker (its past events replayed from memory, with no
gap); one executing elsewhere, or already over, through the shared event log. Either way every event carries
its `ordinal-seq` id, so a client reconnecting with `Last-Event-ID` misses nothing and sees nothing twice.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from concierge.server.broker import RunEnded
from concierge.server.deps import AppState
from concierge.server.executor import result_of
from concierge.server.serialize import dumps
from concierge.tools.db.events import LoggedEvent, Position
from concierge.tools.db.models import Thread
from concierge.tools.db.runs import INFLIGHT, RunNotFound, RunRecord

CONTROL = "control"
"""The last event of every run in the log (`done`): the run is over and recorded."""
LOCAL_CHECK_S = 1.0
"""How often a stream of a run executing on this replica checks on it anyway (the broker brings its events)."""
STATE_UPDATE = "state_update"
"""A thread's state written directly (not by a run): only for thread streams that ask for it."""


def _mode_of(event: str) -> str:
    base = event.split("|", 1)[0]
    return "messages-tuple" if base == "messages" else base.split("/", 1)[0]


def wanted(event: str, modes: list[str] | None) -> bool:
    """Does a rejoining client that asked for `modes` want this event? (`metadata` and `error` always.)"""
    if not modes or event in ("metadata", "error") or event.startswith("error|"):
        return True
    mode = _mode_of(event)
    return mode in modes or (mode == "messages-tuple" and "messages" in modes and event.startswith("messages/"))


async def follow_run(
    app: AppState, run: RunRecord, after_seq: int = 0, queue: asyncio.Queue | None = None
) -> AsyncIterator[list[LoggedEvent]]:
    """The run's events after `after_seq` until it ends (the control event is not yielded), in batches: what is at
    hand at once goes out together (fifty streams sending each token on its own cost a write apiece)."""
    ex = app.executor
    q = queue if queue is not None else ex.broker.subscribe_run(run.id)
    last = after_seq
    try:
        local = ex.active.get(run.id)
        if local is not None:
            backlog = [e for e in local.events if e.seq > last]
        else:
            backlog = await ex.log.run_events(run.thread_id, run.id, run.ordinal, last)
        batch, over = _until_control(backlog, last)
        if batch:
            last = batch[-1].seq
            yield batch
        if over or (local is None and run.status not in INFLIGHT):
            return
        checks = 0
        poll_s = app.tools.settings.stream_poll_s
        while True:
            # A run executing here reaches the queue through the broker, its end included: no need to wake up
            # often to read the log (fifty streams polling ten times a second cost a turn's worth of CPU).
            timeout = max(poll_s, LOCAL_CHECK_S) if run.id in ex.active else poll_s
            try:
                item = await _next(q, timeout)
            except TimeoutError:
                if run.id in ex.active:
                    continue
                # Executing on another replica, waiting in the queue, or over: the log has what the broker lacks.
                checks += 1
                if run.ordinal is None or checks % 5 == 0:
                    try:
                        run = await ex.store.get(run.id)
                    except RunNotFound:
                        return  # rolled back
                ended = run.status not in INFLIGHT  # read before the log: everything it logged is there by now
                batch, over = _until_control(await ex.log.run_events(run.thread_id, run.id, run.ordinal, last), last)
                if batch:
                    last = batch[-1].seq
                    yield batch
                if over or ended:
                    return  # without its control event when its replica died
                continue
            items = [item]
            while not q.empty():
                items.append(q.get_nowait())
            ended = next((i for i, x in enumerate(items) if isinstance(x, RunEnded)), None)
            batch, over = _until_control(items[:ended], last)  # type: ignore[arg-type]
            if batch:
                last = batch[-1].seq
                yield batch
            if over or ended is not None:
                return
    finally:
        ex.broker.unsubscribe_run(run.id, q)


async def _next(q: asyncio.Queue, timeout_s: float) -> Any:
    """The queue's next item, or TimeoutError: `asyncio.wait_for` without the task it starts for every call (a
    stream waits once an event, a turn's tokens included)."""
    async with asyncio.timeout(timeout_s):
        return await q.get()


def _until_control(events: list[LoggedEvent], after_seq: int) -> tuple[list[LoggedEvent], bool]:
    """The events after `after_seq` up to the control event, and whether it came (the run is over)."""
    out: list[LoggedEvent] = []
    for e in events:
        if e.event == CONTROL:
            return out, True
        if e.seq > after_seq:
            out.append(e)
            after_seq = e.seq
    return out, False


async def run_result(app: AppState, run: RunRecord, queue: asyncio.Queue | None = None) -> dict[str, Any]:
    """Wait for the run to end; what `wait` and `join` return (values with `__interrupt__`, or `__error__`)."""
    ex = app.executor
    q = queue if queue is not None else ex.broker.subscribe_run(run.id)
    try:
        while True:
            if run.id not in ex.active:
                try:
                    run = await ex.store.get(run.id)
                except RunNotFound:
                    return await _thread_result(app, run.thread_id, None)
                if run.status not in INFLIGHT:
                    return await _thread_result(app, run.thread_id, run.error)
            try:
                item = await _next(q, app.tools.settings.run_poll_s)
            except TimeoutError:
                continue
            if isinstance(item, RunEnded):
                return item.result
    finally:
        ex.broker.unsubscribe_run(run.id, q)


async def _thread_result(app: AppState, thread_id: str, error: dict[str, Any] | None) -> dict[str, Any]:
    async with app.tools.db.session() as s:
        thread = await s.get(Thread, thread_id)
    if thread is None:
        return result_of(None, None, error)
    return result_of(thread.values, thread.interrupts, error)


async def follow_thread(app: AppState, thread_id: str, after: Position | None, modes: list[str]) -> AsyncIterator[Any]:
    """Everything any run on the thread emits from now (or after `after`), whichever replica executes it."""
    ex = app.executor
    q = ex.broker.subscribe_thread(thread_id)
    run_modes, lifecycle, updates = "run_modes" in modes, "lifecycle" in modes, STATE_UPDATE in modes
    try:
        if after is None:
            last = await ex.log.last_position(thread_id)
            for active in list(ex.active.values()):  # a run here already under way: from its next event on
                if active.run.thread_id == thread_id and active.events:
                    last = max(last, active.events[-1].position)
        else:
            last = after
        pending = await ex.log.thread_events(thread_id, last)
        for active in list(ex.active.values()):
            if active.run.thread_id == thread_id:
                pending += [e for e in active.events if e.position > last]
        while True:
            for e in sorted(pending, key=lambda e: e.position):
                if e.position <= last:
                    continue
                last = e.position
                if e.event == CONTROL:
                    if lifecycle:
                        yield ServerSentEvent(
                            data=json.dumps({"status": "run_done", "run_id": e.run_id}), event="metadata", id=e.id
                        )
                elif e.event == STATE_UPDATE:
                    if updates:
                        yield ServerSentEvent(data=e.data, event=e.event, id=e.id)
                elif run_modes or (lifecycle and e.event == "metadata"):
                    yield ServerSentEvent(data=e.data, event=e.event, id=e.id)
            pending = []
            try:
                item = await _next(q, app.tools.settings.run_poll_s)
            except TimeoutError:
                pending = await ex.log.thread_events(thread_id, last)
                continue
            if isinstance(item, LoggedEvent):
                pending = [item]
                while not q.empty():
                    more = q.get_nowait()
                    if isinstance(more, LoggedEvent):
                        pending.append(more)
    finally:
        ex.broker.unsubscribe_thread(thread_id, q)


def sse_events(
    batches: AsyncIterator[list[LoggedEvent]], modes: list[str] | None, with_ids: bool
) -> AsyncIterator[bytes]:
    """Each batch of events as one chunk of Server-Sent Events."""

    async def gen() -> AsyncIterator[bytes]:
        async for batch in batches:
            chunk = b"".join(
                ServerSentEvent(data=e.data, event=e.event, id=e.id if with_ids else None).encode()
                for e in batch
                if wanted(e.event, modes)
            )
            if chunk:
                yield chunk

    return gen()


class StreamResponse(EventSourceResponse):
    """Server-Sent Events with `: heartbeat` comments while quiet; `on_disconnect` runs if the client leaves
    before the stream is over (even before its first event)."""

    def __init__(
        self,
        content: AsyncIterator[Any],
        *,
        heartbeat_s: float,
        headers: dict[str, str] | None = None,
        on_disconnect: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._finished = False
        super().__init__(
            self._until_done(content),
            headers=headers,
            ping=heartbeat_s,
            ping_message_factory=lambda: ServerSentEvent(comment="heartbeat"),
            client_close_handler_callable=self._closed if on_disconnect else None,
        )
        self._on_disconnect = on_disconnect

    async def _until_done(self, content: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The content, noting when it is exhausted: a client that closes its connection after the last event has
        not left early (the run is over; cancelling it would be a wasted write on the thread's lock)."""
        async for item in content:
            yield item
        self._finished = True

    async def _closed(self, message: Any) -> None:
        if not self._finished and self._on_disconnect is not None:
            # In a task of its own: the response's task group is being cancelled around us.
            task = asyncio.get_running_loop().create_task(self._on_disconnect())
            _background.add(task)
            task.add_done_callback(_background.discard)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._finished = True


_background: set[asyncio.Task] = set()


async def json_when_done(result: Awaitable[dict[str, Any]], heartbeat_s: float) -> AsyncIterator[bytes]:
    """A JSON body that arrives when the run ends, with whitespace every few seconds meanwhile (JSON ignores
    leading whitespace), so proxies keep the connection open, as the Agent Server does."""
    task = asyncio.ensure_future(result)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=heartbeat_s)
            if done:
                yield dumps(task.result()).encode()
                return
            yield b"\n"
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
