"""The stream event log: every event a run emits, kept so a client can rejoin a stream or follow a whole thread
from any replica. Redis (a stream per thread) when configured, else a table in the app database.

Event ids are `"{ordinal}-{seq}"`: the run's ordinal on its thread, then the event's number in the run. A thread
runs one run at a time, so ids grow along the thread, across runs and replicas, without relying on clocks; they
are also valid Redis stream ids. `-1` (or `0-0`) as a position means "from the start".
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import delete, func, insert, or_, select

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import RunEvent

log = logging.getLogger(__name__)
Position = tuple[int, int]
T = TypeVar("T")
START: Position = (0, 0)


@dataclass(frozen=True)
class LoggedEvent:
    thread_id: str
    run_id: str
    ordinal: int
    seq: int
    event: str
    data: str
    """The event's data, already JSON."""

    @property
    def id(self) -> str:
        return f"{self.ordinal}-{self.seq}"

    @property
    def position(self) -> Position:
        return (self.ordinal, self.seq)


def parse_position(event_id: str | None) -> Position | None:
    """A `Last-Event-ID` as a position; None when absent, START for `-1`; ValueError when malformed."""
    if event_id is None or event_id == "":
        return None
    if event_id.strip() == "-1":
        return START
    ordinal, _, seq = event_id.strip().partition("-")
    return (int(ordinal), int(seq or 0))


class EventLog(Protocol):
    async def append(self, events: list[LoggedEvent]) -> None: ...

    async def run_events(self, thread_id: str, run_id: str, ordinal: int | None, after_seq: int) -> list[LoggedEvent]:
        """The run's events after `after_seq`, in order."""
        ...

    async def thread_events(self, thread_id: str, after: Position) -> list[LoggedEvent]:
        """Every run's events on the thread after `after`, in order."""
        ...

    async def last_position(self, thread_id: str) -> Position: ...

    async def forget_thread(self, thread_id: str) -> None: ...

    async def purge(self, older_than_s: float) -> None: ...

    async def ping(self) -> None: ...

    async def aclose(self) -> None: ...


_gates: "weakref.WeakKeyDictionary[AppDatabase, asyncio.Lock]" = weakref.WeakKeyDictionary()


@contextlib.asynccontextmanager
async def writing(db: AppDatabase) -> AsyncIterator[None]:
    """On SQLite, the run queue's and the event log's write transactions take turns in this process: they queue
    here, fairly and without a deadline, instead of in SQLite's busy handler, whose timeout a saturated server can
    outlast. PostgreSQL needs no such gate (row locks)."""
    if db.engine.dialect.name != "sqlite":
        yield
        return
    gate = _gates.get(db)
    if gate is None:
        gate = _gates[db] = asyncio.Lock()
    async with gate:
        yield


INSERT_EVENTS = insert(RunEvent.__table__)
"""Core, not the ORM's bulk insert: the rows go to the driver as they are (the ORM's path cost more than the
insert itself)."""


def event_rows(events: list[LoggedEvent]) -> list[dict[str, Any]]:
    """Rows for one bulk insert (`INSERT_EVENTS`): a turn's hundred token events in one statement."""
    now = utcnow()
    return [
        {"thread_id": e.thread_id, "run_id": e.run_id, "ordinal": e.ordinal, "seq": e.seq, "event": e.event,
         "data": e.data, "created_at": now}
        for e in events
    ]  # fmt: skip


class DatabaseEventLog:
    """The log as rows of `run_events`; readers poll it."""

    def __init__(self, db: AppDatabase) -> None:
        self.db = db

    async def append(self, events: list[LoggedEvent]) -> None:
        if not events:
            return
        async with writing(self.db), self.db.session() as s:
            await s.execute(INSERT_EVENTS, event_rows(events))
            await s.commit()

    @staticmethod
    def _of(row: RunEvent) -> LoggedEvent:
        return LoggedEvent(row.thread_id, row.run_id, row.ordinal, row.seq, row.event, row.data)

    async def run_events(self, thread_id: str, run_id: str, ordinal: int | None, after_seq: int) -> list[LoggedEvent]:
        async with self.db.read_session() as s:
            rows = await s.scalars(
                select(RunEvent).where(RunEvent.run_id == run_id, RunEvent.seq > after_seq).order_by(RunEvent.seq)
            )
            return [self._of(r) for r in rows]

    async def thread_events(self, thread_id: str, after: Position) -> list[LoggedEvent]:
        async with self.db.read_session() as s:
            rows = await s.scalars(
                select(RunEvent)
                .where(
                    RunEvent.thread_id == thread_id,
                    or_(
                        RunEvent.ordinal > after[0],
                        (RunEvent.ordinal == after[0]) & (RunEvent.seq > after[1]),
                    ),
                )
                .order_by(RunEvent.ordinal, RunEvent.seq)
            )
            return [self._of(r) for r in rows]

    async def last_position(self, thread_id: str) -> Position:
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(RunEvent.ordinal, RunEvent.seq)
                    .where(RunEvent.thread_id == thread_id)
                    .order_by(RunEvent.ordinal.desc(), RunEvent.seq.desc())
                    .limit(1)
                )
            ).first()
        return (row[0], row[1]) if row else START

    async def forget_thread(self, thread_id: str) -> None:
        async with writing(self.db), self.db.session() as s:
            await s.execute(delete(RunEvent).where(RunEvent.thread_id == thread_id))
            await s.commit()

    async def purge(self, older_than_s: float) -> None:
        cutoff = utcnow() - timedelta(seconds=older_than_s)
        async with writing(self.db), self.db.session() as s:
            await s.execute(delete(RunEvent).where(RunEvent.created_at < cutoff))
            await s.commit()

    async def ping(self) -> None:
        async with self.db.session() as s:
            await s.scalar(select(func.count()).select_from(RunEvent).where(RunEvent.id < 0))

    async def aclose(self) -> None:
        return None


