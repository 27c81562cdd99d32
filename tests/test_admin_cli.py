"""`concierge tenants ...`, `concierge keys ...` and the demo's keys, as an operator uses them from the shell."""

import json

import httpx

from concierge.cli.main import _demo_keys, _example
from concierge.tools.settings import Settings
from tests.conftest import LiveServer
from tests.test_cli import run


def test_tenants_and_keys_from_the_command_line(settings: Settings) -> None:
    made = run(
        settings,
        "tenants",
        "create",
        "salon",
        "--name",
        "Salon Lumi",
        "--timezone",
        "Europe/Helsinki",
        "--set",
        'allowed_origins=["https://lumi.example"]',
        "--provider",
        "openai=sk-cli-secret",
    )
    assert made.returncode == 0, made.stderr
    listed = run(settings, "tenants", "list")
    assert "salon" in listed.stdout and "Salon Lumi" in listed.stdout and "openai" in listed.stdout
    assert "sk-cli-secret" not in listed.stdout
    updated = run(settings, "tenants", "update", "salon", "--set", "daily_budget_usd=5", "--unset", "allowed_origins")
    assert updated.returncode == 0 and "settings" in updated.stdout, updated.stderr

    key = run(settings, "keys", "create", "--tenant", "salon", "--scopes", "chat,analytics:view", "--name", "site")
    assert key.returncode == 0, key.stderr
    secret = key.stdout.splitlines()[0]
    assert secret.startswith("ck_live_") and "only time it is shown" in key.stdout
    keys = run(settings, "keys", "list", "--tenant", "salon")
    assert secret[:14] in keys.stdout and secret not in keys.stdout and "live" in keys.stdout
    key_id = next(line.split()[0] for line in keys.stdout.splitlines() if line.startswith("key_"))

    server = LiveServer(settings).start()
    try:
        with server.client(secret) as client:
            assert client.post("/threads", json={}).json()["metadata"]["tenant_id"] == "salon"
            assert client.get("/usage/daily").json()["tenant_id"] == "salon"
            assert client.get("/documents").status_code == 403, "no integrations:manage scope"
            revoked = run(settings, "keys", "revoke", key_id)
            assert revoked.returncode == 0 and "revoked" in revoked.stdout, revoked.stderr
            assert client.get("/usage/daily").status_code == 401, "revoked from another process: stops at once"
            operator = run(settings, "keys", "create", "--operator", "--name", "ops").stdout.splitlines()[0]
            log = httpx.get(f"{server.url}/admin/audit", headers={"X-Api-Key": operator}).json()["entries"]
            actions = {(e["action"], e["tenant_id"]) for e in log if e["actor"].startswith("cli:")}
            assert {("tenant.create", "salon"), ("tenant.update", "salon"), ("key.revoke", "salon")} <= actions
    finally:
        server.stop()


def test_admin_mistakes_print_one_line(settings: Settings) -> None:
    cases = [
        (("tenants", "create", "Bad Id!"), "tenant id"),
        (("tenants", "update", "nobody", "--name", "x"), "not found"),
        (("tenants", "update", "demo", "--set", "max_results=many"), "settings.max_results"),
        (("keys", "create", "--tenant", "demo", "--scopes", "root"), "unknown scope 'root'"),
        (("keys", "create"), "--tenant"),
        (("keys", "revoke", "key_nope"), "not found"),
    ]
    for args, what in cases:
        out = run(settings, *args)
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 1 and len(lines) == 1 and "Traceback" not in out.stderr, (args, out.stderr)
        assert what in lines[0], (args, lines[0])


def test_seeding_keeps_the_demo_keys_and_the_example_uses_them(settings: Settings) -> None:
    before = _demo_keys(settings)
    again = run(settings, "seed-demo")
    assert again.returncode == 0 and "demo-keys.json" in again.stdout, again.stderr
    assert _demo_keys(settings) == before, "re-seeding keeps the keys a user already pasted"
    assert (settings.data_dir / "demo-keys.json").stat().st_mode & 0o777 == 0o600
    example = _example("127.0.0.1", 8000, before)
    assert f"KEY={before['secret']}" in example and "X-Api-Key: $KEY" in example


async def test_a_new_database_stores_the_same_demo_keys_again(tmp_path) -> None:
    """A data dir whose database was reset keeps the keys a user pasted; a revoked demo key is replaced."""
    from concierge.tools.auth.keys import find_key, revoke_key
    from concierge.tools.auth.tenants import create_tenant
    from concierge.tools.demo.seed import seed_demo_keys
    from concierge.tools.toolbox import Toolbox

    fresh = Settings(data_dir=tmp_path / "fresh")
    fresh.ensure_dirs()
    kept = {"secret": "ck_live_" + "a" * 43, "publishable": "ck_pub_" + "b" * 43}
    (fresh.data_dir / "demo-keys.json").write_text(json.dumps(kept))
    tools = await Toolbox.from_settings(fresh).open()
    try:
        await create_tenant(tools.db, tools.secrets, "demo", "test")
        assert await seed_demo_keys(tools, "demo") == kept
        principal = await find_key(tools.db, kept["secret"])
        assert principal is not None and principal.tenant_id == "demo" and principal.has("admin")
        await revoke_key(tools.db, principal.key_id, "test")
        renewed = await seed_demo_keys(tools, "demo")
        assert renewed["secret"] != kept["secret"] and renewed["publishable"] == kept["publishable"]
        assert json.loads((fresh.data_dir / "demo-keys.json").read_text()) == renewed
    finally:
        await tools.close()
