"""Processes uploaded documents in the background, one at a time, and picks up what a stopped server left.

One at a time because embedding already uses every core; the request that uploaded returns at once.
"""

import asyncio
import contextlib
import logging

from sqlalchemy import select

from concierge.tools.db.models import Document
from concierge.tools.documents.ingest import process_document
from concierge.tools.toolbox import Toolbox

log = logging.getLogger(__name__)


class DocumentWorker:
    def __init__(self, tools: Toolbox) -> None:
        self.tools = tools
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._task: asyncio.Task | None = None

    async def start(self) -> "DocumentWorker":
        """Queue every document left `pending` or `processing` (the server stopped mid-way), then serve."""
        async with self.tools.db.session() as s:
            left = await s.scalars(
                select(Document.id).where(Document.status.in_(("pending", "processing"))).order_by(Document.created_at)
            )
            for doc_id in left:
                self.submit(doc_id)
        self._task = asyncio.create_task(self._run(), name="document-worker")
        return self

    def submit(self, doc_id: str) -> None:
        if doc_id not in self._queued:
            self._queued.add(doc_id)
            self.queue.put_nowait(doc_id)

    async def _run(self) -> None:
        while True:
            doc_id = await self.queue.get()
            try:
                await process_document(self.tools, doc_id)
            except Exception:
                log.exception("document %s: processing crashed", doc_id)
            finally:
                self._queued.discard(doc_id)
                self.queue.task_done()

    async def idle(self) -> None:
        """Wait until everything queued so far is processed (tests, the CLI)."""
        await self.queue.join()

    async def stop(self) -> None:
        """Stop at once; a document in progress stays `processing` and is resumed at the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
