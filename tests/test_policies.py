"""Policies as data through the API: a version changes what the agent does and every run records it; versions are
kept, activated and rolled back; another tenant's are 404s; bad input is 422 before anything is stored; the
`concierge policies` and `concierge compare` commands; evaluation sets versioned per tenant."""

import json

import pytest
from sqlalchemy import select

from concierge.cli.main import main
from concierge.tools.db.models import UsageRecord
from concierge.tools.learning.policies import KEEP
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import add_tenant_sync
from tests.learning_support import DEMO, ask, learning_settings, new_thread, run_async, serving

RETURNS = "Can I return opened perfume?"
PEN = "How much is the Kestrel fountain pen?"


async def _usage_versions(settings: Settings, thread_id: str) -> set[int | None]:
    tools = await Toolbox.from_settings(settings).open()
    try:
        async with tools.db.session() as s:
            return set(await s.scalars(select(UsageRecord.policy_version).where(UsageRecord.thread_id == thread_id)))
    finally:
        await tools.close()


def test_a_policy_changes_the_agent_and_every_run_records_its_version(settings: Settings) -> None:
    conf = learning_settings(settings)
    with serving(conf) as server, server.client() as client:
        before = new_thread(client)
        answer = ask(client, before, PEN)["messages"][-1]["content"]
        assert "48.00 EUR" in answer and "[1]" in answer  # the tenant cites inline
        assert client.get(f"/threads/{before}/runs").json()[0]["metadata"]["policy_version"] == 0

        r = client.post("/policies", json={"settings": {"attribution_style": "none"}, "note": "no citations"})
        assert r.status_code == 201, r.text
        version = r.json()["version"]
        assert (
            client.post(f"/policies/{version}/activate", json={"reason": "try it"}).json()["active_version"] == version
        )

        thread = new_thread(client)
        answer = ask(client, thread, PEN)["messages"][-1]["content"]
        assert "48.00 EUR" in answer and "[1]" not in answer  # the policy's attribution style, not the tenant's
        runs = client.get(f"/threads/{thread}/runs").json()
        assert [r["metadata"]["policy_version"] for r in runs] == [version]
        log = client.get("/retrieval/log", params={"thread_id": thread}).json()["entries"]
        assert log and {e["policy_version"] for e in log} == {version}
    assert run_async(_usage_versions(conf, thread)) == {version}
    assert run_async(_usage_versions(conf, before)) == {0}


def test_versions_are_kept_activated_rolled_back_and_logged(settings: Settings) -> None:
    with serving(learning_settings(settings)) as server, server.client() as client:
        made = [client.post("/policies", json={"settings": {"max_results": n}}).json()["version"] for n in range(1, 13)]
        assert made == list(range(1, 13))
        kept = [p["version"] for p in client.get("/policies").json()["policies"]]
        assert kept == made[-KEEP:] and len(kept) >= 3
        assert client.post("/policies/11/activate", json={}).status_code == 200
        assert client.post("/policies/12/activate", json={}).json()["previous_version"] == 11
        assert client.post("/policies/12/activate", json={}).status_code == 409  # already active

        r = client.post("/policies/rollback", json={"reason": "customers complained"})
        assert r.status_code == 200 and r.json()["active_version"] == 11
        assert client.post("/policies/rollback", json={"reason": "again"}).status_code == 409  # nowhere to go
        events = client.get("/policies/events").json()["events"]
        assert events[0]["kind"] == "rollback" and events[0]["reason"] == "customers complained"
        assert (events[0]["from_version"], events[0]["to_version"]) == (12, 11)
        thread = new_thread(client)
        ask(client, thread, RETURNS)
        assert client.get(f"/threads/{thread}/runs").json()[0]["metadata"]["policy_version"] == 11


def test_bad_policies_are_422_another_tenants_are_404_and_readers_cannot_change_them(settings: Settings) -> None:
    other = add_tenant_sync(settings, "other-shop")
    reader = add_tenant_sync(settings, "reader-shop", scopes=["analytics:view"])
    with serving(learning_settings(settings)) as server, server.client() as client:
        for body, word in [
            ({"settings": {"daily_budget_usd": 1}}, "not a policy field"),
            ({"settings": {"max_results": "many"}}, "max_results"),
            ({"settings": {"prompt_variant": "shouty"}}, "prompt_variant"),
            ({"settings": {}, "colour": "red"}, "colour"),
            ({"settings": []}, "settings"),
        ]:
            r = client.post("/policies", json=body)
            assert r.status_code == 422 and word in r.text, (body, r.text)
        assert client.get("/policies").json()["policies"] == []  # nothing stored
        assert client.get("/policies/abc").status_code == 422
        huge = 2**64  # past what the database stores: a 422, not an overflow inside the query (schemathesis found it)
        assert client.post(f"/policies/{huge}/activate", json={}).status_code == 422
        assert client.post("/policies/99/activate", json={}).status_code == 404

        mine = client.post("/policies", json={"settings": {"prompt_variant": "concise"}}).json()["version"]
        with server.client(other) as theirs:
            assert theirs.get(f"/policies/{mine}").status_code == 404
            assert theirs.post(f"/policies/{mine}/activate", json={}).status_code == 404
            assert theirs.get("/policies").json()["policies"] == []
            assert (
                theirs.post("/policies/compare", json={"a": 0, "b": mine, "set": "demo-questions"}).status_code == 404
            )
        with server.client(reader) as readonly:
            assert readonly.get("/policies").status_code == 200
            assert readonly.post("/policies", json={"settings": {}}).status_code == 403
            assert readonly.post("/policies/rollback", json={"reason": "x"}).status_code == 403


