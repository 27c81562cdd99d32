"""Runs as records on one server: double texting, cancellation, disconnecting clients, rejoining, lost runs.

The answering model is a stand-in that waits for the test to open a gate, so a run is reliably "in flight".
"""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from concierge.tools.db.base import utcnow
from concierge.tools.db.models import Run, Thread
from concierge.tools.llm.providers import LOCAL_MODEL
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer
from tests.replicas import demo_key
from tests.stand_ins import GatedAnswerer

QUESTION = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}
OTHER = {"messages": [{"role": "user", "content": "Is the Lumen clip light in stock?"}]}
HUMAN = {"messages": [{"role": "user", "content": "Can I speak to a real person please?"}]}


def key(server: LiveServer) -> str:
    return demo_key(server.settings.data_dir)


def raw_client(server: LiveServer) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.url, timeout=30, headers={"X-Api-Key": key(server)})


class Gated:
    def __init__(self, server: LiveServer, model: GatedAnswerer) -> None:
        self.server, self.model = server, model

    def client(self) -> LangGraphClient:
        return get_client(url=self.server.url, api_key=key(self.server), timeout=30)

    async def until_generating(self, timeout_s: float = 20) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.model.started.is_set():
            assert time.monotonic() < deadline, "the run never reached generation"
            await asyncio.sleep(0.02)
        self.model.started.clear()


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    budgets = {"documents": 2.0, "catalog": 2.0}  # answers must not depend on how busy the machine is
    return settings.model_copy(
        update={"run_poll_s": 0.1, "stream_poll_s": 0.05, "sse_heartbeat_s": 0.2, "source_timeouts": budgets}
    )


@pytest.fixture
def gated(fast_settings: Settings) -> Iterator[Gated]:
    tools = Toolbox.from_settings(fast_settings)
    model = GatedAnswerer()
    tools.models.models[LOCAL_MODEL] = model
    server = LiveServer(fast_settings, tools).start()
    yield Gated(server, model)
    model.gate.set()
    server.stop()


async def wait_status(client: LangGraphClient, thread_id: str, run_id: str, *statuses: str) -> dict:
    deadline = time.monotonic() + 20
    while True:
        run = await client.runs.get(thread_id, run_id)
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run stayed {run['status']}, expected {statuses}"
        await asyncio.sleep(0.05)


def humans(values: dict) -> list[str]:
    return [m["content"] for m in values["messages"] if m["type"] == "human"]


async def test_interrupt_strategy_stops_the_running_run_keeps_its_progress_and_runs_the_new_one(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "concierge", input=QUESTION)
    await gated.until_generating()
    second = await client.runs.create(tid, "concierge", input=OTHER, multitask_strategy="interrupt")
    await wait_status(client, tid, first["run_id"], "interrupted")
    gated.model.gate.set()
    out = await client.runs.join(tid, second["run_id"])
    assert (await client.runs.get(tid, second["run_id"]))["status"] == "success"
    assert humans(out) == [QUESTION["messages"][0]["content"], OTHER["messages"][0]["content"]], (
        "the interrupted run's question stays: its progress was kept"
    )


async def test_rollback_strategy_deletes_the_running_run_and_what_it_wrote(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "concierge", input=QUESTION)
    await gated.until_generating()
    second = await client.runs.create(tid, "concierge", input=OTHER, multitask_strategy="rollback")
    gated.model.gate.set()
    out = await client.runs.join(tid, second["run_id"])
    with pytest.raises(httpx.HTTPStatusError) as gone:
        await client.runs.get(tid, first["run_id"])
    assert gone.value.response.status_code == 404
    assert humans(out) == [OTHER["messages"][0]["content"]], "the rolled-back run left nothing behind"
    assert out["turn"] == 1
    assert [r["run_id"] for r in await client.runs.list(tid)] == [second["run_id"]]


