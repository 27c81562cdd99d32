"""Put one file into a tenant's document store: record it, extract, chunk and index it.

Extraction and chunking block, so they run in a worker thread, off the event loop.
"""

import asyncio
import hashlib
import uuid
from pathlib import Path

from sqlalchemy import select

from concierge.tools.appdb import Document
from concierge.tools.chunking import chunk_pages
from concierge.tools.extraction import ExtractionError, extract_pages
from concierge.tools.toolbox import Toolbox


async def ingest_file(
    tools: Toolbox, tenant_id: str, source: Path, filename: str, media_type: str, title: str | None = None
) -> Document:
    """Store and index `source` under `title` (default: the file name); the same content again is not re-added."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    async with tools.db.session() as s:
        existing = await s.scalar(select(Document).where(Document.tenant_id == tenant_id, Document.sha256 == digest))
        if existing is not None and existing.status == "completed":
            return existing
        doc = existing or Document(
            id=str(uuid.uuid4()), tenant_id=tenant_id, filename=filename, media_type=media_type, sha256=digest, path=""
        )
        stored = tools.settings.files_dir / tenant_id / f"{doc.id}{Path(filename).suffix.lower()[:8]}"
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(data)
        doc.path, doc.status = str(stored), "processing"
        s.add(doc)
        await s.commit()
        try:
            pages = await asyncio.to_thread(extract_pages, stored, media_type)
            chunks = await asyncio.to_thread(chunk_pages, pages)
            await tools.documents.add(tenant_id, doc.id, title or Path(filename).stem, chunks)
        except ExtractionError as exc:
            doc.status, doc.error = "failed", str(exc)
        else:
            doc.status, doc.error = "completed", None
            doc.pages = sum(1 for p in pages if p.number) or 1
            doc.chunks, doc.tokens = len(chunks), sum(c.tokens for c in chunks)
        await s.commit()
        return doc
