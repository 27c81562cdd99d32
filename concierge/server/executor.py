"""Executes runs: the ones this replica admitted and could start at once, and any queued run it claims.

Every event a run emits goes to the streams following it on this replica (the broker), to the shared event log
(for rejoining streams and for replicas following a thread), and is numbered `ordinal-seq`. A heartbeat tells
the other replicas the run is alive and brings back cancellations asked through any replica; a run whose
replica died is declared failed once its lease runs out, by whichever replica notices first.
"""

import asyncio
import contextlib
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from fastapi import HTTPException
from langchain_core.messages import AIMessageChunk, BaseMessage
from langgraph.types import Command

from concierge.graph.checkpointer import Position, position, roll_back
from concierge.server import observability
from concierge.server.broker import Broker, RunEnded
from concierge.server.serialize import dumps, jsonable
from concierge.state.conversation import DISCARDED_EVENT
from concierge.tools.db.events import DatabaseEventLog, EventLog, EventWriter, LoggedEvent
from concierge.tools.db.runs import Finished, RunRecord, RunStore

if TYPE_CHECKING:
    from concierge.server.deps import AppState

log = structlog.get_logger(__name__)
_NODE_NOTE = re.compile(r"During task with name '([^']+)'")
RESERVED_CONFIGURABLE = {"thread_id", "checkpoint_id", "checkpoint_ns", "checkpoint_map"}


