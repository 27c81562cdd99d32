"""Under `langgraph dev` (which raises on blocking calls) remote providers configured from the environment answer
and fail over: their clients are built and called without blocking the event loop."""

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from concierge.tools.settings import Settings
from tests.loopback import free_port
from tests.provider_stubs import GeminiStub, OpenAIStub, answer, rate_limited
from tests.test_langgraph_dev import LANGGRAPH, ROOT


@pytest.mark.slow
@pytest.mark.skipif(not LANGGRAPH.exists(), reason="langgraph-cli is not installed (pip install -e '.[dev]')")
async def test_langgraph_dev_fails_over_between_real_clients(settings: Settings, tmp_path: Path) -> None:
    with OpenAIStub() as openai, GeminiStub() as gemini:
        gemini.script("gemini-2.5-flash", rate_limited(retry_after="600"))  # too long to wait: next provider
        openai.script("gpt-4o-mini", answer("The Kestrel Fountain Pen costs 48.00 EUR [1]."))
        port = free_port()
        env = {
            **os.environ,
            "CONCIERGE_DATA_DIR": str(settings.data_dir),
            "LANGSMITH_TRACING": "false",
            "CONCIERGE_OPENAI_API_KEY": "sk-stub",
            "CONCIERGE_OPENAI_BASE_URL": openai.base_url,
            "CONCIERGE_GOOGLE_API_KEY": "g-stub",
            "CONCIERGE_GOOGLE_BASE_URL": gemini.base_url,
        }
        log_path = tmp_path / "langgraph-dev.log"
        with log_path.open("w") as log:
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
                    assert proc.poll() is None, log_path.read_text()[-3000:]
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
                out = await client.runs.wait(thread["thread_id"], "concierge", input=question)
                assert not isinstance(out, dict) or "__error__" not in out, log_path.read_text()[-3000:]
                state = await client.threads.get_state(thread["thread_id"])
                values = state["values"]
                steps = [(a["provider"], a["model"], a.get("error_kind")) for a in values["generation"]["attempts"]]
                assert steps == [
                    ("google_genai", "gemini-2.5-flash", "rate_limit"),
                    ("openai", "gpt-4o-mini", None),
                ], log_path.read_text()[-3000:]
                assert values["messages"][-1]["content"] == "The Kestrel Fountain Pen costs 48.00 EUR [1]."
                assert "Blocking call" not in log_path.read_text(), "nothing may block langgraph dev's event loop"
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=30)
