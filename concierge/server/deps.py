"""What every request needs: the app's shared handles, the thread it names, its tenant's context."""

import asyncio
from dataclasses import dataclass, field, fields
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Header, HTTPException, Request
from langgraph.graph.state import CompiledStateGraph
from pydantic import TypeAdapter, ValidationError

from concierge.state import Context
from concierge.tools.db.models import Tenant, Thread
from concierge.tools.toolbox import Toolbox

# Context fields a tenant's stored settings may set; a client may set them per run too, except the tenant-only ones
# (keys and budget); the rest come from the server.
TENANT_ONLY_FIELDS = {"providers", "daily_budget_usd"}
TENANT_CONTEXT_FIELDS = {f.name for f in fields(Context)} - {"tools", "tenant_id"}
CLIENT_CONTEXT_FIELDS = TENANT_CONTEXT_FIELDS - TENANT_ONLY_FIELDS
_CONTEXT = TypeAdapter(Context)


@dataclass
class AppState:
    tools: Toolbox
    graph: CompiledStateGraph
    thread_locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def lock(self, thread_id: str) -> asyncio.Lock:
        """One run at a time per thread in this process; a second one is refused, never queued."""
        return self.thread_locks.setdefault(thread_id, asyncio.Lock())

    def release(self, thread_id: str) -> None:
        lock = self.thread_locks.pop(thread_id, None)
        if lock is not None and lock.locked():
            lock.release()

    async def tenant_context(self, tenant_id: str, overrides: dict[str, Any] | None = None) -> Context:
        """The tenant's stored agent settings, then the run's own overrides; 404 for an unknown tenant."""
        async with self.tools.db.session() as s:
            tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            raise HTTPException(404, f"tenant {tenant_id!r} not found")
        tenant_only = set(overrides or {}) & TENANT_ONLY_FIELDS
        if tenant_only:
            raise HTTPException(
                422, f"set in the tenant's settings only, not per run: {', '.join(sorted(tenant_only))}"
            )
        unknown = set(overrides or {}) - CLIENT_CONTEXT_FIELDS - {"tenant_id"}
        if unknown:
            raise HTTPException(422, f"unknown context fields: {', '.join(sorted(unknown))}")
        settings = {k: v for k, v in (tenant.settings or {}).items() if k in TENANT_CONTEXT_FIELDS}
        client = {k: v for k, v in (overrides or {}).items() if k in CLIENT_CONTEXT_FIELDS}
        fields_ = {
            "business_name": tenant.name,
            "business_description": tenant.description,
            "timezone": tenant.timezone,
            "source_timeout_s": self.tools.settings.source_timeout_s,
            "generation_timeout_s": self.tools.settings.generation_timeout_s,
            "source_timeouts": self.tools.settings.source_timeouts,
            **settings,
            **client,
        }
        try:
            context = _CONTEXT.validate_python(fields_)
        except ValidationError as exc:
            errors = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise HTTPException(422, f"invalid context: {errors}") from None
        try:
            ZoneInfo(context.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HTTPException(422, f"invalid context: unknown time zone {context.timezone!r}") from None
        context.tenant_id, context.tools = tenant.id, self.tools
        return context


def get_app_state(request: Request) -> AppState:
    return request.app.state.concierge


App = Annotated[AppState, Depends(get_app_state)]


async def get_thread(thread_id: str, app: App) -> Thread:
    async with app.tools.db.session() as s:
        thread = await s.get(Thread, thread_id)
    if thread is None:
        raise HTTPException(404, f"thread {thread_id} not found")
    return thread


ThreadRow = Annotated[Thread, Depends(get_thread)]


async def get_tenant(app: App, x_tenant_id: Annotated[str | None, Header()] = None) -> Tenant:
    """The tenant a request acts for: the `X-Tenant-ID` header, else the default tenant; 404 if unknown.

    The auth issue replaces the header with the tenant of the authenticated principal.
    """
    tenant_id = x_tenant_id or app.tools.settings.default_tenant
    async with app.tools.db.session() as s:
        tenant = await s.get(Tenant, tenant_id)
    if tenant is None:
        raise HTTPException(404, f"tenant {tenant_id!r} not found")
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_tenant)]
