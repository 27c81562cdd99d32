"""Feedback over HTTP on a real server: ratings in every scale, 422 before a run, ratings changed later, signed
feedback URLs, implicit signals, a tenant without feedback, and ratings sent to a LangSmith stub."""

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from concierge.tools.db.models import Tenant
from concierge.tools.settings import Settings
from concierge.tools.support.langsmith import LangSmithFeedback
from concierge.tools.support.signing import FeedbackLinks, server_secret
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer
from tests.langsmith_stub import LangSmithStub
from tests.sse import stream_events

QUESTION = "How much is the Kestrel fountain pen?"


def ask(content: str, **extra) -> dict:
    return {"input": {"messages": [{"role": "user", "content": content}]}, **extra}


def resume(value) -> dict:
    return {"command": {"resume": value}}


def new_thread(client: httpx.Client) -> str:
    r = client.post("/threads", json={})
    assert r.status_code == 200, r.text
    return r.json()["thread_id"]


def asked(client: httpx.Client, question: str = QUESTION) -> str:
    thread = new_thread(client)
    out = client.post(f"/threads/{thread}/runs/wait", json=ask(question)).json()
    assert out["__interrupt__"][0]["value"]["type"] == "feedback"
    return thread


def today(client: httpx.Client) -> dict:
    return client.get("/analytics/daily", params={"days": 1}).json()["days"][-1]


@pytest.mark.parametrize(
    ("value", "rating", "score", "helpful"),
    [
        ({"rating": "helpful"}, "helpful", 1.0, True),
        ("not_helpful", "not_helpful", 0.0, False),
        ({"rating": "Not helpful", "comment": "wrong price"}, "not_helpful", 0.0, False),
        (4, 4, 0.75, True),
        ("3", 3, 0.5, None),
        ("down", "down", 0.0, False),
    ],
)
def test_every_scale_is_accepted(live_server: LiveServer, value, rating, score, helpful) -> None:
    with live_server.client(timeout=30) as client:
        thread = asked(client)
        out = client.post(f"/threads/{thread}/runs/wait", json=resume(value))
        assert out.status_code == 200, out.text
        record = out.json()["feedback"][-1]
        assert (record["rating"], record["score"], record["helpful"]) == (rating, score, helpful)
        [stored] = client.get(f"/threads/{thread}/feedback").json()
        assert (stored["rating"], stored["score"], stored["source"]) == (rating, score, "interrupt")


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ({"rating": "great"}, "unknown rating 'great'"),
        (7, "stars go from 1 to 5, not 7"),
        ({"rating": "helpful", "stars": 5}, "stars: Extra inputs are not permitted"),
        ({}, "a rating is needed"),
        (True, "not True"),
        ([{"type": "response", "args": "hi"}], "a rating is a word or a whole number"),
    ],
)
def test_a_malformed_rating_is_422_before_any_run_and_the_thread_stays_paused(
    live_server: LiveServer, value, detail: str
) -> None:
    with live_server.client(timeout=30) as client:
        thread = asked(client)
        before = client.get(f"/threads/{thread}/state").json()
        r = client.post(f"/threads/{thread}/runs/wait", json=resume(value))
        assert r.status_code == 422 and detail in r.json()["detail"], r.text
        assert 'accepted: "helpful" or "not_helpful", "up" or "down", or 1-5' in r.json()["detail"]
        after = client.get(f"/threads/{thread}/state").json()
        assert after["checkpoint_id"] == before["checkpoint_id"], "no run started: not one checkpoint more"
        assert after["next"] == ["collect_feedback"]
        assert client.get(f"/threads/{thread}").json()["status"] == "interrupted"
        # The same stream route refuses it the same way, before the stream starts.
        streamed = client.post(f"/threads/{thread}/runs/stream", json=resume(value))
        assert streamed.status_code == 422
        assert client.post(f"/threads/{thread}/runs/wait", json=resume("helpful")).status_code == 200


