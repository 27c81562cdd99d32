"""Runs as records in the app database, so any replica can execute them and every replica agrees on a thread.

A thread's row is its lock: every decision about its runs (admit, queue, claim, finish, cancel) starts with a
write to that row, which on PostgreSQL locks the row and on SQLite takes the database's write lock, so two
replicas never decide at once. Claiming picks a thread with queued work and nothing running, skipping rows
another replica holds (`FOR UPDATE SKIP LOCKED`); a partial unique index keeps one running run per thread even
if the code were wrong.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from langgraph.checkpoint.base.id import uuid6
from sqlalchemy import JSON, bindparam, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import INSERT_EVENTS, LoggedEvent, event_rows, writing
from concierge.tools.db.models import Run, Thread

INFLIGHT = ("pending", "running")
FINISHED = ("success", "error", "interrupted", "timeout")
STRATEGIES = ("reject", "enqueue", "interrupt", "rollback")

# The hot paths' statements, built once: SQLAlchemy then computes each one's cache key once, not every turn.
_NO_SYNC = {"synchronize_session": False}
_POPULATE = {"populate_existing": True}
_LOCK = update(Thread).where(Thread.id == bindparam("thread")).values(runs_started=Thread.runs_started)
"""A write to the thread's row that changes nothing: it takes the row's lock (see module doc)."""
LOCK_THREAD = _LOCK.returning(Thread).execution_options(**_NO_SYNC)
LOCK_TENANT_THREAD = (
    _LOCK.where(Thread.tenant_id == bindparam("tenant")).returning(Thread).execution_options(**_NO_SYNC)
)
LOCK_THREAD_ID = _LOCK.returning(Thread.id).execution_options(**_NO_SYNC)
INFLIGHT_RUNS = (
    select(Run).where(Run.thread_id == bindparam("thread"), Run.status.in_(INFLIGHT)).order_by(Run.created_at, Run.id)
)
_ERROR = JSON(none_as_null=True)
"""No error is SQL NULL, as when the value was written inline."""
_MINE = (Run.id == bindparam("run")) & (Run.status == "running") & (Run.worker == bindparam("worker_"))
DELETE_RUN = delete(Run).where(_MINE).returning(Run.id).execution_options(**_NO_SYNC)
END_RUN = (
    update(Run)
    .where(_MINE)
    .values(status=bindparam("status_"), error=bindparam("error_", type_=_ERROR), updated_at=bindparam("now"))
    .returning(Run.id)
    .execution_options(**_NO_SYNC)
)
_OTHERS = select(Run.id).where(Run.thread_id == bindparam("thread"), Run.status.in_(INFLIGHT)).exists()
_END_THREAD = (
    update(Thread)
    .where(Thread.id == bindparam("thread"))
    .values(
        error=bindparam("error_", type_=_ERROR),
        status=case((_OTHERS, "busy"), else_=bindparam("status_", type_=Thread.status.type)),
        updated_at=bindparam("now"),
    )
    .returning(Thread.status)
    .execution_options(**_NO_SYNC)
)
END_THREAD = _END_THREAD
"""A run's end on its thread: `busy` while other runs are in flight, else the status the run left it in."""
END_THREAD_WITH_VALUES = _END_THREAD.values(values=bindparam("values_"), interrupts=bindparam("interrupts_"))


class RunConflict(Exception):
    """The thread cannot take this run now (HTTP 409)."""


class RunNotFound(Exception):
    """No such thread or run for this tenant (HTTP 404)."""


def new_run_id() -> str:
    """Time-ordered ids, as the Agent Server's: runs created in order sort in order."""
    return str(uuid6())


