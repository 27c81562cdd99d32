"""The operator pages in a real browser: upload a PDF and watch it complete, import a catalog file and read the
row report, provider health with cost and latency charts, feedback and handoff charts, the evaluation report."""

import asyncio
import re
import threading
from pathlib import Path

import httpx
import pytest
from fpdf import FPDF

from concierge.evaluation.harness import evaluate
from concierge.tools.demo.seed import CONTENT
from tests.browser.conftest import Site, assert_accessible, screenshot

TIMEOUT_MS = 30_000


def _pdf(path: Path, pages: int) -> Path:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(0, 10, f"Workshop handbook, part {n}", new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 7, f"Section {n}. The calligraphy workshop meets on Thursdays at 18:00. " * 12)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def activity(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """Some turns for the charts (one rated, one handed to a person), and a report of `concierge eval` on two of
    the demo's questions, run in a thread of its own (Playwright keeps an event loop in this one)."""
    with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=60) as c:
        for question, resume in (
            ("How much is the Kestrel fountain pen?", "helpful"),
            ("I'd like to speak to a human", None),
        ):
            thread = c.post("/threads", json={}).json()["thread_id"]
            ask = {"input": {"messages": [{"role": "user", "content": question}]}}
            assert c.post(f"/threads/{thread}/runs/wait", json=ask).status_code == 200
            if resume:
                c.post(f"/threads/{thread}/runs/wait", json={"command": {"resume": resume}})
    questions = tmp_path_factory.mktemp("eval") / "two.jsonl"
    questions.write_text("\n".join((CONTENT / "questions.jsonl").read_text().splitlines()[:2]) + "\n")
    failure: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(evaluate(site.server.settings, "demo", questions, None))
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(120)
    assert not worker.is_alive() and not failure, failure
    return site


def sign_in(page, site: Site) -> None:
    page.get_by_label("API key").fill(site.keys["secret"])
    page.get_by_role("button", name="Sign in").click()


def test_upload_a_pdf_and_watch_it_complete(browser, site: Site, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site.url + "/operator")
        assert page.url.endswith("/operator/documents")
        assert_accessible(page, "the documents page's sign-in")
        sign_in(page, site)
        page.get_by_role("table").wait_for(timeout=TIMEOUT_MS)
        page.get_by_label("File (PDF, text or Markdown)").set_input_files(str(_pdf(tmp_path / "handbook.pdf", 4)))
        page.get_by_label("Title (optional)").fill("Workshop handbook")
        page.get_by_role("button", name="Upload").click()
        page.get_by_role("status").filter(has_text="Uploaded Workshop handbook").wait_for(timeout=TIMEOUT_MS)
        row = page.locator("tbody tr").filter(has_text="Workshop handbook")
        seen = set()
        for _ in range(600):  # the page looks every half second while it is processing
            seen.add(row.locator("[data-status]").get_attribute("data-status"))
            if "completed" in seen or "failed" in seen:
                break
            page.wait_for_timeout(100)
        assert "completed" in seen, seen
        assert seen & {"pending", "processing"}, f"the page showed the work under way: {seen}"
        cells = row.locator("td").all_inner_texts()
        assert cells[4] == "4" and int(cells[5]) >= 1, cells  # pages, chunks
        assert row.get_by_role("progressbar").get_attribute("value") == "100"
        assert_accessible(page, "the documents page")
        screenshot(page, "operator-documents")
    finally:
        page.close()


def test_catalog_import_shows_the_row_report(browser, site: Site, tmp_path: Path) -> None:
    rows = "sku,name,price,stock\nWS-1,Workshop ink set,12.50,4\nWS-2,,3.00,1\nWS-3,Nib cleaner,-1,2\n"
    (tmp_path / "products.csv").write_text(rows)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(site.url + "/operator/catalog")
        sign_in(page, site)
        page.get_by_label("File (CSV or JSON)").set_input_files(str(tmp_path / "products.csv"))
        page.get_by_label("Rows are").select_option("products")
        page.get_by_role("button", name="Import").click()
        page.get_by_text("Imported: 1 accepted (1 new, 0 updated), 2 rejected, 0 skipped.").wait_for(timeout=TIMEOUT_MS)
        report = page.get_by_role("table", name="Rows not imported, with the reason")
        lines = report.locator("tbody tr").all_inner_texts()
        assert len(lines) == 2 and "WS-2" in lines[0] and "name" in lines[0]
        assert "WS-3" in lines[1] and "negative" in lines[1]
        assert_accessible(page, "the catalog page")
        screenshot(page, "operator-catalog")
    finally:
        page.close()


def test_charts_and_the_evaluation_report(browser, activity: Site) -> None:
    site = activity
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(site.url + "/operator/providers")
        sign_in(page, site)
        for canvas in ("#cost-chart", "#latency-chart"):
            page.locator(f"{canvas}[data-rendered]").wait_for(timeout=TIMEOUT_MS)
        health = page.get_by_role("table", name="Health per model")
        assert "local/extractive" in health.inner_text() and "healthy" in health.inner_text()
        page.get_by_text("The figures").first.click()
        assert page.get_by_role("table", name="Cost and calls per day").locator("tbody tr").count() >= 1
        assert_accessible(page, "the providers page")
        screenshot(page, "operator-providers")

        page.get_by_role("link", name="Feedback and handoffs").click()
        for canvas in ("#feedback-chart", "#handoff-chart", "#reasons-chart"):
            page.locator(f"{canvas}[data-rendered]").wait_for(timeout=TIMEOUT_MS)
        today = page.get_by_role("table").locator("tbody tr").first.locator("td").all_inner_texts()
        assert int(today[1]) >= 1 and int(today[5]) >= 1, today  # answers, handoffs
        assert_accessible(page, "the analytics page")
        screenshot(page, "operator-analytics")

        page.get_by_role("link", name="Evaluation report").click()
        page.locator("#summary-chart[data-rendered]").wait_for(timeout=TIMEOUT_MS)
        questions = page.get_by_role("table", name="Every question").locator("tbody tr")
        assert questions.count() == 2 and "q01" in questions.first.inner_text()
        assert re.search(r"hit_at_5\s+1", page.get_by_role("table", name="Summary figures").inner_text())
        assert_accessible(page, "the evaluation page")
        screenshot(page, "operator-evaluation")
        assert not errors, errors
    finally:
        page.close()
