"""A/B rollout through the API with scripted customers: consistent assignment, a worse treatment stopped early, a
better one stepped up and promoted (after its evaluation gate), the rollback watch, and the 404s, 409s and 422s."""

import uuid

import httpx

from concierge.tools.learning.policies import bucket
from concierge.tools.learning.stats import normal_cdf, two_proportion_z
from concierge.tools.settings import Settings
from tests.conftest import add_tenant_sync
from tests.learning_support import (
    FIGURE_QUESTIONS,
    WebhookReceiver,
    ask,
    customer_turn,
    learning_settings,
    new_thread,
    serving,
)

GATE = {"eval_set": "small", "metric": "facts_correct", "threshold": 0.5, "min_turns": 3, "unit": "thread"}


def _threads(experiment_id: str, treated: bool, percent: int, n: int) -> list[str]:
    """Thread ids that fall in the arm wanted: what a population of that size would send each way."""
    out = []
    while len(out) < n:
        tid = str(uuid.uuid4())
        if (bucket(experiment_id, tid) < percent) == treated:
            out.append(tid)
    return out


def _traffic(client: httpx.Client, experiment_id: str, percent: int, n: int = 3) -> dict[str, list[bool]]:
    """n customers in each arm, each asking a figure question once and rating what they got."""
    seen: dict[str, list[bool]] = {"control": [], "treatment": []}
    for arm in ("control", "treatment"):
        for i, tid in enumerate(_threads(experiment_id, arm == "treatment", percent, n)):
            new_thread(client, tid)
            seen[arm].append(customer_turn(client, tid, FIGURE_QUESTIONS[i % len(FIGURE_QUESTIONS)]))
            assert client.get(f"/threads/{tid}/runs").json()[-1]["metadata"]["experiment_arm"] == arm
    return seen


def _small_set(client: httpx.Client) -> None:
    assert client.post("/eval-sets/small", json={"cases": FIGURE_QUESTIONS[:4]}).status_code == 201


def test_the_z_test_and_the_assignment() -> None:
    assert abs(normal_cdf(1.6449) - 0.95) < 1e-4 and abs(normal_cdf(0) - 0.5) < 1e-12
    worse = two_proportion_z(80, 100, 60, 100)
    assert worse["z"] < 0 and worse["p_lower"] < 0.01
    assert two_proportion_z(50, 100, 52, 100)["p_lower"] > 0.05
    # The same unit lands in the same bucket every time; a step up keeps the treated treated; ~10 % at 10.
    units = [f"customer-{i}" for i in range(2000)]
    buckets = [bucket("exp_a", u) for u in units]
    assert buckets == [bucket("exp_a", u) for u in units]
    share = sum(b < 10 for b in buckets) / len(units)
    assert 0.08 < share < 0.12
    assert all(b < 50 for b in buckets if b < 10)
    assert buckets != [bucket("exp_b", u) for u in units]  # another experiment draws anew


def test_a_worse_treatment_is_stopped_early_and_customers_keep_their_arm(settings: Settings) -> None:
    with (
        WebhookReceiver() as hook,
        serving(learning_settings(settings)) as server,
        server.client() as client,
    ):
        assert client.put("/alerts/webhooks", json={"webhooks": [hook.url]}).status_code == 200
        _small_set(client)
        worse = client.post("/policies", json={"settings": {"sources": ["web"]}, "note": "no tenant data"}).json()
        r = client.post("/experiments", json={**GATE, "treatment_version": worse["version"], "unit": "customer"})
        assert r.status_code == 201, r.text
        exp = r.json()
        assert (exp["percent"], exp["control_version"], exp["status"]) == (10, 0, "running")
        assert exp["eval"]["set_version"] == 1 and exp["eval"]["passed"] is False  # it cannot step up

        # By customer: one customer's threads all get the same arm, whichever thread they write from.
        arms = set()
        for _ in range(3):
            thread = new_thread(client)
            ask(client, thread, "Hello, are you open on Sundays?", customer_id="cust-42")
            arms.add(client.get(f"/threads/{thread}/runs").json()[0]["metadata"]["experiment_arm"])
        expected = "treatment" if bucket(exp["experiment_id"], "cust-42") < 10 else "control"
        assert arms == {expected}
        client.post(f"/experiments/{exp['experiment_id']}/stop", json={"reason": "switch to threads"})

        r = client.post("/experiments", json={**GATE, "treatment_version": worse["version"]})
        exp = r.json()
        seen = _traffic(client, exp["experiment_id"], 10)
        assert all(seen["control"]) and not any(seen["treatment"])  # the scripted customers' verdicts
        r = client.post(f"/experiments/{exp['experiment_id']}/evaluate")
        assert r.status_code == 200, r.text
        decision = r.json()["decision"]
        assert decision["decision"] == "stop" and "helpful_rate" in decision["reason"]
        assert decision["tests"]["helpful_rate"]["p_lower"] < 0.05
        assert r.json()["experiment"]["status"] == "stopped"
        assert client.post(f"/experiments/{exp['experiment_id']}/evaluate").status_code == 409
        # Everyone is back on the control, and the stop was logged and sent.
        thread = new_thread(client)
        ask(client, thread, "Hello?")
        meta = client.get(f"/threads/{thread}/runs").json()[0]["metadata"]
        assert meta["policy_version"] == 0 and "experiment_arm" not in meta
        kinds = [e["kind"] for e in client.get("/policies/events").json()["events"]]
        assert "experiment_stop" in kinds and "experiment_start" in kinds
        assert any("stopped early" in b["text"] for b in hook.bodies)


