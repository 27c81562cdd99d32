"""The embedded hybrid index: keyword and semantic legs, both fusions, de-duplication, tenants, model checks."""

from pathlib import Path

import pytest

from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.embeddings import MiniLMEmbedder
from concierge.tools.documents.fusion import SearchOptions, rrf, weighted
from concierge.tools.documents.sqlite_index import IndexModelMismatch, SqliteHybridIndex


def chunk(text: str, page: int = 1, section: str = "") -> Chunk:
    return Chunk(text, page, section, len(text.split()))


SHIPPING = chunk("Parcels abroad leave our warehouse within five working days.", 2, "Delivery")
RETURNS = chunk("Unopened perfume may be returned within thirty days for a full refund.", 3, "Returns")
PENS = chunk("The Kestrel fountain pen has a steel nib and costs forty euros.", 1, "Pens")


@pytest.fixture
async def index(tmp_path: Path) -> SqliteHybridIndex:
    index = SqliteHybridIndex(tmp_path / "index.sqlite", MiniLMEmbedder())
    await index.add("shop", "d1", "Shop guide", [SHIPPING, RETURNS, PENS])
    return index


async def test_semantic_leg_finds_what_keywords_miss(index: SqliteHybridIndex) -> None:
    query = "how long does international shipping take"
    assert not await index.search("shop", query, 3, SearchOptions(mode="bm25"))
    hits = await index.search("shop", query, 3)
    assert hits[0].text == SHIPPING.text and hits[0].page == 2 and hits[0].section == "Delivery"
    assert hits[0].title == "Shop guide" and hits[0].document_id == "d1"


async def test_fusions_and_weights(index: SqliteHybridIndex) -> None:
    query = "Kestrel pen refund"
    bm25 = [h.text for h in await index.search("shop", query, 3, SearchOptions(mode="bm25"))]
    dense = [h.text for h in await index.search("shop", query, 3, SearchOptions(mode="dense"))]
    only_kw = [h.text for h in await index.search("shop", query, 3, SearchOptions(semantic_weight=0.0))]
    only_sem = [h.text for h in await index.search("shop", query, 3, SearchOptions(semantic_weight=1.0))]
    assert only_kw[0] == bm25[0] == PENS.text and only_sem == dense
    fused = await index.search("shop", query, 3, SearchOptions(fusion="rrf"))
    assert {h.text for h in fused} == {SHIPPING.text, RETURNS.text, PENS.text}
    assert fused[0].score > fused[-1].score


def test_fusion_arithmetic() -> None:
    scores = rrf([["a", "b"], ["b", "c"]], k=60)
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61) and max(scores, key=scores.get) == "b"
    mixed = weighted({"a": 10.0, "b": 5.0}, {"b": 0.9, "c": 0.5}, 0.7)
    assert mixed == pytest.approx({"a": 0.3, "b": 0.7, "c": 0.0})


async def test_near_identical_chunks_are_shown_once(index: SqliteHybridIndex) -> None:
    copy = chunk("The Kestrel fountain pen has a steel nib and costs forty euros!", 9, "Pens")
    await index.add("shop", "d2", "Old price list", [copy])
    hits = await index.search("shop", "Kestrel fountain pen price", 5)
    assert sum("Kestrel" in h.text for h in hits) == 1
    everything = await index.search("shop", "Kestrel fountain pen price", 5, SearchOptions(dedupe_threshold=1.01))
    assert sum("Kestrel" in h.text for h in everything) == 2


async def test_tenants_and_delete(index: SqliteHybridIndex) -> None:
    await index.add("rival", "r1", "Rival", [chunk("Rival parcels abroad leave within two days.")])
    assert {h.document_id for h in await index.search("shop", "parcels abroad", 10)} == {"d1"}
    assert {h.document_id for h in await index.search("rival", "parcels abroad", 10)} == {"r1"}
    assert await index.search("nobody", "parcels abroad", 10) == []
    await index.delete("shop", "d1")
    assert await index.count("shop") == 0 and await index.count("rival") == 1
    assert await index.search("shop", "parcels abroad", 10) == []


class RenamedMiniLM(MiniLMEmbedder):
    name = "local/some-other-model"


async def test_querying_with_another_model_is_a_clear_error(index: SqliteHybridIndex, tmp_path: Path) -> None:
    other = SqliteHybridIndex(tmp_path / "index.sqlite", RenamedMiniLM())
    with pytest.raises(IndexModelMismatch, match=r"local/all-MiniLM-L6-v2.*local/some-other-model"):
        await other.search("shop", "parcels", 3)
    with pytest.raises(IndexModelMismatch):
        await other.add("shop", "d9", "More", [PENS])
    await other.add("fresh-tenant", "f1", "Fine", [PENS])  # a tenant with no vectors yet takes any model
    assert [h.document_id for h in await other.search("fresh-tenant", "pen", 3)] == ["f1"]
