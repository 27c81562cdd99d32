"""Merge what the sources returned into one numbered context, within the tenant's token budget."""

import re
from decimal import Decimal

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import about_rank
from concierge.state import Context, State
from concierge.state.records import ContextSource, QueryType, RetrievedItem, SourceName, SynthesizedContext
from concierge.tools.analysis.money import amounts
from concierge.tools.llm.prompts import ABOUT, context_header, format_block
from concierge.tools.tokens import count_tokens
from concierge.tools.toolbox import context_of

# Which source is most reliable for which kind of question; the web always comes after the tenant's data.
_PRIORITY: dict[QueryType, tuple[SourceName, ...]] = {
    "product": ("catalog", "documents", "web"),
    "service": ("catalog", "documents", "web"),
    "appointment": ("catalog", "documents", "web"),
    "policy": ("documents", "catalog", "web"),
    "general": ("documents", "catalog", "web"),
}
STRONG_CATALOG_MATCH = 0.6
"""A catalog item matching this well (most of the question's words in its name) leads whatever the question type."""


def locator(item: RetrievedItem) -> str:
    meta = item["metadata"]
    if item["source"] == "catalog":
        return "our catalog"
    if item["source"] == "web":
        return str(meta.get("site") or meta.get("url", "the web"))
    parts = [meta.get("section") or ""]
    if meta.get("page"):
        parts.append(f"page {meta['page']}")
    return ", ".join(p for p in parts if p)


def label(item: RetrievedItem) -> str:
    if item["source"] == "catalog":
        return f"Our catalog: {item['title']}"
    where = locator(item)
    about = f"{ABOUT}{item['metadata']['subject']}" if item["metadata"].get("subject") else ""
    return (f"{item['title']} ({where})" if where else item["title"]) + about


def rank(item: RetrievedItem, priority: tuple[SourceName, ...]) -> tuple[int, int, float, float]:
    """Strong catalog matches, then by source priority; within a source, a passage's match to the question beside
    the item asked (its `relevance`, set by document retrieval) before its search score."""
    strong = item["source"] == "catalog" and item["score"] >= STRONG_CATALOG_MATCH
    relevance = float(item["metadata"].get("relevance", 0.0))
    return (0 if strong else 1, priority.index(item["source"]), -relevance, -item["score"])


def dedupe(items: list[RetrievedItem]) -> list[RetrievedItem]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = " ".join(item["text"].lower().split())[:300]
        if item["id"] in seen or key in seen:
            continue
        seen.update((item["id"], key))
        out.append(item)
    return out


def price_conflicts(items: list[RetrievedItem]) -> list[str]:
    """Documents or web pages that state another price for a catalog product: the catalog wins."""
    notes = []
    for product in (i for i in items if i["metadata"].get("kind") == "product"):
        price = Decimal(str(product["metadata"]["price"]))
        currency = str(product["metadata"].get("currency") or "")
        name = product["title"].lower()
        for other in (i for i in items if i["source"] != "catalog"):
            for sentence in re.split(r"(?<=[.!?])\s+|\n", other["text"]):
                if name not in sentence.lower():
                    continue
                for amount in amounts(sentence, currency) if currency else []:
                    if abs(amount - price) > Decimal("0.005"):
                        notes.append(
                            f"{label(other)} gives {amount} {currency} for {product['title']}, but our catalog says "
                            f"{product['metadata']['price']} {product['metadata']['currency']}; "
                            "the catalog is current."
                        )
    return notes


def focus_rank(item: RetrievedItem, analysis: dict) -> int:
    """The catalog entry of the item in focus leads the others asked about."""
    focus = analysis.get("focus")
    return 0 if focus and item["id"] == focus["id"] else 1


def named_items(items: list[RetrievedItem]) -> list[str]:
    """Names of the catalog items the retrieved passages are about or name."""
    names: dict[str, None] = {}
    for item in items:
        if item["source"] == "catalog":
            names.setdefault(item["title"], None)
        for name in item["metadata"].get("about_names") or ():
            names.setdefault(name, None)
    return list(names)


async def synthesize(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    analysis = state["analysis"]
    priority = _PRIORITY[analysis["query_type"]]
    wanted = [i for i in analysis.get("items") or []]
    wanted_ids = {i["id"] for i in wanted}
    # The items asked about first (the one in focus leads), then passages about nothing in particular, then others.
    items = sorted(
        dedupe(state.get("retrieved", [])),
        key=lambda i: (about_rank(i, wanted_ids), focus_rank(i, analysis), *rank(i, priority)),
    )
    conflicts = price_conflicts(items)
    rewritten = analysis.get("rewritten_by", "none") != "none"
    # A catalog-shape answer leads the context, so its number is 1 whenever it fits at all.
    listing = 1 if items and items[0]["metadata"].get("listing") else None
    header = context_header(
        analysis["question"] if rewritten else None,
        [i["name"] for i in wanted],
        named_items(items) if wanted else [],
        listing,
    ) + "".join(f"Note: {c}\n" for c in conflicts)
    blocks: list[str] = []
    sources: list[ContextSource] = []
    used = count_tokens(header)
    dropped = 0
    for item in items:
        block = format_block(len(sources) + 1, label(item), item["text"])
        cost = count_tokens(block)
        if used + cost > ctx.context_tokens:
            dropped += 1
            continue
        used += cost
        blocks.append(block)
        sources.append(
            ContextSource(
                n=len(sources) + 1, id=item["id"], source=item["source"], title=item["title"], locator=locator(item)
            )
        )
    return {
        "context": SynthesizedContext(
            text=header + "\n\n".join(blocks), sources=sources, tokens=used, dropped=dropped, conflicts=conflicts
        )
    }
