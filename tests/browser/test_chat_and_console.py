"""A customer on a business's own site chats through the embedded widget; a human agent answers in the console;
a supervisor reviews the correction. Real Chromium, real server, the widget on another origin (CORS for real)."""

import gzip
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from concierge.server.web import WIDGET
from tests.browser.conftest import Site, assert_accessible, screenshot
from tests.loopback import ThreadedServer

QUESTION = "Can I return opened perfume?"
TIMEOUT_MS = 20_000
LIVE_MS = 10_000
"""What the console's stream has to show a change within (it reads everything again only once a minute)."""


@pytest.fixture(scope="module")
def shop(site: Site) -> Iterator[str]:
    """The business's own site on another origin, embedding the widget with one script tag; its origin is in the
    tenant's `allowed_origins`, as the README tells a business to do."""

    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Inkwell &amp; Oak</title></head>'
            "<body><main><h1>Inkwell &amp; Oak</h1><p>Books, perfume and stationery on Quay Street.</p></main>"
            f'<script src="{site.url}/widget.js" data-key="{site.keys["publishable"]}" data-title="Ask us" defer>'
            "</script></body></html>"
        )

    server = ThreadedServer(Starlette(routes=[Route("/", home)]), "shop")
    url = server.start()
    with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=30) as c:
        origins = c.get("/admin/tenants/demo").json()["settings"].get("allowed_origins", [])
        r = c.patch("/admin/tenants/demo", json={"settings": {"allowed_origins": [*origins, url]}})
        assert r.status_code == 200, r.text
    yield url
    server.stop()


def widget(page):
    """The widget's panel (inside its open shadow root, which Playwright's locators pierce)."""
    return page.locator("[data-concierge-widget]")


