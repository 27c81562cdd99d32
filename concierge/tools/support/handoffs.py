"""The human agents' queue: conversations paused at a handoff, claimed by one agent, answered, resolved.

One open handoff per thread at a time (waiting, claimed or held); a customer's further messages update it rather
than queue a second one. A claim is one conditional UPDATE (`... WHERE assignee IS NULL AND status =
'waiting'`): the database decides, so of two agents claiming at once, on any replica, exactly one wins.

The queue fields are mirrored into the thread's metadata in the same transaction (`handoff`, `handoff_id`,
`reason`, `priority`, `waiting_since`, `assignee`), so `threads.search(status="interrupted", metadata=...)` lists
the same queue for tools that speak the Agent Server API, such as LangChain's Agent Inbox.

`watch(tenant)` is the queue's changes as they happen, for the agents' console: one watcher per tenant and
process compares what the console shows of the open handoffs (status, holder, the customer's turn, notes) with
the database: at once after a change made here or nudged by another replica (`nudges.py`: Redis pub/sub or
PostgreSQL NOTIFY), and every `poll_s` whatever happens. The database is the one source, so a lost nudge costs a
poll interval, never an event, and a console's events are its own tenant's only.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.events import writing
from concierge.tools.db.models import HandoffEntry, HandoffNote, Thread
from concierge.tools.support.nudges import Nudges

OPEN = ("waiting", "claimed", "held")
CLOSED = ("answered", "ignored", "resolved")
PRIORITY = {"asked_for_human": "high", "not_helpful": "high", "follow_up": "high", "cannot_do": "normal"}
METADATA_KEYS = ("handoff", "handoff_id", "reason", "priority", "waiting_since", "assignee")
log = logging.getLogger(__name__)


class HandoffNotFound(LookupError):
    pass


class HandoffConflict(RuntimeError):
    """Claimed by someone else, or not in a state that allows the action."""


def handoff_json(entry: HandoffEntry, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    waiting = entry.status in ("waiting", "claimed")
    return {
        "handoff_id": entry.id,
        "thread_id": entry.thread_id,
        "tenant_id": entry.tenant_id,
        "turn": entry.turn,
        "status": entry.status,
        "reason": entry.reason,
        "priority": entry.priority,
        "assignee": entry.assignee,
        "question": entry.question,
        "summary": entry.summary,
        "draft": entry.draft,
        "sources": entry.sources,
        "customer": entry.customer,
        "created_at": entry.created_at.isoformat(),
        "waiting_since": entry.waiting_since.isoformat(),
        "waiting_s": round((now - entry.waiting_since).total_seconds(), 1) if waiting else None,
        "claimed_at": entry.claimed_at.isoformat() if entry.claimed_at else None,
        "first_reply_at": entry.first_reply_at.isoformat() if entry.first_reply_at else None,
        "closed_at": entry.closed_at.isoformat() if entry.closed_at else None,
    }


class Shown(NamedTuple):
    """What the console shows of a handoff: a change in any of it is an event."""

    thread_id: str
    status: str
    assignee: str | None
    turn: int
    notes: int


def changes(before: dict[str, Shown], after: dict[str, Shown]) -> list[dict[str, Any]]:
    """The events between two views of the queue: `queued`, `claimed`, `released`, `held` (an agent replied and
    keeps it), `closed` (answered, ignored or resolved), `customer_wrote` (a new turn in an open conversation),
    `note`; each with the handoff's id, thread, status, holder and turn."""
    out: list[dict[str, Any]] = []

    def event(kind: str, handoff_id: str, now: Shown | None, was: Shown) -> None:
        shown = now or was
        out.append(
            {
                "kind": kind,
                "handoff_id": handoff_id,
                "thread_id": shown.thread_id,
                "status": now.status if now else None,
                "assignee": shown.assignee,
                "turn": shown.turn,
            }
        )

    for handoff_id, now in after.items():
        was = before.get(handoff_id)
        if was is None:
            if now.status in OPEN:
                event("queued", handoff_id, now, now)
            continue
        if now.status in CLOSED:
            if was.status in OPEN:
                event("closed", handoff_id, now, was)
        elif now.turn != was.turn:
            event("customer_wrote", handoff_id, now, was)
        elif now.status != was.status or now.assignee != was.assignee:
            kind = {"waiting": "released", "held": "held"}.get(now.status, "claimed")
            event(kind, handoff_id, now, was)
        if now.notes > was.notes:
            event("note", handoff_id, now, was)
    for handoff_id, was in before.items():
        if handoff_id not in after:  # gone with its thread
            event("closed", handoff_id, None, was)
    return out