async def test_enqueued_runs_wait_their_turn(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.create(tid, "concierge", input=QUESTION)
    second = await client.runs.create(tid, "concierge", input=OTHER)
    await gated.until_generating()
    assert (await client.runs.get(tid, first["run_id"]))["status"] == "running"
    assert (await client.runs.get(tid, second["run_id"]))["status"] == "pending"
    assert (await client.threads.get(tid))["status"] == "busy"
    gated.model.gate.set()
    out = await client.runs.join(tid, second["run_id"])
    assert humans(out) == [QUESTION["messages"][0]["content"], OTHER["messages"][0]["content"]]
    assert out["feedback"][0]["kind"] == "continued"


async def test_two_simultaneous_resumes_of_one_interrupt_execute_once(fast_settings: Settings) -> None:
    server = LiveServer(fast_settings).start()
    try:
        client = get_client(url=server.url, api_key=key(server), timeout=30)
        tid = (await client.threads.create())["thread_id"]
        await client.runs.wait(tid, "concierge", input=HUMAN)

        async def resume(agent: str) -> int:
            async with raw_client(server) as http:
                body = {"command": {"resume": {"reply": f"Hello, {agent} here.", "agent": agent}}}
                return (await http.post(f"/threads/{tid}/runs/wait", json=body)).status_code

        for _ in range(3):  # the race is not always close; each round gets a fresh interrupt
            codes = await asyncio.gather(resume("niamh"), resume("aoife"))
            assert sorted(codes) == [200, 409], codes
            state = await client.threads.get_state(tid)
            replies = [m for m in state["values"]["messages"] if m.get("name") == "human_agent"]
            assert len(replies) == len({m["id"] for m in replies}) and state["next"] == []
            await client.runs.wait(tid, "concierge", input=HUMAN)
        state = await client.threads.get_state(tid)
        assert len([m for m in state["values"]["messages"] if m.get("name") == "human_agent"]) == 3
    finally:
        server.stop()


async def test_cancel_with_wait_interrupts_and_the_thread_takes_the_next_run(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "concierge", input=QUESTION)
    await gated.until_generating()
    await client.runs.cancel(tid, run["run_id"], wait=True)
    assert (await client.runs.get(tid, run["run_id"]))["status"] == "interrupted"
    assert (await client.threads.get(tid))["status"] != "busy"
    with pytest.raises(httpx.HTTPStatusError) as over:
        await client.runs.cancel(tid, run["run_id"])
    assert over.value.response.status_code == 404
    gated.model.gate.set()
    out = await client.runs.wait(tid, "concierge", input=OTHER, multitask_strategy="reject")
    assert humans(out)[-1] == OTHER["messages"][0]["content"]


async def test_a_client_that_leaves_cancels_its_run_unless_it_asked_to_continue(gated: Gated) -> None:
    client = gated.client()
    for on_disconnect, expected in (("cancel", "interrupted"), ("continue", "success")):
        tid = (await client.threads.create())["thread_id"]
        async with raw_client(gated.server) as http:
            body = {**{"input": QUESTION}, "stream_mode": "updates", "on_disconnect": on_disconnect}
            async with http.stream("POST", f"/threads/{tid}/runs/stream", json=body) as response:
                run_id = response.headers["Content-Location"].rsplit("/", 1)[1]
                await gated.until_generating()
        if on_disconnect == "continue":
            gated.model.gate.set()
        await wait_status(client, tid, run_id, expected)
        gated.model.gate.clear()
    assert (await client.threads.get(tid))["status"] in ("idle", "interrupted")


async def test_a_client_that_leaves_before_the_first_event_leaves_no_lock(fast_settings: Settings) -> None:
    server = LiveServer(fast_settings).start()
    try:
        client = get_client(url=server.url, api_key=key(server), timeout=30)
        tid = (await client.threads.create())["thread_id"]
        async with raw_client(server) as http:
            for _ in range(3):
                request = http.build_request("POST", f"/threads/{tid}/runs/stream", json={"input": QUESTION})
                response = await http.send(request, stream=True)
                await response.aclose()  # gone before reading a byte
        deadline = time.monotonic() + 20
        while (await client.threads.get(tid))["status"] == "busy":
            assert time.monotonic() < deadline, "the thread stayed busy after its clients left"
            await asyncio.sleep(0.05)
        out = await client.runs.wait(tid, "concierge", input=OTHER, multitask_strategy="reject")
        assert "__error__" not in out and humans(out)[-1] == OTHER["messages"][0]["content"]
        assert all(r["status"] in ("success", "interrupted") for r in await client.runs.list(tid, limit=10))
    finally:
        server.stop()


async def test_rejoining_a_running_run_replays_then_follows_it(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    run = await client.runs.create(tid, "concierge", input=QUESTION, stream_mode=["updates"], stream_resumable=True)
    await gated.until_generating()

    async def rejoin() -> list:
        return [p async for p in client.runs.join_stream(tid, run["run_id"], last_event_id="-1")]

    following = asyncio.create_task(rejoin())
    await asyncio.sleep(0.3)
    gated.model.gate.set()
    parts = await asyncio.wait_for(following, 30)
    names = [next(iter(p.data)) for p in parts if p.event == "updates"]
    assert parts[0].event == "metadata" and names[0] == "analyze_query" and "attribute" in names
    assert names[-1] == "__interrupt__"
    assert [p.id for p in parts] == sorted((p.id for p in parts), key=lambda i: tuple(map(int, i.split("-"))))


async def test_heartbeats_keep_a_quiet_stream_alive(gated: Gated) -> None:
    tid = (await gated.client().threads.create())["thread_id"]
    lines: list[str] = []
    async with raw_client(gated.server) as http:
        body = {"input": QUESTION, "stream_mode": "updates"}
        async with http.stream("POST", f"/threads/{tid}/runs/stream", json=body) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["Content-Location"].startswith(f"/threads/{tid}/runs/")
            async for line in response.aiter_lines():
                lines.append(line)
                if line == ": heartbeat" and lines.count(": heartbeat") >= 2:
                    gated.model.gate.set()
    assert lines.count(": heartbeat") >= 2 and any(line.startswith("event: updates") for line in lines)


async def test_a_run_whose_replica_died_is_failed_and_the_thread_works_again(fast_settings: Settings) -> None:
    settings = fast_settings.model_copy(update={"run_lease_s": 0.5})
    server = LiveServer(settings).start()
    try:
        client = get_client(url=server.url, api_key=key(server), timeout=30)
        tid = (await client.threads.create())["thread_id"]
        tools = await Toolbox.from_settings(settings).open()
        try:
            async with tools.db.session() as s:  # what a replica killed mid-run leaves behind
                old = utcnow()
                s.add(Run(id="lost-run", thread_id=tid, tenant_id="demo", assistant_id="a", status="running",
                          kwargs={}, meta={}, worker="gone:1:x", ordinal=1, created_at=old, updated_at=old,
                          started_at=old, heartbeat_at=old))  # fmt: skip
                (await s.get(Thread, tid)).status = "busy"
                await s.commit()
        finally:
            await tools.close()
        lost = await wait_status(client, tid, "lost-run", "error")
        assert lost["status"] == "error"
        thread = await client.threads.get(tid)
        assert thread["status"] == "error" and thread["error"]["error"] == "WorkerLost"
        out = await client.runs.wait(tid, "concierge", input=QUESTION, multitask_strategy="reject")
        assert "48.00 EUR" in out["messages"][-1]["content"]
        assert (await client.threads.get(tid))["status"] == "interrupted"
    finally:
        server.stop()


async def test_a_thread_id_outside_ascii_gets_an_encoded_location(fast_settings: Settings) -> None:
    """Schemathesis found it: a client-chosen thread id with a non-ASCII character made the Location header a 500."""
    server = LiveServer(fast_settings).start()
    try:
        async with raw_client(server) as http:
            tid = "caf\u00e9-\U00078faa"
            body = {"input": QUESTION, "if_not_exists": "create"}
            out = await http.post(f"/threads/{tid}/runs/wait", json=body)
            assert out.status_code == 200, out.text
            assert out.headers["content-location"].startswith("/threads/caf%C3%A9-%F1%B8%BE%AA/runs/")
            assert "48.00 EUR" in out.json()["messages"][-1]["content"]
            assert (await http.get(f"/threads/{tid}")).json()["thread_id"] == tid
    finally:
        server.stop()


async def test_paging_past_what_a_database_can_count_is_a_422(fast_settings: Settings) -> None:
    """Schemathesis found it: an offset beyond 64 bits reached SQLite and came back as a 500."""
    server = LiveServer(fast_settings).start()
    try:
        async with raw_client(server) as http:
            huge = 10**20
            searched = await http.post("/threads/search", json={"offset": huge})
            assert searched.status_code == 422 and "offset" in searched.json()["detail"], searched.text
            tid = (await http.post("/threads", json={})).json()["thread_id"]
            runs = await http.get(f"/threads/{tid}/runs", params={"offset": huge})
            assert runs.status_code == 422 and "offset" in runs.json()["detail"], runs.text
    finally:
        server.stop()


def _checkpoint_rows(server: LiveServer, thread_id: str) -> int:
    import sqlite3

    with sqlite3.connect(server.settings.checkpoint_path) as db:
        return sum(
            db.execute(f"SELECT COUNT(*) FROM {table} WHERE thread_id = ?", (thread_id,)).fetchone()[0]
            for table in ("checkpoints", "writes")
        )


async def test_deleting_a_thread_with_a_run_in_flight_stops_it_first_and_leaves_no_checkpoint(gated: Gated) -> None:
    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    await client.runs.create(tid, "concierge", input=QUESTION)
    await gated.until_generating()
    assert _checkpoint_rows(gated.server, tid) > 0
    await client.threads.delete(tid)
    gated.model.gate.set()
    await asyncio.sleep(0.5)  # whatever the stopped run might still write
    assert _checkpoint_rows(gated.server, tid) == 0
    with pytest.raises(httpx.HTTPStatusError) as gone:
        await client.threads.get(tid)
    assert gone.value.response.status_code == 404


async def test_a_run_whose_thread_another_replica_deleted_removes_what_it_wrote_since(gated: Gated) -> None:
    """Another replica deleted the thread (rows and checkpoints) without this run noticing in time: the run goes on
    writing checkpoints, and removes them when it ends and finds its thread gone."""
    import sqlite3

    client = gated.client()
    tid = (await client.threads.create())["thread_id"]
    await client.runs.create(tid, "concierge", input=QUESTION)
    await gated.until_generating()
    with sqlite3.connect(gated.server.settings.data_dir / "app.sqlite") as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("DELETE FROM threads WHERE id = ?", (tid,))
    with sqlite3.connect(gated.server.settings.checkpoint_path) as db:
        db.execute("DELETE FROM checkpoints WHERE thread_id = ?", (tid,))
        db.execute("DELETE FROM writes WHERE thread_id = ?", (tid,))
    gated.model.gate.set()  # the run answers and checkpoints after the deletion
    executor = gated.server._server.app.state.concierge.executor  # the run's replica: this one
    deadline = time.monotonic() + 20
    while executor.active:
        assert time.monotonic() < deadline, "the run never ended"
        await asyncio.sleep(0.05)
    while _checkpoint_rows(gated.server, tid):
        assert time.monotonic() < deadline, "the run's checkpoints outlived its deleted thread"
        await asyncio.sleep(0.1)
