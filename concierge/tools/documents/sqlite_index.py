"""The embedded document index: one SQLite file holding, per tenant, an FTS5 BM25 index and the chunk vectors.

Hybrid search fuses the two rankings (see `fusion.py`). sqlite3 and numpy block, so every call runs in a worker
thread with its own connection.
"""

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from concierge.tools.analysis.text import fold, keywords, stem_words
from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.embeddings import MAX_BATCH, CachedEmbedder, Embedder, MiniLMEmbedder
from concierge.tools.documents.fusion import SearchOptions, dedupe, fuse

_SCHEMA = """
CREATE TABLE IF NOT EXISTS doc_chunks (
    id INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    document_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    title TEXT NOT NULL,
    section TEXT NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    tenant_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_doc_chunks_document ON doc_chunks (tenant_id, document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS doc_chunks_fts USING fts5(
    text, title, section, tenant_key, content = 'doc_chunks', content_rowid = 'id', tokenize = '{tokenizer}'
);
CREATE TRIGGER IF NOT EXISTS doc_chunks_ai AFTER INSERT ON doc_chunks BEGIN
    INSERT INTO doc_chunks_fts (rowid, text, title, section, tenant_key)
    VALUES (new.id, new.text, new.title, new.section, new.tenant_key);
END;
CREATE TRIGGER IF NOT EXISTS doc_chunks_ad AFTER DELETE ON doc_chunks BEGIN
    INSERT INTO doc_chunks_fts (doc_chunks_fts, rowid, text, title, section, tenant_key)
    VALUES ('delete', old.id, old.text, old.title, old.section, old.tenant_key);
END;
CREATE VIRTUAL TABLE IF NOT EXISTS doc_chunks_vocab USING fts5vocab(doc_chunks_fts, 'row');
CREATE TABLE IF NOT EXISTS tenant_versions (tenant_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""
TOKENIZER = "porter unicode61 remove_diacritics 2"
"""Porter stems over Unicode words with accents folded, so "café", "cafe" and "CAFÉ" are one term."""
HEAD_CHARS = 300
"""How much of a document's first chunk `heads` returns."""
_RANK = "bm25(1.0, 0.5, 0.5, 0.0)"
"""BM25 weights of text, title, section; the tenant token column only filters."""


@dataclass(frozen=True)
class DocumentHit:
    document_id: str
    title: str
    section: str
    page: int
    ordinal: int
    text: str
    score: float


class IndexModelMismatch(Exception):
    """The index holds vectors of another embedding model than the one asked to search or add to it."""


class DocumentIndex(Protocol):
    """What ingestion and `retrieve_documents` need of an index: the embedded one or Elasticsearch."""

    async def add(
        self,
        tenant_id: str,
        document_id: str,
        title: str,
        chunks: list[Chunk],
        on_progress: Callable[[float], Awaitable[None]] | None = None,
    ) -> None: ...

    async def delete(self, tenant_id: str, document_id: str) -> None: ...

    async def count(self, tenant_id: str, document_id: str | None = None) -> int: ...

    async def search(
        self, tenant_id: str, query: str, limit: int, options: SearchOptions | None = None
    ) -> list[DocumentHit]: ...


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression: any of the question's content words, each quoted (so no word is an operator)."""
    terms = keywords(text)
    return " OR ".join(f'"{t}"' for t in terms) if terms else None


