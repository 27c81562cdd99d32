"""Search the tenant's documents, knowing which catalog item each passage is about.

A manual's spec table ("Weight: 3.5 lbs") never names its product; the manual's opening does. Each hit is tagged
with the items it is about (its document's subject, and items its own text names), so the turn can put passages
about the item in focus first and keep facts of one item from answering for another. When the question names
items, the search looks for each of them (a comparison needs both), with the attribute asked spelt as sources
spell it ("how heavy" also searches "weight").
"""

import asyncio

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, about_rank, run_source
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.analysis.units import asked_attributes
from concierge.tools.catalog.vocabulary import Vocabulary
from concierge.tools.documents.fusion import SearchOptions
from concierge.tools.documents.sqlite_index import DocumentHit
from concierge.tools.toolbox import context_of, toolbox

WIDEN = 3
"""With items in question, search this many times `max_results` deep, then keep those about the items first."""
WHOLE_NAME = 0.99


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


def expanded(question: str) -> str:
    """The question with the spec words of the attributes it asks: "how heavy is X" also says "weight"."""
    extra = [k for a in asked_attributes(question) if a.name not in ("price", "stock") for k in sorted(a.keys)]
    return f"{question} {' '.join(extra)}" if extra else question


def tag_subjects(items: list[RetrievedItem], heads: dict[str, str], words: Vocabulary) -> None:
    """Set `metadata.about` (item ids) and `metadata.subject` (the document's item name) on each passage."""
    subjects = {doc: words.best_named(head) for doc, head in heads.items()}
    for item in items:
        meta = item["metadata"]
        subject = subjects.get(str(meta.get("document_id")))
        about = [subject] if subject is not None else []
        about += [it for _, it in words.named(item["text"], WHOLE_NAME) if it not in about]
        meta["about"] = [it.item_id for it in about]
        meta["about_names"] = [it.name for it in about]
        if subject is not None:
            meta["subject"] = subject.name


async def retrieve_documents(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    index = tools.documents
    analysis = task["analysis"]
    question = analysis["question"]
    named = analysis.get("items") or []
    wanted = {i["id"] for i in named}

    async def search() -> list[RetrievedItem]:
        options = SearchOptions(fusion=ctx.fusion, semantic_weight=min(max(ctx.semantic_weight, 0.0), 1.0))
        depth = ctx.max_results * WIDEN if wanted else ctx.max_results
        queries = [expanded(question)]
        if len(named) > 1:  # a comparison: each item's own passages, beside the question's
            queries += [expanded(f"{i['name']} {question}") for i in named]
        found = await asyncio.gather(*(index.search(ctx.tenant_id, q, depth, options) for q in queries))
        hits: dict[str, RetrievedItem] = {}
        for batch in found:
            for h in batch:
                item = as_item(h)
                if item["id"] not in hits or hits[item["id"]]["score"] < item["score"]:
                    hits[item["id"]] = item
        items = sorted(hits.values(), key=lambda i: -i["score"])
        heads_of = getattr(index, "heads", None)
        if "catalog" in ctx.sources and heads_of is not None and items:
            words = await tools.catalog.vocabulary(ctx.tenant_id)
            heads = await heads_of(ctx.tenant_id, [str(i["metadata"]["document_id"]) for i in items])
            tag_subjects(items, heads, words)
        items.sort(key=lambda i: about_rank(i, wanted))  # stable: within a rank, the search's own order
        return items[: ctx.max_results * (len(named) if len(named) > 1 else 1)]

    return await run_source(runtime, task, "documents", search())
