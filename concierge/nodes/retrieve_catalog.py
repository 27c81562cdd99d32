"""Look the question up in the tenant's live catalog: products, services and free slots."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from langgraph.runtime import Runtime

from concierge.nodes.retrieval import RetrievalTask, run_source
from concierge.state import Context
from concierge.state.records import RetrievedItem
from concierge.tools.analysis.text import keywords
from concierge.tools.analysis.when import time_windows
from concierge.tools.catalog.search import FreeSlot, ProductHit, ServiceHit, price_ceiling
from concierge.tools.catalog.shape import CHEAPER_ONE, Shape, cheaper_than, shape_of
from concierge.tools.catalog.variants import Variant, named_values, named_variants, not_offered, spoken
from concierge.tools.toolbox import context_of, toolbox


def _stock(n: int) -> str:
    if n <= 0:
        return "currently out of stock"
    return f"only {n} left in stock" if n <= 3 else f"{n} in stock"


Counts = tuple[tuple[str, int], ...] | None
"""Stock per shop location, (location, count) in the shop's order; None when the catalog gives one total."""


def _named_locations(counts: tuple[tuple[str, int], ...], question: str) -> set[str]:
    """The locations the question names by a word of theirs no other location has ("the Frisco store" names
    "Peakwax Frisco", not "Peakwax South Broadway")."""
    words = {loc: set(re.findall(r"[^\W_]+", loc.casefold())) for loc, _ in counts}
    asked = set(re.findall(r"[^\W_]+", question.casefold()))
    named = set()
    for loc, own in words.items():
        others = set().union(*(w for other, w in words.items() if other != loc))
        if (own - others) & asked:
            named.add(loc)
    return named


def by_location(counts: Counts, question: str = "") -> str:
    """Where the stock is, after the stock it adds up to: " (2 at Peakwax Frisco, none at Peakwax South
    Broadway)", the locations the question names first; empty when the catalog gives one total or none is left
    anywhere ("currently out of stock" says it)."""
    if not counts or not any(n > 0 for _, n in counts):
        return ""
    named = _named_locations(counts, question)
    ordered = sorted(counts, key=lambda c: c[0] not in named)
    return " (" + ", ".join(f"{n if n > 0 else 'none'} at {loc}" for loc, n in ordered) + ")"


def _by_location_short(counts: Counts) -> str:
    """Where a version in a list of versions is, only when its locations differ: ", all at Peakwax Frisco" (held
    at one of them), ": 3 at A, 1 at B" (at several); empty when each holds as many or none is left."""
    if not counts or len({n for _, n in counts}) < 2:
        return ""
    held = [(loc, n) for loc, n in counts if n > 0]
    if len(held) == 1:
        return f", all at {held[0][0]}"
    return ": " + ", ".join(f"{n} at {loc}" for loc, n in held)


CREATOR_KEYS = frozenset(
    "author authors artist artists maker makers designer designers creator creators publisher manufacturer "
    "composer illustrator by".split()
)
"""Facet keys that name who made a product: shown as "by ..." when it has no brand."""


def _facet_key(key: str) -> str:
    key = key.strip().replace("_", " ")
    return key.upper() if len(key) <= 4 else key[:1].upper() + key[1:]


def _variant_stock(v: Variant) -> str:
    return "stock not stated" if v.stock is None else _stock(v.stock) + _by_location_short(v.stock_by_location)


def on_sale(regular: Decimal | None, currency: str) -> str:
    """What follows a sale price ("costs 499.00 EUR (on sale, regular price 549.00 EUR)"): the figure after
    "costs" stays the one the customer pays now."""
    return f" (on sale, regular price {regular} {currency})" if regular is not None else ""


def _variant_note(p: ProductHit, v: Variant) -> str:
    """A variant's stock, after its sale if it is on sale: "(on sale, regular price 59.00 EUR; 4 in stock)"; where
    it is when the shop's locations hold different counts: "(only 2 left in stock, all at Peakwax Frisco)"."""
    regular = p.regular_of(v)
    sale = f"on sale, regular price {regular} {v.currency}; " if regular is not None else ""
    return f"({sale}{_variant_stock(v)})"


MAX_VARIANTS_LISTED = 12
"""Variants listed in a product's entry; a question naming option values gets its own, however many there are."""


def available_in(p: ProductHit) -> str:
    """The variants with their price and stock, on one line: "Available in: 15 inch, 16GB at 1299.00 USD (12 in
    stock); ..."."""
    listed = "; ".join(
        f"{v.label} at {v.price} {v.currency} {_variant_note(p, v)}" for v in p.variants[:MAX_VARIANTS_LISTED]
    )
    more = len(p.variants) - MAX_VARIANTS_LISTED
    return f"Available in: {listed}" + (f"; and {more} more versions" if more > 0 else "")


def _listed(values: list[str]) -> str:
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} and {values[-1]}"