def test_evaluation_sets_are_versioned_per_tenant(settings: Settings) -> None:
    other = add_tenant_sync(settings, "other-shop")
    with serving(learning_settings(settings)) as server, server.client() as client:
        r = client.post("/eval-sets/demo-questions/import", json={"source": "team"})
        assert r.status_code == 201 and (r.json()["version"], r.json()["cases_count"]) == (1, len(DEMO))
        again = client.post("/eval-sets/demo-questions/import", json={"source": "team"})
        assert again.status_code == 200 and not again.json()["created"] and again.json()["version"] == 1

        case = {"question": "Do you sell gift cards?", "intent": "policy", "facts": [], "category": "gifts"}
        r = client.post("/eval-sets/demo-questions", json={"cases": [case]})
        assert r.status_code == 201 and (r.json()["version"], r.json()["cases_count"]) == (2, len(DEMO) + 1)
        assert len(client.get("/eval-sets/demo-questions", params={"version": 1}).json()["cases"]) == len(DEMO)
        newest = client.get("/eval-sets/demo-questions").json()
        assert newest["version"] == 2 and newest["cases"][-1]["kind"] == "policy"
        assert [v["version"] for v in client.get("/eval-sets/demo-questions/versions").json()["versions"]] == [1, 2]

        history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
        lines = "\n".join(json.dumps(c) for c in [{"id": "a", "question": "Price of the KF-200?", "history": history}])
        r = client.post("/eval-sets/mine/import", json={"source": "jsonl", "jsonl": lines, "filename": "mine.jsonl"})
        assert r.status_code == 201 and r.json()["origin"] == "import:mine.jsonl"

        for path, body, word in [
            ("/eval-sets/mine", {"cases": [{"kind": "price"}]}, "case 1.question"),
            ("/eval-sets/mine", {"cases": [{"question": "x", "quality": 9}]}, "quality"),
            ("/eval-sets/mine", {"cases": [{"question": "x", "history": [{"role": "system"}]}]}, "history"),
            ("/eval-sets/mine", {"cases": []}, "at least one case"),
            ("/eval-sets/Bad%20Name", {"cases": [{"question": "x"}]}, "set name"),
            ("/eval-sets/mine/import", {"source": "jsonl", "jsonl": '{"question": "x"}\n{oops'}, "line 2"),
            ("/eval-sets/mine/import", {"source": "jsonl"}, "jsonl"),
            ("/eval-sets/mine/import", {"source": "corrections"}, "no approved corrections"),
        ]:
            r = client.post(path, json=body)
            assert r.status_code == 422 and word in r.text, (path, body, r.text)
        assert client.post("/eval-sets/nope/import", json={"source": "team"}).status_code == 404
        assert client.get("/eval-sets/mine").json()["version"] == 1  # nothing stored by the bad requests

        with server.client(other) as theirs:
            assert theirs.get("/eval-sets/demo-questions").status_code == 404
            assert theirs.get("/eval-sets").json()["sets"] == []


def test_compare_runs_a_set_through_two_policies_and_recommends(settings: Settings, capsys) -> None:
    conf = learning_settings(settings)
    cases = [q for q in DEMO if q["kind"] in ("price", "stock")][:4]
    with serving(conf) as server, server.client() as client:
        assert client.post("/eval-sets/small", json={"cases": cases}).status_code == 201
        same = client.post("/policies", json={"settings": {}, "note": "as the tenant"}).json()["version"]
        blind = client.post("/policies", json={"settings": {"sources": ["web"]}, "note": "no tenant data"}).json()
        r = client.post("/policies/compare", json={"a": same, "b": blind["version"], "set": "small"}, timeout=120)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["eval_set"] == {"name": "small", "version": 1, "cases": 4}
        a, b = report["a"]["summary"], report["b"]["summary"]
        assert a["facts_correct"] > b["facts_correct"] and b["declines"] > a["declines"]
        assert report["recommendation"]["winner"] == "a" and report["recommendation"]["policy_version"] == same
        assert {row["figure"] for row in report["rows"]} >= {"facts_correct", "citation_precision", "rouge_l"}
        for body in ({"a": same, "b": 99, "set": "small"}, {"a": same, "b": same, "set": "nope"}):
            assert client.post("/policies/compare", json=body).status_code == 404
        assert client.post("/policies/compare", json={"a": -1, "b": 1, "set": "small"}).status_code == 422

    # The same comparison from the shell (on the same files, server stopped), then a mistake in one line.
    env_dir = str(conf.data_dir)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CONCIERGE_DATA_DIR", env_dir)
        main(["compare", str(same), str(blind["version"]), "--set", "small"])
        out = capsys.readouterr().out
        last = out.strip().splitlines()[-1]
        assert "eval_set=small@1" in last and "winner=a" in last and "facts_correct_a=" in last
        assert "recommendation: keep policy" in out
        main(["eval", "--set", "small", "--policy", str(same), "--json", str(conf.data_dir / "eval.json")])
        out = capsys.readouterr().out
        assert "evaluation set small@1" in out and f"policy version {same}" in out
        report = json.loads((conf.data_dir / "eval.json").read_text())
        assert (report["eval_set"], report["policy_version"]) == ("small@1", same)
        with pytest.raises(SystemExit) as exit_:
            main(["compare", str(same), "99", "--set", "small"])
        assert exit_.value.code == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err == ["concierge compare: policy version 99 not found"]
        with pytest.raises(SystemExit):
            main(["policies", "rollback", "--reason", "nothing active"])
        assert "nothing to roll back to" in capsys.readouterr().err
