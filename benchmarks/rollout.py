"""A simulated week of rollouts on the demo tenant, over HTTP against the real server, with scripted customers.

Each day `--customers` customers (drawn from a population of 300, seeded) ask one question each from the demo
set's questions with figures a customer can check (prices, stock, return windows...), read the answer, and rate
it: helpful when the figures are there, not helpful otherwise (then they decline a person). At the end of each day
the operator's loop runs through the routes: `POST /experiments/{id}/evaluate`, `POST /policies/watch`,
`POST /alerts/check`. Alerts go to a webhook receiver on 127.0.0.1.

The policies:
- v1, active from day 1: documents only, the built-in local answerer (answers the policy questions, not the
  catalog's figures);
- v2, the worse one: web search only (off here: every answer declines), local answerer. Rolled out at 10 % from
  day 1, by customer; it must be stopped early;
- v3, the better one: every source and `openai/gpt-4o-mini` first, through the real OpenAI client against a
  loopback stub that answers like a good model (the demo's reference answer to the question it is sent, with a
  citation, when the sources in its prompt hold the figures; else it declines). Rolled out once v2 is stopped:
  it must pass the evaluation gate (the demo set, facts_correct >= 0.75), step up to 50 % and be promoted;
- two days after promotion the stub's model regresses (it answers "Sorry, I cannot help with that right now."):
  the rollback watch must return the tenant to v1 and send one alert.

Preconditions (else one line and exit 1, no figures): the server answers, the stub is called, every day ran its
customers. The last line: `worse_stopped= better_promoted= rollbacks= alerts= turns= days=` (`alerts`: messages the
webhook received), `alert_kinds=` (every alert recorded, those a rollback's alert covered included) and each day's
helpful rate.

    concierge bench rollout [--customers 60] [--seed 7] [--days 7]
"""

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncio  # noqa: E402

import httpx  # noqa: E402

from concierge.server.app import create_app  # noqa: E402
from concierge.tools.demo.seed import CONTENT, DEMO_KEYS_FILE, seed_demo  # noqa: E402
from concierge.tools.settings import Settings  # noqa: E402
from concierge.tools.toolbox import Toolbox  # noqa: E402
from tests.learning_support import WebhookReceiver  # noqa: E402
from tests.loopback import ThreadedServer  # noqa: E402
from tests.provider_stubs import OpenAIStub, Reply, answer  # noqa: E402

QUESTIONS = [
    q
    for q in (json.loads(line) for line in Path(str(CONTENT / "questions.jsonl")).read_text().splitlines() if line)
    if q.get("must_contain") and q["kind"] in ("price", "stock", "policy", "info", "product", "service")
]
REGRESSED = "Sorry, I cannot help with that right now."


class Fail(Exception):
    """A precondition that did not hold: one line, exit 1."""


def good_model(stub: OpenAIStub) -> Any:
    """A model that answers from the sources it is given, as a good one does: the demo's reference answer to the
    question, citing the first source, when the figures it states are in the prompt's sources; else it declines."""
    by_question = {q["question"]: q for q in QUESTIONS}

    def reply(model: str, n: int) -> Reply:
        messages = stub.seen[-1].body.get("messages", [])
        text = lambda m: m["content"] if isinstance(m.get("content"), str) else json.dumps(m.get("content"))  # noqa: E731
        system = " ".join(text(m) for m in messages if m.get("role") in ("system", "developer"))
        asked = next((text(m) for m in reversed(messages) if m.get("role") == "user"), "")
        q = by_question.get(asked)
        if q and all(any(a.lower() in system.lower() for a in f.split("|")) for f in q["must_contain"]):
            return answer(f"{q['answer']} [1]")
        return answer("I don't know: the sources I have do not say.")

    return reply


def helpful(out: dict[str, Any], figures: list[str]) -> bool:
    text = out["messages"][-1]["content"] if out.get("messages") else ""
    return all(any(alt.lower() in text.lower() for alt in f.split("|")) for f in figures)


def customer_turn(client: httpx.Client, customer: str, q: dict[str, Any]) -> bool:
    thread = client.post("/threads", json={}).json()["thread_id"]
    body = {"input": {"messages": [{"role": "user", "content": q["question"]}]}, "context": {"customer_id": customer}}
    r = client.post(f"/threads/{thread}/runs/wait", json=body, timeout=120)
    if r.status_code != 200:
        raise Fail(f"a turn failed: {r.status_code} {r.text[:200]}")
    out = r.json()
    good = helpful(out, q["must_contain"])
    pause = (out.get("__interrupt__") or [{}])[0].get("value", {})
    if pause.get("type") == "feedback":
        r = client.post(
            f"/threads/{thread}/runs/wait", json={"command": {"resume": "helpful" if good else "not_helpful"}}
        )
        nxt = (r.json().get("__interrupt__") or [{}])[0].get("value", {})
        if nxt.get("type") == "offer_human":
            client.post(f"/threads/{thread}/runs/wait", json={"command": {"resume": "no"}})
    return good


async def _seed(settings: Settings) -> None:
    tools = await Toolbox.from_settings(settings).open()
    try:
        await seed_demo(tools)
    finally:
        await tools.close()


