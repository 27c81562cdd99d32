"""Questions about the catalog's shape, answered from the catalog itself: sorted, filtered, with the figures.

"What's your cheapest camping stove?", "Do you sell anything from CampBuddy?", "What tents do you have under $300?",
"Do you have a tent for 4 people?" name no product: they ask the catalog to be filtered (by category, brand, price,
an attribute such as how many people a tent sleeps) and sorted. The rules read the filters from the question with
the tenant's own vocabulary; the answer is one sentence listing what matched, with prices, and the products.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from concierge.tools.analysis.money import price_bounds
from concierge.tools.analysis.text import stems
from concierge.tools.analysis.units import number_in
from concierge.tools.catalog.index import Entry
from concierge.tools.catalog.specs import Bound, SpecSheet, bounds_in, figure_for
from concierge.tools.catalog.vocabulary import Vocabulary

Order = Literal["price_asc", "price_desc", "name"]
_CHEAPEST = re.compile(
    r"\b(cheapest|least expensive|lowest[- ]priced?|most affordable|budget|cheaper|lowest cost|inexpensive)\b", re.I
)
_DEAREST = re.compile(
    r"\b(most expensive|priciest|dearest|highest[- ]priced?|top of the range|premium|best you have|high[- ]end)\b", re.I
)
_LISTING = re.compile(
    r"\b(what|which)\b.{0,40}\b(do you|have you|you)\b.{0,12}\b(have|sell|carry|stock|got|offer)\b|"
    r"\b(do|does) you\b.{0,10}\b(have|sell|carry|stock|offer)\b|\bhave you got\b|\banything (from|by)\b|"
    r"\b(show|list|tell) me\b.{0,30}\b(your|all|the)\b|\byour (selection|range)\b|\bany\b.{0,30}\bfrom\b|"
    r"\boptions?\b|\bchoices?\b|\bselection\b|"
    r"\bwhich\s+[^\W\d_]+(?:\s+[^\W\d_]+)?\s+(?:should|would|could|do you recommend|is best|is right)\b",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(?:for|sleeps?|fits?|holds?|houses?)\s+(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s*"
    r"(?:(?:people|persons?|adults|campers|of us|occupants)\b|(?=[?.!,;]|$))|"  # "for one mug" is no party of one
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)[- ](?:person|people|man|occupants?)\b",
    re.I,
)
_CAPACITY_IN_TEXT = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)[- ](?:person|people|man)\b|"
    r"\b(?:for|sleeps|houses|fits)\s+(?:up to\s+)?(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten)\s+"
    r"(?:people|persons|occupants|adults|campers)\b",
    re.I,
)
MAX_LISTED = 8
_SUPERLATIVE_WORDS = frozenset(
    stems(
        "cheapest least expensive lowest priced price most affordable budget cheaper cost inexpensive dearest "
        "priciest highest expensive thing things item items product products stuff one option options buy "
        "get whats what is the of you do in"
    )
)
"""Words of "what's the cheapest thing you sell?" besides its superlative: none names a kind of thing."""
_LISTING_WORDS = frozenset(
    stems(
        "tell about show list your range selection available offer sell have got carry stock please see browse "
        "look kind kinds type types sort sorts"
    )
)


@dataclass(frozen=True)
class Shape:
    """The filters and order a question asks of the catalog."""

    order: Order
    superlative: str | None = None
    """The question's own word for it ("cheapest"), when it asks for one product at an end of the price range."""
    brand: str | None = None
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    people: int | None = None
    kind: tuple[str, str] | None = None
    """A word of product names the question uses instead of a category, as (stem, word as typed): "boots"."""
    skus: frozenset[str] = frozenset()
    """With `kind`: the products whose names use it."""
    bounds: tuple[Bound, ...] = ()
    """Figures bounded by the question ("under 3 lbs"), read from each product's spec lines."""
    also: tuple[tuple[str, str], ...] = ()
    """Further words of item names the question qualifies the products with ("green" tea), as `kind`."""
    question: str = ""
    """The question, for picking which spec a bound is about ("weighs under", "a range of at least")."""
    cheaper_than: str | None = None
    """ "Anything cheaper?" of the item in focus: its name (`max_price` is just below its price)."""

    def describe(self, currency: str) -> str:
        """ "tents under 300 USD for 4 people", in the question's terms."""
        what = self.category.lower() if self.category else self.kind[1] if self.kind else "products"
        if self.also and self.kind and not self.category:  # "game table", in the question's order
            said = [
                w for _, w in sorted([*self.also, self.kind], key=lambda x: self.question.lower().find(x[1].lower()))
            ]
            what = " ".join(said)
        elif self.also:
            what = f"{' '.join(w for _, w in self.also)} {what}"  # "green tea"
        parts = [what]
        if self.brand:
            parts.append(f"from {self.brand}")
        if self.people:
            parts.append(f"for {self.people} people")
        # "tents under 3 lbs", "e-bikes with at least 100 km"
        parts += [b.text if b.op in ("<", ">") else f"with {b.text}" for b in self.bounds]
        if self.cheaper_than:
            parts.append(f"cheaper than the {self.cheaper_than}")
        elif self.min_price is not None and self.max_price is not None:
            parts.append(f"between {self.min_price} and {self.max_price} {currency}")
        elif self.max_price is not None:
            parts.append(f"under {self.max_price} {currency}")
        elif self.min_price is not None:
            parts.append(f"over {self.min_price} {currency}")
        return " ".join(parts)


