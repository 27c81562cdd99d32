"""Under `langgraph dev` (which raises on blocking calls) remote providers configured from the environment answer
and fail over: their clients are built and called without blocking the event loop."""

import os
from pathlib import Path

import pytest
from langgraph_sdk import get_client

from concierge.tools.settings import Settings
from tests.conftest import PATIENT_ENV
from tests.loopback import LanggraphDev
from tests.provider_stubs import GeminiStub, OpenAIStub, answer, rate_limited
from tests.test_langgraph_dev import LANGGRAPH, ROOT


@pytest.mark.slow
@pytest.mark.skipif(not LANGGRAPH.exists(), reason="langgraph-cli is not installed (pip install -e '.[dev]')")
async def test_langgraph_dev_fails_over_between_real_clients(settings: Settings, tmp_path: Path) -> None:
    with OpenAIStub() as openai, GeminiStub() as gemini:
        gemini.script("gemini-2.5-flash", rate_limited(retry_after="600"))  # too long to wait: next provider
        openai.script("gpt-4o-mini", answer("The Kestrel Fountain Pen costs 48.00 EUR [1]."))
        env = {
            **os.environ,
            **PATIENT_ENV,
            "CONCIERGE_DATA_DIR": str(settings.data_dir),
            "CONCIERGE_OPENAI_API_KEY": "sk-stub",
            "CONCIERGE_OPENAI_BASE_URL": openai.base_url,
            "CONCIERGE_GOOGLE_API_KEY": "g-stub",
            "CONCIERGE_GOOGLE_BASE_URL": gemini.base_url,
        }
        with LanggraphDev(LANGGRAPH, ROOT, env, tmp_path / "langgraph-dev.log") as dev:
            client = get_client(url=dev.url)
            thread = await client.threads.create()
            question = {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}
            out = await client.runs.wait(thread["thread_id"], "concierge", input=question)
            assert not isinstance(out, dict) or "__error__" not in out, dev.tail()
            state = await client.threads.get_state(thread["thread_id"])
            values = state["values"]
            steps = [(a["provider"], a["model"], a.get("error_kind")) for a in values["generation"]["attempts"]]
            assert steps == [
                ("google_genai", "gemini-2.5-flash", "rate_limit"),
                ("openai", "gpt-4o-mini", None),
            ], dev.tail()
            assert values["messages"][-1]["content"] == "The Kestrel Fountain Pen costs 48.00 EUR [1]."
            assert "Blocking call" not in dev.log.read_text(), "nothing may block langgraph dev's event loop"