def thread_config(thread_id: str, run_id: str | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {"configurable": {"thread_id": thread_id}}
    if run_id:
        config["run_id"] = run_id
    return config


def graph_input(kwargs: dict[str, Any]) -> Any:
    """The graph input a stored run asks for: a `Command` to resume or steer, else its input (None continues)."""
    if (command := kwargs.get("command")) is not None:
        return Command(resume=command.get("resume"), update=command.get("update"), goto=command.get("goto") or ())
    return kwargs.get("input")


def failed_node(exc: BaseException) -> str | None:
    for note in getattr(exc, "__notes__", []):
        if m := _NODE_NOTE.search(note):
            return m.group(1)
    return None


def interrupts_of(snapshot: Any) -> dict[str, list[dict[str, Any]]]:
    """Pending interrupts by task id, as the Agent Server's thread `interrupts` field."""
    return {t.id: jsonable(list(t.interrupts)) for t in snapshot.tasks if t.interrupts}


def result_of(values: Any, interrupts: dict[str, Any] | None, error: dict[str, Any] | None) -> dict[str, Any]:
    """What `runs.wait` and `runs.join` answer: the values, with `__interrupt__` when paused, or `__error__`."""
    if error is not None:
        return {"__error__": error}
    out = dict(values or {})
    pending = [i for items in (interrupts or {}).values() for i in items]
    if pending:
        out["__interrupt__"] = pending
    return out


@dataclass
class ActiveRun:
    run: RunRecord
    context: Any = None
    """The tenant context admission validated, when the run started on the replica that admitted it."""
    task: asyncio.Task | None = None
    events: list[LoggedEvent] = field(default_factory=list)
    """Everything emitted so far: what a stream rejoining this run on this replica replays, with no gap."""
    cancel_action: str | None = None
    seq: int = 0
    queued_behind: bool = True
    """Runs may wait on the thread once this one ends (unknown until its end is recorded: assume so)."""


class Stopped(Exception):
    """The replica is shutting down."""


class RunExecutor:
    def __init__(self, app: "AppState", log_: EventLog, tracing: Callable[[RunRecord], list[Any]] | None = None):
        settings = app.tools.settings
        self.app, self.settings = app, settings
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.store = RunStore(app.tools.db)
        self.log = log_
        self.writer = EventWriter(log_)
        self.broker = Broker()
        self.active: dict[str, ActiveRun] = {}
        self.tracing = tracing
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task] = []
        self._stopping = False

    # -- lifecycle ------------------------------------------------------------------------------------------------

    async def start(self) -> "RunExecutor":
        self.writer.start()
        try:
            await self.recover_lost()
        except Exception:  # the database is not ready (not migrated, unreachable): /readyz says so; keep trying
            log.exception("run queue: could not look for lost runs at start")
        self._loops = [
            asyncio.create_task(self._claim_loop(), name="run-queue"),
            asyncio.create_task(self._heartbeat_loop(), name="run-heartbeat"),
        ]
        return self

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Stop claiming; runs still executing end as failed (`ServerStopped`), recorded before the process exits."""
        self._stopping = True
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        tasks = [a.task for a in self.active.values() if a.task is not None]
        for active in list(self.active.values()):
            active.cancel_action = "stop"
            if active.task is not None:
                active.task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        await self.writer.stop()
        if (flush := getattr(self.tracing, "flush", None)) is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.to_thread(flush), timeout_s)

    def wake(self) -> None:
        self._wake.set()

    # -- claiming -------------------------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.run_poll_s)
            self._wake.clear()
            try:
                while len(self.active) < self.settings.run_concurrency and not self._stopping:
                    run = await self.store.claim(self.worker)
                    if run is None:
                        break
                    self.launch(run)
            except Exception:
                log.exception("run queue: claiming failed")

    def launch(self, run: RunRecord, context: Any = None) -> ActiveRun:
        """Execute a run this replica holds, in the background (with the context admission built, if at hand)."""
        active = ActiveRun(run, context)
        self.active[run.id] = active
        active.task = asyncio.create_task(self._execute(active), name=f"run-{run.id}")
        observability.RUNS_STARTED.inc()
        return active

    async def _heartbeat_loop(self) -> None:
        """Every poll, a read for cancellations asked through other replicas; a few times a lease, a write that
        renews the lease (a write takes the thread's and, on SQLite, the database's lock: not every poll)."""
        every = min(self.settings.run_poll_s, self.settings.run_lease_s / 3)
        renew_every = self.settings.run_lease_s / 6
        last_sweep = last_renew = 0.0
        while True:
            await asyncio.sleep(every)
            try:
                running = list(self.active)
                if time.monotonic() - last_renew >= renew_every:
                    last_renew = time.monotonic()
                    cancels = await self.store.heartbeat(self.worker, running)
                else:
                    cancels = await self.store.cancels(running)
                for run_id, action in cancels.items():
                    self.interrupt(run_id, action)
                if time.monotonic() - last_sweep > self.settings.run_lease_s / 2:
                    last_sweep = time.monotonic()
                    await self.recover_lost()
                    await self.log.purge(self.settings.event_retention_s)
            except Exception:
                log.exception("run heartbeat failed")

    def interrupt(self, run_id: str, action: str) -> bool:
        """Stop a run executing here (`interrupt` keeps its progress, `rollback` undoes it); False if not here."""
        active = self.active.get(run_id)
        if active is None or active.task is None or active.cancel_action is not None:
            return active is not None
        active.cancel_action = action
        active.task.cancel()
        return True

    async def recover_lost(self) -> None:
        """Fail runs whose replica stopped reporting: the thread keeps its last checkpoint, the next run works."""
        for run in await self.store.lost(self.settings.run_lease_s):
            if run.id in self.active:
                continue
            snapshot = await self.app.graph.aget_state(thread_config(run.thread_id))
            error = {"error": "WorkerLost", "message": "the replica executing this run stopped before it finished"}
            done = await self.store.finish(
                run,
                run.worker or "",
                status="error",
                thread_status="error",
                values=jsonable(snapshot.values) if snapshot.values else None,
                interrupts=interrupts_of(snapshot),
                error=error,
            )
            if done:
                log.warning("run declared lost", run_id=run.id, thread_id=run.thread_id, worker=run.worker)
                observability.RUNS_FINISHED.labels(status="error").inc()
                ended = RunEnded(run.id, run.thread_id, run.ordinal, "error", result_of(None, None, error))
                self.broker.ended(ended)
                self.wake()

    # -- executing ------------------------------------------------------------------------------------------------

    def _emit(self, active: ActiveRun, event: str, data: Any, publish: bool = True) -> LoggedEvent:
        active.seq += 1
        run = active.run
        logged = LoggedEvent(run.thread_id, run.id, run.ordinal or 0, active.seq, event, dumps(data))
        active.events.append(logged)
        if publish:
            self.broker.publish(logged)
        self.writer.add(logged)
        return logged

    async def _execute(self, active: ActiveRun) -> None:
        run = active.run
        started = time.perf_counter()
        with structlog.contextvars.bound_contextvars(tenant_id=run.tenant_id, thread_id=run.thread_id, run_id=run.id):
            try:
                await self._run_graph(active, started)
            except Exception:
                log.exception("run bookkeeping failed")
            finally:
                full = len(self.active) >= self.settings.run_concurrency
                self.active.pop(run.id, None)
                if full or active.queued_behind:  # a run waiting for this one, or for room here, may start now
                    self.wake()

    async def _run_graph(self, active: ActiveRun, started: float) -> None:
        run, kwargs, graph = active.run, active.run.kwargs, self.app.graph
        self._emit(active, "metadata", {"run_id": run.id, "attempt": 1})
        status, error = "success", None
        before: Position | None = None
        try:
            context = active.context or await self.app.tenant_context(
                run.tenant_id, kwargs.get("context"), policy_version=kwargs.get("policy_version")
            )
            if graph.checkpointer is not None:
                before = await position(graph.checkpointer, run.thread_id)
            expected = kwargs.get("resume_checkpoint")
            if expected and before is not None and before.checkpoint_id != expected:
                raise RuntimeError("the interrupt this run resumes was already answered")
            async with asyncio.timeout(self.settings.run_timeout_s):
                await self._stream(active, context)
            if keys := kwargs.get("feedback_keys"):
                self._emit(active, "feedback", feedback_urls(self.app, run, keys))
        except asyncio.CancelledError:
            action = active.cancel_action
            if action is None:  # cancelled from outside (the process is going down): not ours to swallow
                raise
            if (task := asyncio.current_task()) is not None:
                task.uncancel()
            if action == "stop":
                status = "error"
                error = {"error": "ServerStopped", "message": "the server stopped before the run finished"}
            else:
                status = "interrupted" if action == "interrupt" else "rollback"
        except TimeoutError:
            status = "timeout"
            error = {"error": "TimeoutError", "message": f"the run took longer than {self.settings.run_timeout_s} s"}
            self._emit(active, "error", error)
        except HTTPException as exc:  # the tenant or its context went bad while the run was queued
            status, error = "error", {"error": "ValidationError", "message": str(exc.detail)}
            self._emit(active, "error", error)
        except Exception as exc:
            node = failed_node(exc)
            where = f" in node '{node}'" if node else ""
            log.exception("run failed", node=node)
            status = "error"
            error = {"error": type(exc).__name__, "message": f"{exc}{where}", "node": node}
            self._emit(active, "error", error)
        await self._finish(active, status, error, before, started)

    async def _stream(self, active: ActiveRun, context: Any) -> None:
        run, kwargs = active.run, active.run.kwargs
        modes: list[str] = kwargs.get("stream_mode") or ["values"]
        internal = {"messages" if m == "messages-tuple" else m for m in modes}
        # A client streaming tokens must hear when streamed tokens are withdrawn (a provider failed mid-answer).
        streams_tokens = bool({"messages", "messages-tuple"} & set(modes))
        if streams_tokens:
            internal.add("custom")
        subgraphs = bool(kwargs.get("subgraphs"))
        partial: dict[str, AIMessageChunk] = {}
        config = self._config(run)
        async for item in self.app.graph.astream(
            graph_input(kwargs),
            config,
            context=context,
            stream_mode=sorted(internal),
            subgraphs=subgraphs,
            interrupt_before=kwargs.get("interrupt_before"),
            interrupt_after=kwargs.get("interrupt_after"),
            durability=kwargs.get("durability") or "async",
        ):
            ns, mode, chunk = item if subgraphs else ((), *item)
            suffix = "".join(f"|{n}" for n in ns)
            if mode == "messages":
                for event, data in message_events(chunk, modes, partial):
                    self._emit(active, event + suffix, data)
            elif mode in modes:
                self._emit(active, mode + suffix, chunk)
            elif mode == "custom" and streams_tokens and _is_discard(chunk):
                self._emit(active, "custom" + suffix, chunk)

    def _config(self, run: RunRecord) -> dict[str, Any]:
        kwargs = run.kwargs
        user = kwargs.get("config") or {}
        configurable = {k: v for k, v in (user.get("configurable") or {}).items() if k not in RESERVED_CONFIGURABLE}
        configurable["thread_id"] = run.thread_id
        if checkpoint := kwargs.get("checkpoint"):
            configurable.update({k: v for k, v in checkpoint.items() if k != "thread_id"})
        if checkpoint_id := kwargs.get("checkpoint_id"):
            configurable["checkpoint_id"] = checkpoint_id
        metadata = {
            **(user.get("metadata") or {}),
            **run.metadata,
            "run_id": run.id,
            "thread_id": run.thread_id,
            "tenant_id": run.tenant_id,
            "assistant_id": run.assistant_id,
            "graph_id": "concierge",
        }
        config: dict[str, Any] = {
            "configurable": configurable,
            "run_id": uuid.UUID(run.id),
            "metadata": metadata,
            "tags": [*(user.get("tags") or []), f"tenant:{run.tenant_id}"],
        }
        if "recursion_limit" in user:
            config["recursion_limit"] = user["recursion_limit"]
        if self.tracing is not None:
            config["callbacks"] = self.tracing(run)
        return config

    async def _finish(
        self, active: ActiveRun, status: str, error: dict[str, Any] | None, before: Position | None, started: float
    ) -> None:
        run, graph = active.run, self.app.graph
        if status == "rollback" and graph.checkpointer is not None and before is not None:
            await roll_back(graph.checkpointer, run.thread_id, before)
        snapshot = await graph.aget_state(thread_config(run.thread_id))
        values = jsonable(snapshot.values) if snapshot.values else {}
        interrupts = interrupts_of(snapshot)
        if error is not None and status != "interrupted":
            thread_status = "error"
        else:
            thread_status = "interrupted" if snapshot.next else "idle"
        done = self._emit(active, "control", "done", publish=False)  # last in the log: the run is recorded

        async def record(batch: list[LoggedEvent]) -> Finished:
            """The run's end, and everything it logged, visible at once: in one transaction on the database log;
            on Redis the events first, the end, then the control event."""
            outcome = {
                "status": None if status == "rollback" else status,
                "thread_status": thread_status,
                "values": values,
                "interrupts": interrupts,
                "error": error,
            }
            if isinstance(self.log, DatabaseEventLog):
                return await self.store.finish(run, self.worker, **outcome, events=batch)
            await self.log.append([e for e in batch if e is not done])
            recorded = await self.store.finish(run, self.worker, **outcome)
            await self.log.append([done])
            return recorded

        recorded = await self.writer.flush_with(run.id, record)
        active.queued_behind = not recorded or recorded.queued
        elapsed = time.perf_counter() - started
        observability.run_finished(status, elapsed, "resume" if run.kwargs.get("command") else "input")
        log.info("run finished", status=status, elapsed_ms=round(elapsed * 1000, 1), recorded=bool(recorded))
        result = result_of(values, interrupts, error)
        self.broker.publish(done)
        self.broker.ended(
            RunEnded(run.id, run.thread_id, run.ordinal, None if status == "rollback" else status, result)
        )
        if run.kwargs.get("temporary") or recorded.thread_gone:
            # A thread deleted while this run executed (on any replica) loses what the run wrote since.
            await self.app.delete_thread(run.thread_id)


def feedback_urls(app: "AppState", run: RunRecord, keys: list[str]) -> dict[str, str]:
    """{key: signed URL} for the `feedback` event that ends a run started with `feedback_keys`: each takes a
    rating of this run under that key, without an API key, until it expires (`tools/support/signing.py`)."""
    links = app.tools.feedback_links
    assert links is not None, "the toolbox is opened with the app"
    base = str(run.kwargs.get("feedback_base") or "").rstrip("/")
    return {
        key: f"{base}/feedback/{links.token(run_id=run.id, key=key, thread_id=run.thread_id, tenant_id=run.tenant_id)}"
        for key in keys
    }


def _is_discard(chunk: Any) -> bool:
    return isinstance(chunk, dict) and chunk.get("event") == DISCARDED_EVENT


def message_events(
    chunk: tuple[BaseMessage, dict], modes: list[str], partial: dict[str, AIMessageChunk]
) -> list[tuple[str, Any]]:
    """`messages-tuple` sends each token as `[chunk, metadata]`; `messages` sends the message so far."""
    message, metadata = chunk
    events: list[tuple[str, Any]] = []
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
