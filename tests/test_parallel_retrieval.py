"""Sources run in one superstep under their own budgets: a slow source costs its budget, not the sum of all."""

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.tools.db.retrieval_log import entries, summary
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from concierge.tools.web.cache import CachedWebSearch
from concierge.tools.web.providers import GoogleCustomSearch
from tests.conftest import LiveServer
from tests.stand_ins import HangingIndex
from tests.web_stubs import WebStub

BUDGET = 1.0
QUESTION = "How much is the Kestrel KF-200 fountain pen?"


@pytest.fixture
def stub() -> Iterator[WebStub]:
    server = WebStub().start()
    yield server
    server.stop()


def web_for(stub: WebStub, tools: Toolbox) -> CachedWebSearch:
    return CachedWebSearch(GoogleCustomSearch("k", "cx", stub.google_endpoint, 5.0), tools.db, timeout_s=5.0)


async def test_two_hanging_sources_cost_one_budget_and_every_source_is_logged(stub: WebStub, context: Context) -> None:
    context.tools.documents = HangingIndex()
    context.tools.web = web_for(stub, context.tools)
    stub.mode = "hang"
    ctx = replace(context, source_timeouts={"documents": BUDGET, "catalog": BUDGET, "web": BUDGET})
    graph = build_graph(InMemorySaver())
    config = {"configurable": {"thread_id": "slow-1"}}

    seen: dict[str, float] = {}
    async for update in graph.astream(
        {"messages": [HumanMessage(QUESTION)]}, config, context=ctx, stream_mode="updates"
    ):
        for node in update:
            seen.setdefault(node, time.perf_counter())
    retrievers = ("retrieve_documents", "retrieve_catalog", "retrieve_web")
    retrieval = max(seen[n] for n in retrievers) - seen["analyze_query"]
    assert retrieval >= BUDGET * 0.95, f"{retrieval:.3f} s: the hanging document index used its whole budget"
    # Spent one after the other, the two budgets would take 2 s at least; side by side, one budget and the turn's
    # own work (0.3-0.4 s on a busy machine).
    assert retrieval < BUDGET * 2, f"{retrieval:.3f} s: the slowest budget, not the sum ({2 * BUDGET:g} s)"
    assert seen["retrieve_catalog"] - seen["analyze_query"] < BUDGET, "the catalog answered without waiting"

    state = await graph.aget_state(config)
    assert state.values["retrieved"][0]["id"] == "catalog:product:ST-0001", "the answer goes on with the catalog"
    assert "48.00 EUR" in state.values["messages"][-1].content
    errors = {e["source"]: e["kind"] for e in state.values["source_errors"]}
    assert errors == {"documents": "timeout", "web": "error"}, "the web's own deadline ended in 'no cached answer'"

    rows = {r["source"]: r for r in await entries(context.tools.db, "demo", "slow-1")}
    assert set(rows) == {"documents", "catalog", "web"}
    assert all(r["turn"] == 1 and sorted(r["sources_asked"]) == sorted(rows) for r in rows.values())
    assert rows["catalog"]["status"] == "ok" and rows["catalog"]["results"] >= 1
    assert rows["catalog"]["elapsed_ms"] < BUDGET * 1000
    assert rows["documents"]["status"] == "timeout" and rows["documents"]["budget_ms"] == BUDGET * 1000
    assert rows["web"]["status"] == "error" and "timeout" in rows["web"]["error"]
    assert rows["web"]["elapsed_ms"] < BUDGET * 1000, "the provider deadline sits inside the node's budget"
    figures = {s["source"]: s for s in await summary(context.tools.db, "demo")}
    assert figures["documents"]["statuses"] == {"timeout": 1} and figures["catalog"]["runs"] == 1
    await context.tools.web.aclose()


def test_retrieval_log_web_status_and_the_tenant_switch_over_http(stub: WebStub, settings: Settings) -> None:
    tools = Toolbox.from_settings(settings)
    tools.web = web_for(stub, tools)
    server = LiveServer(settings, tools).start()
    try:
        with server.client(timeout=30) as client:
            thread = client.post("/threads", json={}).json()["thread_id"]
            body = {"input": {"messages": [{"role": "user", "content": QUESTION}]}}
            r = client.post(f"/threads/{thread}/runs/wait", json=body)
            assert r.status_code == 200, r.text
            log = client.get("/retrieval/log", params={"thread_id": thread}).json()["entries"]
            assert {e["source"] for e in log} == {"documents", "catalog", "web"}
            web_row = next(e for e in log if e["source"] == "web")
            assert web_row["status"] == "ok" and web_row["results"] == 2

            status = client.get("/retrieval/web").json()
            assert status["configured"] and status["enabled"] and status["provider"] == "google"
            assert status["counters"]["live"] == 1

            assert client.put("/retrieval/web", json={"enabled": False}).json() == {
                "configured": True,
                "enabled": False,
            }
            client.post(f"/threads/{thread}/runs/wait", json={"command": {"resume": 5}})
            r = client.post(f"/threads/{thread}/runs/wait", json=body)
            assert r.status_code == 200
            turn2 = [e for e in client.get("/retrieval/log", params={"thread_id": thread}).json()["entries"]]
            assert {e["source"] for e in turn2 if e["turn"] == 2} == {"documents", "catalog"}, "web switched off"
            assert client.put("/retrieval/web", json={"enabled": "maybe"}).status_code == 422
            sources = {s["source"] for s in client.get("/retrieval/summary").json()["sources"]}
            assert sources == {"documents", "catalog", "web"}
    finally:
        server.stop()
