"""The embedded document index: one SQLite file, an FTS5 table ranked by BM25, scoped by tenant.

sqlite3 blocks, so every call runs in a worker thread with its own connection.
"""

import asyncio
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from concierge.tools.chunking import Chunk

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
    text, title, section,
    tenant_id UNINDEXED, document_id UNINDEXED, page UNINDEXED, ordinal UNINDEXED,
    tokenize = 'porter unicode61'
);
"""
_WORD = re.compile(r"[A-Za-z0-9]+")
STOPWORDS = frozenset(
    """a an and are as at be but by can do does for from had has have how i if in is it its me my no not of on
    or our so that the their them there they this to was we what when where which who why will with you your
    please could would should any some about tell know want get hi hello hey thanks thank whats got still
    looking wondering many really like just also don can re ll ve moment need make long bought""".split()
)


@dataclass(frozen=True)
class DocumentHit:
    document_id: str
    title: str
    section: str
    page: int
    ordinal: int
    text: str
    score: float


class DocumentIndex(Protocol):
    """What `retrieve_documents` needs of an index; the documents issue adds hybrid ones."""

    async def add(self, tenant_id: str, document_id: str, title: str, chunks: list[Chunk]) -> None: ...

    async def delete(self, tenant_id: str, document_id: str) -> None: ...

    async def search(self, tenant_id: str, query: str, limit: int) -> list[DocumentHit]: ...


def keywords(text: str) -> list[str]:
    """Content words of a question, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text.lower()):
        if w not in STOPWORDS and len(w) > 1:
            seen.setdefault(w, None)
    return list(seen)


class SqliteKeywordIndex:
    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as conn:
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    async def add(self, tenant_id: str, document_id: str, title: str, chunks: list[Chunk]) -> None:
        rows = [(c.text, title, c.section, tenant_id, document_id, c.page, i) for i, c in enumerate(chunks)]

        def write() -> None:
            with self._connect() as conn:
                conn.execute("DELETE FROM chunks WHERE tenant_id = ? AND document_id = ?", (tenant_id, document_id))
                conn.executemany(
                    "INSERT INTO chunks (text, title, section, tenant_id, document_id, page, ordinal) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )

        await asyncio.to_thread(write)

    async def delete(self, tenant_id: str, document_id: str) -> None:
        def write() -> None:
            with self._connect() as conn:
                conn.execute("DELETE FROM chunks WHERE tenant_id = ? AND document_id = ?", (tenant_id, document_id))

        await asyncio.to_thread(write)

    async def search(self, tenant_id: str, query: str, limit: int) -> list[DocumentHit]:
        terms = keywords(query)
        if not terms:
            return []
        match = " OR ".join(f'"{t}"' for t in terms)

        def read() -> list[DocumentHit]:
            with self._connect() as conn:
                rows = conn.execute(
                    "SELECT document_id, title, section, page, ordinal, text, bm25(chunks, 1.0, 0.5, 2.0) "
                    "FROM chunks WHERE chunks MATCH ? AND tenant_id = ? ORDER BY 7 LIMIT ?",
                    (match, tenant_id, limit),
                ).fetchall()
            return [DocumentHit(d, t, s, int(p), int(o), x, -float(score)) for d, t, s, p, o, x, score in rows]

        return await asyncio.to_thread(read)
