"""Fine-tuning through the real `openai` client against the loopback OpenAI stub: approved corrections exported and
uploaded, the job created and followed, its model registered (once) as a candidate policy with a price, and that
policy compared on an evaluation set before any rollout; no key, bad input and another tenant's job."""

import json
import subprocess
import sys

from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import add_tenant_sync
from tests.learning_support import FIGURE_QUESTIONS, learning_settings, run_async, serving
from tests.provider_stubs import OpenAIStub

REPLY = "The Kestrel fountain pen is 48.00 EUR, and we gift-wrap it for free."


async def _approved_corrections(settings: Settings) -> None:
    """Two replies human agents gave after a bot draft, approved by a supervisor (the corrections store's own API)."""
    tools = await Toolbox.from_settings(settings).open()
    try:
        for turn, quality in ((1, 4), (2, 3)):
            c = await tools.corrections.record(
                tenant_id="demo",
                thread_id="t-ft",
                turn=turn,
                handoff_id=None,
                run_id="",
                question="Can you gift-wrap the Kestrel pen?",
                history=[],
                draft="I don't know.",
                reply=REPLY,
                category=None,
                reason="the bot did not know",
                agent="niamh",
            )
            assert c is not None
            await tools.corrections.review("demo", c.id, approved=True, quality=quality, reviewer="sup")
    finally:
        await tools.close()


def test_a_fine_tuned_model_becomes_a_candidate_policy(settings: Settings) -> None:
    other = add_tenant_sync(settings, "other-shop")
    run_async(_approved_corrections(settings))
    with OpenAIStub() as stub, serving(learning_settings(settings)) as server, server.client() as client:
        r = client.post("/fine-tunes", json={"min_quality": 4})
        assert r.status_code == 422 and "needs an OpenAI key" in r.text
        provider = {"openai": {"api_key": "sk-test", "base_url": stub.base_url}}
        assert client.patch("/admin/tenants/demo", json={"providers": provider}).status_code == 200
        for body in ({"min_quality": 9}, {"base_model": "no spaces allowed"}, {"epochs": 3}):
            assert client.post("/fine-tunes", json=body).status_code == 422, body

        assert "no approved corrections" in client.post("/fine-tunes", json={"min_quality": 5}).text
        r = client.post("/fine-tunes", json={"min_quality": 4})
        assert r.status_code == 201, r.text
        job = r.json()
        assert job["status"] == "validating_files" and job["detail"]["exported"] == 1  # the quality-3 one is left out
        uploaded = stub.files[job["detail"]["training_file"]]
        assert uploaded["purpose"] == "fine-tune"
        example = json.loads(uploaded["content"].decode().splitlines()[0])
        assert example["messages"][-1] == {"role": "assistant", "content": REPLY}

        with server.client(other) as theirs:
            assert theirs.get(f"/fine-tunes/{job['job_id']}").status_code == 404
            assert theirs.post(f"/fine-tunes/{job['job_id']}/refresh").status_code == 404
        assert client.post(f"/fine-tunes/{job['job_id']}/refresh").json()["status"] == "running"
        done = client.post(f"/fine-tunes/{job['job_id']}/refresh").json()
        assert done["status"] == "succeeded" and done["fine_tuned_model"].startswith("ft:gpt-4o-mini")
        version = done["policy_version"]
        assert client.post(f"/fine-tunes/{job['job_id']}/refresh").json()["policy_version"] == version  # once
        name = f"openai/{done['fine_tuned_model']}"
        policy = client.get(f"/policies/{version}").json()
        assert policy["settings"] == {"models": [name]} and policy["origin"] == f"fine-tune:{job['job_id']}"
        prices = client.get("/admin/tenants/demo").json()["settings"]["prices"]
        assert prices[name]["input"] > 0
        assert client.get("/policies").json()["active_version"] == 0  # a candidate: nothing changed for customers

        # Compared before any rollout: the candidate's model is called through the real client.
        assert client.post("/eval-sets/small", json={"cases": FIGURE_QUESTIONS[:2]}).status_code == 201
        r = client.post("/policies/compare", json={"a": 0, "b": version, "set": "small"}, timeout=120)
        assert r.status_code == 200, r.text
        assert stub.calls(done["fine_tuned_model"])


def test_the_server_starts_without_the_openai_client() -> None:
    """`openai` is imported where a job is started or followed, not when the app and its routes are (~0.3 s)."""
    code = "import sys, concierge.server.app, concierge.cli.learning; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False", out.stdout + out.stderr