def asked_variants(p: ProductHit, question: str) -> str:
    """The sentences that answer for the variants the question names ("the 15 inch one", "in 16GB"), first in
    the item so the answer states their price and stock, not the product's lowest price; and a plain no, with
    what there is, for a measure no variant has ("in 64GB")."""
    missing = [
        f"The {p.name} does not come in {asked}: its {name.casefold()} options are {_listed(values)}."
        for name, asked, values in not_offered(question, p.variants, p.name)
    ]
    chosen = named_variants(question, p.variants)
    if not chosen:
        return " ".join(missing)
    if missing:
        return " ".join(missing)  # "the 15 inch in 64GB": the 15 inch ones are in the list below
    named = named_values(question, p.variants)
    said = ", ".join(spoken(v, question) for _, v in chosen[0].options if v in named)
    if len(chosen) == 1:
        v = chosen[0]
        rest = [x for _, x in v.options if x not in named]
        also = f" (with {', '.join(rest)})" if rest else ""
        stock = f" and is {_stock(v.stock)}{by_location(v.stock_by_location, question)}" if v.stock is not None else ""
        return (
            f"The {p.name} in {said}{also} costs {v.price} {v.currency}{on_sale(p.regular_of(v), v.currency)}{stock}."
        )
    ways = [
        f"{v.price} {v.currency} with {', '.join(x for _, x in v.options if x not in named) or v.label} "
        f"{_variant_note(p, v)}"
        for v in chosen[:MAX_VARIANTS_LISTED]
    ]
    return f"The {p.name} in {said} costs {', '.join(ways[:-1])} and {ways[-1]}."


def product_item(p: ProductHit, question: str = "") -> RetrievedItem:
    model = f" (model {p.model_number})" if p.model_number else ""
    # Tags written as "key:value" are the tenant's own facets (a maker, a size, an edition): shown as stated,
    # and a creator facet stands for the maker when the product has no brand.
    facets = [(k.strip(), v.strip()) for k, v in (t.split(":", 1) for t in p.tags if ":" in t) if v.strip()]
    creators = [v for k, v in facets if k.casefold() in CREATOR_KEYS]
    maker = p.brand or ", ".join(creators)
    brand = f" by {maker}" if maker else ""
    stock = f" and is {_stock(p.stock)}{by_location(p.stock_by_location, question)}" if p.stock is not None else ""
    # "costs N" stays the figure's wording (the answerer reads it); a product whose versions differ costs "N and up".
    up = " and up," if len({v.price for v in p.variants}) > 1 else ""
    # An item on sale says its regular price after the price paid now; versions on sale say theirs in their list.
    sale = "" if up else on_sale(p.regular_price, p.currency)
    facts = f"{p.name}{model}{brand} costs {p.price} {p.currency}{sale}{up}{stock}."
    if p.variants:
        facts += "\n" + available_in(p)
        asked = asked_variants(p, question)
        facts = f"{asked}\n{facts}" if asked else facts
    if facets:
        facts += "\n" + "\n".join(f"{_facet_key(k)}: {v.strip()}" for k, v in facets)
    return RetrievedItem(
        id=f"catalog:product:{p.sku}",
        source="catalog",
        title=p.name,
        text=f"{facts}\n{p.description}".strip(),
        score=p.score,
        metadata={
            "kind": "product",
            "sku": p.sku,
            "price": str(p.price),
            "regular_price": None if p.regular_price is None else str(p.regular_price),
            "currency": p.currency,
            "stock": p.stock,
            "stock_by_location": None if p.stock_by_location is None else dict(p.stock_by_location),
            "category": p.category,
            "brand": p.brand,
            "model_number": p.model_number,
            "needs_enrichment": p.needs_enrichment,
            "enrichment_reason": p.enrichment_reason,
            "variants": [p.variant_dict(v) for v in p.variants],
            "asked_variants": [p.variant_dict(v) for v in named_variants(question, p.variants)],
        },
    )


def _when(slots: list[FreeSlot]) -> str:
    return ", ".join(
        f"{x.start:%A %d %B at %H:%M} ({x.free} {'place' if x.free == 1 else 'places'} free)" for x in slots
    )


def _slot(x: FreeSlot) -> dict:
    return {"start": x.start.isoformat(), "end": x.end.isoformat(), "free": x.free}


def listing_item(sentence: str, title: str) -> RetrievedItem:
    """A catalog-shape answer that names no item ("We sell no tents under 100 USD.")."""
    return RetrievedItem(
        id=f"catalog:{title.split()[-1].casefold()}",
        source="catalog",
        title=title,
        text=sentence,
        score=1.0,
        metadata={"kind": "listing", "listing": sentence},
    )


