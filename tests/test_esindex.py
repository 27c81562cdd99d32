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
