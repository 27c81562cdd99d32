"""End to end through the HTTP API of a real server: stream, cite, feedback, handoff, restart, bad input."""

import time

import httpx
import pytest

from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer
from tests.sse import stream_events

QUESTION = "How much is the Kestrel fountain pen?"


def ask(content: str, modes: list[str] | None = None) -> dict:
    return {
        "input": {"messages": [{"role": "user", "content": content}]},
        "stream_mode": modes or ["messages-tuple", "updates", "values"],
    }


def new_thread(client: httpx.Client) -> str:
    r = client.post("/threads", json={})
    assert r.status_code == 200, r.text
    return r.json()["thread_id"]


def test_stream_answer_with_citation_feedback_and_restart(settings: Settings) -> None:
    server = LiveServer(settings).start()
    try:
        with server.client() as client:
            thread = new_thread(client)
            events = stream_events(client, f"/threads/{thread}/runs/stream", ask(QUESTION))
            names = [e for e, _ in events]
            assert names[0] == "metadata" and events[0][1]["run_id"]

            tokens = [d[0]["content"] for e, d in events if e == "messages" and d[1]["langgraph_node"] == "generate"]
            assert len(tokens) > 3, "the answer arrives as several tokens"
            generate_done = next(i for i, (e, d) in enumerate(events) if e == "updates" and "generate" in d)
            first_token = next(i for i, (e, d) in enumerate(events) if e == "messages")
            assert first_token < generate_done, "tokens reach the client while generate is still running"

            attribute = next(d["attribute"] for e, d in events if e == "updates" and "attribute" in d)
            answer = attribute["messages"][0]["content"]
            assert "48.00 EUR" in answer and "[1]" in answer
            assert attribute["citations"][0] == {
                "n": 1,
                "id": "catalog:product:ST-0001",
                "source": "catalog",
                "title": "Kestrel Fountain Pen",
                "locator": "our catalog",
            }
            interrupt = next(d["__interrupt__"] for e, d in events if e == "updates" and "__interrupt__" in d)
            assert interrupt[0]["value"]["type"] == "feedback"
            assert client.get(f"/threads/{thread}").json()["status"] == "interrupted"

            resumed = stream_events(
                client,
                f"/threads/{thread}/runs/stream",
                {"command": {"resume": {"rating": 4}}, "stream_mode": "updates"},
            )
            assert [d for e, d in resumed if e == "updates"] == [
                {
                    "collect_feedback": {
                        "feedback": [
                            {"turn": 1, "kind": "explicit", "rating": 4, "comment": "", "score": 0.75, "helpful": True}
                        ]
                    }
                }
            ]
            before = client.get(f"/threads/{thread}/state").json()
    finally:
        server.stop()

    again = LiveServer(settings).start()  # a new app instance on the same files
    try:
        with again.client() as client:
            after = client.get(f"/threads/{thread}/state").json()
            assert after == before
            assert after["values"]["messages"][-1]["content"] == answer
            assert after["values"]["feedback"][0]["rating"] == 4
            assert client.get(f"/threads/{thread}").json()["status"] == "idle"
    finally:
        again.stop()


def test_asking_for_a_human_pauses_at_handoff_and_agent_reply_resumes(live_server: LiveServer) -> None:
    with live_server.client() as client:
        thread = new_thread(client)
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("Can I speak to a real person please?")).json()
        paused = out["__interrupt__"][0]["value"]
        assert paused["action_request"]["action"] == "handoff"
        assert paused["action_request"]["args"]["reason"] == "asked_for_human"
        state = client.get(f"/threads/{thread}/state").json()
        assert state["next"] == ["handoff"]

        out = client.post(
            f"/threads/{thread}/runs/wait",
            json={"command": {"resume": {"reply": "Hello, Niamh here.", "agent": "niamh"}}},
        ).json()
        assert out["messages"][-1]["content"] == "Hello, Niamh here."
        assert out["handoff"]["status"] == "answered" and out["handoff"]["agent"] == "niamh"
        assert "__interrupt__" not in out


def test_a_new_message_counts_as_continued_feedback(live_server: LiveServer) -> None:
    with live_server.client() as client:
        thread = new_thread(client)
        client.post(f"/threads/{thread}/runs/wait", json=ask("When is the book club?"))
        out = client.post(f"/threads/{thread}/runs/wait", json=ask("Can I return opened perfume?")).json()
        assert out["feedback"] == [{"turn": 1, "kind": "continued", "rating": None, "comment": ""}]
        assert out["turn"] == 2


def test_messages_mode_sends_partial_messages(live_server: LiveServer) -> None:
    with live_server.client() as client:
        thread = new_thread(client)
        events = stream_events(client, f"/threads/{thread}/runs/stream", ask(QUESTION, ["messages"]))
        partial = [d[0]["content"] for e, d in events if e == "messages/partial"]
        assert len(partial) > 3 and partial[-1].startswith(partial[0]) and len(partial[-1]) > len(partial[0])
        assert any(e == "messages/metadata" for e, _ in events)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("get", "/threads/unknown", None, 404, "thread unknown not found"),
        ("get", "/threads/unknown/state", None, 404, "not found"),
        ("post", "/threads/unknown/runs/stream", {"input": {"messages": []}}, 404, "not found"),
        ("post", "/threads", {"metadata": {"tenant_id": "nobody"}}, 422, "the tenant comes from the API key"),
    ],
)
def test_unknown_things_are_404(
    live_server: LiveServer, auth: dict, method: str, path: str, body, status: int, detail: str
) -> None:
    r = httpx.request(method, live_server.url + path, json=body, headers=auth)
    assert r.status_code == status and detail in r.json()["detail"]