@dataclass
class _Watcher:
    subscribers: set[asyncio.Queue[dict[str, Any]]] = field(default_factory=set)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


@dataclass
class HandoffQueue:
    db: AppDatabase
    poll_s: float = 1.0
    """How often a watched tenant's queue is read anyway (changes another replica made without a nudge)."""
    nudges: Nudges | None = None
    _watchers: dict[str, _Watcher] = field(default_factory=dict, init=False, repr=False)
    _listener: asyncio.Task[None] | None = field(default=None, init=False, repr=False)
    _origin: str = field(default_factory=lambda: uuid.uuid4().hex, init=False, repr=False)

    async def _changed(self, tenant_id: str) -> None:
        """A change committed here: the tenant's watcher here looks now, and other replicas' are nudged."""
        if (w := self._watchers.get(tenant_id)) is not None:
            w.wake.set()
        if self.nudges is not None:
            try:
                await self.nudges.publish(f"{self._origin}:{tenant_id}")
            except Exception as exc:  # the change is made; other replicas see it at their next poll
                log.warning("handoff nudge not sent (%s): other replicas see the change at their next poll", exc)

    def _nudged(self, message: str) -> None:
        origin, _, tenant_id = message.partition(":")
        if origin != self._origin and (w := self._watchers.get(tenant_id)) is not None:
            w.wake.set()

    async def _listen(self) -> None:
        assert self.nudges is not None
        try:
            await self.nudges.listen(self._nudged)
        except Exception as exc:
            log.warning("handoff nudges: not listening (%s); other replicas' changes come by the poll", exc)

    async def view(self, tenant_id: str, also: Iterable[str] = ()) -> dict[str, Shown]:
        """The tenant's open handoffs (and those of `also`, to see how they closed) as the console shows them."""
        notes = (
            select(func.count())
            .where(HandoffNote.handoff_id == HandoffEntry.id)
            .correlate(HandoffEntry)
            .scalar_subquery()
        )
        ids = list(also)
        query = select(
            HandoffEntry.id,
            HandoffEntry.thread_id,
            HandoffEntry.status,
            HandoffEntry.assignee,
            HandoffEntry.turn,
            notes,
        ).where(
            HandoffEntry.tenant_id == tenant_id,
            or_(HandoffEntry.status.in_(OPEN), HandoffEntry.id.in_(ids)) if ids else HandoffEntry.status.in_(OPEN),
        )
        async with self.db.session() as s:
            return {row[0]: Shown(*row[1:]) for row in await s.execute(query)}

    @contextlib.asynccontextmanager
    async def watch(self, tenant_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        """The tenant's queue events from now on (see `changes`), until the caller leaves."""
        w = self._watchers.get(tenant_id)
        if w is None:
            shown = await self.view(tenant_id)  # the baseline, before the caller reads the queue to catch up
            w = self._watchers.get(tenant_id)  # another follower may have started one meanwhile
            if w is None:
                loop = asyncio.get_running_loop()
                w = self._watchers[tenant_id] = _Watcher()
                w.task = loop.create_task(self._follow(tenant_id, w, shown), name=f"handoff-watch-{tenant_id}")
                if self.nudges is not None and self._listener is None:
                    self._listener = loop.create_task(self._listen(), name="handoff-nudges")
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        w.subscribers.add(q)
        try:
            yield q
        finally:
            w.subscribers.discard(q)
            if not w.subscribers:
                if self._watchers.get(tenant_id) is w:
                    del self._watchers[tenant_id]
                if w.task is not None:
                    w.task.cancel()
                if not self._watchers and self._listener is not None:
                    self._listener.cancel()
                    self._listener = None

    async def _follow(self, tenant_id: str, w: _Watcher, shown: dict[str, Shown]) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(w.wake.wait(), self.poll_s)
            w.wake.clear()
            try:
                now = await self.view(tenant_id, also=shown)
            except Exception:  # the database is away for a moment: the next look catches up
                log.exception("handoff watch: could not read tenant %s's queue", tenant_id)
                continue
            events = changes(shown, now)
            shown = {k: v for k, v in now.items() if v.status in OPEN}
            for q in w.subscribers:
                for e in events:
                    q.put_nowait(e)

    async def aclose(self) -> None:
        """Stop every watcher (the server is shutting down)."""
        watchers, self._watchers = list(self._watchers.values()), {}
        tasks = [w.task for w in watchers if w.task is not None] + ([self._listener] if self._listener else [])
        self._listener = None
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.nudges is not None:
            await self.nudges.aclose()

    async def open_for(self, tenant_id: str, thread_id: str) -> HandoffEntry | None:
        """The thread's open handoff, if any: then the customer's message goes to a person."""
        async with self.db.read_session() as s:
            return await s.scalar(_open(tenant_id, thread_id))

    async def enqueue(
        self,
        *,
        tenant_id: str,
        thread_id: str,
        turn: int,
        run_id: str,
        reason: str,
        question: str,
        summary: str,
        draft: str,
        sources: list[dict[str, Any]],
        customer: dict[str, Any],
    ) -> HandoffEntry:
        """Queue the thread, or bring its open handoff up to date; the same turn again changes nothing.

        A conversation an agent keeps (`held`) comes back to that agent, claimed, waiting since now.
        """
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            entry = await s.scalar(_open(tenant_id, thread_id).with_for_update())
            if entry is not None and entry.turn == turn:
                return entry  # the node resumed and runs again: already queued
            if entry is None:
                entry = HandoffEntry(
                    id=str(uuid.uuid4()),
                    tenant_id=tenant_id,
                    thread_id=thread_id,
                    reason=reason,
                    priority=PRIORITY.get(reason, "normal"),
                    status="waiting",
                    created_at=now,
                    waiting_since=now,
                )
                s.add(entry)
            elif entry.status == "held":
                entry.status, entry.waiting_since, entry.priority = "claimed", now, PRIORITY["follow_up"]
            entry.turn, entry.run_id, entry.question, entry.summary = turn, run_id, question, summary
            entry.draft, entry.sources, entry.customer = draft, sources, customer
            await _mirror(s, entry)
            await s.commit()
        await self._changed(tenant_id)
        return entry

    async def claim(self, tenant_id: str, handoff_id: str, agent: str) -> HandoffEntry:
        """Take a waiting conversation; HandoffConflict (-> 409) if another agent has it."""
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            won = await s.execute(
                update(HandoffEntry)
                .where(
                    HandoffEntry.id == handoff_id,
                    HandoffEntry.tenant_id == tenant_id,
                    HandoffEntry.assignee.is_(None),
                    HandoffEntry.status == "waiting",
                )
                .values(assignee=agent, status="claimed", claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            entry = await self._get(s, tenant_id, handoff_id)
            if won.rowcount != 1 and entry.assignee != agent:
                why = _taken(entry)
                await s.rollback()
                raise HandoffConflict(why)
            await _mirror(s, entry)
            await s.commit()
        await self._changed(tenant_id)
        return entry

    async def release(self, tenant_id: str, handoff_id: str, agent: str, *, force: bool = False) -> HandoffEntry:
        """Put a claimed conversation back in the queue (its holder, or a supervisor with `force`)."""
        async with writing(self.db), self.db.session() as s:
            holder = [] if force else [HandoffEntry.assignee == agent]
            done = await s.execute(
                update(HandoffEntry)
                .where(
                    HandoffEntry.id == handoff_id,
                    HandoffEntry.tenant_id == tenant_id,
                    HandoffEntry.status.in_(("claimed", "held")),
                    *holder,
                )
                .values(assignee=None, status="waiting")
                .execution_options(synchronize_session=False)
            )
            entry = await self._get(s, tenant_id, handoff_id)
            if done.rowcount != 1:
                why = f"handoff {handoff_id} is {entry.status}"
                if entry.assignee:
                    why += f", claimed by {entry.assignee}"
                await s.rollback()
                raise HandoffConflict(why)
            await _mirror(s, entry)
            await s.commit()
        await self._changed(tenant_id)
        return entry

    async def replied(self, handoff_id: str, agent: str, *, keep: bool) -> HandoffEntry | None:
        """The agent's reply reached the customer: the bot takes over again, unless the agent keeps it."""
        now = utcnow()
        async with writing(self.db), self.db.session() as s:
            entry = await s.get(HandoffEntry, handoff_id, with_for_update=True)
            if entry is None:
                return None
            entry.first_reply_at = entry.first_reply_at or now
            entry.claimed_at = entry.claimed_at or now
            entry.assignee = entry.assignee or agent
            if entry.status in OPEN:
                entry.status = "held" if keep else "answered"
                entry.closed_at = None if keep else now
            await _mirror(s, entry)
            await s.commit()
        await self._changed(entry.tenant_id)
        return entry

    async def close(self, tenant_id: str, handoff_id: str, status: str) -> HandoffEntry:
        """Close a handoff (`ignored` or `resolved`); closing a closed one leaves its first outcome."""
        assert status in CLOSED
        async with writing(self.db), self.db.session() as s:
            entry = await self._get(s, tenant_id, handoff_id, lock=True)
            if entry.status in OPEN:
                entry.status, entry.closed_at = status, utcnow()
                await _mirror(s, entry)
                await s.commit()
        await self._changed(tenant_id)
        return entry

    async def get(self, tenant_id: str, handoff_id: str) -> HandoffEntry:
        async with self.db.session() as s:
            return await self._get(s, tenant_id, handoff_id)

    async def queue(
        self,
        tenant_id: str,
        statuses: tuple[str, ...] = ("waiting", "claimed"),
        limit: int = 100,
        *,
        assignee: str | None = None,
        unclaimed: bool = False,
    ) -> list[HandoffEntry]:
        """Oldest waiting first: who has waited longest is served first. Optionally one agent's, or nobody's."""
        query = select(HandoffEntry).where(HandoffEntry.tenant_id == tenant_id, HandoffEntry.status.in_(statuses))
        if unclaimed:
            query = query.where(HandoffEntry.assignee.is_(None))
        elif assignee is not None:
            query = query.where(HandoffEntry.assignee == assignee)
        async with self.db.session() as s:
            rows = await s.scalars(query.order_by(HandoffEntry.waiting_since, HandoffEntry.id).limit(limit))
            return list(rows)

    async def add_note(self, tenant_id: str, handoff_id: str, author: str, text: str) -> dict[str, Any]:
        async with writing(self.db), self.db.session() as s:
            await self._get(s, tenant_id, handoff_id)
            note = HandoffNote(
                handoff_id=handoff_id, tenant_id=tenant_id, author=author, text=text, created_at=utcnow()
            )
            s.add(note)
            await s.commit()
        await self._changed(tenant_id)
        return note_json(note)

    async def notes(self, tenant_id: str, handoff_id: str) -> list[dict[str, Any]]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(HandoffNote)
                .where(HandoffNote.handoff_id == handoff_id, HandoffNote.tenant_id == tenant_id)
                .order_by(HandoffNote.created_at, HandoffNote.id)
            )
            return [note_json(n) for n in rows]

    async def between(self, tenant_id: str, start: datetime, end: datetime) -> list[HandoffEntry]:
        async with self.db.session() as s:
            rows = await s.scalars(
                select(HandoffEntry).where(
                    HandoffEntry.tenant_id == tenant_id,
                    HandoffEntry.created_at >= start,
                    HandoffEntry.created_at < end,
                )
            )
            return list(rows)

    @staticmethod
    async def _get(s: AsyncSession, tenant_id: str, handoff_id: str, *, lock: bool = False) -> HandoffEntry:
        query = select(HandoffEntry).where(HandoffEntry.id == handoff_id, HandoffEntry.tenant_id == tenant_id)
        entry = await s.scalar(query.with_for_update() if lock else query)
        if entry is None:
            raise HandoffNotFound(f"handoff {handoff_id} not found")
        await s.refresh(entry)
        return entry


def note_json(note: HandoffNote) -> dict[str, Any]:
    return {"id": note.id, "author": note.author, "text": note.text, "created_at": note.created_at.isoformat()}


def _open(tenant_id: str, thread_id: str) -> Select[tuple[HandoffEntry]]:
    return (
        select(HandoffEntry)
        .where(HandoffEntry.tenant_id == tenant_id, HandoffEntry.thread_id == thread_id, HandoffEntry.status.in_(OPEN))
        .order_by(HandoffEntry.created_at.desc())
        .limit(1)
    )


def _taken(entry: HandoffEntry) -> str:
    if entry.assignee:
        return f"handoff {entry.id} is already claimed by {entry.assignee}"
    return f"handoff {entry.id} is {entry.status}, not waiting"


async def _mirror(s: AsyncSession, entry: HandoffEntry) -> None:
    """Copy the queue fields into the thread's metadata, in the caller's transaction."""
    thread = await s.get(Thread, entry.thread_id, with_for_update=True)
    if thread is None or thread.tenant_id != entry.tenant_id:
        return  # a thread that lives only in checkpoints (langgraph dev): the handoffs table is the queue
    waiting = entry.status in ("waiting", "claimed")
    thread.meta = {
        **(thread.meta or {}),
        "handoff": entry.status,
        "handoff_id": entry.id,
        "reason": entry.reason,
        "priority": entry.priority,
        "waiting_since": entry.waiting_since.isoformat() if waiting else None,
        "assignee": entry.assignee,
    }
