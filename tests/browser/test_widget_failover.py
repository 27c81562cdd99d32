"""A provider's stream breaks after a few tokens the widget already showed: the `generation_discarded` event
withdraws them, and the customer sees only the answer the next provider streamed whole. Both providers are the
real LangChain clients talking to loopback stubs."""

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from concierge.tools.demo.seed import DEMO_KEYS_FILE
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.browser.conftest import LOTS, Site, assert_accessible, screenshot
from tests.conftest import PATIENT_BUDGETS, LiveServer
from tests.provider_stubs import GeminiStub, OpenAIStub, answer, breaks_after
from tests.test_failover import FLASH, GPT, wire
from tests.test_usage_api import set_tenant_settings

FINAL = "The Kestrel Fountain Pen costs 48.00 EUR [1]."


@pytest.fixture(scope="module")
def failing_site(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("failover") / "data"
    shutil.copytree(seeded_dir, data)
    settings = Settings(
        data_dir=data,
        rate_limit_key=LOTS,
        rate_limit_tenant=LOTS,
        rate_limit_publishable=LOTS,
        source_timeouts=PATIENT_BUDGETS,
    )
    # In a thread: a module's Playwright may already keep an event loop running in this one.
    worker = threading.Thread(target=set_tenant_settings, args=(settings,), kwargs={"models": [GPT, FLASH]})
    worker.start()
    worker.join(60)
    with OpenAIStub() as openai, GeminiStub() as gemini:
        # The first model streams several chunks, then its connection drops; the second answers in full.
        openai.script("gpt-4o", breaks_after(4, "The pen costs fifty euros and more [1]."))
        gemini.script("gemini-2.5-flash", answer(FINAL))
        server = LiveServer(settings, wire(Toolbox.from_settings(settings), openai, gemini)).start()
        try:
            yield Site(server, json.loads((data / DEMO_KEYS_FILE).read_text()))
        finally:
            server.stop()


def test_withdrawn_tokens_disappear(browser, failing_site: Site) -> None:
    site = failing_site
    page = browser.new_page()
    try:
        page.goto(site.url + "/widget")
        page.get_by_label("Publishable key", exact=True).fill(site.keys["publishable"])
        page.get_by_role("button", name="Load the widget").click()
        w = page.locator("[data-concierge-widget]")
        w.get_by_role("button", name="Ask us").click()
        w.get_by_label("Your message").fill("How much is the Kestrel pen?")
        w.get_by_role("button", name="Send").click()
        w.get_by_role("group", name="Was this answer helpful?").wait_for(timeout=20_000)
        answers = w.locator(".msg.bot")
        texts = [t for t in answers.all_inner_texts() if "Hello!" not in t]
        assert len(texts) == 1, texts
        assert texts[0].startswith("The Kestrel Fountain Pen costs 48.00 EUR [1]"), texts
        assert "fifty" not in w.inner_text()
        assert_accessible(page, "the widget after a failover")
        screenshot(page, "widget-after-failover")
    finally:
        page.close()
