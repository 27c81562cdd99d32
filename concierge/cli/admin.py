"""`concierge tenants ...` and `concierge keys ...`: the admin API's operations from the shell, audited as the
local user. A mistake prints one line and exits 1."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from concierge.tools.auth import keys
from concierge.tools.auth.keys import AdminError
from concierge.tools.db.engine import AppDatabase
from concierge.tools.settings import Settings

if TYPE_CHECKING:  # loaded by `_run`: the parsers skip migrations, cryptography and tenant validation
    from concierge.tools.auth.secrets import SecretBox


@dataclass
class _Admin:
    """What admin commands need: the app database and the secret, without the toolbox's models and indexes."""

    db: AppDatabase
    secrets: SecretBox


def add_parsers(sub: Any) -> None:
    t = sub.add_parser("tenants", help="create, list and update tenants")
    ts = t.add_subparsers(dest="tenants_command", required=True)
    create = ts.add_parser("create", help="create a tenant")
    create.add_argument("id", help="tenant id: lowercase letters, digits, - and _")
    _tenant_fields(create)
    ts.add_parser("list", help="list tenants (provider keys are never shown)")
    update = ts.add_parser("update", help="change a tenant's configuration")
    update.add_argument("id")
    _tenant_fields(update)
    update.add_argument("--unset", action="append", default=[], metavar="KEY", help="remove a setting")
    update.add_argument("--remove-provider", action="append", default=[], metavar="NAME", help="drop a provider")

    k = sub.add_parser("keys", help="create, list and revoke API keys")
    ks = k.add_subparsers(dest="keys_command", required=True)
    kc = ks.add_parser("create", help="create a key; it is printed once")
    kc.add_argument("--tenant", default=None, help="the key's tenant")
    kc.add_argument("--scopes", default="chat", help=f"comma-separated, of: {', '.join(keys.SCOPES)}")
    kc.add_argument("--publishable", action="store_true", help="a browser key: create and run threads only")
    kc.add_argument("--operator", action="store_true", help="a key of no tenant that manages every tenant")
    kc.add_argument("--name", default="", help="what the key is for")
    kl = ks.add_parser("list", help="list keys (prefixes and scopes, never the keys)")
    kl.add_argument("--tenant", default=None, help="one tenant's keys (default: every key)")
    kr = ks.add_parser("revoke", help="revoke a key by its id")
    kr.add_argument("key_id")


def _tenant_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", default=None)
    p.add_argument("--description", default=None)
    p.add_argument("--timezone", default=None, help="IANA time zone, e.g. Europe/Dublin")
    p.add_argument("--currency", default=None, help="ISO 4217 code, e.g. EUR")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=JSON",
        help="a setting, e.g. daily_budget_usd=5 or "
        "allowed_origins='[\"https://shop.example\"]' (a value that is not JSON is taken as text)",
    )
    p.add_argument("--provider", action="append", default=[], metavar="NAME=KEY", help="a provider key (or URL)")


