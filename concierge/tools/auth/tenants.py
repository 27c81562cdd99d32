"""Tenants as the admin API and CLI change them: validated settings, provider keys sealed at rest, audited.

A tenant's configuration (guardrails, prompt, sources, models, budgets, limits, prices, provider keys) changes
here and nowhere else; a run may only carry facts about the customer (`state.context.CUSTOMER_FIELDS`).
"""

import re
from dataclasses import fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select

from concierge.state import Context
from concierge.state.context import CUSTOMER_FIELDS
from concierge.tools.auth.audit import record
from concierge.tools.auth.keys import AdminError
from concierge.tools.auth.secrets import SecretBox
from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import Tenant, TenantSecret
from concierge.tools.llm.providers import ProviderConfig

TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
RATE_LIMIT_KINDS = ("tenant", "key", "publishable")
EXTRA_SETTINGS = frozenset({"allowed_origins", "rate_limits", "alert_webhooks"})
"""Tenant settings that are not agent context: browser origins of the publishable key, rate limits, and the
webhooks alerts go to."""
_NOT_SETTINGS = {
    "tools",
    "tenant_id",
    "providers",
    "business_name",
    "business_description",
    "timezone",
    "policy_version",
}
SETTINGS_FIELDS = frozenset({f.name for f in fields(Context)} - _NOT_SETTINGS - CUSTOMER_FIELDS) | EXTRA_SETTINGS
_CONTEXT = TypeAdapter(Context)
_WEBHOOK = re.compile(r"^https?://[^\s/?#]+(/\S*)?$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?$")


def check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings if every key is a tenant setting of the right type; AdminError naming the first bad one."""
    if not isinstance(settings, dict):
        raise AdminError("settings must be a JSON object")
    unknown = sorted(set(settings) - SETTINGS_FIELDS)
    if unknown:
        hint = " (set it with `providers`)" if unknown[0] == "providers" else ""
        raise AdminError(f"settings.{unknown[0]}: not a tenant setting{hint}")
    agent = {k: v for k, v in settings.items() if k not in EXTRA_SETTINGS}
    try:
        _CONTEXT.validate_python(agent)
    except ValidationError as exc:
        e = exc.errors()[0]
        raise AdminError(f"settings.{'.'.join(map(str, e['loc']))}: {e['msg']}") from None
    for name, price in (settings.get("prices") or {}).items():
        if "/" not in name or not {"input", "output"} <= set(price) or min(price.values()) < 0:
            raise AdminError(f"settings.prices.{name}: needs `provider/model` and non-negative `input`, `output`")
    origins = settings.get("allowed_origins", [])
    if not isinstance(origins, list) or not all(isinstance(o, str) and _ORIGIN.match(o) for o in origins):
        raise AdminError("settings.allowed_origins: a list of origins such as https://shop.example (no path)")
    hooks = settings.get("alert_webhooks", [])
    if not isinstance(hooks, list) or not all(isinstance(h, str) and _WEBHOOK.match(h) for h in hooks):
        raise AdminError("settings.alert_webhooks: a list of http(s) URLs such as https://hooks.slack.com/services/...")
    rates = settings.get("rate_limits", {})
    if not isinstance(rates, dict):
        raise AdminError('settings.rate_limits: an object such as {"key": "60/minute"}')
    import limits  # here, not at the top: only a rate limit setting needs it, and the CLI starts faster

    for kind, value in rates.items():
        if kind not in RATE_LIMIT_KINDS:
            raise AdminError(f"settings.rate_limits.{kind}: one of {', '.join(RATE_LIMIT_KINDS)}")
        try:
            limits.parse_many(value)
        except (ValueError, TypeError):
            raise AdminError(f"settings.rate_limits.{kind}: {value!r} is not a rate such as '60/minute'") from None
    return settings


def check_providers(providers: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(providers, dict):
        raise AdminError("providers must be an object: {name: {api_key, base_url, kind}}")
    for name, raw in providers.items():
        if raw is None:
            continue
        try:
            ProviderConfig.parse(name, raw)
        except (ValueError, AttributeError, TypeError) as exc:
            raise AdminError(f"providers.{name}: {exc}") from None
    return providers


def _check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise AdminError(f"timezone: unknown time zone {tz!r}") from None
    return tz


def _merge(old: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` over `old`; a None value removes the key."""
    merged = {**old, **changes}
    return {k: v for k, v in merged.items() if v is not None}