def test_bad_requests(live_server: LiveServer) -> None:
    with live_server.client() as client:
        thread = new_thread(client)
        runs = f"/threads/{thread}/runs/wait"
        assert client.post(runs, content=b"{not json").status_code == 422
        assert client.post(runs, json={"input": 5}).status_code == 422
        assert client.post(runs, json={"stream_mode": "nope", "input": {}}).status_code == 422
        assert client.post(runs, json={}).status_code == 422
        bad_map = client.post(runs, json={**ask("hi"), "checkpoint": {"checkpoint_map": {"": [1]}}})
        assert bad_map.status_code == 422 and "checkpoint_map" in str(bad_map.json()["detail"])
        for empty in ({}, {"resume": None}, {"update": {}, "goto": []}):  # LangGraph would fail inside the run
            nothing = client.post(runs, json={"command": empty})
            assert nothing.status_code == 422 and "resume" in nothing.json()["detail"]
        bad_context = client.post(runs, json={**ask("hi"), "context": {"max_results": "many"}})
        assert bad_context.status_code == 422 and "max_results" in bad_context.json()["detail"]
        bad_zone = client.post(runs, json={**ask("hi"), "context": {"timezone": "Mars/Olympus"}})
        assert bad_zone.status_code == 422 and "Mars/Olympus" in bad_zone.json()["detail"]
        not_paused = client.post(runs, json={"command": {"resume": {"rating": 5}}})
        assert not_paused.status_code == 409 and "not paused" in not_paused.json()["detail"]
        assert client.post("/threads", json={"thread_id": thread}).status_code == 409
        # The server kept serving and lost nothing: the thread still answers.
        out = client.post(runs, json=ask(QUESTION)).json()
        assert "48.00 EUR" in out["messages"][-1]["content"]


def test_a_crash_inside_a_node_ends_the_run_with_an_error_naming_it(settings: Settings) -> None:
    from concierge.tools.llm.providers import LOCAL_MODEL
    from concierge.tools.toolbox import Toolbox
    from tests.stand_ins import BrokenChatModel

    tools = Toolbox.from_settings(settings)
    tools.models.models[LOCAL_MODEL] = BrokenChatModel()  # no provider left that can answer
    server = LiveServer(settings, tools).start()
    try:
        with server.client() as client:
            thread = new_thread(client)
            events = stream_events(client, f"/threads/{thread}/runs/stream", ask(QUESTION, ["updates"]))
            event, error = events[-1]
            assert event == "error" and error["node"] == "generate"
            assert "generate" in error["message"] and "provider exploded" in error["message"]
            assert client.get(f"/threads/{thread}").json()["status"] == "error"
            state = client.get(f"/threads/{thread}/state").json()
            assert state["next"] == ["generate"], "the last good checkpoint stays: generate is still to run"
            assert state["values"]["context"]["sources"], "work done before the crash is kept"
            # The server keeps serving other threads.
            assert client.post("/threads", json={}).status_code == 200
    finally:
        server.stop()


def test_a_second_run_on_a_busy_thread_is_refused_when_the_strategy_is_reject(settings: Settings) -> None:
    import threading

    from concierge.tools.toolbox import Toolbox
    from tests.stand_ins import HangingIndex

    tools = Toolbox.from_settings(settings)
    tools.documents = HangingIndex()  # the first run waits out the documents' time budget
    server = LiveServer(settings, tools).start()
    try:
        with server.client(timeout=30) as client:
            thread = new_thread(client)
            # A tenant's setting, through the admin API: a run's context may not change it.
            assert client.patch("/admin/tenants/demo", json={"settings": {"source_timeout_s": 1.5}}).status_code == 200
            slow = ask("Can I return opened perfume?")
            first = threading.Thread(target=client.post, args=(f"/threads/{thread}/runs/wait",), kwargs={"json": slow})
            first.start()
            for _ in range(100):
                if client.get(f"/threads/{thread}").json()["status"] == "busy":
                    break
            busy = client.post(f"/threads/{thread}/runs/wait", json={**ask(QUESTION), "multitask_strategy": "reject"})
            assert busy.status_code == 409 and "busy" in busy.json()["detail"]
            first.join()
            assert client.post(f"/threads/{thread}/runs/wait", json=ask(QUESTION)).status_code == 200
    finally:
        server.stop()


def test_a_starting_server_prepares_its_tenants_before_the_first_customer(settings: Settings) -> None:
    """Left to the first turn, the catalog index and the documents' vectors took more than their sources' time
    budgets on a loaded machine."""
    tools = Toolbox.from_settings(settings)
    server = LiveServer(settings, tools).start()
    try:
        deadline = time.monotonic() + 30
        while "demo" not in tools.documents._matrices and time.monotonic() < deadline:
            time.sleep(0.05)
        # No request was made: the server loaded them on its own.
        assert "demo" in tools.catalog._indexes and "demo" in tools.documents._matrices
    finally:
        server.stop()
