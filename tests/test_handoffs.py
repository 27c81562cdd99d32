"""Human agents over HTTP on a real server: the whole story from "not helpful" to training data, claims that race
(SQLite through the API, PostgreSQL across two engines as two replicas), keeping a conversation, resolving."""

import asyncio
import json
import os
import threading
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from concierge.cli.main import main as cli
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import upgrade
from concierge.tools.db.models import Tenant
from concierge.tools.settings import Settings
from concierge.tools.support.handoffs import HandoffConflict, HandoffQueue
from tests.conftest import LiveServer, add_tenant_sync
from tests.sse import Follower

PG_URL = os.environ.get("CONCIERGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def ask(content: str) -> dict:
    return {"input": {"messages": [{"role": "user", "content": content}]}}


def resume(value) -> dict:
    return {"command": {"resume": value}}


def agent(name: str) -> dict[str, str]:
    return {"X-Agent-Id": name}


def customer_wants_a_person(client: httpx.Client, question: str = "When is the book club?") -> str:
    """Ask, rate "not helpful", accept the offer of a person: the thread pauses at the handoff."""
    thread = client.post("/threads", json={}).json()["thread_id"]
    client.post(f"/threads/{thread}/runs/wait", json=ask(question))
    out = client.post(f"/threads/{thread}/runs/wait", json=resume({"rating": "not_helpful", "comment": "no date"}))
    assert out.json()["__interrupt__"][0]["value"]["type"] == "offer_human"
    out = client.post(f"/threads/{thread}/runs/wait", json=resume("yes")).json()
    assert out["__interrupt__"][0]["value"]["action_request"]["action"] == "handoff"
    return thread


class JoinStream:
    """A customer's open `GET /threads/{id}/stream`, read in a thread until a human agent's message arrives."""

    def __init__(self, server: LiveServer, thread: str) -> None:
        self.server, self.thread = server, thread
        self.opened, self.heard = threading.Event(), threading.Event()
        self.message: dict | None = None
        self.events: list[str] = []
        self._worker = threading.Thread(target=self._read, daemon=True)

    def start(self) -> "JoinStream":
        self._worker.start()
        assert self.opened.wait(10), "the join stream did not open"
        return self

    def _read(self) -> None:
        with self.server.client(timeout=30) as client, client.stream("GET", f"/threads/{self.thread}/stream") as r:
            assert r.status_code == 200
            self.opened.set()
            event = None
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                    self.events.append(event)
                elif line.startswith("data:") and event == "messages":
                    message = json.loads(line[5:])[0]
                    if message.get("name") == "human_agent":
                        self.message = message
                        self.heard.set()
                        return

    def wait_for_agent(self) -> dict:
        assert self.heard.wait(20), f"no human agent's message on the join stream; events: {self.events}"
        self._worker.join(5)
        assert self.message is not None
        return self.message


def test_the_whole_story_from_not_helpful_to_training_data(live_server: LiveServer, settings: Settings) -> None:
    with live_server.client(timeout=30) as client:
        earlier = client.post("/threads", json={}).json()["thread_id"]
        client.post(f"/threads/{earlier}/runs/wait", json=ask("I'd like to speak to a human"))
        thread = customer_wants_a_person(client)

        # The queue: oldest first, with the reason and how long each has waited; the thread's metadata says so too.
        queue = client.get("/handoffs", headers=agent("niamh")).json()
        assert [h["thread_id"] for h in queue] == [earlier, thread]
        assert [h["reason"] for h in queue] == ["asked_for_human", "not_helpful"]
        item = queue[1]
        assert item["status"] == "waiting" and item["assignee"] is None and item["waiting_s"] >= 0
        assert item["priority"] == "high" and "book club" in item["draft"].lower()
        meta = client.get(f"/threads/{thread}").json()["metadata"]
        assert (meta["handoff"], meta["reason"], meta["assignee"]) == ("waiting", "not_helpful", None)
        assert meta["waiting_since"] == item["waiting_since"]

        # Claim: the first agent wins; the second is told who has it.
        handoff = item["handoff_id"]
        assert client.post(f"/handoffs/{handoff}/claim", headers=agent("niamh")).status_code == 200
        taken = client.post(f"/handoffs/{handoff}/claim", headers=agent("oisin"))
        assert taken.status_code == 409 and "already claimed by niamh" in taken.json()["detail"]
        assert client.post(f"/handoffs/{handoff}/reply", headers=agent("oisin"), json={"text": "hi"}).status_code == 409
        assert client.get(f"/threads/{thread}").json()["metadata"]["assignee"] == "niamh"
        assert (
            client.get("/handoffs", params={"assignee": "me"}, headers=agent("niamh")).json()[0]["handoff_id"]
            == handoff
        )

        # The whole thread with the bot's draft and sources, and private notes between agents.
        detail = client.get(f"/handoffs/{handoff}", headers=agent("niamh")).json()
        assert detail["paused"] and detail["sources"] and detail["draft"]
        assert [m["type"] for m in detail["messages"]] == ["human", "ai", "ai"]
        note = client.post(f"/handoffs/{handoff}/notes", headers=agent("niamh"), json={"text": "regular, be kind"})
        assert note.status_code == 201
        assert [n["text"] for n in client.get(f"/handoffs/{handoff}/notes", headers=agent("oisin")).json()] == [
            "regular, be kind"
        ]

        # The reply resumes the graph: the customer, waiting on the thread's join stream, sees it arrive live as an
        # assistant message written by a person.
        customer = JoinStream(live_server, thread).start()
        reply = "The book club meets on the first Saturday of the month at 10:30, in the café."
        bad = client.post(f"/handoffs/{handoff}/reply", headers=agent("niamh"), json={"text": ""})
        assert bad.status_code == 422
        r = client.post(
            f"/handoffs/{handoff}/reply",
            headers=agent("niamh"),
            json={"text": reply, "category": "factual", "reason": "the draft had no date"},
        )
        assert r.status_code == 200, r.text
        heard = customer.wait_for_agent()
        assert (heard["content"], heard["name"]) == (reply, "human_agent")
        assert heard["additional_kwargs"]["human_agent"]["id"] == "niamh"
        assert r.json()["handoff"]["status"] == "answered" and r.json()["handoff"]["first_reply_at"]
        state = client.get(f"/threads/{thread}/state").json()
        last = state["values"]["messages"][-1]
        assert (last["type"], last["name"], last["content"]) == ("ai", "human_agent", reply)
        assert last["additional_kwargs"]["human_agent"]["id"] == "niamh"
        assert state["next"] == [] and client.get(f"/threads/{thread}").json()["status"] == "idle"
        again = client.post(f"/handoffs/{handoff}/reply", headers=agent("niamh"), json={"text": "more"})
        assert again.status_code == 409

        # The conversation is back with the bot.
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("How much is the Kestrel fountain pen?")).json()
        assert out["generation"] is not None and out["messages"][-1].get("name") != "human_agent", "the bot answered"

        # A supervisor approves the correction; it joins the evaluation set.
        [correction] = client.get("/corrections", params={"status": "pending"}, headers=agent("mgr")).json()
        assert (correction["reply"], correction["category"], correction["agent"]) == (reply, "factual", "niamh")
        assert correction["question"] == "When is the book club?" and "book club" in correction["draft"].lower()
        bad = client.post(f"/corrections/{correction['correction_id']}/review", json={"approved": True, "quality": 9})
        assert bad.status_code == 422
        reviewed = client.post(
            f"/corrections/{correction['correction_id']}/review",
            headers=agent("mgr"),
            json={"approved": True, "quality": 5, "note": "exactly right"},
        ).json()
        assert reviewed["status"] == "approved" and reviewed["eval_set_version"] == 1
        eval_set = client.get("/corrections/eval-set", headers=agent("mgr")).json()
        assert eval_set["version"] == 1
        assert eval_set["questions"][0]["question"] == "When is the book club?"
        assert eval_set["questions"][0]["answer"] == reply

        figures = client.get("/analytics/daily", params={"days": 1}).json()["days"][-1]
        assert figures["handoffs"] == 2 and figures["handoff_reasons"] == {"asked_for_human": 1, "not_helpful": 1}
        assert figures["helpful_rate"] == 0.0 and figures["corrections_approved"] == 1
        assert figures["median_time_to_claim_s"] is not None and figures["median_time_to_first_reply_s"] is not None
        assert figures["asked_human"] == 1

    # The export holds it, in both formats.
    out = settings.data_dir / "export"
    os.environ["CONCIERGE_DATA_DIR"] = str(settings.data_dir)
    try:
        from concierge.tools.settings import get_settings

        get_settings.cache_clear()
        cli(["export-training", "--tenant", "demo", "--min-quality", "4", "--out", str(out)])
    finally:
        del os.environ["CONCIERGE_DATA_DIR"]
        get_settings.cache_clear()
    [example] = [json.loads(line) for line in (out / "openai" / "train.jsonl").read_text().splitlines()]
    assert example["messages"][0]["role"] == "system" and "Inkwell & Oak" in example["messages"][0]["content"]
    assert example["messages"][-2:] == [
        {"role": "user", "content": "When is the book club?"},
        {"role": "assistant", "content": reply},
    ]
    [gemini] = [json.loads(line) for line in (out / "gemini" / "train.jsonl").read_text().splitlines()]
    assert gemini["contents"][-1] == {"role": "model", "parts": [{"text": reply}]}
    assert gemini["systemInstruction"]["parts"][0]["text"] == example["messages"][0]["content"]
    stats = json.loads((out / "stats.json").read_text())
    assert (stats["approved"], stats["exported"], stats["train"], stats["validation"]) == (1, 1, 1, 0)