def _upgrade_tokenizer(conn: sqlite3.Connection) -> None:
    """An index made with an older tokenizer (accents dropped, "café" as "caf") gets its keyword table rebuilt
    from the stored chunks; the vectors stay."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'doc_chunks_fts'").fetchone()
    if row is None or TOKENIZER in row[0]:
        return
    conn.execute("DROP TABLE doc_chunks_fts")
    conn.execute("DROP TABLE IF EXISTS doc_chunks_vocab")
    conn.executescript(_SCHEMA.replace("{tokenizer}", TOKENIZER))
    conn.execute("INSERT INTO doc_chunks_fts (doc_chunks_fts) VALUES ('rebuild')")
    conn.commit()


def budgeted_terms(conn: sqlite3.Connection, text: str, budget: int) -> list[str]:
    """The question's content words, rarest first, while their postings fit the budget (at least the two rarest).

    Document frequencies come from FTS5's own vocabulary (stemmed by the same Porter algorithm).
    """
    terms = keywords(text)
    if len(terms) <= 2:
        return terms
    stems = dict(zip(terms, stem_words([fold(t) for t in terms], "porter"), strict=True))
    unique = sorted(set(stems.values()))
    marks = ",".join("?" * len(unique))
    df = dict(conn.execute(f"SELECT term, doc FROM doc_chunks_vocab WHERE term IN ({marks})", unique).fetchall())
    kept, total = [], 0
    for term in sorted(terms, key=lambda t: df.get(stems[t], 0)):
        total += df.get(stems[term], 0)
        if total > budget and len(kept) >= 2:
            break
        kept.append(term)
    return kept


@dataclass
class _Matrix:
    """A tenant's vectors in memory, with the write version they reflect."""

    version: int
    ids: np.ndarray
    vectors: np.ndarray
    models: frozenset[str]
    row_of: dict[int, int]