class RedisEventLog:
    """The log as one Redis stream per thread (entry id = event id), expiring after the retention time."""

    def __init__(self, redis: Any, prefix: str, retention_s: float) -> None:
        self.redis, self.prefix, self.retention_s = redis, prefix, retention_s

    def _key(self, thread_id: str) -> str:
        return f"{self.prefix}events:{thread_id}"

    async def append(self, events: list[LoggedEvent]) -> None:
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for e in events:
                pipe.xadd(self._key(e.thread_id), {"run": e.run_id, "event": e.event, "data": e.data}, id=e.id)
            for thread_id in {e.thread_id for e in events}:
                pipe.expire(self._key(thread_id), int(self.retention_s))
            results = await pipe.execute(raise_on_error=False)
        failed = [r for r in results if isinstance(r, Exception)]
        if failed:  # an id not above the stream's last one: an event written twice; never lose the others
            log.warning("event log: %d of %d appends refused: %s", len(failed), len(results), failed[0])

    def _decode(self, thread_id: str, entries: list[Any]) -> list[LoggedEvent]:
        out = []
        for entry_id, fields in entries:
            entry_id = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
            f = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
                 for k, v in fields.items()}  # fmt: skip
            ordinal, seq = (int(x) for x in entry_id.split("-"))
            out.append(LoggedEvent(thread_id, f["run"], ordinal, seq, f["event"], f["data"]))
        return out

    async def run_events(self, thread_id: str, run_id: str, ordinal: int | None, after_seq: int) -> list[LoggedEvent]:
        if ordinal is None:
            return []
        entries = await self.redis.xrange(self._key(thread_id), f"{ordinal}-{after_seq + 1}", f"{ordinal}")
        return [e for e in self._decode(thread_id, entries) if e.run_id == run_id]

    async def thread_events(self, thread_id: str, after: Position) -> list[LoggedEvent]:
        entries = await self.redis.xrange(self._key(thread_id), f"({after[0]}-{after[1]}", "+")
        return self._decode(thread_id, entries)

    async def last_position(self, thread_id: str) -> Position:
        entries = await self.redis.xrevrange(self._key(thread_id), "+", "-", count=1)
        events = self._decode(thread_id, entries)
        return events[0].position if events else START

    async def forget_thread(self, thread_id: str) -> None:
        await self.redis.delete(self._key(thread_id))

    async def purge(self, older_than_s: float) -> None:
        return None  # each thread's stream expires on its own

    async def ping(self) -> None:
        await self.redis.ping()

    async def aclose(self) -> None:
        await self.redis.aclose()


class EventWriter:
    """Batches appends to the log off the streaming path: a run's tokens reach its client at once, and reach the
    log within `interval_s`. `flush()` waits until everything written so far is in the log.

    A run's events reach the log in order: its end (`flush_with`) waits only for batches holding its own earlier
    events, so runs ending at once commit side by side instead of queueing behind one lock (on PostgreSQL each
    commit is a round trip; fifty runs ending together used to wait for one another's)."""

    def __init__(self, log_: EventLog, interval_s: float = 0.2) -> None:
        self.log, self.interval_s = log_, interval_s
        self._buffer: list[LoggedEvent] = []
        self._writing: dict[str, int] = {}
        """Runs with events in a batch being appended now, and how many such batches."""
        self._written = asyncio.Condition()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="event-log-writer")

    def add(self, event: LoggedEvent) -> None:
        self._buffer.append(event)

    async def flush(self) -> None:
        batch, self._buffer = self._buffer, []
        if not batch:
            return
        runs = {e.run_id for e in batch}
        for run_id in runs:
            self._writing[run_id] = self._writing.get(run_id, 0) + 1
        try:
            await self.log.append(batch)
        except Exception:
            log.exception("event log: %d events could not be written", len(batch))
        finally:
            for run_id in runs:
                if (left := self._writing[run_id] - 1) > 0:
                    self._writing[run_id] = left
                else:
                    del self._writing[run_id]
            async with self._written:
                self._written.notify_all()

    async def flush_with(self, run_id: str, commit: Callable[[list[LoggedEvent]], Awaitable[T]]) -> T:
        """Hand the run's events not yet written to `commit`, which writes them (with whatever else it writes in
        the same transaction), once any batch holding its earlier events is in the log: the log never shows a
        run's later events without its earlier ones."""
        async with self._written:
            await self._written.wait_for(lambda: run_id not in self._writing)
        mine = [e for e in self._buffer if e.run_id == run_id]
        if mine:
            self._buffer = [e for e in self._buffer if e.run_id != run_id]
        return await commit(mine)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.flush()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()


def make_event_log(settings: Any, db: AppDatabase) -> EventLog:
    """Redis when `REDIS_URL` is set, else the app database."""
    if settings.redis_url:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(settings.redis_url)
        return RedisEventLog(client, settings.redis_prefix, settings.event_retention_s)
    return DatabaseEventLog(db)