def shape_of(question: str, words: Vocabulary) -> Shape | None:
    """The catalog filters a question asks for, or None when it asks about something else (a named product,
    a policy)."""
    if words.best_named(question) is not None:
        return None
    brands, categories = words.brands_in(question), words.categories_in(question)
    kind = None
    taken = stems(" ".join(brands + categories))
    kinds = [k for k in words.kind_words(question) if k[0] not in taken and k[0] not in _LISTING_WORDS]
    if not categories:
        kind = kinds[0] if kinds else None
    # "any green tea?": besides the category or kind word, every other word of item names the question says
    # must be said of a product (its name, category, tags or description) for it to be listed
    also = tuple(k for k in kinds if k != kind)
    lo, hi = price_bounds(question)
    bounds = tuple(bounds_in(question))
    people_match = _PEOPLE.search(question)
    people = number_in(people_match.group(0)) if people_match else None
    cheap, dear = _CHEAPEST.search(question), _DEAREST.search(question)
    superlative = (cheap or dear).group(1).lower() if (cheap or dear) else None
    order: Order = "price_desc" if dear and not cheap else "price_asc" if cheap else "name"
    filtered = bool(brands or categories or kind or lo is not None or hi is not None or people or bounds)
    # "tell me about your hiking jackets": nothing asked beyond the category itself is a listing too.
    named = stems(" ".join(brands + categories)) | {t for t, _ in words.kind_words(question)}
    residual = stems(question) - named - _LISTING_WORDS
    listing = bool(_LISTING.search(question)) or not residual
    if not (superlative or (filtered and (listing or lo is not None or hi is not None or people or bounds))):
        return None
    if not filtered and not superlative:
        return None
    if not filtered and residual - _SUPERLATIVE_WORDS:
        # "the cheapest pair of sunnies?" with no word of the catalog for "sunnies": the cheapest of everything
        # (a free repair) would answer for a kind of thing the question names but the catalog does not
        return None
    return Shape(
        order=order,
        superlative=superlative if superlative and superlative not in ("cheaper", "budget", "inexpensive") else None,
        brand=brands[0] if brands else None,
        category=categories[0] if categories else None,
        min_price=lo,
        max_price=hi,
        people=people,
        kind=kind,
        skus=frozenset(it.key for it in words.items_with(kind[0]) if it.kind == "product") if kind else frozenset(),
        also=also,
        bounds=bounds,
        question=question,
    )


CHEAPER_ONE = re.compile(
    r"\b(?:anything|something|any)\b.{0,20}?\b(?:cheaper|less expensive|more affordable|lower[- ]priced)\b|"
    r"\b(?:a|any|some|other)\s+(?:cheaper|less expensive|more affordable)\s+(?:one|ones|options?|alternatives?|"
    r"version|model)\b|\bcheaper (?:options|alternatives)\b",
    re.I,
)
"""Asking for something cheaper than the item in focus; "the cheaper one" is a reference, not this."""


def cheaper_than(question: str, entry: Entry) -> Shape | None:
    """ "Is there anything cheaper?" with a product in focus: the products of its category below its price, the
    dearest first (the nearest to what the customer looked at)."""
    if not CHEAPER_ONE.search(question) or not entry.category:
        return None
    return Shape(
        order="price_desc",
        category=entry.category,
        max_price=entry.price - Decimal("0.01"),
        question=question,
        cheaper_than=entry.name,
    )


def _said_of(entry: Entry) -> set[str]:
    """The stems a product's entry says of it: name, category, tags and description."""
    return stems(" ".join([entry.name, entry.category or "", " ".join(entry.tags), entry.description or ""]))


def capacity_of(entry: Entry) -> int | None:
    """How many people a product is for, as its name, tags or description say ("2-Person", "for four occupants")."""
    for text in (entry.name, " ".join(entry.tags), entry.description):
        m = _CAPACITY_IN_TEXT.search(text)
        if m:
            return number_in(m.group(0))
    return None


