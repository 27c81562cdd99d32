"""In-process fan-out of the events of runs executing on this replica, to the streams that follow them.

Streams of runs executing elsewhere read the shared event log instead; this only saves the local ones the trip.
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from concierge.tools.db.events import LoggedEvent


@dataclass(frozen=True)
class RunEnded:
    """Put on a run's queues once it is finished and recorded: what `wait` and `join` answer with."""

    run_id: str
    thread_id: str
    ordinal: int | None
    status: str | None
    """Run status; None when the run was rolled back (deleted)."""
    result: dict[str, Any]


Item = LoggedEvent | RunEnded


class Broker:
    def __init__(self) -> None:
        self._runs: dict[str, set[asyncio.Queue[Item]]] = defaultdict(set)
        self._threads: dict[str, set[asyncio.Queue[Item]]] = defaultdict(set)

    def subscribe_run(self, run_id: str) -> asyncio.Queue[Item]:
        q: asyncio.Queue[Item] = asyncio.Queue()
        self._runs[run_id].add(q)
        return q

    def subscribe_thread(self, thread_id: str) -> asyncio.Queue[Item]:
        q: asyncio.Queue[Item] = asyncio.Queue()
        self._threads[thread_id].add(q)
        return q

    def unsubscribe_run(self, run_id: str, q: asyncio.Queue[Item]) -> None:
        self._drop(self._runs, run_id, q)

    def unsubscribe_thread(self, thread_id: str, q: asyncio.Queue[Item]) -> None:
        self._drop(self._threads, thread_id, q)

    @staticmethod
    def _drop(subs: dict[str, set[asyncio.Queue[Item]]], key: str, q: asyncio.Queue[Item]) -> None:
        queues = subs.get(key)
        if queues is not None:
            queues.discard(q)
            if not queues:
                del subs[key]

    def publish(self, event: LoggedEvent) -> None:
        for q in self._runs.get(event.run_id, ()):
            q.put_nowait(event)
        for q in self._threads.get(event.thread_id, ()):
            q.put_nowait(event)

    def ended(self, end: RunEnded) -> None:
        for q in self._runs.get(end.run_id, ()):
            q.put_nowait(end)
        for q in self._threads.get(end.thread_id, ()):
            q.put_nowait(end)

    def followers(self, thread_id: str) -> int:
        return len(self._threads.get(thread_id, ()))
