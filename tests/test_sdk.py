"""The official `langgraph_sdk` client against our server: create, stream, resume, read state, wait."""

from langgraph_sdk import get_client

from tests.conftest import LiveServer


async def test_official_client_streams_resumes_and_reads_state(live_server: LiveServer, auth: dict) -> None:
    client = get_client(url=live_server.url, api_key=auth["X-Api-Key"])  # sent as X-Api-Key
    thread = await client.threads.create()
    parts = [
        part
        async for part in client.runs.stream(
            thread["thread_id"],
            "concierge",
            input={"messages": [{"role": "user", "content": "Is the Lumen clip light in stock?"}]},
            stream_mode=["messages-tuple", "updates"],
        )
    ]
    assert parts[0].event == "metadata"
    tokens = "".join(p.data[0]["content"] for p in parts if p.event == "messages")
    assert "only 3 left in stock" in tokens
    interrupt = next(p.data["__interrupt__"][0] for p in parts if p.event == "updates" and "__interrupt__" in p.data)
    assert interrupt["value"]["type"] == "feedback"

    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["collect_feedback"] and state["interrupts"][0]["id"] == interrupt["id"]

    resumed = [
        p
        async for p in client.runs.stream(
            thread["thread_id"], "concierge", command={"resume": "up"}, stream_mode="updates"
        )
    ]
    assert resumed[-1].data == {
        "collect_feedback": {
            "feedback": [{"turn": 1, "kind": "explicit", "rating": "up", "comment": "", "score": 1.0, "helpful": True}]
        }
    }

    final = await client.runs.wait(
        thread["thread_id"], "concierge", input={"messages": [{"role": "user", "content": "How much is the KF-200?"}]}
    )
    assert "48.00 EUR" in final["messages"][-1]["content"]
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
