"""`langgraph dev` serves the graph registered in langgraph.json, and the official client drives it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from concierge.tools.settings import Settings
from tests.loopback import free_port

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"


@pytest.mark.slow
@pytest.mark.skipif(not LANGGRAPH.exists(), reason="langgraph-cli is not installed (pip install -e '.[dev]')")
async def test_langgraph_dev_serves_the_graph(settings: Settings, tmp_path: Path) -> None:
    port = free_port()  # never 2024: it is taken on these machines
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(settings.data_dir), "LANGSMITH_TRACING": "false"}
    log = (tmp_path / "langgraph-dev.log").open("w")
    proc = subprocess.Popen(
        [str(LANGGRAPH), "dev", "--port", str(port), "--no-browser", "--no-reload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "langgraph-dev.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/ok", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "langgraph dev did not start in 90 s"
            time.sleep(0.5)

        client = get_client(url=url)
        thread = await client.threads.create()
        question = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}
        parts = [
            p async for p in client.runs.stream(thread["thread_id"], "concierge", input=question, stream_mode="updates")
        ]
        answer = next(p.data["attribute"] for p in parts if p.event == "updates" and "attribute" in p.data)
        assert "48.00 EUR" in answer["messages"][0]["content"] and answer["citations"]
        assert not [p for p in parts if p.event == "error"], (tmp_path / "langgraph-dev.log").read_text()[-3000:]
        state = await client.threads.get_state(thread["thread_id"])
        assert state["interrupts"][0]["value"]["type"] == "feedback"

        await client.runs.wait(thread["thread_id"], "concierge", command={"resume": {"rating": 5}})
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["feedback"] == [{"turn": 1, "kind": "explicit", "rating": 5, "comment": ""}]
        log_text = (tmp_path / "langgraph-dev.log").read_text()
        assert "Blocking call" not in log_text, "nothing may block langgraph dev's event loop"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