def run(customers: int, seed: int, max_days: int) -> dict[str, Any]:
    rng = random.Random(seed)
    population = [f"cust-{i:03d}" for i in range(300)]
    data = Path(tempfile.mkdtemp(prefix="concierge-rollout-"))
    # The loop is driven by hand at the end of each simulated day; a window wider than the run sees all of it.
    # One operator's key carries the whole population here: the per-key rate limit is for real deployments.
    settings = Settings(
        data_dir=data,
        learning_check_s=0,
        learning_window_s=7 * 86400,
        learning_min_samples=20,
        rate_limit_key="1000000/minute",
        rate_limit_tenant="1000000/minute",
    )
    asyncio.run(_seed(settings))
    key = json.loads((data / DEMO_KEYS_FILE).read_text())["secret"]
    stub = OpenAIStub()
    stub.default = good_model(stub)
    server = ThreadedServer(create_app(settings), "concierge")
    figures: dict[str, Any] = {"worse_stopped": 0, "better_promoted": 0, "rollbacks": 0, "alerts": 0, "turns": 0}
    rates: dict[str, list[bool]] = {}
    with stub, WebhookReceiver() as hook:
        url = server.start()
        try:
            with httpx.Client(base_url=url, headers={"X-Api-Key": key}, timeout=120) as client:
                client.patch(
                    "/admin/tenants/demo",
                    json={"providers": {"openai": {"api_key": "sk-sim", "base_url": stub.base_url}}},
                ).raise_for_status()
                client.put("/alerts/webhooks", json={"webhooks": [hook.url]}).raise_for_status()
                client.post("/eval-sets/demo-questions/import", json={"source": "team"}).raise_for_status()
                local = ["local/extractive"]  # the built-in answerer alone: no provider call
                v1 = client.post(
                    "/policies", json={"settings": {"sources": ["documents"], "models": local}, "activate": True}
                ).json()
                v2 = client.post(
                    "/policies", json={"settings": {"sources": ["web"], "models": local}, "note": "worse"}
                ).json()
                v3 = client.post(
                    "/policies", json={"settings": {"models": ["openai/gpt-4o-mini"]}, "note": "better"}
                ).json()
                gate = {"eval_set": "demo-questions", "metric": "facts_correct", "threshold": 0.75, "unit": "customer"}
                phase, experiment, promoted_on, day = "worse", None, None, 0
                while day < max_days:
                    day += 1
                    if experiment is None and phase in ("worse", "better"):
                        version = v2["version"] if phase == "worse" else v3["version"]
                        r = client.post("/experiments", json={**gate, "treatment_version": version, "min_turns": 8})
                        if r.status_code != 201:
                            raise Fail(f"could not start the {phase} experiment: {r.text[:200]}")
                        experiment = r.json()
                        verdict = experiment["eval"]
                        print(f"day {day}: experiment {experiment['experiment_id']} policy {version} at 10% "
                              f"(gate {verdict['value']}, passed={verdict['passed']})")  # fmt: skip
                    if promoted_on is not None and day == promoted_on + 2:
                        stub.default = lambda model, n: answer(REGRESSED)
                        print(f"day {day}: the model behind policy {v3['version']} regresses")
                    started = time.monotonic()
                    for customer in rng.sample(population, customers):
                        good = customer_turn(client, customer, rng.choice(QUESTIONS))
                        figures["turns"] += 1
                        rates.setdefault(f"day{day}", []).append(good)
                    if experiment is not None:
                        d = client.post(f"/experiments/{experiment['experiment_id']}/evaluate").json()["decision"]
                        print(f"day {day}: {d['decision']} ({d['reason']})")
                        if d["decision"] == "stop":
                            figures["worse_stopped"] = int(phase == "worse" and d["percent"] == 10)
                            phase, experiment = "better", None
                        elif d["decision"] == "promote":
                            figures["better_promoted"] = int(phase == "better")
                            phase, experiment, promoted_on = "watch", None, day
                    # A simulated day is the window the rollback watch and the alerts judge.
                    day_s = {"window_s": round(time.monotonic() - started + 1, 1)}
                    watch = client.post("/policies/watch", params=day_s).json()
                    result = watch.get("result") or {}
                    if result.get("decision") == "rollback":
                        figures["rollbacks"] += 1
                        print(f"day {day}: rollback to policy {result['to_version']} ({result['reason']})")
                        phase = "rolled_back"
                    sent = client.post("/alerts/check", params=day_s).json()["sent"]
                    for a in sent:
                        print(f"day {day}: alert {a['kind']}: {a['message']}")
                    print(f"day {day}: helpful {sum(rates[f'day{day}'])}/{len(rates[f'day{day}'])}, active policy "
                          f"{watch['active_version']}")  # fmt: skip
                if not stub.calls():
                    raise Fail("the OpenAI stub was never called: policy 3 did not reach its model")
                figures["alerts"] = len(hook.bodies)
                kinds = [a["kind"] for a in reversed(client.get("/alerts").json()["alerts"])]
                figures["alert_kinds"] = ",".join(kinds) or "none"
                figures["days"] = day
                for name, values in rates.items():
                    figures[f"helpful_{name}"] = round(sum(values) / len(values), 3)
                if not client.get("/policies").json()["active_version"] == v1["version"] and figures["rollbacks"]:
                    raise Fail("the rollback did not return the tenant to policy 1")
        finally:
            server.stop()
            shutil.rmtree(data, ignore_errors=True)
    return figures


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="concierge bench rollout", description=__doc__)
    parser.add_argument("--customers", type=int, default=60, help="customers a day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        figures = run(args.customers, args.seed, args.days)
    except Fail as exc:
        print(f"concierge bench rollout: {exc}")
        raise SystemExit(1) from None
    head = ("worse_stopped", "better_promoted", "rollbacks", "alerts", "turns", "days", "alert_kinds")
    extra = {k: v for k, v in figures.items() if k.startswith("helpful_")}
    print(" ".join(f"{k}={figures[k]}" for k in head) + " " + " ".join(f"{k}={v}" for k, v in extra.items()))