def service_item(s: ServiceHit) -> RetrievedItem:
    facts = f"{s.name} takes {s.duration_minutes} minutes and costs {s.price} {s.currency}."
    if s.slots:
        slots = f"Free {s.name} slots: {_when(s.slots)}."
    elif not s.scheduled:
        slots = ""  # booked by its own page's dates or by phone: the schedule knows nothing of it
    else:
        # One sentence, so an answer quoting the "no" also gives the alternative.
        later = f"; the next free ones are {_when(s.next_free)}" if s.next_free else ""
        slots = f"No free {s.name} slots in the requested period{later}."
    return RetrievedItem(
        id=f"catalog:service:{s.code}",
        source="catalog",
        title=s.name,
        text="\n".join(part for part in (facts, slots, s.description) if part),
        score=s.score,
        metadata={
            "kind": "service",
            "code": s.code,
            "price": str(s.price),
            "currency": s.currency,
            "slots": [_slot(x) for x in s.slots],
            "next_free": [_slot(x) for x in s.next_free],
        },
    )


async def retrieve_catalog(task: RetrievalTask, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    catalog = (await toolbox(runtime)).catalog
    analysis = task["analysis"]
    wants_slots = analysis["query_type"] in ("service", "appointment")

    question = analysis["question"]

    async def search() -> list[RetrievedItem]:
        shape = shape_of(question, await catalog.vocabulary(ctx.tenant_id)) if not analysis.get("items") else None
        focus = analysis.get("focus") or {}
        said = analysis.get("original") or question
        if shape is None and str(focus.get("id", "")).startswith("catalog:product:"):
            # "is there anything cheaper?" of the product in focus
            entries = (await catalog.index(ctx.tenant_id)).by_skus([focus["id"].split(":", 2)[2]])
            shape = cheaper_than(said, entries[0]) if entries else None
        elif shape is None and str(focus.get("id", "")).startswith("catalog:service:") and CHEAPER_ONE.search(said):
            listed = await cheaper_services(focus["id"].split(":", 2)[2], focus["name"])
            if listed:
                return listed
        if shape is not None:
            return await shaped(shape)
        products = await catalog.search_products(
            ctx.tenant_id,
            question,
            analysis["entities"]["model_numbers"],
            ctx.max_results,
            max_price=price_ceiling(question),
        )
        services = await catalog.search_services(
            ctx.tenant_id,
            question,
            [date.fromisoformat(d) for d in analysis["entities"]["dates"]],
            ctx.timezone,
            ctx.max_results,
            all_if_none=wants_slots,
            windows=time_windows(question, datetime.now(ZoneInfo(ctx.timezone))),
        )
        # The items the conversation is about come first, whatever the words matched.
        wanted = [i for i in analysis.get("items") or [] if i["id"].startswith("catalog:")]
        skus = [i["id"].split(":", 2)[2] for i in wanted if i["kind"] == "product"]
        pinned = await catalog.products(ctx.tenant_id, skus) if skus else []
        products = pinned + [p for p in products if p.sku not in set(skus)]
        codes = [i["id"].split(":", 2)[2] for i in wanted if i["kind"] == "service"]
        services = sorted(services, key=lambda s: s.code not in codes)
        return [service_item(s) for s in services] + [product_item(p, question) for p in products]

    async def cheaper_services(code: str, name: str) -> list[RetrievedItem]:
        """ "Anything cheaper?" of a service in focus: the services sharing a word of its name ("Mini Balayage"
        for the Balayage) at a lower price, dearest first; services have no category to go by."""
        found = await catalog.search_services(ctx.tenant_id, name, [], ctx.timezone, 50)
        mine = next((sv for sv in found if sv.code == code), None)
        if mine is None:
            return []
        words = set(keywords(name))
        cheaper = sorted(
            (sv for sv in found if sv.price < mine.price and words & set(keywords(sv.name))), key=lambda sv: -sv.price
        )
        if not cheaper:
            sentence = f"We offer nothing like the {name} for less than {mine.price} {mine.currency}."
            return [listing_item(sentence, "Our services")]
        listed = ", ".join(f"{sv.name} ({sv.price} {sv.currency}, {sv.duration_minutes} minutes)" for sv in cheaper)
        items = [service_item(sv) for sv in cheaper[: ctx.max_results]]
        kind = "service" if len(cheaper) == 1 else "services"
        sentence = f"We offer {len(cheaper)} {kind} cheaper than the {name}: {listed}."
        items[0]["text"] = f"{sentence}\n{items[0]['text']}"
        items[0]["metadata"]["listing"] = sentence
        return items

    async def shaped(shape: Shape) -> list[RetrievedItem]:
        """Cheapest, by brand, by category, under a price, for N people: the catalog filtered and sorted, the
        answer's sentence leading the first product it names."""
        tools = await toolbox(runtime)
        documents = tools.documents if "documents" in ctx.sources and hasattr(tools.documents, "heads") else None
        # Bounded figures ("under 3 lbs") are read from the products' spec lines, in their documents.
        sheet = await catalog.specs(ctx.tenant_id, documents) if shape.bounds and documents is not None else None
        sentence, hits = await catalog.shaped(ctx.tenant_id, shape, sheet)
        items = [product_item(p, question) for p in hits[: ctx.max_results]]
        if not items:
            return [listing_item(sentence, "Our products")]
        items[0]["text"] = f"{sentence}\n{items[0]['text']}"
        items[0]["metadata"]["listing"] = sentence
        return items

    return await run_source(runtime, task, "catalog", search())
