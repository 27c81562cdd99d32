"""`langgraph dev` serves the graph registered in langgraph.json, and the official client drives it."""

import os
import sys
from pathlib import Path

import pytest
from langgraph_sdk import get_client

from concierge.tools.settings import Settings
from tests.conftest import PATIENT_ENV
from tests.loopback import LanggraphDev

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).parent / "langgraph"


@pytest.mark.slow
@pytest.mark.skipif(not LANGGRAPH.exists(), reason="langgraph-cli is not installed (pip install -e '.[dev]')")
async def test_langgraph_dev_serves_the_graph(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, **PATIENT_ENV, "CONCIERGE_DATA_DIR": str(settings.data_dir)}
    with LanggraphDev(LANGGRAPH, ROOT, env, tmp_path / "langgraph-dev.log") as dev:
        client = get_client(url=dev.url)
        thread = await client.threads.create()
        question = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}
        parts = [
            p async for p in client.runs.stream(thread["thread_id"], "concierge", input=question, stream_mode="updates")
        ]
        assert not [p for p in parts if p.event == "error"], dev.tail()
        answer = next(p.data["attribute"] for p in parts if p.event == "updates" and "attribute" in p.data)
        assert "48.00 EUR" in answer["messages"][0]["content"] and answer["citations"]
        state = await client.threads.get_state(thread["thread_id"])
        assert state["interrupts"][0]["value"]["type"] == "feedback"

        await client.runs.wait(thread["thread_id"], "concierge", command={"resume": {"rating": 5}})
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["feedback"] == [
            {"turn": 1, "kind": "explicit", "rating": 5, "comment": "", "score": 1.0, "helpful": True}
        ]
        assert "Blocking call" not in dev.log.read_text(), "nothing may block langgraph dev's event loop"