def test_a_better_treatment_steps_up_and_is_promoted_then_watched(settings: Settings) -> None:
    other = add_tenant_sync(settings, "other-shop")
    with serving(learning_settings(settings)) as server, server.client() as client:
        _small_set(client)
        weak = client.post("/policies", json={"settings": {"sources": ["web"]}, "activate": True}).json()
        good = client.post("/policies", json={"settings": {"max_results": 5}, "note": "tenant data back"}).json()

        for body, status in [
            ({**GATE, "treatment_version": 99}, 404),
            ({**GATE, "treatment_version": good["version"], "eval_set": "nope"}, 404),
            ({**GATE, "treatment_version": good["version"], "unit": "household"}, 422),
            ({**GATE, "treatment_version": good["version"], "threshold": 2}, 422),
            ({**GATE, "treatment_version": weak["version"]}, 422),  # already active: nothing to compare
            ({"treatment_version": good["version"]}, 422),
        ]:
            assert client.post("/experiments", json=body).status_code == status, body
        assert client.get("/experiments").json()["experiments"] == []

        r = client.post("/experiments", json={**GATE, "treatment_version": good["version"]})
        assert r.status_code == 201, r.text
        exp = r.json()
        assert exp["control_version"] == weak["version"] and exp["eval"]["passed"] is True
        assert client.post("/experiments", json={**GATE, "treatment_version": good["version"]}).status_code == 409
        assert client.post(f"/policies/{good['version']}/activate", json={}).status_code == 409
        eid = exp["experiment_id"]
        with server.client(other) as theirs:
            assert theirs.get(f"/experiments/{eid}").status_code == 404
            assert theirs.post(f"/experiments/{eid}/evaluate").status_code == 404
            assert theirs.post(f"/experiments/{eid}/stop", json={}).status_code == 404

        assert client.post(f"/experiments/{eid}/evaluate").json()["decision"]["decision"] == "wait"
        _traffic(client, eid, 10)
        step = client.post(f"/experiments/{eid}/evaluate").json()
        assert step["decision"]["decision"] == "step_up" and step["experiment"]["percent"] == 50
        assert step["decision"]["tests"]["helpful_rate"]["p_higher"] < 0.05  # better, and significantly so
        _traffic(client, eid, 50)
        done = client.post(f"/experiments/{eid}/evaluate").json()
        assert done["decision"]["decision"] == "promote" and done["experiment"]["status"] == "promoted"
        state = client.get("/policies").json()
        assert (state["active_version"], state["previous_version"], state["watched"]) == (
            good["version"],
            weak["version"],
            True,
        )
        arms = client.get(f"/experiments/{eid}").json()["arms"]
        assert arms["treatment"]["helpful_rate"] == 1.0 and arms["control"]["helpful_rate"] == 0.0
        # The promoted policy, watched against the control's figures, keeps answering well: no rollback.
        for q in FIGURE_QUESTIONS[:4]:
            customer_turn(client, new_thread(client), q)
        assert client.post("/policies/watch").json()["result"]["decision"] == "keep"


def test_a_regression_after_promotion_rolls_back_and_alerts_once(settings: Settings) -> None:
    with (
        WebhookReceiver() as hook,
        serving(learning_settings(settings)) as server,
        server.client() as client,
    ):
        client.put("/alerts/webhooks", json={"webhooks": [hook.url]})
        for q in FIGURE_QUESTIONS[:4]:  # the baseline: the tenant's own settings answer these
            assert customer_turn(client, new_thread(client), q)
        bad = client.post("/policies", json={"settings": {"sources": ["web"]}, "note": "regression"}).json()
        r = client.post(f"/policies/{bad['version']}/activate", json={"reason": "looked fine", "watch": True})
        assert r.status_code == 200 and r.json()["watched"]
        assert client.post("/policies/watch").json()["result"]["decision"] == "wait"  # too few turns yet
        for q in FIGURE_QUESTIONS[:4]:
            assert not customer_turn(client, new_thread(client), q)
        result = client.post("/policies/watch").json()
        assert result["result"]["decision"] == "rollback" and "helpful_rate" in result["result"]["reason"]
        assert (result["active_version"], result["watched"]) == (0, False)
        assert client.post("/policies/watch").json()["result"] is None  # nothing watched any more: one rollback
        events = client.get("/policies/events").json()["events"]
        assert events[0]["kind"] == "auto_rollback" and "helpful_rate" in events[0]["reason"]
        rollbacks = [a for a in client.get("/alerts").json()["alerts"] if a["kind"] == "rollback"]
        assert len(rollbacks) == 1 and rollbacks[0]["deliveries"] == [{"url": hook.url, "status": 200}]
        assert [b["text"] for b in hook.bodies if "rolled back" in b["text"]] == [
            f"[Concierge] demo: {rollbacks[0]['message']}"
        ]
