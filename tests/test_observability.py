"""What operators see: health and readiness, Prometheus metrics, JSON logs with ids, LangSmith traces (to a
loopback collector: real tracing stays off)."""

import asyncio
import json
import shutil
import time
from pathlib import Path

import httpx
from langgraph_sdk import get_client
from prometheus_client.parser import text_string_to_metric_families

from concierge.tools.settings import Settings
from tests.conftest import LiveServer
from tests.langsmith_stub import LangSmithStub
from tests.replicas import ServerProcess, demo_key

QUESTION = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}


def samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(metrics: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in metrics.items() if n == name and set(labels.items()) <= set(ls))


async def test_health_readiness_and_metrics(live_server: LiveServer, auth: dict[str, str]) -> None:
    assert httpx.get(f"{live_server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{live_server.url}/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"database", "checkpoints", "event_log", "documents"}
    assert all(c["ok"] for c in ready.json()["checks"].values())

    assert httpx.get(f"{live_server.url}/metrics").status_code == 401, "metrics need a key with analytics:view"
    before = samples(httpx.get(f"{live_server.url}/metrics", headers=auth).text)
    client = get_client(url=live_server.url, api_key=auth["X-Api-Key"])
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "concierge", input=QUESTION)
    await client.runs.wait(tid, "concierge", command={"resume": {"rating": 5}})
    response = httpx.get(f"{live_server.url}/metrics", headers=auth)
    assert response.headers["content-type"].startswith("text/plain")
    after = samples(response.text)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("concierge_runs_finished_total", status="success") == 2
    assert grew("concierge_turn_seconds_count", kind="input") == 1
    assert grew("concierge_turn_seconds_count", kind="resume") == 1
    assert grew("concierge_tokens_total", provider="local", kind="output") > 0
    assert grew("concierge_time_to_first_token_seconds_count", provider="local") == 1
    assert grew("concierge_retrieval_seconds_count", source="catalog") == 1
    assert grew("concierge_provider_calls_total", model="local/extractive", ok="true") == 1
    assert ("concierge_run_queue_depth", ()) in after and ("concierge_runs_active", ()) in after


async def test_langsmith_traces_carry_the_run_id_and_what_the_run_decided(settings: Settings) -> None:
    with LangSmithStub() as stub:
        traced = settings.model_copy(
            update={
                "langsmith_tracing": True,
                "langsmith_endpoint": stub.url,
                "langsmith_api_key": "lsv2-test",
                "langsmith_project": "concierge-tests",
            }
        )
        server = LiveServer(traced).start()
        try:
            client = get_client(url=server.url, api_key=demo_key(settings.data_dir))
            tid = (await client.threads.create())["thread_id"]
            parts = [p async for p in client.runs.stream(tid, "concierge", input=QUESTION, stream_mode="updates")]
            run_id = parts[0].data["run_id"]
            deadline = time.monotonic() + 20
            while not (stub.runs.get(run_id, {}).get("end_time") and stub.runs[run_id].get("extra")):
                assert time.monotonic() < deadline, f"no finished trace for {run_id}: {stub.requests[-5:]}"
                await asyncio.sleep(0.1)
        finally:
            server.stop()
    root = stub.runs[run_id]
    assert root["trace_id"] == run_id, "the run id is the trace id"
    assert root["name"] == "concierge" and root["session_name"] == "concierge-tests"
    metadata = root["extra"]["metadata"]
    assert metadata["tenant_id"] == "demo" and metadata["thread_id"] == tid and metadata["run_id"] == run_id
    assert metadata["provider"] == "local" and metadata["tier"] and metadata["route"] == "local/extractive"
    assert {"tenant:demo", f"thread:{tid}", "provider:local", f"tier:{metadata['tier']}"} <= set(root["tags"])
    children = [r for r in stub.runs.values() if r.get("trace_id") == run_id and r.get("parent_run_id")]
    assert {"analyze_query", "generate"} <= {c.get("name") for c in children}


async def test_server_logs_are_json_lines_carrying_tenant_thread_and_run(seeded_dir: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    log = tmp_path / "server.log"
    server = ServerProcess(
        {
            "CONCIERGE_DATA_DIR": str(data),
            "CONCIERGE_SOURCE_TIMEOUTS": '{"documents": 2.0, "catalog": 2.0}',
            "CONCIERGE_LOG_LEVEL": "INFO",
        },
        log,
    ).start()
    try:
        client = get_client(url=server.url, api_key=demo_key(data))
        tid = (await client.threads.create())["thread_id"]
        parts = [p async for p in client.runs.stream(tid, "concierge", input=QUESTION, stream_mode="updates")]
        run_id = parts[0].data["run_id"]
        deadline = time.monotonic() + 10
        while "run finished" not in log.read_text():
            assert time.monotonic() < deadline, server.tail()
            await asyncio.sleep(0.1)
    finally:
        server.stop()
    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    finished = next(r for r in records if r.get("event") == "run finished")
    assert finished["tenant_id"] == "demo" and finished["thread_id"] == tid and finished["run_id"] == run_id
    assert finished["status"] == "success" and finished["level"] == "info" and "timestamp" in finished
    during = [r for r in records if r.get("run_id") == run_id]
    assert len(during) >= 1
