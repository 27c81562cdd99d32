"""Search the tenant's documents, knowing which catalog item each passage is about.

A manual's spec table ("Weight: 3.5 lbs") never names its product; the manual's opening does. Each hit is tagged
with the items it is about (its document's subject, and items its own text names), so the turn can put passages
about the item in focus first and keep facts of one item from answering for another. When the question names
items, the search looks for each of them (a comparison needs both), with the attribute asked spelt as sources
spell it ("how heavy" also searches "weight").
"""

import asyncio
from collections.abc import Callable

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, about_rank, run_source
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.analysis.text import stems
from concierge.tools.analysis.units import UNIT_STEMS, asked_attributes, key_value
from concierge.tools.catalog.vocabulary import Vocabulary
from concierge.tools.documents.fusion import SearchOptions
from concierge.tools.documents.sqlite_index import DocumentHit
from concierge.tools.toolbox import context_of, toolbox

WIDEN = 3
"""With items in question, search this many times `max_results` deep, then keep those about the items first."""
WHOLE_NAME = 0.99
DOCUMENTS_PER_ITEM = 2
SECTIONS_PER_DOCUMENT = 2
SPEC_WEIGHT = 2
"""A spec line of the attribute asked ("Weight: 1.5 lbs") counts as much as two of the question's words."""


def _doc_ids(items: list[RetrievedItem]) -> list[str]:
    return [str(i["metadata"]["document_id"]) for i in items]


def _relevance(question: str, named: list) -> Callable[[RetrievedItem], float]:
    """How well a passage answers the question beside the item's name: the question's own words (attribute words
    as sources spell them, unit names aside) it holds, and above all a spec line of the attribute asked."""
    name_text = " ".join(i["name"] for i in named)
    names = stems(name_text)
    wanted = stems(expanded(question, name_text)) - names - _GENERIC - UNIT_STEMS
    keys = set().union(*(a.keys for a in asked_attributes(question, name_text))) if wanted else set()

    def score(item: RetrievedItem) -> float:
        if not wanted:
            return 0.0
        have = stems(f"{item['metadata'].get('section') or ''} {item['text']}")
        spec = any((kv := key_value(line)) is not None and stems(kv[0]) & keys for line in item["text"].splitlines())
        return (len(wanted & have) + SPEC_WEIGHT * spec) / (len(wanted) + SPEC_WEIGHT)

    return score


_GENERIC = frozenset(stems("much tell product item information info"))


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


def expanded(question: str, names: str = "") -> str:
    """The question with the spec words of the attributes it asks: "how heavy is X" also says "weight"."""
    extra = [k for a in asked_attributes(question, names) if a.name not in ("price", "stock") for k in sorted(a.keys)]
    return f"{question} {' '.join(extra)}" if extra else question


def tag_subjects(items: list[RetrievedItem], heads: dict[str, str], words: Vocabulary) -> None:
    """Set `metadata.about` (the document's item id), `metadata.subject` (its name) and `metadata.about_names`
    (it and every item the passage names) on each passage."""
    subjects = {doc: words.subject(head) for doc, head in heads.items()}
    for item in items:
        meta = item["metadata"]
        subject = subjects.get(str(meta.get("document_id")))
        # Ranking goes by the document's subject; items a passage merely names are listed for the answer, which
        # must not give their facts for the one asked.
        named = [it for _, it in words.named(item["text"], WHOLE_NAME) if it != subject]
        meta["about"] = [subject.item_id] if subject is not None else []
        meta["about_names"] = [it.name for it in ([subject] if subject is not None else []) + named]
        if subject is not None:
            meta["subject"] = subject.name


async def retrieve_documents(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    index = tools.documents
    analysis = task["analysis"]
    question = analysis["question"]
    named = [i for i in analysis.get("items") or [] if i["id"]]
    wanted = {i["id"] for i in named}

    async def search() -> list[RetrievedItem]:
        options = SearchOptions(fusion=ctx.fusion, semantic_weight=min(max(ctx.semantic_weight, 0.0), 1.0))
        depth = ctx.max_results * WIDEN if wanted else ctx.max_results
        names = " ".join(i["name"] for i in named)
        queries = [expanded(question, names)]
        if len(named) > 1:  # a comparison: each item's own passages, beside the question's
            queries += [expanded(f"{i['name']} {question}", names) for i in named]
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
            if wanted:
                extra = await _from_their_documents(items, named, question, options)
                tag_subjects(extra, await heads_of(ctx.tenant_id, _doc_ids(extra)), words)
                items += extra
        relevance = _relevance(question, named)
        for i in items:
            if about_rank(i, wanted) == 0:
                i["metadata"]["relevance"] = round(relevance(i), 3)
        # Stable: passages about the items asked first, the best-matching section of their documents leading.
        items.sort(key=lambda i: (about_rank(i, wanted), -i["metadata"].get("relevance", 0.0)))
        keep = ctx.max_results * (len(named) if len(named) > 1 else 1)
        shop = next((i for i in items if about_rank(i, wanted) == 1), None)
        if len(named) == 1 and shop is not None and shop not in items[:keep] and keep > 1:
            # The shop's own best passage (its cancellation policy) keeps a place beside the item's pages: "if I
            # cancel my fitting, do I lose the deposit?" is answered by the policies, not the fitting's page.
            return [*items[: keep - 1], shop]
        return items[:keep]

    async def _from_their_documents(
        items: list[RetrievedItem], named: list, question: str, options: SearchOptions
    ) -> list[RetrievedItem]:
        """The sections of each asked item's own documents that best match the question: a spec table that
        never names its product is found through the manual that does."""
        chunks_of = getattr(index, "document_chunks", None)
        if chunks_of is None:
            return []
        have = {i["id"] for i in items}
        relevance = _relevance(question, named)
        extra: list[RetrievedItem] = []
        for item in named:
            docs = [
                str(i["metadata"]["document_id"]) for i in items if item["id"] in (i["metadata"].get("about") or ())
            ]
            if not docs:  # none of the hits is about it: look for its documents by name
                by_name = await index.search(ctx.tenant_id, item["name"], ctx.max_results, options)
                docs = [h.document_id for h in by_name if item["name"].casefold() in h.text.casefold()]
            for doc in list(dict.fromkeys(docs))[:DOCUMENTS_PER_ITEM]:
                candidates = [as_item(h) for h in await chunks_of(ctx.tenant_id, doc)]
                for c in candidates:
                    c["metadata"]["about"] = [item["id"]]
                    c["metadata"]["about_names"] = [item["name"]]
                best = sorted((c for c in candidates if c["id"] not in have), key=lambda c: -relevance(c))
                extra += [c for c in best[:SECTIONS_PER_DOCUMENT] if relevance(c) > 0]
                have.update(c["id"] for c in extra)
        return extra

    return await run_source(runtime, task, "documents", search())