def test_a_rating_can_be_changed_later_and_not_helpful_offers_a_person(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        thread = asked(client)
        out = client.post(f"/threads/{thread}/runs/wait", json=resume({"rating": "not_helpful"})).json()
        assert (
            out["messages"][-1]["content"]
            == "Sorry that did not help. Would you like me to pass you to a person on our team?"
        )
        offer = out["__interrupt__"][0]["value"]
        assert offer["type"] == "offer_human"
        bad = client.post(f"/threads/{thread}/runs/wait", json=resume("perhaps"))
        assert bad.status_code == 422 and 'true or false, "yes" or "no"' in bad.json()["detail"]
        out = client.post(f"/threads/{thread}/runs/wait", json=resume("no")).json()
        assert "__interrupt__" not in out

        # The customer thinks again: the same answer's rating is replaced, not added to.
        r = client.put(
            f"/threads/{thread}/feedback", json={"turn": 1, "rating": 5, "comment": "it was right after all"}
        )
        assert r.status_code == 200, r.text
        [stored] = client.get(f"/threads/{thread}/feedback").json()
        assert (stored["rating"], stored["score"], stored["comment"], stored["source"]) == (
            5,
            1.0,
            "it was right after all",
            "api",
        )
        assert client.put(f"/threads/{thread}/feedback", json={"turn": 9, "rating": 5}).status_code == 404
        bad = client.put(f"/threads/{thread}/feedback", json={"rating": "meh"})
        assert bad.status_code == 422 and "unknown rating 'meh'" in bad.json()["detail"]


def test_the_next_message_is_continued_and_a_booking_counts(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        thread = asked(client, "When is the book club?")
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("Can I return opened perfume?")).json()
        assert out["feedback"] == [{"turn": 1, "kind": "continued", "rating": None, "comment": ""}]
        r = client.post(f"/threads/{thread}/actions", json={"kind": "booking", "reference": "BK-1"})
        assert r.status_code == 201 and r.json()["turn"] == 2
        assert client.post(f"/threads/{thread}/actions", json={"kind": "refund"}).status_code == 422

        figures = today(client)
        assert figures["answers"] == 2 and figures["continued"] == 1 and figures["completed_actions"] == 1
        assert figures["median_response_s"] is not None and figures["median_response_s"] < 60
        # Answer 1: continued within 5 minutes (0.5 + 0.2); answer 2: a booking followed (0.5 + 0.4).
        assert figures["implicit_satisfaction"] == pytest.approx((0.7 + 0.9) / 2)
        assert figures["feedback_collection_rate"] == 0.0 and figures["helpful_rate"] is None


def _set_tenant_settings(settings: Settings, **values) -> None:
    async def run() -> None:
        tools = await Toolbox.from_settings(settings).open()
        try:
            async with tools.db.session() as s:
                tenant = await s.get(Tenant, "demo")
                tenant.settings = {**(tenant.settings or {}), **values}
                await s.commit()
        finally:
            await tools.close()

    asyncio.run(run())


def test_feedback_can_be_switched_off_per_tenant(settings: Settings) -> None:
    _set_tenant_settings(settings, feedback_enabled=False)
    server = LiveServer(settings).start()
    try:
        with server.client(timeout=30) as client:
            thread = new_thread(client)
            out = client.post(f"/threads/{thread}/runs/wait", json=ask(QUESTION)).json()
            assert "__interrupt__" not in out and out["generation"] is not None
            assert client.get(f"/threads/{thread}").json()["status"] == "idle"
            assert today(client)["answers"] == 1
    finally:
        server.stop()


def _tamper(token: str, **changes) -> str:
    payload, _, signature = token.partition(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{forged}.{signature}"


def test_signed_feedback_urls(live_server: LiveServer, settings: Settings) -> None:
    with live_server.client(timeout=30) as client:
        thread = new_thread(client)
        events = stream_events(
            client,
            f"/threads/{thread}/runs/stream",
            ask(QUESTION, stream_mode="updates", feedback_keys=["user_score", "rating"]),
        )
        run_id = events[0][1]["run_id"]
        event, urls = events[-1]
        assert event == "feedback" and set(urls) == {"user_score", "rating"}
        assert urls["rating"].startswith(live_server.url + "/feedback/")

        # No API key is needed (a fresh client without headers), LangSmith's `score` or our scales.
        anonymous = httpx.Client(timeout=30)
        r = anonymous.post(urls["user_score"], json={"score": 1, "comment": "spot on"})
        assert r.status_code == 200 and r.json() == {"ok": True, "key": "user_score", "rating": "up", "score": 1.0}
        assert anonymous.get(urls["rating"], params={"rating": "not_helpful"}).status_code == 200
        assert anonymous.post(urls["rating"], json={"rating": "helpful"}).status_code == 200
        stored = {f["key"]: f for f in client.get(f"/threads/{thread}/feedback").json()}
        assert stored["user_score"]["run_id"] == run_id and stored["user_score"]["comment"] == "spot on"
        assert stored["rating"]["rating"] == "helpful" and stored["rating"]["source"] == "signed_url"
        bad = anonymous.post(urls["rating"], json={"rating": "brilliant"})
        assert bad.status_code == 422 and "unknown rating" in bad.json()["detail"]

        token = urls["rating"].rsplit("/", 1)[1]
        other_run = anonymous.post(
            f"{live_server.url}/feedback/{_tamper(token, r=str(uuid.uuid4()))}", json={"rating": 5}
        )
        assert other_run.status_code == 403 and "not valid" in other_run.json()["detail"]
        later = anonymous.post(
            f"{live_server.url}/feedback/{_tamper(token, e=int(time.time()) + 86400)}", json={"rating": 5}
        )
        assert later.status_code == 403

        # Signed with the server's own secret: genuine, but expired, or for a run that does not exist.
        links = FeedbackLinks(server_secret(None, settings.data_dir), settings.feedback_url_ttl_s)
        stale = links.token(
            run_id=run_id,
            key="rating",
            thread_id=thread,
            tenant_id="demo",
            now=datetime.now(UTC) - timedelta(hours=3, seconds=1),
        )
        expired = anonymous.post(f"{live_server.url}/feedback/{stale}", json={"rating": 5})
        assert expired.status_code == 410 and "expired" in expired.json()["detail"]
        fresh = links.token(
            run_id=run_id,
            key="rating",
            thread_id=thread,
            tenant_id="demo",
            now=datetime.now(UTC) - timedelta(hours=2, minutes=59),
        )
        assert anonymous.post(f"{live_server.url}/feedback/{fresh}", json={"rating": 2}).status_code == 200
        nowhere = links.token(run_id=str(uuid.uuid4()), key="rating", thread_id=thread, tenant_id="demo")
        missing = anonymous.post(f"{live_server.url}/feedback/{nowhere}", json={"rating": 5})
        assert missing.status_code == 404 and "no answer to rate" in missing.json()["detail"]
        assert anonymous.post(f"{live_server.url}/feedback/garbage", json={"rating": 5}).status_code == 403


@pytest.mark.filterwarnings("ignore:Creating feedback for a run without session_id")
def test_ratings_and_corrections_go_to_langsmith(settings: Settings) -> None:
    stub = LangSmithStub().start()
    tools = Toolbox.from_settings(settings)
    tools.use_langsmith(LangSmithFeedback(stub.client()))
    server = LiveServer(settings, tools).start()
    try:
        with server.client(timeout=30) as client:
            thread = new_thread(client)
            events = stream_events(client, f"/threads/{thread}/runs/stream", ask(QUESTION, stream_mode="updates"))
            run_id = events[0][1]["run_id"]
            client.post(
                f"/threads/{thread}/runs/wait", json=resume({"rating": "down", "comment": "too short", "handoff": True})
            )
            [item] = client.get("/handoffs").json()
            r = client.post(f"/handoffs/{item['handoff_id']}/reply", json={"text": "The KF-200 is 48 EUR, in stock."})
            assert r.status_code == 200, r.text
            [correction] = client.get("/corrections").json()
            client.post(f"/corrections/{correction['correction_id']}/review", json={"approved": True, "quality": 4})
            deadline = time.monotonic() + 10
            while len(stub.feedback) < 3 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        server.stop()
        stub.stop()
    sent = {f["key"]: f for f in stub.feedback}
    assert set(sent) == {"rating", "human_correction", "correction_quality"}
    assert {f["run_id"] for f in stub.feedback} == {run_id}, "all on the trace of the answering run"
    rating = sent["rating"]
    assert (rating["score"], rating["value"], rating["comment"]) == (0.0, "down", "too short")
    assert sent["human_correction"]["correction"] == {"output": "The KF-200 is 48 EUR, in stock."}
    assert sent["human_correction"]["value"] == "corrected"
    assert (sent["correction_quality"]["score"], sent["correction_quality"]["value"]) == (0.75, "approved")
