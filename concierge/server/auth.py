"""Who is calling and what they may do: API keys as FastAPI security dependencies.

A key arrives as `X-Api-Key` (what `langgraph_sdk` sends with `api_key=`) or `Authorization: Bearer`. The key
decides the tenant; nothing the caller writes in a header, a body or metadata does. Every route declares the
scope it needs with `Security(require, scopes=[...])` (secret keys) or `Security(customer, scopes=["chat"])`
(secret keys, and publishable keys from a browser), so the OpenAPI page shows it; `tests/test_auth_matrix.py`
fails for a route that declares none.

401: no key, or an unknown or revoked one. 403: a key without the route's scope, a publishable key on a route
that is not for customers, or from an origin its tenant does not allow. 429: over a rate limit (`Retry-After`).
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from concierge.tools.auth.keys import SCOPES, Principal, find_key_and_tenant
from concierge.tools.auth.tenants import open_providers
from concierge.tools.db.models import Tenant

if TYPE_CHECKING:
    from concierge.server.deps import AppState

__all__ = ["SCOPES", "Principal", "authenticate", "customer", "require"]

api_key_header = APIKeyHeader(
    name="X-Api-Key",
    auto_error=False,
    description="A tenant's API key: `ck_live_...` (secret, with scopes) or `ck_pub_...` (publishable).",
)
bearer = HTTPBearer(auto_error=False, description="The same API key as `Authorization: Bearer <key>`.")

_PRINCIPAL = "concierge_principal"
_TENANT = "concierge_tenant"
_PROVIDERS = "concierge_providers"


def _app(request: Request) -> "AppState":
    return request.app.state.concierge


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": 'Bearer realm="concierge"'})


async def authenticate(
    request: Request,
    api_key: Annotated[str | None, Security(api_key_header)] = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)] = None,
) -> Principal:
    """The caller's key, checked once per request: live, allowed from this origin, within its rate limits."""
    cached = getattr(request.state, _PRINCIPAL, None)
    if cached is not None:
        return cached
    key = api_key or (credentials.credentials if credentials else None)
    if not key:
        raise _unauthorized("an API key is required: send it as `X-Api-Key: <key>` or `Authorization: Bearer <key>`")
    app = _app(request)
    found = await find_key_and_tenant(app.tools.db, key.strip())
    if found is None:
        raise _unauthorized("unknown or revoked API key")
    principal, tenant, sealed = found
    if principal.tenant_id is not None and tenant is None:
        raise _unauthorized("the key's tenant no longer exists")
    settings = (tenant.settings or {}) if tenant is not None else {}
    origin = request.headers.get("origin")
    if principal.publishable and origin and origin not in settings.get("allowed_origins", []) and not _own(request):
        raise HTTPException(403, f"origin {origin} is not among this tenant's allowed origins for its publishable key")
    await _rate_limit(request, principal, settings)
    setattr(request.state, _PRINCIPAL, principal)
    setattr(request.state, _TENANT, tenant)
    setattr(request.state, _PROVIDERS, sealed)
    return principal


def _own(request: Request) -> bool:
    """A browser on this server's own pages (`/widget`): its `Origin` is the address it asked, as a browser sends
    both; a page elsewhere must be among the tenant's `allowed_origins`."""
    return request.headers.get("origin") == f"{request.url.scheme}://{request.headers.get('host', '')}"


async def _rate_limit(request: Request, principal: Principal, settings: dict) -> None:
    app = _app(request)
    defaults = app.tools.settings
    own = settings.get("rate_limits", {})
    checks: list[tuple[str, tuple[str, ...]]] = []
    if principal.publishable:
        client = request.client.host if request.client else "unknown"
        checks.append((own.get("publishable", defaults.rate_limit_publishable), ("key", principal.key_id, client)))
    else:
        checks.append((own.get("key", defaults.rate_limit_key), ("key", principal.key_id)))
    if principal.tenant_id is not None:
        checks.append((own.get("tenant", defaults.rate_limit_tenant), ("tenant", principal.tenant_id)))
    retry_after = await app.tools.limiter.hit(checks)
    if retry_after is not None:
        raise HTTPException(
            429, f"rate limit exceeded; retry in {retry_after:g} s", headers={"Retry-After": f"{retry_after:.0f}"}
        )


def current_tenant_row(request: Request) -> Tenant | None:
    """The tenant `authenticate` loaded for this request (None for an operator's key)."""
    return getattr(request.state, _TENANT, None)


def tenant_providers(request: Request) -> dict[str, Any] | None:
    """The tenant's provider settings, from the key lookup `authenticate` made (decrypted now: only runs need
    them); None when it made none."""
    if not hasattr(request.state, _PROVIDERS):
        return None
    return open_providers(_app(request).tools.secrets, getattr(request.state, _PROVIDERS))


def _check(principal: Principal, scopes: list[str]) -> Principal:
    for scope in scopes:
        if not principal.has(scope):
            raise HTTPException(403, f"this API key lacks the `{scope}` scope")
    return principal


async def require(security_scopes: SecurityScopes, principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    """A secret key holding every scope the route declares."""
    if principal.publishable:
        raise HTTPException(403, "a publishable key may only create threads and run them; use a secret key")
    return _check(principal, security_scopes.scopes)


async def customer(
    security_scopes: SecurityScopes, principal: Annotated[Principal, Depends(authenticate)]
) -> Principal:
    """A secret key with the route's scopes, or a publishable key (a customer's browser; thread routes then also
    need the thread's token, see `deps.thread_access`)."""
    if principal.publishable:
        return principal
    return _check(principal, security_scopes.scopes)


def route_scopes(dependant: Any) -> tuple[set[str], bool] | None:
    """What a route declares: its scopes, and whether a publishable key may call it; None when it declares nothing
    (then it is open: only `/ok` and the docs may be)."""
    scopes: set[str] = set()
    gates: list[Any] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call in (require, customer):
            gates.append(dep.call)
            scopes |= {*(dep.parent_oauth_scopes or []), *(dep.own_oauth_scopes or [])}
        stack.extend(dep.dependencies)
    if not gates or not scopes:
        return None
    return scopes, all(g is customer for g in gates)


def iter_routes(app: Any) -> list[tuple[str, str, Any]]:
    """(method, path, dependant) of every API route of `app`, routers included (FastAPI may keep an included
    router's routes behind one entry)."""
    out: list[tuple[str, str, Any]] = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for ctx in contexts:
            dependant = getattr(ctx, "dependant", None)
            if dependant is None:
                continue
            out += [(m, ctx.path, dependant) for m in sorted(ctx.methods or ()) if m != "HEAD"]
    return out
