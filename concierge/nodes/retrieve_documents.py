"""Search the tenant's documents."""

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, run_source
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.documents.fusion import SearchOptions
from concierge.tools.documents.sqlite_index import DocumentHit
from concierge.tools.toolbox import context_of, toolbox


def as_item(hit: DocumentHit) -> RetrievedItem:
    # Chunks start with their section heading for keyword search; the context names the section anyway.
    text = hit.text.removeprefix(hit.section).lstrip() if hit.section else hit.text
    return RetrievedItem(
        id=f"documents:{hit.document_id}:{hit.ordinal}",
        source="documents",
        title=hit.title,
        text=text,
        score=round(hit.score, 4),
        metadata={"document_id": hit.document_id, "page": hit.page, "section": hit.section},
    )


async def retrieve_documents(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    index = (await toolbox(runtime)).documents

    async def search() -> list[RetrievedItem]:
        options = SearchOptions(fusion=ctx.fusion, semantic_weight=min(max(ctx.semantic_weight, 0.0), 1.0))
        hits = await index.search(ctx.tenant_id, task["analysis"]["question"], ctx.max_results, options)
        return [as_item(h) for h in hits]

    return await run_source(runtime, task, "documents", search())