def _pairs(items: list[str], what: str, parse_json: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise AdminError(f"{what} {item!r}: write NAME=VALUE")
        if parse_json:
            try:
                out[name] = json.loads(value)
            except json.JSONDecodeError:
                out[name] = value
        else:
            out[name] = value
    return out


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[str(r.get(c) if r.get(c) is not None else "") for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


async def _tenants(tools: _Admin, args: argparse.Namespace) -> str:
    from concierge.tools.auth import tenants

    db, box, actor = tools.db, tools.secrets, _actor()
    if args.tenants_command == "list":
        rows = await tenants.list_tenants(db, box)
        for r in rows:
            r["providers"] = ",".join(r["providers"]) or "-"
            r["settings"] = ",".join(sorted(r["settings"])) or "-"
        return _table(rows, ["id", "name", "timezone", "currency", "providers", "settings"])
    settings = _pairs(args.set, "--set", parse_json=True)
    providers: dict[str, Any] = _pairs(args.provider, "--provider", parse_json=False)
    if args.tenants_command == "create":
        fields = {k: getattr(args, k) for k in ("name", "description", "timezone", "currency")}
        out = await tenants.create_tenant(
            db,
            box,
            args.id,
            actor,
            settings=settings,
            providers=providers,
            **{k: v for k, v in fields.items() if v is not None},
        )
        return f"created tenant {out['id']!r} ({out['name']}); make a key: concierge keys create --tenant {out['id']}"
    changes: dict[str, Any] = {k: getattr(args, k) for k in ("name", "description", "timezone", "currency")}
    changes = {k: v for k, v in changes.items() if v is not None}
    if settings or args.unset:
        changes["settings"] = {**settings, **dict.fromkeys(args.unset)}
    if providers or args.remove_provider:
        changes["providers"] = {**providers, **dict.fromkeys(args.remove_provider)}
    if not changes:
        raise AdminError("nothing to change: pass --name, --set, --provider, ...")
    out = await tenants.update_tenant(db, box, args.id, actor, changes)
    if out is None:
        raise AdminError(f"tenant {args.id!r} not found")
    return f"updated tenant {args.id!r}: {', '.join(sorted(changes))}"


async def _keys(tools: _Admin, args: argparse.Namespace) -> str:
    db, actor = tools.db, _actor()
    if args.keys_command == "create":
        if args.operator == bool(args.tenant):
            raise AdminError("pass --tenant T for a tenant's key, or --operator for an operator's key")
        kind = "publishable" if args.publishable else "secret"
        scopes = ["admin"] if args.operator else [s.strip() for s in args.scopes.split(",") if s.strip()]
        listing, key = await keys.create_key(db, args.tenant, kind, scopes, args.name, actor)  # type: ignore[arg-type]
        return (
            f"{key}\n"
            f"created {kind} key {listing['id']} for {args.tenant or 'the operator'} "
            f"(scopes: {', '.join(listing['scopes'])}); this is the only time it is shown"
        )
    if args.keys_command == "list":
        rows = await keys.list_keys(db, args.tenant)
        for r in rows:
            r["scopes"] = ",".join(r["scopes"])
            r["tenant_id"] = r["tenant_id"] or "(operator)"
            r["status"] = "revoked" if r["revoked_at"] else "live"
            r["created_at"] = r["created_at"].strftime("%Y-%m-%d %H:%M")
        return _table(rows, ["id", "tenant_id", "kind", "prefix", "scopes", "status", "name", "created_at"])
    out = await keys.revoke_key(db, args.key_id, actor)
    if out is None:
        raise AdminError(f"key {args.key_id} not found")
    return f"revoked key {out['id']} ({out['prefix']}...) of {out['tenant_id'] or 'the operator'}"


async def _run(settings: Settings, job: Callable[[Any], Awaitable[str]]) -> str:
    from concierge.tools.auth import tenants
    from concierge.tools.auth.secrets import SecretBox, load_or_create_secret
    from concierge.tools.db.migrate import upgrade

    settings.ensure_dirs()
    db = AppDatabase(settings.app_db_url, settings.database_schema)
    try:
        await upgrade(db.engine)
        box = SecretBox(load_or_create_secret(settings.secret_key, settings.data_dir))
        await tenants.seal_plaintext_providers(db, box)
        return await job(_Admin(db, box))
    finally:
        await db.dispose()


def run(settings: Settings, args: argparse.Namespace) -> None:
    """Run `tenants` or `keys`; print the result, or one line and exit 1."""
    handler = _tenants if args.command == "tenants" else _keys
    try:
        print(asyncio.run(_run(settings, lambda tools: handler(tools, args))))
    except AdminError as exc:
        raise SystemExit(f"concierge {args.command}: {exc}") from None
    except Exception as exc:  # a database that cannot be opened, a key that cannot decrypt: one line, no traceback
        raise SystemExit(f"concierge {args.command}: {type(exc).__name__}: {exc}") from None