class SqliteHybridIndex:
    """One SQLite file: chunk rows with their float32 vectors, an FTS5 table over them, searched per tenant.

    Dense search is brute force in numpy over the tenant's vectors, kept in memory and reloaded when the
    tenant's write version moves (so a CLI upload is seen by a running server).
    """

    def __init__(self, path: Path, embedder: Embedder | None = None) -> None:
        self.path = path
        self.embedder: Embedder = embedder or CachedEmbedder(MiniLMEmbedder(), path.with_name("embeddings.sqlite"))
        self._matrices: dict[str, _Matrix] = {}
        self._local = threading.local()
        self._open: list[sqlite3.Connection] = []
        with self._connect() as conn:
            _upgrade_tokenizer(conn)
            conn.executescript(_SCHEMA.replace("{tokenizer}", TOKENIZER))
            conn.execute("INSERT INTO doc_chunks_fts (doc_chunks_fts, rank) VALUES ('rank', ?)", (_RANK,))

    def _connect(self) -> sqlite3.Connection:
        """This worker thread's connection, opened once: reopening per call costs more than a search."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # used only by this thread; `close` may close it from another
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._open.append(conn)
        return conn

    async def close(self) -> None:
        """Close every thread's connection (the toolbox calls this when it closes)."""
        while self._open:
            self._open.pop().close()
        self._local = threading.local()

    # writes

    async def add(
        self,
        tenant_id: str,
        document_id: str,
        title: str,
        chunks: list[Chunk],
        on_progress: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """Embed (in batches, reporting progress 0..1) and store `chunks`, replacing the document's old ones."""
        models = await asyncio.to_thread(self._models, tenant_id)
        if models - {self.embedder.name}:
            raise IndexModelMismatch(_mismatch(tenant_id, models, self.embedder.name))
        vectors = np.zeros((len(chunks), self.embedder.dim), dtype=np.float32)
        by_length = sorted(range(len(chunks)), key=lambda i: len(chunks[i].text))  # similar lengths pad little
        for start in range(0, len(chunks), MAX_BATCH):
            batch = by_length[start : start + MAX_BATCH]
            got = await self.embedder.embed([chunks[i].text for i in batch])
            if start == 0 and got.shape[1] != vectors.shape[1]:  # a remote model's real size, from its first answer
                vectors = np.zeros((len(chunks), got.shape[1]), dtype=np.float32)
            vectors[batch] = got
            if on_progress is not None:
                await on_progress(min(start + MAX_BATCH, len(chunks)) / len(chunks))
        key = tenant_key(tenant_id)
        rows = [
            (tenant_id, document_id, i, title, c.section, c.page, c.text, self.embedder.name, vectors[i].tobytes(), key)
            for i, c in enumerate(chunks)
        ]

        def write() -> None:
            with self._connect() as conn:
                conn.execute("DELETE FROM doc_chunks WHERE tenant_id = ? AND document_id = ?", (tenant_id, document_id))
                conn.executemany(
                    "INSERT INTO doc_chunks (tenant_id, document_id, ordinal, title, section, page, text, model, "
                    "vector, tenant_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                _bump(conn, tenant_id)

        await asyncio.to_thread(write)

    async def delete(self, tenant_id: str, document_id: str) -> None:
        def write() -> None:
            with self._connect() as conn:
                conn.execute("DELETE FROM doc_chunks WHERE tenant_id = ? AND document_id = ?", (tenant_id, document_id))
                _bump(conn, tenant_id)

        await asyncio.to_thread(write)

    async def count(self, tenant_id: str, document_id: str | None = None) -> int:
        def read() -> int:
            sql, args = "SELECT count(*) FROM doc_chunks WHERE tenant_id = ?", [tenant_id]
            if document_id is not None:
                sql, args = sql + " AND document_id = ?", [*args, document_id]
            with self._connect() as conn:
                return int(conn.execute(sql, args).fetchone()[0])

        return await asyncio.to_thread(read)

    # reads

    async def document_chunks(self, tenant_id: str, document_id: str) -> list[DocumentHit]:
        """Every chunk of one document, in order (scored 0): a manual's sections, to read beside a search."""

        def read() -> list[DocumentHit]:
            rows = self._connect().execute(
                "SELECT document_id, title, section, page, ordinal, text FROM doc_chunks "
                "WHERE tenant_id = ? AND document_id = ? ORDER BY ordinal",
                (tenant_id, document_id),
            )
            return [DocumentHit(d, t, sec, int(p), int(o), text, 0.0) for d, t, sec, p, o, text in rows]

        return await asyncio.to_thread(read)

    async def heads(self, tenant_id: str, document_ids: list[str]) -> dict[str, str]:
        """Each document's title and opening chunk: what it is about (a manual names its product there)."""
        ids = sorted(set(document_ids))
        if not ids:
            return {}

        def read() -> dict[str, str]:
            marks = ",".join("?" * len(ids))
            rows = self._connect().execute(
                f"SELECT document_id, title, text FROM doc_chunks WHERE tenant_id = ? AND ordinal = 0 "
                f"AND document_id IN ({marks})",
                [tenant_id, *ids],
            )
            return {d: f"{title}\n{text[:HEAD_CHARS]}" for d, title, text in rows}

        return await asyncio.to_thread(read)

    def _models(self, tenant_id: str) -> frozenset[str]:
        with self._connect() as conn:
            rows = conn.execute("SELECT DISTINCT model FROM doc_chunks WHERE tenant_id = ?", (tenant_id,)).fetchall()
        return frozenset(r[0] for r in rows)

    def _matrix(self, conn: sqlite3.Connection, tenant_id: str) -> _Matrix:
        row = conn.execute("SELECT version FROM tenant_versions WHERE tenant_id = ?", (tenant_id,)).fetchone()
        version = row[0] if row else 0
        cached = self._matrices.get(tenant_id)
        if cached is not None and cached.version == version:
            return cached
        rows = conn.execute("SELECT id, model, vector FROM doc_chunks WHERE tenant_id = ? ORDER BY id", (tenant_id,))
        ids, models, blobs = [], set(), []
        for chunk_id, model, blob in rows:
            ids.append(chunk_id)
            models.add(model)
            blobs.append(blob)
        dim = len(blobs[0]) // 4 if blobs else self.embedder.dim
        vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dim)
        ids_arr = np.array(ids, dtype=np.int64)
        matrix = _Matrix(version, ids_arr, vectors, frozenset(models), {int(i): r for r, i in enumerate(ids)})
        self._matrices[tenant_id] = matrix
        return matrix

    async def search(
        self, tenant_id: str, query: str, limit: int, options: SearchOptions | None = None
    ) -> list[DocumentHit]:
        """The query is embedded while the keyword leg runs: two threads, since both release the GIL."""
        options = options or SearchOptions()
        if limit <= 0 or not query.strip():
            return []
        keyword_leg = asyncio.to_thread(self.keyword_leg, tenant_id, query, max(options.candidates, limit), options)
        if options.mode == "bm25":
            keyword, query_vector = await keyword_leg, None
        else:
            keyword, query_vector = await asyncio.gather(keyword_leg, self.embedder.embed_query(query))
        return await asyncio.to_thread(self.search_sync, tenant_id, query, query_vector, limit, options, keyword)

    def keyword_leg(self, tenant_id: str, query: str, depth: int, options: SearchOptions) -> dict[int, float]:
        """BM25 over the tenant's chunks: chunk id -> score (higher is better)."""
        if options.mode == "dense":
            return {}
        conn = self._connect()
        terms = budgeted_terms(conn, query, options.keyword_budget)
        if not terms:
            return {}
        match = " OR ".join(f'"{t}"' for t in terms)
        # The tenant's token in the MATCH keeps other tenants' rows out before any is scored.
        rows = conn.execute(
            "SELECT rowid, rank FROM doc_chunks_fts WHERE doc_chunks_fts MATCH ? ORDER BY rank LIMIT ?",
            (f"tenant_key : {tenant_key(tenant_id)} AND ({match})", depth),
        ).fetchall()
        return {int(i): -float(s) for i, s in rows}

    def search_sync(
        self,
        tenant_id: str,
        query: str,
        query_vector: np.ndarray | None,
        limit: int,
        options: SearchOptions,
        keyword: dict[int, float] | None = None,
    ) -> list[DocumentHit]:
        """Blocking: the dense leg, fusion and de-duplication (the keyword leg too, unless given)."""
        depth = max(options.candidates, limit)
        if keyword is None:
            keyword = self.keyword_leg(tenant_id, query, depth, options)
        with self._connect() as conn:
            matrix = self._matrix(conn, tenant_id)
            if not len(matrix.ids):
                return []
            if matrix.models - {self.embedder.name}:
                raise IndexModelMismatch(_mismatch(tenant_id, matrix.models, self.embedder.name))
            semantic: dict[int, float] = {}
            if query_vector is not None:
                sims = matrix.vectors @ query_vector.astype(np.float32)
                top = np.argpartition(-sims, depth)[:depth] if len(sims) > depth else np.arange(len(sims))
                semantic = {int(matrix.ids[r]): float(sims[r]) for r in top}
            ranked = fuse(keyword, semantic, options)

            def vector_of(chunk_id: int) -> np.ndarray | None:
                row = matrix.row_of.get(chunk_id)
                return matrix.vectors[row] if row is not None else None

            kept = dedupe(ranked, vector_of, limit, options.dedupe_threshold)
            if not kept:
                return []
            marks = ",".join("?" * len(kept))
            rows = conn.execute(
                f"SELECT id, document_id, title, section, page, ordinal, text FROM doc_chunks WHERE id IN ({marks})",
                [k for k, _ in kept],
            ).fetchall()
        by_id = {r[0]: r for r in rows}
        return [
            DocumentHit(d, t, s, int(p), int(o), x, float(score))
            for key, score in kept
            for _, d, t, s, p, o, x in [by_id[key]]
        ]


def tenant_key(tenant_id: str) -> str:
    """A single FTS token standing for the tenant (ids may hold characters the tokenizer would split on)."""
    return "t" + hashlib.sha1(tenant_id.encode()).hexdigest()[:20]


def _bump(conn: sqlite3.Connection, tenant_id: str) -> None:
    conn.execute(
        "INSERT INTO tenant_versions (tenant_id, version) VALUES (?, 1) "
        "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1",
        (tenant_id,),
    )


def _mismatch(tenant_id: str, models: frozenset[str], wanted: str) -> str:
    return (
        f"tenant {tenant_id!r}'s document index holds vectors from {', '.join(sorted(models))}, "
        f"but the configured embedding model is {wanted}: set CONCIERGE_EMBEDDING_MODEL back, "
        "or delete and re-upload the documents to re-embed them"
    )
