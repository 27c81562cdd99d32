"""Processes uploaded documents in the background, one at a time per replica, and picks up what a stopped server
left. Any number of replicas share the work: each claims a document in the database (a row lock, skipping rows
another replica holds, then `pending -> processing`), so no two ever process the same one. While it works, the
replica touches the row every few seconds; a document left `processing` by a replica that died is claimed again
once it has not been touched for `lease_s`.

One at a time because embedding already uses every core; the request that uploaded returns at once.
"""

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import or_, select, update

from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Document
from concierge.tools.documents.ingest import process_document
from concierge.tools.toolbox import Toolbox

log = logging.getLogger(__name__)


class DocumentWorker:
    def __init__(self, tools: Toolbox, poll_s: float | None = None, lease_s: float = 60.0) -> None:
        self.tools = tools
        self.poll_s = poll_s if poll_s is not None else max(tools.settings.run_poll_s, 0.1)
        self.lease_s = lease_s
        self._submitted: set[str] = set()
        self._wake = asyncio.Event()
        self._busy = False
        self._task: asyncio.Task | None = None

    async def start(self) -> "DocumentWorker":
        """Serve: documents left `pending` or `processing` by a stopped server are claimed like new ones."""
        self._task = asyncio.create_task(self._run(), name="document-worker")
        return self

    def submit(self, doc_id: str) -> None:
        """A document was stored `pending`: look for work now rather than at the next poll."""
        self._submitted.add(doc_id)
        self._wake.set()

    async def claim(self) -> str | None:
        """The next document to process, now `processing` and ours; None when there is none."""
        stale = utcnow() - timedelta(seconds=self.lease_s)
        pick = (
            select(Document.id)
            .where(
                or_(
                    Document.status == "pending",
                    (Document.status == "processing") & ((Document.updated_at < stale) | Document.updated_at.is_(None)),
                )
            )
            .order_by(Document.created_at)
            .limit(1)
        )
        async with self.tools.db.session() as s:
            # A read first: most polls find nothing, and a read takes no lock (on SQLite an UPDATE takes the
            # database's write lock, which every run's bookkeeping then waits on, even when it changes nothing).
            if await s.scalar(pick) is None:
                return None
        if self.tools.db.engine.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        async with self.tools.db.session() as s:
            claimed = await s.scalar(
                update(Document)
                .where(Document.id == pick.scalar_subquery())
                .values(status="processing", progress=0.0, updated_at=utcnow())
                .returning(Document.id)
                .execution_options(synchronize_session=False)
            )
            await s.commit()
            return claimed

    async def _run(self) -> None:
        while True:
            try:
                doc_id = await self.claim()
            except Exception:
                log.exception("documents: claiming failed")
                doc_id = None
            if doc_id is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                self._wake.clear()
                continue
            self._busy = True
            alive = asyncio.create_task(self._touch(doc_id), name=f"document-lease-{doc_id}")
            try:
                await process_document(self.tools, doc_id)
            except Exception:
                log.exception("document %s: processing crashed", doc_id)
            finally:
                alive.cancel()
                self._busy = False
                self._submitted.discard(doc_id)

    async def _touch(self, doc_id: str) -> None:
        """Keep the claim: the row says a live replica is on it (extraction alone may take minutes)."""
        while True:
            await asyncio.sleep(self.lease_s / 4)
            with contextlib.suppress(Exception):
                async with self.tools.db.session() as s:
                    await s.execute(
                        update(Document)
                        .where(Document.id == doc_id, Document.status == "processing")
                        .values(updated_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                    await s.commit()

    async def idle(self) -> None:
        """Wait until every document submitted here has been processed, here or elsewhere (tests, the CLI)."""
        while True:
            if self._submitted:
                async with self.tools.db.session() as s:
                    waiting = await s.scalars(
                        select(Document.id).where(
                            Document.id.in_(self._submitted), Document.status.in_(("pending", "processing"))
                        )
                    )
                    self._submitted &= set(waiting)
            if not self._submitted and not self._busy:
                return
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop at once; a document in progress stays `processing` and is claimed again after its lease."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