def figures(entries: list[Entry], shape: Shape, sheet: SpecSheet | None) -> dict[str, tuple[str, bool, float]]:
    """For each product stating the bounded figures: (the figures as its spec lines say them, whether it passes
    every bound, the first figure in base units for sorting)."""
    out: dict[str, tuple[str, bool, float]] = {}
    if not shape.bounds or sheet is None:
        return out
    for e in entries:
        said, passes, first = [], True, None
        for bound in shape.bounds:
            found = figure_for(sheet.of(e.sku), bound, shape.question)
            if found is None:
                break
            _, q, ok = found
            said.append(q.text)
            passes = passes and ok
            first = q.base if first is None and q.unit else q.value if first is None else first
        else:
            out[e.sku] = (", ".join(said), passes, first or 0.0)
    return out


def matching(entries: list[Entry], shape: Shape, sheet: SpecSheet | None = None) -> list[Entry]:
    """The products that pass the shape's filters, in its order (for a party size, the snuggest fit first; for a
    bounded figure, the best figure first)."""
    stated = figures(entries, shape, sheet)
    out = []
    for e in entries:
        if shape.bounds and not (e.sku in stated and stated[e.sku][1]):
            continue
        if shape.category and e.category.casefold() != shape.category.casefold():
            continue
        if shape.brand and (e.brand or "").casefold() != shape.brand.casefold():
            continue
        if shape.kind and e.sku not in shape.skus:
            continue
        if shape.also and not all(t in _said_of(e) for t, _ in shape.also):
            continue
        if shape.max_price is not None and e.price > shape.max_price:
            continue
        if shape.min_price is not None and e.price < shape.min_price:
            continue
        if shape.people:
            capacity = capacity_of(e)
            if capacity is None or capacity < shape.people:
                continue
        out.append(e)
    if shape.order == "price_asc":
        out.sort(key=lambda e: (e.price, e.name.casefold()))
    elif shape.order == "price_desc":
        out.sort(key=lambda e: (-e.price, e.name.casefold()))
    elif shape.people:
        out.sort(key=lambda e: (capacity_of(e) or 0, e.price))
    elif shape.bounds:
        below = shape.bounds[0].op.startswith("<")
        out.sort(key=lambda e: (stated[e.sku][2] if below else -stated[e.sku][2], e.price))
    else:
        out.sort(key=lambda e: e.name.casefold())
    return out


_ASKS_STOCK = re.compile(r"\b(?:in stock|stocked|available|availability|left)\b", re.I)


def _priced(e: Entry, said: dict[str, str] | None = None, stock: bool = False) -> str:
    figure = f"{said[e.sku]}, " if said and e.sku in said else ""
    held = "" if not stock or e.stock is None else ", out of stock" if e.stock <= 0 else f", {e.stock} in stock"
    return f"{e.name} ({figure}{e.price} {e.currency}{held})"


def summary(shape: Shape, chosen: list[Entry], alternatives: list[Entry], said: dict[str, str] | None = None) -> str:
    """One sentence that answers the shape question with names and figures, or says plainly nothing matched;
    `said` holds each product's bounded figures as its spec lines state them."""
    currency = (chosen or alternatives or [None])[0]
    cur = currency.currency if currency is not None else ""
    what = shape.describe(cur)
    if not chosen:
        if alternatives:
            if said and shape.bounds:
                near = alternatives[0]
                figure = f" ({said[near.sku]})" if near.sku in said else ""
                return f"We sell no {what}; the nearest is the {near.name}{figure} at {near.price} {near.currency}."
            near = min(alternatives, key=lambda e: e.price)
            return f"We sell no {what}; the nearest is the {near.name} at {near.price} {near.currency}."
        return f"We sell no {what}."
    if shape.superlative:
        top = chosen[0]
        others = ", ".join(_priced(e, said) for e in chosen[1:MAX_LISTED])
        then = f" Next: {others}." if others else ""
        return f"The {shape.superlative} of our {what} is the {top.name} at {top.price} {top.currency}.{then}"
    stock = bool(_ASKS_STOCK.search(shape.question))  # "do you have the game table in stock?"
    listed = ", ".join(_priced(e, said, stock) for e in chosen[:MAX_LISTED])
    more = f" and {len(chosen) - MAX_LISTED} more" if len(chosen) > MAX_LISTED else ""
    if len(chosen) == 1:
        return f"We sell one of these ({what}): {listed}."
    return f"We sell {len(chosen)} {what}: {listed}{more}."