@dataclass(frozen=True)
class RunRecord:
    id: str
    thread_id: str
    tenant_id: str
    assistant_id: str
    status: str
    multitask_strategy: str
    kwargs: dict[str, Any]
    metadata: dict[str, Any]
    cancel: str | None
    worker: str | None
    ordinal: int | None
    error: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Run) -> "RunRecord":
        return cls(
            id=row.id,
            thread_id=row.thread_id,
            tenant_id=row.tenant_id,
            assistant_id=row.assistant_id,
            status=row.status,
            multitask_strategy=row.multitask_strategy,
            kwargs=row.kwargs or {},
            metadata=row.meta or {},
            cancel=row.cancel,
            worker=row.worker,
            ordinal=row.ordinal,
            error=row.error,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @property
    def inflight(self) -> bool:
        return self.status in INFLIGHT

    def as_api(self) -> dict[str, Any]:
        """The run as the Agent Server returns it."""
        return {
            "run_id": self.id,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "status": self.status,
            "metadata": self.metadata,
            "multitask_strategy": self.multitask_strategy,
            "kwargs": self.kwargs,
        }


@dataclass(frozen=True)
class Finished:
    """How `RunStore.finish` went: truthy when the run's end was recorded (it was still the worker's)."""

    recorded: bool
    queued: bool = False
    """More runs wait on the thread: a replica should look for work now rather than at its next poll."""
    thread_gone: bool = False
    """The thread was deleted while the run executed: what the run checkpointed since is left to clean up."""

    def __bool__(self) -> bool:
        return self.recorded


@dataclass(frozen=True)
class Admission:
    run: RunRecord
    claimed: bool
    """The run was claimed for the caller's replica in the same transaction: execute it now."""
    superseded: list[str]
    """Running runs asked to stop (`interrupt`/`rollback` strategies); their replicas act on it."""


class RunStore:
    def __init__(self, db: AppDatabase) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"

    async def _lock_thread(self, s: AsyncSession, thread_id: str, tenant_id: str | None = None) -> Thread | None:
        """Lock the thread's row by writing it, and load it: this must be the transaction's first statement."""
        if tenant_id is None:
            rows = await s.scalars(LOCK_THREAD, {"thread": thread_id}, execution_options=_POPULATE)
        else:
            rows = await s.scalars(
                LOCK_TENANT_THREAD, {"thread": thread_id, "tenant": tenant_id}, execution_options=_POPULATE
            )
        return rows.first()

    async def _inflight(self, s: AsyncSession, thread_id: str) -> list[Run]:
        return list(await s.scalars(INFLIGHT_RUNS, {"thread": thread_id}))

    async def admit(
        self,
        *,
        run_id: str,
        thread_id: str,
        tenant_id: str,
        assistant_id: str,
        kwargs: dict[str, Any],
        metadata: dict[str, Any],
        strategy: str,
        resume: bool,
        claim_for: str | None,
        create_thread: Callable[[], Thread] | None = None,
        check: Callable[[], Awaitable[None]] | None = None,
        thread_metadata: dict[str, Any] | None = None,
    ) -> Admission:
        """Queue a run on a thread as `strategy` says, atomically across replicas.

        `reject` refuses while any run is in flight; `enqueue` queues behind them; `interrupt` and `rollback` stop
        them (queued ones at once, running ones through their replica) and queue behind. A resume is refused
        while another run is in flight whatever the strategy asks: two resumes of one interrupt must not both
        execute. `check` runs under the lock (a resume checks the thread is paused). With `claim_for`, a run that
        can start right away is claimed for that replica in the same transaction. `thread_metadata` fills keys
        the thread's metadata lacks (the graph and assistant that ran on it).
        """
        for attempt in range(3):
            try:
                return await self._admit(
                    run_id, thread_id, tenant_id, assistant_id, kwargs, metadata, strategy, resume, claim_for,
                    create_thread, check, thread_metadata or {},
                )  # fmt: skip
            except IntegrityError:
                # Another request created the same new thread first: take the lock again, as the second comer.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _admit(
        self,
        run_id: str,
        thread_id: str,
        tenant_id: str,
        assistant_id: str,
        kwargs: dict[str, Any],
        metadata: dict[str, Any],
        strategy: str,
        resume: bool,
        claim_for: str | None,
        create_thread: Callable[[], Thread] | None,
        check: Callable[[], Awaitable[None]] | None,
        thread_metadata: dict[str, Any],
    ) -> Admission:
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            thread = await self._lock_thread(s, thread_id, tenant_id)
            if thread is None:
                if create_thread is None or await s.get(Thread, thread_id) is not None:
                    raise RunNotFound(f"thread {thread_id} not found")
                thread = create_thread()
                s.add(thread)
                await s.flush()
            inflight = await self._inflight(s, thread_id)
            superseded: list[str] = []
            if inflight:
                if strategy == "reject":
                    raise RunConflict(
                        f"thread {thread_id} is busy with run {inflight[0].id}; wait for it to finish "
                        "or choose another multitask_strategy"
                    )
                if resume:
                    raise RunConflict(
                        f"thread {thread_id} is busy with run {inflight[0].id}; an interrupt is resumed once, "
                        "when no other run is in flight"
                    )
                if strategy in ("interrupt", "rollback"):
                    for run in inflight:
                        if run.status == "pending":
                            if strategy == "rollback":
                                await s.delete(run)
                            else:
                                run.status, run.updated_at = "interrupted", now
                        elif run.cancel is None:
                            run.cancel, run.updated_at = strategy, now
                            superseded.append(run.id)
                    inflight = [r for r in inflight if r.status == "running"]
            if check is not None:
                await check()
            row = Run(
                id=run_id,
                thread_id=thread_id,
                tenant_id=tenant_id,
                assistant_id=assistant_id,
                status="pending",
                multitask_strategy=strategy,
                kwargs=kwargs,
                meta=metadata,
                created_at=now,
                updated_at=now,
            )
            claimed = claim_for is not None and not inflight
            if claimed:
                thread.runs_started += 1
                row.status, row.worker, row.ordinal = "running", claim_for, thread.runs_started
                row.started_at = row.heartbeat_at = now
            s.add(row)
            thread.status, thread.updated_at = "busy", now
            if any(k not in (thread.meta or {}) for k in thread_metadata):
                thread.meta = {**thread_metadata, **(thread.meta or {})}
            await s.commit()
            return Admission(RunRecord.of(row), claimed, superseded)

    async def claim(self, worker: str) -> RunRecord | None:
        """The oldest queued run of a thread with nothing running, now running on `worker`; None if there is none."""
        now = utcnow()
        waiting = select(Run.thread_id).where(Run.status == "pending")
        running = select(Run.thread_id).where(Run.status == "running")
        pick = select(Thread.id).where(Thread.id.in_(waiting), Thread.id.not_in(running)).limit(1)
        if self.postgres:
            pick = pick.with_for_update(skip_locked=True)
        async with self.db.read_session() as s:
            # A read first: most wake-ups find nothing queued, and a read takes no lock (a write would, on SQLite).
            if await s.scalar(select(Run.id).where(Run.status == "pending").limit(1)) is None:
                return None
        async with writing(self.db), self.db.session() as s:
            try:
                res = await s.execute(
                    update(Thread)
                    .where(Thread.id == pick.scalar_subquery())
                    .values(runs_started=Thread.runs_started + 1, status="busy", updated_at=now)
                    .returning(Thread.id, Thread.runs_started)
                    .execution_options(synchronize_session=False)
                )
                picked = res.first()
                if picked is None:
                    return None
                thread_id, ordinal = picked
                run = await s.scalar(
                    select(Run)
                    .where(Run.thread_id == thread_id, Run.status == "pending")
                    .order_by(Run.created_at, Run.id)
                    .limit(1)
                )
                if run is None:
                    await s.rollback()
                    return None
                run.status, run.worker, run.ordinal = "running", worker, ordinal
                run.started_at = run.heartbeat_at = run.updated_at = now
                await s.commit()
                return RunRecord.of(run)
            except IntegrityError:  # the one-running-run index: someone else won this thread
                await s.rollback()
                return None

    async def finish(
        self,
        run: RunRecord,
        worker: str,
        *,
        status: str | None,
        thread_status: str,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any] | None,
        error: dict[str, Any] | None = None,
        events: list[LoggedEvent] | None = None,
    ) -> Finished:
        """Record how a run ended and what its thread now holds; `status=None` deletes the run (rolled back).
        `events` (for the database event log) are written in the same transaction, so a reader never sees the
        run ended without its last events.

        Falsy when the run was no longer this worker's (it was declared lost meanwhile): only the events are written.
        """
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            # Four statements, the thread's lock first (the order every decision about a thread takes locks in).
            if (await s.execute(LOCK_THREAD_ID, {"thread": run.thread_id})).first() is None:
                return Finished(False, thread_gone=True)  # deleted meanwhile, its runs with it
            if events:
                await s.execute(INSERT_EVENTS, event_rows(events))
            mine = {"run": run.id, "worker_": worker}
            if status is None:
                ended = await s.execute(DELETE_RUN, mine)
            else:
                ended = await s.execute(END_RUN, {**mine, "status_": status, "error_": error, "now": now})
            if ended.first() is None:
                await s.commit()  # the events only
                return Finished(False)
            thread = {"thread": run.thread_id, "status_": thread_status, "error_": error, "now": now}
            if values is None:
                thread_now = await s.scalar(END_THREAD, thread)
            else:
                thread_now = await s.scalar(
                    END_THREAD_WITH_VALUES, {**thread, "values_": values, "interrupts_": interrupts or {}}
                )
            await s.commit()
            return Finished(True, queued=thread_now == "busy")

    async def next_ordinal(self, thread_id: str) -> int | None:
        """An ordinal of the thread's for something that is not a run (a state update's event), so its event id
        sorts after every earlier run's and before every later one's; None when the thread is gone."""
        async with writing(self.db), self.db.session() as s:
            ordinal = await s.scalar(
                update(Thread)
                .where(Thread.id == thread_id)
                .values(runs_started=Thread.runs_started + 1)
                .returning(Thread.runs_started)
                .execution_options(synchronize_session=False)
            )
            await s.commit()
            return ordinal

    async def inflight_of(self, tenant_id: str, status: str) -> list[RunRecord]:
        """The tenant's runs in flight in `status` (`pending`, `running` or `all`), oldest first."""
        statuses = INFLIGHT if status == "all" else (status,)
        async with self.db.session() as s:
            rows = await s.scalars(
                select(Run).where(Run.tenant_id == tenant_id, Run.status.in_(statuses)).order_by(Run.created_at)
            )
            return [RunRecord.of(r) for r in rows]

    async def heartbeat(self, worker: str, run_ids: list[str]) -> dict[str, str]:
        """Tell the others these runs are alive; returns the cancellations asked for them (`run id -> action`)."""
        if not run_ids:
            return {}
        async with writing(self.db), self.db.session() as s:
            await s.execute(
                update(Run)
                .where(Run.id.in_(run_ids), Run.worker == worker, Run.status == "running")
                .values(heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            rows = await s.execute(select(Run.id, Run.cancel).where(Run.id.in_(run_ids), Run.cancel.is_not(None)))
            await s.commit()
            return {run_id: action for run_id, action in rows}

    async def cancels(self, run_ids: list[str]) -> dict[str, str]:
        """The cancellations asked for these runs (`run id -> action`), read without renewing their lease."""
        if not run_ids:
            return {}
        async with self.db.read_session() as s:
            rows = await s.execute(select(Run.id, Run.cancel).where(Run.id.in_(run_ids), Run.cancel.is_not(None)))
            return {run_id: action for run_id, action in rows}

    async def lost(self, lease_s: float) -> list[RunRecord]:
        """Running runs whose replica has not reported within the lease: it died (or lost the database)."""
        cutoff = utcnow() - timedelta(seconds=lease_s)
        async with self.db.session() as s:
            rows = await s.scalars(select(Run).where(Run.status == "running", Run.heartbeat_at < cutoff))
            return [RunRecord.of(r) for r in rows]

    async def get(self, run_id: str, thread_id: str | None = None, tenant_id: str | None = None) -> RunRecord:
        async with self.db.session() as s:
            row = await s.get(Run, run_id)
        if row is None or (thread_id and row.thread_id != thread_id) or (tenant_id and row.tenant_id != tenant_id):
            raise RunNotFound(f"run {run_id} not found")
        return RunRecord.of(row)

    async def list_for(
        self, thread_id: str, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> list[RunRecord]:
        stmt = select(Run).where(Run.thread_id == thread_id)
        if status:
            stmt = stmt.where(Run.status == status)
        async with self.db.session() as s:
            rows = await s.scalars(stmt.order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset))
            return [RunRecord.of(r) for r in rows]

    async def count(self, status: str) -> int:
        async with self.db.session() as s:
            return int(await s.scalar(select(func.count()).select_from(Run).where(Run.status == status)) or 0)

    async def inflight(self, thread_id: str) -> list[RunRecord]:
        async with self.db.session() as s:
            return [RunRecord.of(r) for r in await self._inflight(s, thread_id)]

    async def cancel(self, thread_id: str, run_ids: list[str], action: str) -> list[str]:
        """Stop runs: queued ones at once (`rollback` deletes them), running ones through their replica.

        Returns the ids of running runs that were asked to stop; 404 when none of the runs is in flight.
        """
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            thread = await self._lock_thread(s, thread_id)
            if thread is None:
                raise RunNotFound(f"thread {thread_id} not found")
            rows = list(
                await s.scalars(
                    select(Run).where(Run.thread_id == thread_id, Run.id.in_(run_ids), Run.status.in_(INFLIGHT))
                )
            )
            if not rows:
                raise RunNotFound("no run in flight to cancel: it finished, or it is not on this thread")
            running: list[str] = []
            for row in rows:
                if row.status == "pending":
                    if action == "rollback":
                        await s.delete(row)
                    else:
                        row.status, row.updated_at = "interrupted", now
                else:
                    row.cancel, row.updated_at = action, now
                    running.append(row.id)
            await s.flush()
            if not await self._inflight(s, thread_id):
                thread.status = "error" if thread.error else "interrupted" if thread.interrupts else "idle"
            await s.commit()
            return running

    async def delete(self, thread_id: str, run_id: str) -> None:
        async with writing(self.db), self.db.session() as s:
            row = await s.get(Run, run_id)
            if row is None or row.thread_id != thread_id:
                raise RunNotFound(f"run {run_id} not found")
            if row.status in INFLIGHT:
                raise RunConflict(f"run {run_id} is {row.status}; cancel it first")
            await s.execute(delete(Run).where(Run.id == run_id))
            await s.commit()