def test_two_agents_claiming_at_once_one_wins(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        thread = client.post("/threads", json={}).json()["thread_id"]
        client.post(f"/threads/{thread}/runs/wait", json=ask("Can I speak to a real person please?"))
        [item] = client.get("/handoffs").json()
    start = threading.Barrier(2)
    results: dict[str, int] = {}

    def claim(name: str) -> None:
        with live_server.client(timeout=30) as c:
            start.wait()
            results[name] = c.post(f"/handoffs/{item['handoff_id']}/claim", headers=agent(name)).status_code

    workers = [threading.Thread(target=claim, args=(name,)) for name in ("aoife", "brian")]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results.values()) == [200, 409]
    winner = next(name for name, status in results.items() if status == 200)
    with live_server.client(timeout=30) as client:
        assert client.get(f"/handoffs/{item['handoff_id']}").json()["assignee"] == winner


def test_a_kept_conversation_comes_back_to_its_agent_until_resolved(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        thread = client.post("/threads", json={}).json()["thread_id"]
        client.post(f"/threads/{thread}/runs/wait", json=ask("Can I speak to a human?"))
        [item] = client.get("/handoffs").json()
        handoff = item["handoff_id"]
        r = client.post(
            f"/handoffs/{handoff}/reply", headers=agent("niamh"), json={"text": "Hi, Niamh here.", "keep": True}
        )
        assert r.status_code == 200 and r.json()["handoff"]["status"] == "held"
        assert r.json()["handoff"]["assignee"] == "niamh", "replying claims an unclaimed conversation"

        # A message between the customer's: written into the thread, no run needed.
        r = client.post(f"/handoffs/{handoff}/reply", headers=agent("niamh"), json={"text": "Still there?"})
        assert r.status_code == 200 and r.json()["message"]["content"] == "Still there?"

        # The customer writes: it goes to Niamh, not the bot.
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("How much is the Kestrel fountain pen?")).json()
        assert out["generation"] is None and out["messages"][-1]["type"] == "human"
        paused = out["__interrupt__"][0]["value"]["action_request"]["args"]
        assert paused["handoff_id"] == handoff and paused["question"] == "How much is the Kestrel fountain pen?"
        [waiting] = client.get("/handoffs").json()
        assert (waiting["status"], waiting["assignee"]) == ("claimed", "niamh")
        assert client.get(f"/threads/{thread}").json()["metadata"]["handoff"] == "claimed"

        # Resolved: the paused thread is let go and the bot answers again.
        r = client.post(f"/handoffs/{handoff}/resolve", headers=agent("niamh"))
        assert r.status_code == 200 and r.json()["status"] == "resolved"
        assert client.get(f"/threads/{thread}").json()["status"] == "idle"
        assert client.get("/handoffs").json() == []
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("How much is the Kestrel fountain pen?")).json()
        assert out["generation"] is not None and out["messages"][-1].get("name") != "human_agent", "the bot answered"
        assert client.post(f"/handoffs/{handoff}/claim").status_code == 409
        assert client.post("/handoffs/nope/claim").status_code == 404