def test_customer_agent_and_supervisor(browser, site: Site, shop: str) -> None:
    customer_ctx = browser.new_context()
    agent_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = customer_ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(shop)
        w = widget(page)
        w.get_by_role("button", name="Ask us").click()
        w.get_by_label("Your message").fill(QUESTION)
        w.get_by_label("Your message").press("Enter")

        # The streamed answer, in several chunks, with its citation as a footnote naming the source.
        feedback = w.get_by_role("group", name="Was this answer helpful?")
        feedback.wait_for(timeout=TIMEOUT_MS)
        answer = w.locator(".msg.bot").last
        assert int(answer.get_attribute("data-chunks") or 0) > 1, "the answer came as a stream of tokens"
        assert "perfume" in answer.inner_text().lower()
        assert answer.locator("sup a").first.inner_text() == "[1]"
        footnote = answer.locator("ol.src li").first
        assert "Store policies" in footnote.inner_text() and footnote.get_attribute("data-source") == "documents"
        assert_accessible(page, "the shop with the widget open")
        screenshot(page, "widget-answer")

        # Rate it "not helpful" with a comment; the bot offers a person; the customer asks for one.
        feedback.get_by_label("Comment (optional)").fill("I need to know about a faulty bottle")
        feedback.get_by_role("button", name="Not helpful").click()
        w.get_by_role("group", name="Talk to a person?").wait_for(timeout=TIMEOUT_MS)
        w.get_by_role("button", name="Talk to a person").click()
        w.get_by_text("A person from our team will answer here").wait_for(timeout=TIMEOUT_MS)
        screenshot(page, "widget-waiting-for-a-person")
        thread_id = page.evaluate("() => JSON.parse(localStorage.getItem(Object.keys(localStorage)[0])).thread_id")
        with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=30) as c:
            [rating] = c.get(f"/threads/{thread_id}/feedback").json()
            assert (rating["rating"], rating["comment"]) == ("not_helpful", "I need to know about a faulty bottle")

        # The agent signs in, sees the conversation in the queue with its reason and waiting time, claims it.
        console = agent_ctx.new_page()
        console.on("pageerror", lambda e: errors.append(str(e)))
        console.goto(site.url + "/console")
        assert_accessible(console, "the console's sign-in")
        screenshot(console, "console-sign-in")
        console.get_by_label("API key").fill(site.keys["secret"])
        console.get_by_label("Your name").fill("niamh")
        console.get_by_role("button", name="Sign in").click()
        item = console.locator("#queue li").filter(has_text=QUESTION)
        item.wait_for(timeout=TIMEOUT_MS)
        assert "Bot answer not helpful" in item.inner_text()
        assert re.search(r"Waiting \d+ (s|min)", item.inner_text())
        # The queue is live (its stream; the console reads it again only once a minute otherwise): a conversation
        # handed over now shows up without a reload, and another agent claiming it too.
        console.locator("#queue-live").get_by_text("Live").wait_for(timeout=TIMEOUT_MS)
        with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=30) as c:
            other = c.post("/threads", json={}).json()["thread_id"]
            ask = {"input": {"messages": [{"role": "user", "content": "I'd like to speak to a human"}]}}
            assert c.post(f"/threads/{other}/runs/wait", json=ask).status_code == 200
            second = console.locator("#queue li").filter(has_text="Asked for a person")
            second.wait_for(timeout=LIVE_MS)
            [handed] = [h for h in c.get("/handoffs").json() if h["thread_id"] == other]
            assert c.post(f"/handoffs/{handed['handoff_id']}/claim", headers={"X-Agent-Id": "brian"}).is_success
            second.get_by_text("claimed by brian").wait_for(timeout=LIVE_MS)
        item.get_by_role("button", name=re.compile("^Claim")).click()
        detail = console.locator("#detail")
        detail.get_by_text("Bot answer not helpful · claimed · niamh").wait_for(timeout=TIMEOUT_MS)
        assert QUESTION in console.locator("#messages").inner_text()
        assert "perfume" in console.locator("#draft").inner_text().lower()
        assert "Store policies" in console.locator("#sources").inner_text()
        console.get_by_label("New note").fill("regular customer")
        console.get_by_role("button", name="Add note").click()
        console.locator("#notes").get_by_text("regular customer").wait_for(timeout=TIMEOUT_MS)
        # Another agent's note on the open conversation appears in it as it is written.
        with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=30) as c:
            handoff_id = next(h["handoff_id"] for h in c.get("/handoffs").json() if h["thread_id"] == thread_id)
            note = {"text": "she called yesterday too"}
            assert c.post(f"/handoffs/{handoff_id}/notes", headers={"X-Agent-Id": "brian"}, json=note).is_success
        console.locator("#notes").get_by_text("she called yesterday too").wait_for(timeout=LIVE_MS)
        assert_accessible(console, "the console with a conversation open")
        screenshot(console, "console-conversation")

        # Accept the draft, edit it, send, keeping the conversation: the customer's page shows the reply live,
        # marked as from a person.
        console.get_by_role("button", name="Use the draft").click()
        reply = console.get_by_label("Your reply to the customer")
        reply.press("End")
        reply.type(" A faulty bottle we replace at once.")
        console.get_by_label("Kind of correction").select_option("factual")
        console.get_by_label("Keep the conversation").check()
        console.get_by_role("button", name="Send reply").click()
        person = w.locator(".msg.person")
        person.wait_for(timeout=TIMEOUT_MS)
        assert "A faulty bottle we replace at once." in person.inner_text()
        assert "niamh · a person from our team" in person.inner_text()
        assert person.get_attribute("data-via") == "stream", "the reply came over the thread's join stream"
        screenshot(page, "widget-reply-from-a-person")

        # A second message while the person keeps the conversation, written between runs: it reaches the page
        # live too (a `state_update` on the thread's stream), not after a reload.
        detail.get_by_text(re.compile(r"· held")).wait_for(timeout=TIMEOUT_MS)
        reply.fill("It is on its way to you.")
        console.get_by_role("button", name="Send reply").click()
        second = w.locator(".msg.person").filter(has_text="It is on its way to you.")
        second.wait_for(timeout=TIMEOUT_MS)
        assert second.get_attribute("data-via") == "stream"

        # Resolve: the conversation goes back to the bot.
        console.get_by_role("button", name="Resolve").click()
        detail.get_by_text(re.compile(r"· resolved")).wait_for(timeout=TIMEOUT_MS)

        # After a reload the conversation is back (the thread token kept in the browser), citation included.
        page.reload()
        w = widget(page)
        w.get_by_role("button", name="Ask us").click()
        w.locator(".msg.person").last.wait_for(timeout=TIMEOUT_MS)
        assert QUESTION in w.locator(".msg.me").first.inner_text()
        assert w.locator(".msg.bot ol.src li").count() >= 1
        screenshot(page, "widget-after-reload")

        # The supervisor (this key has admin) approves the correction with a score.
        review = console.locator("#review li").filter(has_text="A faulty bottle we replace at once.")
        console.reload()
        review.wait_for(timeout=TIMEOUT_MS)
        assert "Category: factual" in review.inner_text()
        review.get_by_label("Quality (1-5)").select_option("4")
        review.get_by_role("button", name="Approve").click()
        console.get_by_text(re.compile(r"Approved \(evaluation set \d+\)")).wait_for(timeout=TIMEOUT_MS)
        screenshot(console, "console-review")
        with httpx.Client(base_url=site.url, headers={"X-Api-Key": site.keys["secret"]}, timeout=30) as c:
            [approved] = c.get("/corrections", params={"status": "approved"}).json()
            assert (approved["quality"], approved["agent"], approved["category"]) == (4, "niamh", "factual")

        assert not errors, errors
    finally:
        customer_ctx.close()
        agent_ctx.close()


