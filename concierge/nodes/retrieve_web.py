"""Search the web for what the tenant's own data lacks (thin product descriptions, model specs)."""

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, within_budget
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.toolbox import context_of, toolbox


async def retrieve_web(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    web = (await toolbox(runtime)).web

    async def search() -> list[RetrievedItem]:
        if web is None:
            raise RuntimeError("web search is not configured")
        results = await web.search(task["analysis"]["question"], ctx.max_results)
        return [
            RetrievedItem(
                id=f"web:{r.url}",
                source="web",
                title=r.title,
                text=r.snippet,
                score=r.score,
                metadata={"url": r.url, "site": r.site, "external": True},
            )
            for r in results
        ]

    return await within_budget("web", ctx.source_timeout_s, search())