def view(tenant: Tenant, providers: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a tenant: provider names and whether each has a key, never the key."""
    return {
        "id": tenant.id,
        "name": tenant.name,
        "description": tenant.description,
        "timezone": tenant.timezone,
        "currency": tenant.currency,
        "settings": tenant.settings or {},
        "providers": {
            name: {
                "kind": ProviderConfig.parse(name, raw).kind,
                "base_url": ProviderConfig.parse(name, raw).base_url,
                "has_key": bool(ProviderConfig.parse(name, raw).api_key),
            }
            for name, raw in sorted(providers.items())
        },
        "created_at": tenant.created_at,
    }


async def provider_settings(db: AppDatabase, box: SecretBox, tenant_id: str) -> dict[str, Any]:
    """The tenant's own provider settings, decrypted: for building clients, never for a response."""
    async with db.session() as s:
        row = await s.get(TenantSecret, tenant_id)
    return open_providers(box, row.providers if row is not None else None)


def open_providers(box: SecretBox, sealed: str | None) -> dict[str, Any]:
    """Provider settings as `tenant_secrets.providers` holds them (None: the tenant set none), decrypted."""
    return box.decrypt(sealed).get("providers", {}) if sealed is not None else {}


async def _store_providers(s: Any, box: SecretBox, tenant_id: str, providers: dict[str, Any]) -> None:
    row = await s.get(TenantSecret, tenant_id) or TenantSecret(tenant_id=tenant_id)
    row.providers, row.updated_at = box.encrypt({"providers": providers}), utcnow()
    s.add(row)


async def create_tenant(
    db: AppDatabase,
    box: SecretBox,
    tenant_id: str,
    actor: str,
    *,
    name: str | None = None,
    description: str = "",
    timezone: str = "UTC",
    currency: str = "EUR",
    settings: dict[str, Any] | None = None,
    providers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if not TENANT_ID.match(tenant_id):
        raise AdminError(f"tenant id {tenant_id!r}: lowercase letters, digits, - and _, at most 64")
    settings = check_settings(settings or {})
    providers = {k: v for k, v in check_providers(providers or {}).items() if v is not None}
    _check_timezone(timezone)
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise AdminError(f"currency {currency!r}: an ISO 4217 code such as EUR")
    async with db.session() as s:
        if await s.get(Tenant, tenant_id) is not None:
            raise AdminError(f"tenant {tenant_id!r} already exists")
        tenant = Tenant(
            id=tenant_id,
            name=name or tenant_id,
            description=description,
            timezone=timezone,
            currency=currency,
            settings=settings,
            created_at=utcnow(),
        )
        s.add(tenant)
        await s.flush()
        if providers:
            await _store_providers(s, box, tenant_id, providers)
        detail = {"name": tenant.name, "settings": sorted(settings), "providers": sorted(providers)}
        await record(s, actor, "tenant.create", tenant_id, tenant_id, detail)
        await s.commit()
    return view(tenant, providers)


async def update_tenant(
    db: AppDatabase, box: SecretBox, tenant_id: str, actor: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply `changes` (name, description, timezone, currency; `settings` and `providers` merged key by key,
    None removing one); None when there is no such tenant."""
    allowed = {"name", "description", "timezone", "currency", "settings", "providers"}
    if unknown := sorted(set(changes) - allowed):
        raise AdminError(f"{unknown[0]}: not a tenant field; fields are {', '.join(sorted(allowed))}")
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if "currency" in changes and not re.fullmatch(r"[A-Z]{3}", str(changes["currency"])):
        raise AdminError(f"currency {changes['currency']!r}: an ISO 4217 code such as EUR")
    async with db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            return None
        for key in ("name", "description", "timezone", "currency"):
            if changes.get(key) is not None:
                setattr(tenant, key, changes[key])
        if "settings" in changes:
            if not isinstance(changes["settings"], dict):
                raise AdminError("settings must be a JSON object")
            tenant.settings = check_settings(_merge(tenant.settings or {}, changes["settings"]))
        secret = await s.get(TenantSecret, tenant_id)
        providers = box.decrypt(secret.providers).get("providers", {}) if secret is not None else {}
        if "providers" in changes:
            providers = _merge(providers, check_providers(changes["providers"]))
            await _store_providers(s, box, tenant_id, providers)
        detail = {
            k: (sorted(v) if isinstance(v, dict) else v)  # settings and provider names, never their values' keys
            for k, v in changes.items()
        }
        await record(s, actor, "tenant.update", tenant_id, tenant_id, detail)
        await s.commit()
        return view(tenant, providers)


async def get_tenant(db: AppDatabase, box: SecretBox, tenant_id: str) -> dict[str, Any] | None:
    async with db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
    return None if tenant is None else view(tenant, await provider_settings(db, box, tenant_id))


async def list_tenants(db: AppDatabase, box: SecretBox) -> list[dict[str, Any]]:
    async with db.session() as s:
        tenants = list(await s.scalars(select(Tenant).order_by(Tenant.id)))
    return [view(t, await provider_settings(db, box, t.id)) for t in tenants]


async def seal_plaintext_providers(db: AppDatabase, box: SecretBox) -> int:
    """Move provider keys stored in plain settings (before encryption existed) into the sealed table."""
    moved = 0
    async with db.session() as s:
        for tenant in await s.scalars(select(Tenant)):
            plain = (tenant.settings or {}).get("providers")
            if plain is None:
                continue
            secret = await s.get(TenantSecret, tenant.id)
            sealed = box.decrypt(secret.providers).get("providers", {}) if secret is not None else {}
            await _store_providers(s, box, tenant.id, {**plain, **sealed})
            tenant.settings = {k: v for k, v in tenant.settings.items() if k != "providers"}
            await record(s, "system", "tenant.seal_providers", tenant.id, tenant.id, {"providers": sorted(plain)})
            moved += 1
        await s.commit()
    return moved
