"""A tenant's documents: store an upload, process it (extract, chunk, embed, index) with visible progress, delete.

Uploads are stored under generated names; the name a client sent is only data. Extraction and chunking block,
so they run in a worker thread; embedding runs in the embedder's own thread. Nothing here blocks the event loop.
"""

import asyncio
import hashlib
import logging
import re
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Document
from concierge.tools.documents.chunking import chunk_pages
from concierge.tools.documents.extraction import ExtractionError, extract_pages
from concierge.tools.documents.filetypes import SUFFIXES, UnsupportedFile, display_name, sniff
from concierge.tools.documents.sqlite_index import IndexModelMismatch
from concierge.tools.toolbox import Toolbox

log = logging.getLogger(__name__)
EXTRACTION_TIMEOUT_S = 300
STATUSES = ("pending", "processing", "completed", "failed")


class UploadRejected(Exception):
    """An upload refused before anything is stored; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _tenant_dir(tools: Toolbox, tenant_id: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", tenant_id)[:64] or "_"
    suffix = hashlib.sha256(tenant_id.encode()).hexdigest()[:8]
    return tools.settings.files_dir / f"{safe}-{suffix}"


async def store_upload(
    tools: Toolbox, tenant_id: str, data: bytes, filename: str, title: str | None = None
) -> tuple[Document, bool]:
    """Check and store one upload as a `pending` document; returns (document, created).

    The same content again (by SHA-256) returns the document already stored, and stores nothing new.
    """
    limit = int(tools.settings.max_upload_mb * 1024 * 1024)
    if len(data) > limit:
        size = tools.settings.max_upload_mb
        raise UploadRejected(413, f"file too large: {len(data)} bytes, the limit is {size:g} MB")
    try:
        media_type = sniff(data, filename)
    except UnsupportedFile as exc:
        raise UploadRejected(415, str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    async with tools.db.session() as s:
        existing = await s.scalar(select(Document).where(Document.tenant_id == tenant_id, Document.sha256 == digest))
    if existing is not None:
        return existing, False
    name = display_name(filename)
    doc_id = str(uuid.uuid4())
    stored = _tenant_dir(tools, tenant_id) / f"{doc_id}{SUFFIXES[media_type]}"

    def write() -> None:
        stored.parent.mkdir(parents=True, exist_ok=True)
        tmp = stored.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(stored)

    await asyncio.to_thread(write)
    doc = Document(
        id=doc_id,
        tenant_id=tenant_id,
        filename=name,
        title=(title or Path(name).stem or name)[:300],
        media_type=media_type,
        sha256=digest,
        path=str(stored),
        size_bytes=len(data),
        status="pending",
        progress=0.0,
    )
    try:
        async with tools.db.session() as s:
            s.add(doc)
            await s.commit()
    except IntegrityError:  # the same content uploaded at the same moment: keep the other one
        await asyncio.to_thread(stored.unlink, True)
        async with tools.db.session() as s:
            existing = await s.scalar(
                select(Document).where(Document.tenant_id == tenant_id, Document.sha256 == digest)
            )
        if existing is None:
            raise
        return existing, False
    return doc, True


async def _update(tools: Toolbox, doc_id: str, **values: object) -> Document | None:
    async with tools.db.session() as s:
        doc = await s.get(Document, doc_id)
        if doc is None:
            return None
        for key, value in values.items():
            setattr(doc, key, value)
        doc.updated_at = utcnow()
        await s.commit()
        return doc


async def process_document(tools: Toolbox, doc_id: str) -> Document | None:
    """Extract, chunk, embed and index one stored document; it ends `completed` or `failed`, never stuck.

    Returns None when the document was deleted meanwhile (its chunks are then removed again).
    """
    doc = await _update(tools, doc_id, status="processing", progress=0.0, error=None)
    if doc is None:
        return None
    try:
        try:
            async with asyncio.timeout(EXTRACTION_TIMEOUT_S):  # a pathological file must not hold the queue
                pages = await asyncio.to_thread(extract_pages, Path(doc.path), doc.media_type)
                await _update(tools, doc_id, progress=0.1)
                chunks = await asyncio.to_thread(chunk_pages, pages)
        except TimeoutError:
            raise ExtractionError(f"reading the file took over {EXTRACTION_TIMEOUT_S} s: it may be damaged") from None
        if not chunks:
            raise ExtractionError("no text to index")
        await _update(tools, doc_id, progress=0.2)

        async def progress(fraction: float) -> None:
            await _update(tools, doc_id, progress=round(0.2 + 0.75 * fraction, 3))

        await tools.documents.add(doc.tenant_id, doc.id, doc.title or doc.filename, chunks, progress)
    except (ExtractionError, IndexModelMismatch) as exc:
        return await _update(tools, doc_id, status="failed", error=str(exc), progress=1.0)
    except FileNotFoundError:
        return await _update(tools, doc_id, status="failed", error="the stored file is missing", progress=1.0)
    except Exception as exc:
        log.exception("processing document %s failed", doc_id)
        return await _update(tools, doc_id, status="failed", error=f"processing failed: {exc}", progress=1.0)
    done = await _update(
        tools,
        doc_id,
        status="completed",
        progress=1.0,
        pages=sum(1 for p in pages if p.number) or 1,
        chunks=len(chunks),
        tokens=sum(c.tokens for c in chunks),
    )
    if done is None:  # deleted while we worked
        await tools.documents.delete(doc.tenant_id, doc.id)
    return done


async def delete_document(tools: Toolbox, tenant_id: str, doc_id: str) -> bool:
    """Remove the document, its file, and its chunks and vectors from the index; False if the tenant has no such."""
    async with tools.db.session() as s:
        doc = await s.get(Document, doc_id)
        if doc is None or doc.tenant_id != tenant_id:
            return False
        path = Path(doc.path)
        await s.delete(doc)
        await s.commit()
    await tools.documents.delete(tenant_id, doc_id)
    await asyncio.to_thread(path.unlink, True)
    return True


async def ingest_file(
    tools: Toolbox, tenant_id: str, source: Path, filename: str, media_type: str | None = None, title: str | None = None
) -> Document:
    """Store and process `source` at once (the seed and the CLI); the same content again is not re-added.

    `media_type` is ignored: the type is always judged from the content.
    """
    data = await asyncio.to_thread(source.read_bytes)
    doc, _ = await store_upload(tools, tenant_id, data, filename, title)
    stale = doc.status == "completed" and doc.chunks and await tools.documents.count(tenant_id, doc.id) == 0
    if doc.status in ("pending", "processing") or stale:  # stale: a data dir from before the hybrid index
        doc = await process_document(tools, doc.id) or doc
    return doc
