"""What every request needs: the app's shared handles, its tenant (from its key), the thread it names, its context."""

import asyncio
import contextlib
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Header, HTTPException, Request
from langgraph.graph.state import CompiledStateGraph
from pydantic import TypeAdapter, ValidationError

from concierge.server.auth import Principal, authenticate, current_tenant_row
from concierge.state import Context
from concierge.state.context import CUSTOMER_FIELDS
from concierge.tools.auth.tenants import provider_settings
from concierge.tools.db.models import Tenant, Thread
from concierge.tools.db.runs import RunNotFound
from concierge.tools.learning.policies import PolicyNotFound, Resolved
from concierge.tools.toolbox import Toolbox

if TYPE_CHECKING:
    from concierge.server.executor import RunExecutor
    from concierge.tools.db.events import EventLog

# Context fields a tenant's stored settings set (through the admin API only); a run's `context` carries only facts
# about the customer; the rest come from the server.
TENANT_CONTEXT_FIELDS = (
    {f.name for f in fields(Context)} - {"tools", "tenant_id", "providers", "policy_version"} - CUSTOMER_FIELDS
)
CLIENT_CONTEXT_FIELDS = set(CUSTOMER_FIELDS)
_CONTEXT = TypeAdapter(Context)


@dataclass
class AppState:
    tools: Toolbox
    graph: CompiledStateGraph
    events: "EventLog | None" = None
    runs: "RunExecutor | None" = None
    """Executes runs on this replica and claims queued ones; set once the app has started."""

    @property
    def executor(self) -> "RunExecutor":
        assert self.runs is not None, "the run executor starts with the app"
        return self.runs

    async def delete_thread_now(self, thread_id: str, wait_s: float = 5.0) -> None:
        """Stop the thread's runs in flight, wait (a while) until they have, then delete the thread.

        A run stops at its next step, on whichever replica executes it; one still writing when the wait runs
        out finds its thread gone when it ends, and removes what it wrote (`RunExecutor._finish`)."""
        ex = self.executor
        inflight = await ex.store.inflight(thread_id)
        if inflight:
            with contextlib.suppress(RunNotFound):
                running = await ex.store.cancel(thread_id, [r.id for r in inflight], "interrupt")
                for run_id in running:
                    ex.interrupt(run_id, "interrupt")
            deadline = time.monotonic() + wait_s
            poll = min(self.tools.settings.stream_poll_s, 0.1)
            while time.monotonic() < deadline and await ex.store.inflight(thread_id):
                await asyncio.sleep(poll)
        await self.delete_thread(thread_id)

    async def delete_thread(self, thread_id: str) -> None:
        """Forget a thread everywhere: its checkpoints, its logged events, its row (its runs go with it)."""
        if self.graph.checkpointer is not None:
            await self.graph.checkpointer.adelete_thread(thread_id)
        if self.events is not None:
            await self.events.forget_thread(thread_id)
        async with self.tools.db.session() as s:
            row = await s.get(Thread, thread_id)
            if row is not None:
                await s.delete(row)
                await s.commit()

    async def tenant_context(
        self,
        tenant_id: str,
        overrides: dict[str, Any] | None = None,
        *,
        policy: Resolved | None = None,
        policy_version: int | None = None,
        tenant: Tenant | None = None,
        providers: dict[str, Any] | None = None,
    ) -> Context:
        """The tenant's stored agent settings, its policy's over them, its provider keys, then the customer facts a
        run carries.

        The policy is `policy` as resolved for the run (its experiment arm), else version `policy_version`, else the
        tenant's active one. `tenant` is its row when the caller already read it (the request's key brought it):
        not read twice, nor are its `providers` settings (decrypted) when given. 404 for an unknown tenant or policy
        version; 422 naming the field for anything in `overrides` that is not a customer fact (guardrails, prompt,
        sources, models, budgets, limits and keys change only through the admin API).
        """
        if tenant is None or tenant.id != tenant_id:
            providers = None  # another tenant's
            async with self.tools.db.session() as s:
                tenant = await s.get(Tenant, tenant_id)
        if tenant is None:
            raise HTTPException(404, f"tenant {tenant_id!r} not found")
        refused = sorted(set(overrides or {}) - CLIENT_CONTEXT_FIELDS)
        if refused:
            raise HTTPException(
                422,
                f"context.{refused[0]}: a run's context may carry only facts about the customer "
                f"({', '.join(sorted(CLIENT_CONTEXT_FIELDS))}); the tenant's configuration changes through the "
                "admin API",
            )
        settings = {k: v for k, v in (tenant.settings or {}).items() if k in TENANT_CONTEXT_FIELDS}
        if policy is None:
            try:
                policy = await self.tools.policies.resolve(
                    tenant_id, thread_id=None, customer_id=None, version=policy_version
                )
            except PolicyNotFound as exc:
                raise HTTPException(404, str(exc)) from None
        fields_ = {
            "business_name": tenant.name,
            "business_description": tenant.description,
            "timezone": tenant.timezone,
            "source_timeout_s": self.tools.settings.source_timeout_s,
            "generation_timeout_s": self.tools.settings.generation_timeout_s,
            "source_timeouts": self.tools.settings.source_timeouts,
            **settings,
            **policy.settings,
            **(overrides or {}),
        }
        try:
            context = _CONTEXT.validate_python(fields_)
        except ValidationError as exc:
            errors = "; ".join(f"context.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise HTTPException(422, f"invalid context: {errors}") from None
        try:
            ZoneInfo(context.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise HTTPException(422, f"context.timezone: unknown time zone {context.timezone!r}") from None
        if providers is None:
            providers = await provider_settings(self.tools.db, self.tools.secrets, tenant.id)
        context.providers = providers
        context.tenant_id, context.tools = tenant.id, self.tools
        context.policy_version = policy.version
        return context


def get_app_state(request: Request) -> AppState:
    return request.app.state.concierge


App = Annotated[AppState, Depends(get_app_state)]
CurrentPrincipal = Annotated[Principal, Depends(authenticate)]
"""The caller's key, with no scope of its own: routes declare theirs with `auth.require` or `auth.customer`."""


async def get_tenant(request: Request, principal: CurrentPrincipal) -> Tenant:
    """The tenant a request acts for: the one its API key belongs to, and never anything the caller names."""
    tenant = current_tenant_row(request)
    if principal.tenant_id is None or tenant is None:
        raise HTTPException(403, "an operator key manages tenants and keys only; use a tenant's key for its data")
    return tenant


CurrentTenant = Annotated[Tenant, Depends(get_tenant)]


async def thread_access(
    thread_id: str,
    app: App,
    tenant: CurrentTenant,
    principal: CurrentPrincipal,
    x_thread_token: Annotated[
        str | None, Header(description="A publishable key's proof that this customer holds the thread")
    ] = None,
) -> str:
    """The thread a route names, which may not exist yet (a run's `if_not_exists=create`): a publishable key must
    hold its token, which `POST /threads` returned to the customer who created it. Whose thread it is, the caller
    checks (`get_thread`, or the run store under the thread's lock): another tenant's is a 404."""
    if principal.publishable and not app.tools.secrets.check_thread_token(tenant.id, thread_id, x_thread_token):
        raise HTTPException(404, f"thread {thread_id} not found (a publishable key needs its X-Thread-Token)")
    return thread_id


ThreadId = Annotated[str, Depends(thread_access)]


async def get_thread(thread_id: ThreadId, app: App, tenant: CurrentTenant) -> Thread:
    """The thread, if it is the key's tenant's (another tenant's is a 404, as if it did not exist)."""
    async with app.tools.db.session() as s:
        thread = await s.get(Thread, thread_id)
    if thread is None or thread.tenant_id != tenant.id:
        raise HTTPException(404, f"thread {thread_id} not found")
    return thread


ThreadRow = Annotated[Thread, Depends(get_thread)]
