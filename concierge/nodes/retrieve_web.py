"""Search the web for what the tenant's own data lacks: products with thin descriptions or a brand and model.

The question is matched against the catalog first (the in-memory index, well under a millisecond); each product
worth enriching gets a query built from its brand, name, model and category. Results are filtered of ads and
hits about something else, and every item is marked external. A provider failure is never an error to the
customer: the cache answers with a stale result or nothing, and the turn goes on.
"""

import asyncio
import time

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, budget_for, run_source
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.catalog.search import ProductHit
from concierge.tools.toolbox import context_of, toolbox
from concierge.tools.web.cache import WebOutcome
from concierge.tools.web.search import WebResult, filter_results, query_for_product

MAX_PRODUCTS = 2
"""Products enriched per turn: the question is usually about one; a comparison names two."""
MIN_MATCH = 0.5
"""How surely the question must name a catalog product before the web is asked about it."""


class WebUnavailable(Exception):
    """The provider failed and no cached answer existed: recorded as a source error, never shown as one."""


async def _lookup(web, query: str, limit: int, timeout: float) -> WebOutcome:
    if hasattr(web, "lookup"):
        return await web.lookup(query, limit, timeout=timeout)
    return WebOutcome(await web.search(query, limit), "live", type(web).__name__)


def web_item(r: WebResult, product: ProductHit, query: str, outcome: WebOutcome) -> RetrievedItem:
    return RetrievedItem(
        id=f"web:{r.url}",
        source="web",
        title=r.title,
        text=f"From {r.site} (external, not checked by the shop), about {product.name}: {r.snippet}",
        score=r.score,
        metadata={
            "url": r.url,
            "site": r.site,
            "external": True,
            "about_sku": product.sku,
            "query": query,
            "provider": outcome.provider,
            "origin": outcome.origin,
            "fetched_at": outcome.fetched_at.isoformat() if outcome.fetched_at else None,
        },
    )


async def retrieve_web(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    web = tools.web
    analysis = task["analysis"]
    blocked = tuple(getattr(web, "blocked_sites", ()))

    started = time.perf_counter()

    async def search() -> list[RetrievedItem]:
        if web is None:
            raise RuntimeError("web search is not configured")
        hits = await tools.catalog.search_products(
            ctx.tenant_id, analysis["question"], analysis["entities"]["model_numbers"], 3, min_score=MIN_MATCH
        )
        targets = [p for p in hits if p.needs_enrichment][:MAX_PRODUCTS]
        if not targets:
            return []
        queries = [query_for_product(p.name, p.brand, p.model_number, p.category) for p in targets]
        # Leave the provider less than the node's budget, so a hang still ends in the stale fallback.
        deadline = max(0.05, budget_for(ctx, "web") * 0.75 - (time.perf_counter() - started))
        outcomes = await asyncio.gather(*(_lookup(web, q, ctx.max_results, deadline) for q in queries))
        items: list[RetrievedItem] = []
        failures = []
        for product, query, outcome in zip(targets, queries, outcomes, strict=True):
            if outcome.error and outcome.origin == "none":
                failures.append(outcome.error)
            kept = filter_results(
                outcome.results,
                name=product.name,
                model_number=product.model_number,
                blocked_sites=blocked,
                limit=ctx.max_results,
            )
            items += [web_item(r, product, query, outcome) for r in kept]
        if failures and not items:
            raise WebUnavailable("; ".join(failures))
        return items

    return await run_source(runtime, task, "web", search())
