"""Documents: upload (processed in the background), list, read and delete a tenant's documents."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, Security, UploadFile
from pydantic import BaseModel
from sqlalchemy import func, select

from concierge.server.auth import require
from concierge.server.deps import App, CurrentTenant
from concierge.tools.db.models import Document
from concierge.tools.documents.filetypes import MARKDOWN, PDF, TEXT
from concierge.tools.documents.ingest import UploadRejected, delete_document, store_upload
from concierge.tools.documents.worker import DocumentWorker

router = APIRouter(
    prefix="/documents", tags=["documents"], dependencies=[Security(require, scopes=["integrations:manage"])]
)
TYPES = {"pdf": PDF, "text": TEXT, "markdown": MARKDOWN}


class DocumentOut(BaseModel):
    document_id: str
    tenant_id: str
    filename: str
    title: str
    media_type: str
    size_bytes: int
    sha256: str
    status: Literal["pending", "processing", "completed", "failed"]
    progress: float
    pages: int
    chunks: int
    tokens: int
    error: str | None
    created_at: datetime
    updated_at: datetime | None
    duplicate: bool = False
    """On upload: the same content was already stored, and this is that document."""

    @classmethod
    def of(cls, doc: Document, duplicate: bool = False) -> "DocumentOut":
        return cls(
            document_id=doc.id,
            tenant_id=doc.tenant_id,
            filename=doc.filename,
            title=doc.title or doc.filename,
            media_type=doc.media_type,
            size_bytes=doc.size_bytes or 0,
            sha256=doc.sha256,
            status=doc.status,  # type: ignore[arg-type]
            progress=doc.progress or 0.0,
            pages=doc.pages,
            chunks=doc.chunks,
            tokens=doc.tokens,
            error=doc.error,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
            duplicate=duplicate,
        )


class DocumentPage(BaseModel):
    documents: list[DocumentOut]
    total: int
    limit: int
    offset: int


def worker(request: Request) -> DocumentWorker:
    return request.app.state.document_worker


@router.post("", response_model=DocumentOut, status_code=202)
async def upload_document(
    request: Request,
    response: Response,
    app: App,
    tenant: CurrentTenant,
    file: Annotated[UploadFile, File(description="A PDF, plain text or Markdown file")],
    title: Annotated[str | None, Form()] = None,
) -> DocumentOut:
    """Store the file and return at once (202, `pending`); poll `GET /documents/{id}` for progress.

    The same content uploaded again returns the stored document (200, `duplicate: true`).
    """
    limit = int(app.tools.settings.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)  # more than the limit is enough to refuse it
    try:
        doc, created = await store_upload(app.tools, tenant.id, data, file.filename or "upload", title)
    except UploadRejected as exc:
        raise HTTPException(exc.status, exc.message) from None
    if created:
        worker(request).submit(doc.id)
    else:
        response.status_code = 200
    return DocumentOut.of(doc, duplicate=not created)


@router.get("", response_model=DocumentPage)
async def list_documents(
    app: App,
    tenant: CurrentTenant,
    status: Annotated[Literal["pending", "processing", "completed", "failed"] | None, Query()] = None,
    type: Annotated[Literal["pdf", "text", "markdown"] | None, Query(description="pdf, text or markdown")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> DocumentPage:
    """The tenant's documents, newest first."""
    where = [Document.tenant_id == tenant.id]
    if status:
        where.append(Document.status == status)
    if type:
        where.append(Document.media_type == TYPES[type])
    async with app.tools.db.session() as s:
        total = await s.scalar(select(func.count()).select_from(Document).where(*where)) or 0
        rows = await s.scalars(
            select(Document).where(*where).order_by(Document.created_at.desc(), Document.id).limit(limit).offset(offset)
        )
        docs = [DocumentOut.of(d) for d in rows]
    return DocumentPage(documents=docs, total=total, limit=limit, offset=offset)


@router.get("/{document_id}", response_model=DocumentOut)
async def get_document(document_id: str, app: App, tenant: CurrentTenant) -> DocumentOut:
    async with app.tools.db.session() as s:
        doc = await s.get(Document, document_id)
    if doc is None or doc.tenant_id != tenant.id:
        raise HTTPException(404, f"document {document_id} not found")
    return DocumentOut.of(doc)


@router.delete("/{document_id}", status_code=204)
async def remove_document(document_id: str, app: App, tenant: CurrentTenant) -> Response:
    """Delete the document, its stored file, and its chunks and vectors from the index."""
    if not await delete_document(app.tools, tenant.id, document_id):
        raise HTTPException(404, f"document {document_id} not found")
    return Response(status_code=204)
