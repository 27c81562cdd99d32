"""API keys: made at random, shown once, stored as a SHA-256, looked up by that hash, revocable.

A key's secret part has 256 bits of randomness, so a plain SHA-256 is enough to store it (no slow hash needed:
nothing to guess). Secret keys (`ck_live_...`) hold scopes; publishable keys (`ck_pub_...`) may only create
and run threads from a browser, and read the threads whose token they hold.
"""

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

from sqlalchemy import bindparam, select

from concierge.tools.auth.audit import record
from concierge.tools.db.base import utcnow
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.models import ApiKey, Tenant, TenantSecret

SCOPES = ("chat", "integrations:manage", "handoff:resolve", "analytics:view", "admin")
"""`admin` holds every other scope of its tenant."""
KeyKind = Literal["secret", "publishable"]
PREFIXES: dict[str, str] = {"secret": "ck_live_", "publishable": "ck_pub_"}


class AdminError(ValueError):
    """An admin request (keys, tenants) that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's id, its tenant (None for an operator's key), kind and scopes."""

    key_id: str
    tenant_id: str | None
    kind: str
    scopes: frozenset[str]
    name: str = ""

    @property
    def operator(self) -> bool:
        return self.tenant_id is None

    @property
    def publishable(self) -> bool:
        return self.kind == "publishable"

    def has(self, scope: str) -> bool:
        if self.publishable:
            return scope == "chat"
        return scope in self.scopes or "admin" in self.scopes

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}" + (f" ({self.name})" if self.name else "")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(kind: KeyKind) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise AdminError(f"unknown scope {unknown[0]!r}; scopes are {', '.join(SCOPES)}")
    return wanted


def _public(row: ApiKey) -> dict:
    return {
        "id": row.id,
        "tenant_id": row.tenant_id,
        "kind": row.kind,
        "name": row.name,
        "prefix": row.prefix,
        "scopes": list(row.scopes or []),
        "created_at": row.created_at,
        "created_by": row.created_by,
        "revoked_at": row.revoked_at,
    }


async def create_key(
    db: AppDatabase,
    tenant_id: str | None,
    kind: KeyKind,
    scopes: Iterable[str],
    name: str,
    actor: str,
    key: str | None = None,
) -> tuple[dict, str]:
    """A new key for `tenant_id` (None: an operator's key, scope `admin` only); returns its listing and the key.

    `key` stores a given plaintext instead of a random one (the demo's keys, kept across re-seeding).
    """
    if kind not in PREFIXES:
        raise AdminError(f"unknown key kind {kind!r}; kinds are secret, publishable")
    wanted = ["chat"] if kind == "publishable" else check_scopes(scopes)
    if kind == "secret" and not wanted:
        raise AdminError(f"a secret key needs at least one scope: {', '.join(SCOPES)}")
    if tenant_id is None and (kind != "secret" or wanted != ["admin"]):
        raise AdminError("an operator key (no tenant) is a secret key with the `admin` scope only")
    key = key or new_key(kind)
    async with db.session() as s:
        if tenant_id is not None and await s.get(Tenant, tenant_id) is None:
            raise AdminError(f"tenant {tenant_id!r} not found")
        row = ApiKey(
            id="key_" + uuid.uuid4().hex[:16],
            tenant_id=tenant_id,
            kind=kind,
            name=name,
            prefix=key[: len(PREFIXES[kind]) + 6],
            key_hash=hash_key(key),
            scopes=wanted,
            created_at=utcnow(),
            created_by=actor,
        )
        s.add(row)
        await record(s, actor, "key.create", tenant_id, row.id, {"kind": kind, "scopes": wanted, "name": name})
        await s.commit()
        return _public(row), key


async def find_key(db: AppDatabase, key: str) -> Principal | None:
    """The principal of a live key; None for an unknown or revoked one."""
    if not key.startswith(tuple(PREFIXES.values())):
        return None
    async with db.session() as s:
        row = await s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.id, row.tenant_id, row.kind, frozenset(row.scopes or []), row.name)


_KEY_LOOKUP = (
    select(ApiKey, Tenant, TenantSecret.providers)
    .outerjoin(Tenant, Tenant.id == ApiKey.tenant_id)
    .outerjoin(TenantSecret, TenantSecret.tenant_id == ApiKey.tenant_id)
    .where(ApiKey.key_hash == bindparam("key_hash"))
)
"""Every request's query, built once (SQLAlchemy then computes its cache key once)."""


class KeyLookup(NamedTuple):
    principal: Principal
    tenant: Tenant | None
    """None for an operator's key, or when the key's tenant is gone."""
    sealed_providers: str | None
    """The tenant's provider keys as stored (encrypted; `tenants.open_providers`), None when it set none."""


async def find_key_and_tenant(db: AppDatabase, key: str) -> KeyLookup | None:
    """`find_key`, the key's tenant row and its sealed provider keys in one query (every request needs the first
    two, every run all three); None for an unknown or revoked key."""
    if not key.startswith(tuple(PREFIXES.values())):
        return None
    async with db.read_session() as s:
        row = (await s.execute(_KEY_LOOKUP, {"key_hash": hash_key(key)})).first()
    if row is None or row[0].revoked_at is not None:
        return None
    found, tenant, sealed = row
    principal = Principal(found.id, found.tenant_id, found.kind, frozenset(found.scopes or []), found.name)
    return KeyLookup(principal, tenant, sealed if tenant is not None else None)


async def list_keys(db: AppDatabase, tenant_id: str | None = None, *, operators: bool = False) -> list[dict]:
    """Keys of one tenant (or every key with `tenant_id=None`, or operators' keys), newest first; never the key."""
    query = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
    if operators:
        query = query.where(ApiKey.tenant_id.is_(None))
    elif tenant_id is not None:
        query = query.where(ApiKey.tenant_id == tenant_id)
    async with db.session() as s:
        return [_public(r) for r in await s.scalars(query)]


async def revoke_key(db: AppDatabase, key_id: str, actor: str, tenant_id: str | None = None) -> dict | None:
    """Revoke a key (of `tenant_id` only, when given); None when there is no such key. Revoking twice is a no-op."""
    async with db.session() as s:
        row = await s.get(ApiKey, key_id)
        if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
            return None
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            await record(s, actor, "key.revoke", row.tenant_id, row.id, {"name": row.name})
            await s.commit()
        return _public(row)


async def key_is_live(db: AppDatabase, key: str) -> bool:
    return await find_key(db, key) is not None
