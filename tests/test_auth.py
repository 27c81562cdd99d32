"""Keys and scopes through a real server: the scope matrix over every route, publishable keys and thread tokens,
what a run may set, admin routes and the audit log, provider keys sealed at rest."""

import asyncio
import json
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.server.app import create_app
from concierge.server.auth import iter_routes, route_scopes
from concierge.server.deps import AppState
from concierge.tools.auth.keys import SCOPES, create_key
from concierge.tools.demo.seed import DEMO_KEYS_FILE
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer, add_tenant
from tests.sse import stream_events

OPEN = {
    ("GET", "/ok"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/feedback/{token}"),
    ("GET", "/feedback/{token}"),
}
"""Routes anyone may call; the docs (`/docs`, `/openapi.json`) are not API routes and stay open too. A signed
feedback URL is its own credential: without a valid token it is a 403, never a 401."""
OPERATOR_ONLY = {("POST", "/admin/tenants")}
ROUTES = [(m, p, route_scopes(d)) for m, p, d in iter_routes(create_app(Settings(data_dir=Path("/nonexistent"))))]
QUESTION = {"input": {"messages": [{"role": "user", "content": "How much is the Kestrel fountain pen?"}]}}


async def _keys(settings: Settings) -> dict[str, str]:
    """One demo key per scope, the demo's publishable key, an operator's key, and a rival tenant's key."""
    tools = await Toolbox.from_settings(settings).open()
    try:
        keys = {s: (await create_key(tools.db, "demo", "secret", [s], f"only {s}", "test"))[1] for s in SCOPES}
        keys["operator"] = (await create_key(tools.db, None, "secret", ["admin"], "operator", "test"))[1]
        keys["rival"] = await add_tenant(tools, "rival", name="Rival Books")
        return keys
    finally:
        await tools.close()


@pytest.fixture(scope="module")
def trust(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    data = tmp_path_factory.mktemp("trust") / "data"
    shutil.copytree(seeded_dir, data)
    lots = "100000/minute"
    settings = Settings(data_dir=data, rate_limit_key=lots, rate_limit_tenant=lots, rate_limit_publishable=lots)
    keys = asyncio.run(_keys(settings))
    keys["publishable"] = json.loads((data / DEMO_KEYS_FILE).read_text())["publishable"]
    server = LiveServer(settings).start()
    yield server, keys
    server.stop()


def _request(client: httpx.Client, method: str, path: str, key: str | None) -> httpx.Response:
    url = path.replace("{tenant_id}", "nope").replace("{key_id}", "nope")
    url = url.replace("{thread_id}", "nope").replace("{document_id}", "nope")
    headers = {"X-Api-Key": key} if key else {}
    body = {} if method in ("POST", "PUT", "PATCH") else None
    r = client.send(client.build_request(method, url, json=body, headers=headers), stream=True)
    if not r.headers.get("content-type", "").startswith("text/event-stream"):
        r.read()  # a stream that was let in (`GET /handoffs/stream`) never ends: its status is the answer
    r.close()
    return r


def test_every_route_declares_a_scope() -> None:
    undeclared = [f"{m} {p}" for m, p, scopes in ROUTES if scopes is None and (m, p) not in OPEN]
    assert not undeclared, f"routes without Security(require|customer, scopes=[...]): {undeclared}"
    assert len(ROUTES) > 20


@pytest.mark.parametrize(("method", "path", "declared"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_scope_matrix(trust: tuple[LiveServer, dict[str, str]], method: str, path: str, declared) -> None:
    """Each route with no key, each scope's key, the publishable key and an operator's key answers as declared."""
    server, keys = trust
    with httpx.Client(base_url=server.url, timeout=30) as client:
        if declared is None:
            expected = 403 if path.startswith("/feedback/") else 200  # a signed feedback URL without a real token
            assert _request(client, method, path, None).status_code == expected
            return
        scopes, customers = declared
        cases: dict[str, bool] = {s: s == "admin" or scopes <= {s} for s in SCOPES}
        cases["publishable"] = customers
        cases["operator"] = path.startswith("/admin")
        unauthenticated = _request(client, method, path, None)
        assert unauthenticated.status_code == 401 and "API key" in unauthenticated.json()["detail"]
        assert _request(client, method, path, "ck_live_not-a-key").status_code == 401
        for who, allowed in cases.items():
            r = _request(client, method, path, keys[who])
            assert r.status_code < 500, (who, r.text)
            if (method, path) in OPERATOR_ONLY and who != "operator":
                allowed = False
            if allowed:
                assert r.status_code not in (401, 403), (who, r.status_code, r.text)
            else:
                assert r.status_code == 403, (who, r.status_code, r.text)
                assert r.json()["detail"], "a 403 says why"


def test_docs_stay_open_and_show_the_scopes(trust: tuple[LiveServer, dict[str, str]]) -> None:
    server, _ = trust
    assert httpx.get(server.url + "/docs").status_code == 200
    spec = httpx.get(server.url + "/openapi.json").json()
    assert spec["paths"]["/documents"]["post"]["security"][0] == {"APIKeyHeader": ["integrations:manage"]}
    assert {"HTTPBearer": ["chat"]} in spec["paths"]["/threads"]["post"]["security"]
    assert "security" not in spec["paths"]["/ok"]["get"]


def test_bearer_and_sdk_header_both_work_and_revoked_keys_stop(trust: tuple[LiveServer, dict[str, str]]) -> None:
    server, keys = trust
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/usage/alerts", headers={"Authorization": f"Bearer {keys['admin']}"}).status_code == 200
        made = client.post(
            "/admin/tenants/demo/keys", json={"scopes": ["analytics:view"], "name": "tmp"}, headers=_h(keys["admin"])
        )
        assert made.status_code == 201 and made.json()["key"].startswith("ck_live_")
        assert client.get("/usage/alerts", headers=_h(made.json()["key"])).status_code == 200
        listed = client.get("/admin/tenants/demo/keys", headers=_h(keys["admin"])).json()["keys"]
        assert all("key" not in k and "key_hash" not in k for k in listed), "a key is shown once, never listed"
        revoked = client.delete(f"/admin/tenants/demo/keys/{made.json()['id']}", headers=_h(keys["admin"]))
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        r = client.get("/usage/alerts", headers=_h(made.json()["key"]))
        assert r.status_code == 401 and "revoked" in r.json()["detail"]


def _h(key: str, **more: str) -> dict[str, str]:
    return {"X-Api-Key": key, **more}


def test_another_tenants_thread_is_404_and_the_tenant_comes_from_the_key(
    trust: tuple[LiveServer, dict[str, str]],
) -> None:
    server, keys = trust
    with httpx.Client(base_url=server.url, timeout=30) as client:
        rival = client.post("/threads", json={}, headers=_h(keys["rival"])).json()
        assert rival["metadata"]["tenant_id"] == "rival"
        for path in (f"/threads/{rival['thread_id']}", f"/threads/{rival['thread_id']}/state"):
            r = client.get(path, headers=_h(keys["admin"], **{"X-Tenant-ID": "rival"}))
            assert r.status_code == 404, "the demo's admin cannot read the rival's thread, whatever it claims"
        r = client.post(f"/threads/{rival['thread_id']}/runs/wait", json=QUESTION, headers=_h(keys["chat"]))
        assert r.status_code == 404
        claimed = client.post("/threads", json={"metadata": {"tenant_id": "rival"}}, headers=_h(keys["chat"]))
        assert claimed.status_code == 422 and "API key" in claimed.json()["detail"]
        again = client.post(
            "/threads", json={"thread_id": rival["thread_id"], "if_exists": "do_nothing"}, headers=_h(keys["chat"])
        )
        assert again.status_code == 409, "another tenant's thread id is never handed back"


def test_publishable_key_creates_and_runs_only_threads_whose_token_it_holds(
    trust: tuple[LiveServer, dict[str, str]],
) -> None:
    server, keys = trust
    pub = keys["publishable"]
    origin = "http://localhost:5173"
    with httpx.Client(base_url=server.url, timeout=30, headers={"X-Api-Key": pub, "Origin": origin}) as client:
        created = client.post("/threads", json={})
        assert created.status_code == 200
        thread, token = created.json()["thread_id"], created.headers["X-Thread-Token"]
        assert created.json()["metadata"]["thread_token"] == token
        assert created.headers["access-control-allow-origin"] == origin
        mine = {"X-Thread-Token": token}
        out = client.post(f"/threads/{thread}/runs/wait", json=QUESTION, headers=mine)
        assert out.status_code == 200 and "48.00 EUR" in out.json()["messages"][-1]["content"]
        events = stream_events(client, f"/threads/{thread}/runs/stream", {"command": {"resume": 5}}, headers=mine)
        assert events[0][0] == "metadata"
        assert client.get(f"/threads/{thread}", headers=mine).status_code == 200
        assert client.get(f"/threads/{thread}/state", headers=mine).json()["values"]["feedback"]

        # Without the token, or with another thread's, the thread does not exist for this customer.
        assert client.get(f"/threads/{thread}").status_code == 404
        other = client.post("/threads", json={}).json()
        wrong = {"X-Thread-Token": other["metadata"]["thread_token"]}
        assert client.get(f"/threads/{thread}", headers=wrong).status_code == 404
        assert client.post(f"/threads/{thread}/runs/wait", json=QUESTION, headers=wrong).status_code == 404
        staff = client.post("/threads", json={}, headers={"X-Api-Key": keys["chat"]}).json()["thread_id"]
        assert client.get(f"/threads/{staff}/state").status_code == 404
        taken = client.post("/threads", json={"thread_id": staff, "if_exists": "do_nothing"})
        assert taken.status_code == 409, "knowing a thread's id does not give its token"

        # Nothing else: no uploads, imports, usage, catalog, admin.
        assert client.post("/documents", files={"file": ("a.md", b"# hi\n")}).status_code == 403
        assert client.post("/catalog/import", json=[{"sku": "x", "name": "X", "price": 1}]).status_code == 403
        assert client.get("/usage/daily").status_code == 403
        assert client.get("/catalog/products").status_code == 403
        assert client.get("/admin/audit").status_code == 403
        # The customer cannot answer as the human agent, nor write the state.
        update = {"command": {"update": {"messages": []}}}
        assert client.post(f"/threads/{thread}/runs/wait", json=update, headers=mine).status_code == 403

        foreign = client.post("/threads", json={}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403 and "origin" in foreign.json()["detail"]
        preflight = client.options(
            "/threads",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-api-key",
            },
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == origin
        evil = client.options(
            "/threads", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert evil.status_code == 400


def test_a_run_may_carry_customer_facts_only(trust: tuple[LiveServer, dict[str, str]]) -> None:
    server, keys = trust
    with httpx.Client(base_url=server.url, timeout=30, headers={"X-Api-Key": keys["chat"]}) as client:
        thread = client.post("/threads", json={}).json()["thread_id"]
        runs = f"/threads/{thread}/runs/wait"
        for field, value in [
            ("agent_cannot_do", []),
            ("business_description", "We are closed forever."),
            ("context_tokens", 100000),
            ("max_results", 500),
            ("models", ["openai/gpt-4.5-preview"]),
            ("sources", ["web"]),
            ("daily_budget_usd", 1000),
            ("providers", {"openai": "sk-x"}),
            ("tenant_id", "rival"),
        ]:
            r = client.post(runs, json={**QUESTION, "context": {field: value}})
            assert r.status_code == 422 and f"context.{field}" in r.json()["detail"], (field, r.text)
        facts = {"locale": "en-IE", "timezone": "Europe/Paris", "customer_id": "c-42", "membership_tier": "gold"}
        r = client.post(runs, json={**QUESTION, "context": {**facts, "customer_name": "Niamh"}})
        assert r.status_code == 200 and "48.00 EUR" in r.json()["messages"][-1]["content"]
        goto = client.post(runs, json={"command": {"goto": "generate"}})
        assert goto.status_code == 403 and "admin" in goto.json()["detail"]


def test_answering_a_handoff_needs_handoff_resolve(trust: tuple[LiveServer, dict[str, str]]) -> None:
    server, keys = trust
    with httpx.Client(base_url=server.url, timeout=30) as client:
        thread = client.post("/threads", json={}, headers=_h(keys["chat"])).json()["thread_id"]
        ask = {"input": {"messages": [{"role": "user", "content": "Can I speak to a real person please?"}]}}
        out = client.post(f"/threads/{thread}/runs/wait", json=ask, headers=_h(keys["chat"])).json()
        assert out["__interrupt__"][0]["value"]["action_request"]["action"] == "handoff"
        reply = {"command": {"resume": {"reply": "Hello, Niamh here.", "agent": "niamh"}}}
        r = client.post(f"/threads/{thread}/runs/wait", json=reply, headers=_h(keys["chat"]))
        assert r.status_code == 403 and "handoff:resolve" in r.json()["detail"]
        agent = {"scopes": ["chat", "handoff:resolve"], "name": "human agent"}
        agent_key = client.post("/admin/tenants/demo/keys", json=agent, headers=_h(keys["admin"])).json()["key"]
        r = client.post(f"/threads/{thread}/runs/wait", json=reply, headers=_h(agent_key))
        assert r.status_code == 200 and r.json()["messages"][-1]["content"] == "Hello, Niamh here."


def test_admin_changes_configuration_never_shows_provider_keys_and_is_audited(
    trust: tuple[LiveServer, dict[str, str]],
) -> None:
    server, keys = trust
    data_dir = server.settings.data_dir
    with httpx.Client(base_url=server.url, timeout=30) as client:
        admin = _h(keys["admin"])
        patch = {"settings": {"max_results": 4}, "providers": {"openai": {"api_key": "sk-very-secret-123"}}}
        r = client.patch("/admin/tenants/demo", json=patch, headers=admin)
        assert r.status_code == 200, r.text
        assert r.json()["settings"]["max_results"] == 4
        assert r.json()["providers"] == {"openai": {"kind": "openai", "base_url": None, "has_key": True}}
        assert (
            "sk-very-secret" not in r.text and "sk-very-secret" not in client.get("/admin/tenants", headers=admin).text
        )
        bad = client.patch("/admin/tenants/demo", json={"settings": {"max_results": "many"}}, headers=admin)
        assert bad.status_code == 422 and "settings.max_results" in bad.json()["detail"]
        bad = client.patch("/admin/tenants/demo", json={"settings": {"customer_id": "x"}}, headers=admin)
        assert bad.status_code == 422 and "settings.customer_id" in bad.json()["detail"]
        assert client.patch("/admin/tenants/demo", json={"settings": {"max_results": None}}, headers=admin).is_success

        # A tenant's admin sees its own tenant only, and cannot make tenants.
        assert client.get("/admin/tenants/rival", headers=admin).status_code == 404
        assert client.patch("/admin/tenants/rival", json={"name": "Mine"}, headers=admin).status_code == 404
        assert client.get("/admin/tenants/rival/keys", headers=admin).status_code == 404
        assert [t["id"] for t in client.get("/admin/tenants", headers=admin).json()["tenants"]] == ["demo"]
        assert client.post("/admin/tenants", json={"id": "x"}, headers=admin).status_code == 403

        operator = _h(keys["operator"])
        made = client.post("/admin/tenants", json={"id": "salon", "timezone": "Europe/Rome"}, headers=operator)
        assert made.status_code == 201, made.text
        assert client.post("/admin/tenants", json={"id": "salon"}, headers=operator).status_code == 409
        key = client.post("/admin/tenants/salon/keys", json={"scopes": ["chat"]}, headers=operator).json()["key"]
        assert client.post("/threads", json={}, headers=_h(key)).json()["metadata"]["tenant_id"] == "salon"
        assert {t["id"] for t in client.get("/admin/tenants", headers=operator).json()["tenants"]} >= {"demo", "salon"}
        assert client.get("/usage/daily", headers=operator).status_code == 403, "an operator reads no tenant's data"

        log = client.get("/admin/audit", headers=admin).json()["entries"]
        actions = [(e["action"], e["tenant_id"]) for e in log]
        assert ("tenant.update", "demo") in actions and all(t == "demo" for _, t in actions)
        update = next(e for e in log if e["action"] == "tenant.update" and "providers" in e["detail"])
        assert update["actor"].startswith("key:key_") and update["at"] and update["detail"]["providers"] == ["openai"]
        assert {e["actor"] for e in log} >= {"seed-demo"}, "seeding made the demo's keys, and said so"
        assert "sk-very-secret" not in str(log)
        everything = client.get("/admin/audit", headers=operator).json()["entries"]
        assert ("tenant.create", "salon") in [(e["action"], e["tenant_id"]) for e in everything]
        assert client.get("/admin/audit", headers=_h(keys["chat"])).status_code == 403

    # At rest the provider key is ciphertext; the server's secret file is private.
    raw = sqlite3.connect(data_dir / "app.sqlite").execute("select providers from tenant_secrets").fetchall()
    assert raw and all("sk-very-secret" not in row[0] for row in raw)
    assert not any(b"sk-very-secret" in p.read_bytes() for p in data_dir.glob("app.sqlite*"))
    assert (data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    assert (data_dir / "demo-keys.json").stat().st_mode & 0o777 == 0o600


async def test_provider_keys_need_the_same_secret_to_be_read(tools: Toolbox, settings: Settings) -> None:
    from concierge.tools.auth.secrets import SecretBox, SecretError
    from concierge.tools.auth.tenants import provider_settings, update_tenant

    await update_tenant(tools.db, tools.secrets, "demo", "test", {"providers": {"openai": {"api_key": "sk-abc"}}})
    assert await provider_settings(tools.db, tools.secrets, "demo") == {"openai": {"api_key": "sk-abc"}}
    with pytest.raises(SecretError, match="CONCIERGE_SECRET_KEY"):
        await provider_settings(tools.db, SecretBox("another secret"), "demo")
    rotated = SecretBox("new-secret," + (settings.data_dir / "secret.key").read_text().strip())
    assert await provider_settings(tools.db, rotated, "demo") == {"openai": {"api_key": "sk-abc"}}, "old key decrypts"


async def test_plaintext_provider_keys_from_before_are_sealed_on_start(settings: Settings) -> None:
    from concierge.tools.db.models import Tenant

    tools = await Toolbox.from_settings(settings).open()
    async with tools.db.session() as s:
        tenant = await s.get(Tenant, "demo")
        assert tenant is not None
        tenant.settings = {**tenant.settings, "providers": {"openai": {"api_key": "sk-plain"}}}
        await s.commit()
    await tools.close()
    tools = await Toolbox.from_settings(settings).open()  # a restart seals them
    try:
        async with tools.db.session() as s:
            tenant = await s.get(Tenant, "demo")
            assert tenant is not None and "providers" not in tenant.settings
        context = await AppState(tools=tools, graph=None).tenant_context("demo")  # type: ignore[arg-type]
        assert context.providers == {"openai": {"api_key": "sk-plain"}}
    finally:
        await tools.close()