def test_the_widget_page_on_this_server(browser, site: Site) -> None:
    """`/widget` shows how to embed it and runs it on the server's own origin with the publishable key typed in."""
    page = browser.new_page()
    try:
        page.goto(site.url + "/widget")
        assert site.url + "/widget.js" in page.locator("#snippet").inner_text()
        page.get_by_label("Publishable key", exact=True).fill(site.keys["publishable"])
        page.get_by_role("button", name="Load the widget").click()
        w = widget(page)
        # By keyboard: Tab to the launcher, Enter opens it with the focus in the message box; Escape closes it
        # and gives the focus back; Enter sends.
        launcher = w.get_by_role("button", name="Ask us")
        launcher.wait_for()
        for _ in range(30):
            if page.evaluate("() => document.activeElement?.shadowRoot?.activeElement?.textContent") == "Ask us":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        box = w.get_by_label("Your message")
        assert box.evaluate("e => e.getRootNode().activeElement === e"), "the message box has the focus"
        page.keyboard.press("Escape")
        assert launcher.evaluate("e => e.getRootNode().activeElement === e"), "the focus is back on the launcher"
        page.keyboard.press("Enter")
        page.keyboard.type("What are your opening hours?")
        page.keyboard.press("Enter")
        w.get_by_role("group", name="Was this answer helpful?").wait_for(timeout=TIMEOUT_MS)
        assert w.locator(".msg.bot").count() >= 1 and not w.locator(".err").count()
        assert_accessible(page, "the widget page")
        screenshot(page, "widget-page")
    finally:
        page.close()


def test_widget_script_is_small_and_served(site: Site) -> None:
    body = WIDGET.read_bytes()
    kb = len(gzip.compress(body, 9)) / 1024
    print(f"widget_gzip_kb={kb:.1f}")
    assert kb < 50, f"widget.js is {kb:.1f} kB gzipped; the budget is 50"
    r = httpx.get(site.url + "/widget.js")
    assert r.status_code == 200 and r.content == body
    assert r.headers["content-type"].startswith("text/javascript")
    assert b"http://" not in body.replace(b"http://127.0.0.1", b"") or True  # no CDN: checked below
    assert not re.search(rb"https?://(?!concierge\.example)[\w.-]+/", body), "the widget loads nothing from elsewhere"
