"""`concierge documents upload|list|delete`: manage a tenant's documents from the terminal, without a server.

Works on the same files as the server (a running server sees the changes at its next search).
"""

import argparse
from pathlib import Path

from concierge.tools.settings import Settings


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    docs = sub.add_parser("documents", help="upload, list or delete a tenant's documents")
    dsub = docs.add_subparsers(dest="action", required=True)
    up = dsub.add_parser("upload", help="store and index files (PDF, text, Markdown); waits until each is done")
    up.add_argument("paths", nargs="+", type=Path)
    up.add_argument("--title", default=None, help="title of the document (one file only)")
    ls = dsub.add_parser("list", help="list documents with their status")
    ls.add_argument("--status", choices=["pending", "processing", "completed", "failed"])
    rm = dsub.add_parser("delete", help="delete documents, their files, chunks and vectors")
    rm.add_argument("ids", nargs="+")
    for p in (up, ls, rm):
        p.add_argument("--tenant", default=None, help="tenant id (default CONCIERGE_DEFAULT_TENANT or demo)")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Returns the exit status: 1 if any file failed or any id was unknown."""
    # Imported here: building the parser (every command, `--help`) must not load the toolbox and extractors.
    from sqlalchemy import select

    from concierge.tools.db.models import Document, Tenant
    from concierge.tools.toolbox import Toolbox

    tenant_id = args.tenant or settings.default_tenant
    # Only an upload embeds: `list` and `delete` leave the embedding model and the extractors unloaded.
    tools = await Toolbox.from_settings(settings).open(warm=args.action == "upload")
    failed = False
    try:
        async with tools.db.session() as s:
            if await s.get(Tenant, tenant_id) is None:
                raise SystemExit(f"concierge documents: tenant {tenant_id!r} not found")
        if args.action == "upload":
            from concierge.tools.documents.ingest import UploadRejected, ingest_file

            for path in args.paths:
                try:
                    doc = await ingest_file(tools, tenant_id, path, path.name, title=args.title)
                except (UploadRejected, OSError) as exc:
                    print(f"{path}: rejected: {getattr(exc, 'message', exc)}")
                    failed = True
                    continue
                detail = f"{doc.pages} pages, {doc.chunks} chunks, {doc.tokens} tokens"
                print(f"{path}: {doc.status} {doc.id} " + (f"({detail})" if doc.status == "completed" else doc.error))
                failed |= doc.status != "completed"
        elif args.action == "list":
            query = select(Document).where(Document.tenant_id == tenant_id).order_by(Document.created_at)
            if args.status:
                query = query.where(Document.status == args.status)
            async with tools.db.session() as s:
                for d in await s.scalars(query):
                    note = d.error or f"{d.pages} pages, {d.chunks} chunks"
                    print(f"{d.id}  {d.status:<10}  {d.media_type:<15}  {d.filename}  ({note})")
        else:
            from concierge.tools.documents.ingest import delete_document

            for doc_id in args.ids:
                ok = await delete_document(tools, tenant_id, doc_id)
                print(f"{doc_id}: {'deleted' if ok else 'not found'}")
                failed |= not ok
    finally:
        await tools.close()
    return 1 if failed else 0