def test_release_returns_a_conversation_to_the_queue(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        thread = client.post("/threads", json={}).json()["thread_id"]
        client.post(f"/threads/{thread}/runs/wait", json=ask("Can I speak to a human?"))
        [item] = client.get("/handoffs").json()
        handoff = item["handoff_id"]
        client.post(f"/handoffs/{handoff}/claim", headers=agent("niamh"))
        assert client.post(f"/handoffs/{handoff}/release", headers=agent("oisin")).status_code == 409
        released = client.post(f"/handoffs/{handoff}/release", headers=agent("niamh"))
        assert released.status_code == 200 and released.json()["status"] == "waiting"
        assert client.post(f"/handoffs/{handoff}/claim", headers=agent("oisin")).status_code == 200
        forced = client.post(f"/handoffs/{handoff}/release", headers=agent("mgr"), json={"force": True})
        assert forced.status_code == 200 and forced.json()["assignee"] is None


@pytest.fixture
async def pg_url_schema() -> AsyncIterator[tuple[str, str]]:
    asyncpg = pytest.importorskip("asyncpg")
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    schema = f"concierge_test_{uuid.uuid4().hex[:12]}"
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield PG_URL, schema
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def test_claims_race_across_replicas_on_postgresql(pg_url_schema: tuple[str, str], tmp_path: Path) -> None:
    url, schema = pg_url_schema
    replicas = [AppDatabase(url, schema), AppDatabase(url, schema)]  # two engines, two pools: two servers
    try:
        await upgrade(replicas[0].engine)
        async with replicas[0].session() as s:
            s.add(Tenant(id="shop", name="Shop"))
            await s.commit()
        queues = [HandoffQueue(db) for db in replicas]
        for round_ in range(20):
            entry = await queues[0].enqueue(
                tenant_id="shop",
                thread_id=f"t{round_}",
                turn=1,
                run_id="",
                reason="asked_for_human",
                question="a person please",
                summary="",
                draft="",
                sources=[],
                customer={},
            )

            async def claim(queue: HandoffQueue, name: str, handoff_id: str = entry.id) -> str:
                try:
                    await queue.claim("shop", handoff_id, name)
                    return name
                except HandoffConflict:
                    return "409"

            outcome = await asyncio.gather(claim(queues[0], "aoife"), claim(queues[1], "brian"))
            assert sorted(outcome, key=lambda x: x == "409")[1] == "409" and outcome.count("409") == 1, outcome
            winner = next(o for o in outcome if o != "409")
            assert (await queues[1].get("shop", entry.id)).assignee == winner
    finally:
        for db in replicas:
            await db.dispose()


def test_an_agent_is_named_by_its_key_and_only_supervisors_review(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as admin:
        made = admin.post("/admin/tenants/demo/keys", json={"scopes": ["handoff:resolve"], "name": "Niamh"})
        assert made.status_code in (200, 201), made.text
        chat_only = admin.post("/admin/tenants/demo/keys", json={"scopes": ["chat"], "name": "widget"}).json()["key"]
        thread = admin.post("/threads", json={}).json()["thread_id"]
        admin.post(f"/threads/{thread}/runs/wait", json=ask("When is the book club?"))
        admin.post(f"/threads/{thread}/runs/wait", json=resume({"rating": "down", "handoff": True}))
    with live_server.client(made.json()["key"], timeout=30) as niamh, live_server.client(chat_only) as widget:
        assert widget.get("/handoffs").status_code == 403
        [item] = niamh.get("/handoffs").json()
        assert niamh.post(f"/handoffs/{item['handoff_id']}/claim").json()["assignee"] == "Niamh"
        assert niamh.post(f"/handoffs/{item['handoff_id']}/reply", json={"text": "Saturdays."}).status_code == 200
        [correction] = niamh.get("/corrections").json()
        assert correction["agent"] == "Niamh"
        review = niamh.post(f"/corrections/{correction['correction_id']}/review", json={"approved": True, "quality": 5})
        assert review.status_code == 403 and "admin" in review.json()["detail"]
        forced = niamh.post(f"/handoffs/{item['handoff_id']}/release", json={"force": True})
        assert forced.status_code == 403


def test_the_console_hears_the_queue_change_live(live_server: LiveServer, settings: Settings) -> None:
    """`GET /handoffs/stream`: every change an agent's console shows, as it happens, for the key's tenant only."""
    key = json.loads((settings.data_dir / "demo-keys.json").read_text())["secret"]
    other = add_tenant_sync(settings, "other-shop", scopes=["handoff:resolve"])
    with live_server.client(timeout=30) as admin:
        chat_only = admin.post("/admin/tenants/demo/keys", json={"scopes": ["chat"], "name": "widget"}).json()["key"]
    with live_server.client(chat_only) as widget:
        assert widget.get("/handoffs/stream").status_code == 403
    console = Follower(live_server.url, "/handoffs/stream", {"X-Api-Key": key}).start()
    elsewhere = Follower(live_server.url, "/handoffs/stream", {"X-Api-Key": other}).start()
    try:
        assert console.events[0] == ("ready", {"tenant_id": "demo"}), "the tenant is the key's"
        with live_server.client(timeout=30) as client:
            thread = client.post("/threads", json={}).json()["thread_id"]
            client.post(f"/threads/{thread}/runs/wait", json=ask("Can I speak to a human?"))
            queued = console.wait("queued", thread_id=thread, status="waiting")
            handoff = queued["handoff_id"]
            client.post(f"/handoffs/{handoff}/claim", headers=agent("niamh"))
            console.wait("claimed", handoff_id=handoff, assignee="niamh")
            client.post(f"/handoffs/{handoff}/notes", headers=agent("niamh"), json={"text": "regular"})
            console.wait("note", handoff_id=handoff)
            client.post(f"/handoffs/{handoff}/reply", headers=agent("niamh"), json={"text": "Hi!", "keep": True})
            console.wait("held", handoff_id=handoff)
            client.post(f"/threads/{thread}/runs/wait", json=ask("Are you still there?"))
            wrote = console.wait("customer_wrote", handoff_id=handoff)
            assert wrote["status"] == "claimed" and wrote["turn"] > queued["turn"]
            client.post(f"/handoffs/{handoff}/release", headers=agent("niamh"))
            console.wait("released", handoff_id=handoff, status="waiting")
            client.post(f"/handoffs/{handoff}/resolve", headers=agent("niamh"))
            console.wait("closed", handoff_id=handoff, status="resolved")
        kinds = [e for e, d in console.events if (d or {}).get("handoff_id") == handoff]
        assert kinds == ["queued", "claimed", "note", "held", "customer_wrote", "released", "closed"], kinds
        assert [e for e, _ in elsewhere.events] == ["ready"], "another tenant's console hears none of it"
    finally:
        console.close()
        elsewhere.close()


async def test_a_watcher_hears_another_processes_changes_and_stops_with_its_last_follower(tmp_path: Path) -> None:
    """Two queues on one database, as two replicas: a change made through one reaches the other's watcher within
    its poll; the watcher is the tenant's alone, and ends when nobody follows it."""
    db_a, db_b = (AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}") for _ in range(2))
    try:
        await upgrade(db_a.engine)
        async with db_a.session() as s:
            s.add_all([Tenant(id="shop", name="Shop"), Tenant(id="rival", name="Rival")])
            await s.commit()
        a, b = HandoffQueue(db_a), HandoffQueue(db_b, poll_s=0.05)

        async def enqueue(tenant: str, thread: str, turn: int = 1) -> str:
            fields = {"run_id": "", "reason": "asked_for_human", "question": "a person please", "summary": ""}
            made = await a.enqueue(
                tenant_id=tenant, thread_id=thread, turn=turn, draft="", sources=[], customer={}, **fields
            )
            return made.id

        async with b.watch("shop") as first, b.watch("shop") as second, b.watch("rival") as rival:
            handoff = await enqueue("shop", "t1")
            for q in (first, second):
                event = await asyncio.wait_for(q.get(), 5)
                assert (event["kind"], event["handoff_id"], event["status"]) == ("queued", handoff, "waiting")
            # One change at a time (two within one poll of another replica's are one look: the later one's event).
            for change, kind in (
                (a.claim("shop", handoff, "aoife"), "claimed"),
                (a.add_note("shop", handoff, "aoife", "regular"), "note"),
                (enqueue("shop", "t1", turn=2), "customer_wrote"),
                (a.release("shop", handoff, "aoife"), "released"),
                (a.close("shop", handoff, "resolved"), "closed"),
            ):
                await change
                event = await asyncio.wait_for(first.get(), 5)
                assert (event["kind"], event["handoff_id"]) == (kind, handoff), event
            assert event["status"] == "resolved" and second.qsize() == 5
            assert rival.empty(), "another tenant's watcher hears nothing"
            assert set(b._watchers) == {"shop", "rival"}
        assert b._watchers == {}, "the last follower gone, the watcher stops"
    finally:
        await db_a.dispose()
        await db_b.dispose()
