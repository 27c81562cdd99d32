"""Alerts through the API, delivered to a real webhook receiver on 127.0.0.1 as Slack-compatible JSON: a handoff
surge, provider errors and a cost spike from a policy that calls an OpenAI stub through the real client; one
incident sends one alert; a quiet window resolves it; the rules' thresholds; 404s, 403s and 422s."""

from datetime import timedelta

from concierge.tools.db.base import utcnow
from concierge.tools.learning.alerts import rules
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import add_tenant_sync
from tests.learning_support import (
    FIGURE_QUESTIONS,
    WebhookReceiver,
    ask,
    learning_settings,
    new_thread,
    run_async,
    serving,
)
from tests.provider_stubs import OpenAIStub, answer, server_error


def _figures(**over: float) -> dict:
    base = {
        "rated": 400, "helpful_rate": 0.8, "answers": 400, "p95_latency_ms": 900.0, "provider_calls": 400,
        "provider_error_rate": 0.0, "turns": 400, "handoff_rate": 0.1,
    }  # fmt: skip
    out = {**base, **over}
    return {**out, "helpful": round(out["helpful_rate"] * out["rated"])}


def test_the_rules_and_their_thresholds() -> None:
    def firing(now: dict, before: dict | None = None, spent: float = 0.0, budget: float | None = None) -> set[str]:
        return {f.kind for f in rules(now, before or _figures(), spent, budget, 20) if f.firing}

    assert firing(_figures()) == set()
    assert firing(_figures(helpful_rate=0.70)) == {"quality_drop"}  # 12.5 % down
    assert firing(_figures(helpful_rate=0.05)) == {"quality_drop"}  # so far down that p rounds to 0
    assert firing(_figures(helpful_rate=0.73)) == set()  # 8.75 % down
    assert firing(_figures(p95_latency_ms=5200.0)) == {"latency_p95"}
    assert firing(_figures(provider_error_rate=0.06)) == {"provider_errors"}
    assert firing(_figures(handoff_rate=0.26)) == {"handoff_rate"}
    assert firing(_figures(), spent=1.25, budget=1.0) == {"cost_spike"}
    assert firing(_figures(), spent=1.15, budget=1.0) == set()
    assert firing(_figures(turns=5, handoff_rate=0.9, rated=5, helpful_rate=0.1)) == set()  # too few to judge
    # 12.5 % down on 30 ratings an hour is within chance: no alert until the drop is more than luck.
    assert firing(_figures(rated=30, helpful_rate=0.7), _figures(rated=30)) == set()


def test_a_handoff_surge_alerts_once_per_incident(settings: Settings) -> None:
    reader = add_tenant_sync(settings, "reader-shop", scopes=["analytics:view"])
    conf = learning_settings(settings)
    with WebhookReceiver() as hook, serving(conf) as server, server.client() as client:
        assert client.put("/alerts/webhooks", json={"webhooks": ["ftp://nope"]}).status_code == 422
        assert client.put("/alerts/webhooks", json={"webhooks": "x"}).status_code == 422
        assert client.put("/alerts/webhooks", json={"webhooks": [hook.url]}).json() == {"webhooks": [hook.url]}
        assert client.get("/alerts", params={"status": "burning"}).status_code == 422
        for _ in range(4):
            out = ask(client, new_thread(client), "I'd like to speak to a human, please")
            assert out["__interrupt__"][0]["value"]["action_request"]["action"] == "handoff"
        first = client.post("/alerts/check").json()
        assert [a["kind"] for a in first["sent"]] == ["handoff_rate"]
        assert first["sent"][0]["deliveries"] == [{"url": hook.url, "status": 200}]
        assert len(hook.bodies) == 1 and set(hook.bodies[0]) == {"text"}
        assert "handoff rate 100.0%" in hook.bodies[0]["text"]
        again = client.post("/alerts/check").json()
        assert again["sent"] == [] and any(f["kind"] == "handoff_rate" and f["firing"] for f in again["findings"])
        assert len(hook.bodies) == 1  # still the same incident: nothing more sent
        listed = client.get("/alerts", params={"status": "open"}).json()["alerts"]
        assert [a["kind"] for a in listed] == ["handoff_rate"]
        with server.client(reader) as readonly:
            assert readonly.get("/alerts").json()["alerts"] == []  # another tenant sees none of ours
            assert readonly.post("/alerts/check").status_code == 403
            assert readonly.put("/alerts/webhooks", json={"webhooks": []}).status_code == 403

    async def quiet_hour() -> list[str]:
        tools = await Toolbox.from_settings(conf).open()
        try:
            later = utcnow() + timedelta(seconds=2 * conf.learning_window_s)
            _, sent = await tools.alerts.check(
                "demo", webhooks=[], budget_usd=None, window_s=conf.learning_window_s, min_samples=4, now=later
            )
            assert sent == []
            return [a.status for a in await tools.alerts.find("demo")]
        finally:
            await tools.close()

    assert run_async(quiet_hour()) == ["resolved"]


def test_provider_errors_and_a_cost_spike_from_a_policy_on_openai(settings: Settings) -> None:
    # Three failures (no retries) stay under the circuit breaker's four calls, so the fourth call reaches the stub.
    conf = learning_settings(settings, generation_retries=0, learning_min_samples=3)
    failing = {"on": True}
    with (
        OpenAIStub(
            default=lambda model, n: server_error() if failing["on"] else answer("It costs 48.00 EUR [1].")
        ) as stub,
        WebhookReceiver() as hook,
        serving(conf) as server,
        server.client() as client,
    ):
        provider = {"openai": {"api_key": "sk-test", "base_url": stub.base_url}}
        r = client.patch("/admin/tenants/demo", json={"providers": provider, "settings": {"daily_budget_usd": 1e-7}})
        assert r.status_code == 200, r.text
        client.put("/alerts/webhooks", json={"webhooks": [hook.url]})
        policy = client.post("/policies", json={"settings": {"models": ["openai/gpt-4o-mini"]}, "activate": True})
        assert policy.status_code == 201, policy.text
        for q in FIGURE_QUESTIONS[:3]:
            ask(client, new_thread(client), q["question"])  # the local answerer answers after each failure
        assert len(stub.calls()) == 3
        sent = {a["kind"]: a for a in client.post("/alerts/check").json()["sent"]}
        # (a first call through a new client on a loaded machine may also push p95 over 5 s: that alert is real)
        assert "provider_errors" in sent and "cost_spike" not in sent
        assert "provider error rate 100.0%" in sent["provider_errors"]["message"]
        assert any("provider error rate 100.0%" in b["text"] for b in hook.bodies)
        bodies = len(hook.bodies)

        failing["on"] = False
        ask(client, new_thread(client), FIGURE_QUESTIONS[0]["question"])  # answered by the stub: it costs money
        kinds = [a["kind"] for a in client.post("/alerts/check").json()["sent"]]
        assert "cost_spike" in kinds and "provider_errors" not in kinds  # that incident is still open: no repeat
        assert any("daily budget" in b["text"] for b in hook.bodies[bodies:])
