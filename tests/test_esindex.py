"""The Elasticsearch index through the official client, against a server speaking the Elasticsearch API.

`CONCIERGE_TEST_ELASTICSEARCH_URL` names a real cluster; otherwise the `noida-db` stand-in (NOT Elasticsearch: a
local binary answering its REST API) is started on a free port. Without either, these tests skip with the reason.
"""

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.embeddings import MiniLMEmbedder
from concierge.tools.documents.fusion import SearchOptions
from concierge.tools.documents.sqlite_index import IndexModelMismatch
from tests.loopback import free_port
from tests.processes import stop_process_group

pytest.importorskip("elasticsearch", reason="the elasticsearch client is not installed")
from concierge.tools.documents.es_index import ElasticsearchIndex, make_client


def _noida() -> str | None:
    local = Path(sys.executable).parent / "noida-db"
    return str(local) if local.exists() else shutil.which("noida-db")


@pytest.fixture(scope="module")
def es_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if url := os.environ.get("CONCIERGE_TEST_ELASTICSEARCH_URL"):
        yield url
        return
    binary = _noida()
    if binary is None:
        pytest.skip("no Elasticsearch: set CONCIERGE_TEST_ELASTICSEARCH_URL or install noida-db (pip install noida-db)")
    port = free_port()
    data = tmp_path_factory.mktemp("noida")
    # The noida-db script runs the real server as its child: start it in a session of its own and stop the group.
    proc = subprocess.Popen(
        [binary, "start", "--only", "elasticsearch", "--elasticsearch-port", str(port), "--data-dir", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.skip("noida-db (the Elasticsearch stand-in) did not start on this machine")
        yield url
    finally:
        stop_process_group(proc, timeout_s=10)


def chunk(text: str, page: int = 1, section: str = "") -> Chunk:
    return Chunk(text, page, section, len(text.split()))


SHIPPING = chunk("Parcels abroad leave our warehouse within five working days.", 2, "Delivery")
RETURNS = chunk("Unopened perfume may be returned within thirty days for a full refund.", 3, "Returns")
PENS = chunk("The Kestrel fountain pen has a steel nib and costs forty euros.", 1, "Pens")


@pytest.fixture
async def index(es_url: str) -> ElasticsearchIndex:
    index = ElasticsearchIndex(make_client(es_url), MiniLMEmbedder(), index=f"test-{uuid.uuid4().hex[:8]}")
    await index.add("shop", "d1", "Shop guide", [SHIPPING, RETURNS, PENS])
    yield index
    await index.client.indices.delete(index=index.index)
    await index.close()


async def test_hybrid_search_with_page_and_section(index: ElasticsearchIndex) -> None:
    hits = await index.search("shop", "how long does international shipping take", 2)
    assert hits[0].text == SHIPPING.text and hits[0].page == 2 and hits[0].section == "Delivery"
    assert len(hits) == 2 and hits[0].score >= hits[1].score
    kw = await index.search("shop", "Kestrel fountain pen", 3, SearchOptions(mode="bm25"))
    assert kw[0].text == PENS.text
    rrf = await index.search("shop", "Kestrel refund", 3, SearchOptions(fusion="rrf"))
    assert {h.text for h in rrf} >= {PENS.text, RETURNS.text}


async def test_tenant_filter_in_both_legs_and_delete(index: ElasticsearchIndex) -> None:
    await index.add("rival", "r1", "Rival", [chunk("The Kestrel fountain pen has a steel nib and costs forty euros.")])
    for mode in ("bm25", "dense", "hybrid"):
        hits = await index.search("shop", "Kestrel fountain pen", 10, SearchOptions(mode=mode))
        assert hits and {h.document_id for h in hits} == {"d1"}, mode
        theirs = await index.search("rival", "Kestrel fountain pen", 10, SearchOptions(mode=mode))
        assert {h.document_id for h in theirs} == {"r1"}, mode
    await index.delete("shop", "d1")
    assert await index.count("shop") == 0 and await index.count("rival") == 1
    assert await index.search("shop", "Kestrel fountain pen", 10) == []


class RenamedMiniLM(MiniLMEmbedder):
    name = "local/some-other-model"


async def test_another_model_is_a_clear_error(index: ElasticsearchIndex) -> None:
    other = ElasticsearchIndex(index.client, RenamedMiniLM(), index=index.index)
    with pytest.raises(IndexModelMismatch, match="local/all-MiniLM-L6-v2"):
        await other.search("shop", "parcels", 3)
    with pytest.raises(IndexModelMismatch):
        await other.add("shop", "d9", "More", [PENS])


async def test_server_side_rrf_when_configured(index: ElasticsearchIndex) -> None:
    server = ElasticsearchIndex(index.client, index.embedder, index=index.index, server_rrf=True)
    hits = await server.search("shop", "Kestrel fountain pen price", 3)
    assert hits and hits[0].text == PENS.text


async def test_configured_by_url_documents_go_to_elasticsearch(es_url: str, settings) -> None:
    from concierge.tools.documents.ingest import delete_document, ingest_file
    from concierge.tools.settings import Settings
    from concierge.tools.toolbox import Toolbox

    name = f"test-app-{uuid.uuid4().hex[:8]}"
    configured = Settings(data_dir=settings.data_dir, elasticsearch_url=es_url, elasticsearch_index=name)
    tools = await Toolbox.from_settings(configured).open()
    try:
        assert isinstance(tools.documents, ElasticsearchIndex)
        note = settings.data_dir / "wrapping.md"
        note.write_text("# Gift wrapping\n\nWe wrap any purchase in recycled kraft paper, free of charge.\n")
        doc = await ingest_file(tools, "demo", note, note.name)
        assert doc.status == "completed", doc.error
        hits = await tools.documents.search("demo", "Do you wrap presents?", 3)
        assert hits[0].document_id == doc.id and hits[0].section == "Gift wrapping"
        assert await delete_document(tools, "demo", doc.id)
        assert await tools.documents.count("demo", doc.id) == 0
    finally:
        await tools.documents.client.indices.delete(index=name)
        await tools.close()


MANUAL = [
    chunk("Ridgeline Tent\n\nThe Ridgeline Tent is a two-person tent for fast trips.", 1, "Ridgeline Tent"),
    chunk("Specifications\n\n| Spec | Value |\n|---|---|\n| Weight | 2.4 kg |\n| Peak height | 110 cm |", 1, "Specs"),
    chunk("Warranty\n\nTwo years against defects.", 2, "Warranty"),
]


async def test_heads_and_document_chunks_read_each_document_in_order(index: ElasticsearchIndex) -> None:
    await index.add("shop", "m1", "Ridgeline manual", MANUAL)
    await index.add("rival", "m9", "Their manual", [chunk("Rival Tent\n\nNot ours.")])
    chunks = await index.document_chunks("shop", "m1")
    assert [(c.ordinal, c.section, c.document_id, c.title) for c in chunks] == [
        (0, "Ridgeline Tent", "m1", "Ridgeline manual"),
        (1, "Specs", "m1", "Ridgeline manual"),
        (2, "Warranty", "m1", "Ridgeline manual"),
    ]
    assert "| Weight | 2.4 kg |" in chunks[1].text
    heads = await index.heads("shop", ["m1", "d1", "m9"])
    assert set(heads) == {"m1", "d1"}, "another tenant's document has no head here"
    assert heads["m1"].startswith("Ridgeline manual\n") and "two-person tent" in heads["m1"]
    assert await index.heads("shop", []) == {}
    assert await index.document_chunks("rival", "m1") == [], "nor its chunks"


async def test_spec_lines_of_products_are_read_through_elasticsearch(es_url: str, settings) -> None:
    """The catalog reads each product's spec lines from its manual in Elasticsearch: "under 3 kg" is answered
    with the figure the manual states, whatever the manual's table layout."""
    from concierge.tools.catalog.importer import import_catalog
    from concierge.tools.catalog.shape import shape_of
    from concierge.tools.documents.ingest import ingest_file
    from concierge.tools.settings import Settings
    from concierge.tools.toolbox import Toolbox
    from tests.conftest import add_tenant

    name = f"test-specs-{uuid.uuid4().hex[:8]}"
    configured = Settings(data_dir=settings.data_dir, elasticsearch_url=es_url, elasticsearch_index=name)
    tools = await Toolbox.from_settings(configured).open()
    try:
        await add_tenant(tools, "esgear", currency="USD")
        csv = "sku,name,price,category\nT1,Ridgeline Tent,199,Tents\nT2,Basecamp Lodge Tent,349,Tents\n"
        await import_catalog(tools.db, "esgear", csv.encode(), "products.csv")
        for title, body in (
            (
                "ridgeline",
                "# Ridgeline Tent\n\nA light tent.\n\n## Specs\n\n| Spec | Value |\n|---|---|\n| Weight | 2.4 kg |\n",
            ),
            ("basecamp", "# Basecamp Lodge Tent\n\nRoomy.\n\n## Specifications\n\n- **Packed weight**: 11 lbs\n"),
        ):
            path = settings.data_dir / f"{title}.md"
            path.write_text(body)
            doc = await ingest_file(tools, "esgear", path, path.name)
            assert doc.status == "completed", doc.error
        sheet = await tools.catalog.specs("esgear", tools.documents)
        assert [(s.key, s.value) for s in sheet.of("T1")] == [("Weight", "2.4 kg")]
        assert [(s.key, s.value) for s in sheet.of("T2")] == [("Packed weight", "11 lbs")]
        shape = shape_of("Any tents under 3 kg?", await tools.catalog.vocabulary("esgear"))
        assert shape is not None and shape.bounds
        sentence, hits = await tools.catalog.shaped("esgear", shape, sheet)
        assert sentence == "We sell one of these (tents under 3 kg): Ridgeline Tent (2.4 kg, 199.00 USD).", sentence
        assert [h.sku for h in hits] == ["T1"]
        shape = shape_of("Do you have a tent under 4 lbs?", await tools.catalog.vocabulary("esgear"))
        assert shape is not None
        sentence, _ = await tools.catalog.shaped("esgear", shape, sheet)
        assert sentence.startswith("We sell no tents under 4 lbs; the nearest is the Ridgeline Tent (2.4 kg)"), sentence
    finally:
        await tools.documents.client.indices.delete(index=name)
        await tools.close()
