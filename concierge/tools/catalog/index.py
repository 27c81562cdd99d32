"""An in-memory search index over one tenant's products: fuzzy terms and model numbers in a few milliseconds.

Built from the product rows once per catalog version (see `catalogdb.CatalogVersion`) and searched without
touching the database; price and stock are then read live for the few hits. Typos and plurals are matched with
rapidfuzz against the tenant's vocabulary, bucketed by word length, so a query costs a handful of C-level
comparisons per word instead of a Python loop over every product.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from concierge.tools.analysis.text import keywords
from concierge.tools.catalog.variants import Variant

TYPO_TOLERANCE = 85
"""rapidfuzz ratio a word must reach to count as the query's word with a typo or a plural."""
MODEL_TOLERANCE = 90
"""Model numbers are codes: a near miss must be nearer."""
FIELD_WEIGHTS = {"name": 1.0, "ident": 1.0, "class": 0.7, "description": 0.3}
"""How much a query word counts when found in each field: name, brand and model, category and tags, description."""


def norm_model(text: str) -> str:
    """`KF-200`, `kf 200` and `KF200` are the same model."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


UNKNOWN_STOCK = -1
"""How the stock array marks a product whose stock the catalog does not give."""


@dataclass(frozen=True)
class Entry:
    """A product as the index holds it: everything a search result shows, price and stock included."""

    id: int
    sku: str
    name: str
    category: str
    brand: str | None
    model_number: str | None
    description: str
    tags: tuple[str, ...]
    tag_set: frozenset[str]
    price: Decimal
    currency: str
    stock: int | None
    variants: tuple[Variant, ...] = ()
    """The versions the product is sold in (sizes, memories, colours), each with its price and stock."""
    regular_price: Decimal | None = None
    """The price before a sale when `price` is a sale price."""
    variant_regular_prices: tuple[Decimal | None, ...] = ()
    """Each variant's price before its sale (None: not on sale), in the order of `variants`."""
    stock_by_location: tuple[tuple[str, int], ...] | None = None
    """(location, count) when the export gives the stock per shop location; None when it gives one total."""


def by_location(stored: Any) -> tuple[tuple[str, int], ...] | None:
    """A stored stock per location ({"Frisco": 2}) as (location, count) pairs in its order; None when not given."""
    if not isinstance(stored, dict) or not stored:
        return None
    return tuple((str(k), int(v)) for k, v in stored.items() if isinstance(v, int | float))


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    tags: tuple[str, ...] = ()
    max_price: Decimal | None = None
    min_price: Decimal | None = None
    in_stock: bool | None = None

    def admit(self, price: Decimal, stock: int | None, category: str = "", tags: frozenset[str] = frozenset()) -> bool:
        if self.category and category.casefold() != self.category.casefold():
            return False
        if self.tags and not {t.casefold() for t in self.tags} <= tags:
            return False
        if self.max_price is not None and price > self.max_price:
            return False
        if self.min_price is not None and price < self.min_price:
            return False
        # An unknown stock is neither "in stock" nor "out of stock".
        return self.in_stock is None or (stock is not None and (stock > 0) == self.in_stock)

    @property
    def active(self) -> bool:
        return bool(self.category or self.tags or self.max_price is not None or self.min_price is not None) or (
            self.in_stock is not None
        )


class ProductIndex:
    """One tenant's products at one catalog version, as numpy arrays for scoring thousands at once."""

    def __init__(
        self,
        version: int,
        rows: list[Any],
        variants: dict[int, tuple[Variant, ...]] | None = None,
        variant_regular_prices: dict[int, tuple[Decimal | None, ...]] | None = None,
    ) -> None:
        """`rows` have the columns of `Entry` (tags as a list); `variants` and their regular prices are by
        product id."""
        variants = variants or {}
        regulars = variant_regular_prices or {}
        self.version = version
        self.entries: list[Entry] = []
        postings: dict[str, dict[int, float]] = defaultdict(dict)
        models: dict[str, list[int]] = defaultdict(list)
        tag_members: dict[str, list[int]] = defaultdict(list)
        categories: dict[str, int] = {}
        cats, prices, stocks = [], [], []
        for i, r in enumerate(rows):
            tags = [str(t) for t in (r.tags or [])]
            entry = Entry(
                r.id,
                r.sku,
                r.name,
                r.category or "",
                r.brand,
                r.model_number,
                r.description or "",
                tuple(tags),
                frozenset(t.casefold() for t in tags),
                r.price,
                r.currency,
                r.stock,
                variants.get(r.id, ()),
                getattr(r, "regular_price", None),
                regulars.get(r.id, ()),
                by_location(getattr(r, "stock_by_location", None)),
            )
            self.entries.append(entry)
            cats.append(categories.setdefault(entry.category.casefold(), len(categories)))
            prices.append(float(r.price))
            stocks.append(UNKNOWN_STOCK if r.stock is None else int(r.stock))
            for tag in entry.tag_set:
                tag_members[tag].append(i)
            fields = {
                "name": r.name,
                "ident": f"{r.brand or ''} {r.model_number or ''}",
                "class": " ".join([r.category or "", *tags, *(v for x in entry.variants for _, v in x.options)]),
                "description": r.description or "",
            }
            for fname, text in fields.items():
                weight = FIELD_WEIGHTS[fname]
                for token in keywords(text):
                    posting = postings[token]
                    if posting.get(i, 0.0) < weight:
                        posting[i] = weight
            if r.model_number:
                models[norm_model(r.model_number)].append(i)
        self.postings = {
            t: (np.fromiter(p.keys(), np.int32, len(p)), np.fromiter(p.values(), np.float32, len(p)))
            for t, p in postings.items()
        }
        self.models = dict(models)
        self.model_keys = list(models)
        self.categories = categories
        self.category_of = np.array(cats, np.int32)
        self.prices = np.array(prices, np.float64)
        self.stocks = np.array(stocks, np.int64)
        self.tag_members = {t: np.array(ix, np.int32) for t, ix in tag_members.items()}
        self.by_name = np.array(sorted(range(len(rows)), key=lambda i: self.entries[i].name.casefold()), np.int32)
        # Codes and numbers are matched through the model map, not as words with typos.
        by_length: dict[int, list[str]] = defaultdict(list)
        for token in self.postings:
            if not any(c.isdigit() for c in token):
                by_length[len(token)].append(token)
        self.by_length = dict(by_length)
        self._similar_cache: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def by_skus(self, skus: list[str]) -> list[Entry]:
        """Entries with these SKUs, in the order asked; unknown SKUs are skipped."""
        if not hasattr(self, "_by_sku"):
            self._by_sku = {e.sku: e for e in self.entries}
        return [self._by_sku[s] for s in skus if s in self._by_sku]

    def _similar(self, term: str) -> list[str]:
        """Vocabulary words equal to `term` or within a typo or a plural of it."""
        cached = self._similar_cache.get(term)
        if cached is not None:
            return cached
        out = [term] if term in self.postings else []
        if not any(c.isdigit() for c in term):
            for n in range(max(1, len(term) - 2), len(term) + 3):
                words = self.by_length.get(n)
                if words:
                    out += [
                        w
                        for w, _, _ in process.extract(
                            term, words, scorer=fuzz.ratio, score_cutoff=TYPO_TOLERANCE, limit=None
                        )
                        if w != term
                    ]
        if len(self._similar_cache) > 50_000:
            self._similar_cache.clear()
        self._similar_cache[term] = out
        return out

    def _mask(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        mask = np.ones(len(self.entries), bool)
        if filters.category:
            code = self.categories.get(filters.category.casefold(), -1)
            mask &= self.category_of == code
        for tag in filters.tags:
            member = np.zeros(len(self.entries), bool)
            member[self.tag_members.get(tag.casefold(), np.empty(0, np.int32))] = True
            mask &= member
        if filters.max_price is not None:
            mask &= self.prices <= float(filters.max_price)
        if filters.min_price is not None:
            mask &= self.prices >= float(filters.min_price)
        if filters.in_stock is not None:
            mask &= (self.stocks > 0) if filters.in_stock else (self.stocks == 0)
        return mask

    def search(
        self, query: str, model_numbers: list[str], limit: int, filters: Filters, min_score: float, browse: bool
    ) -> list[tuple[float, Entry]]:
        """Best products for the query, as (score in [0, 1], entry); an exact model number scores 1."""
        n = len(self.entries)
        if not n:
            return []
        terms = keywords(query)
        scores = np.zeros(n, np.float32)
        for term in terms:
            best = np.zeros(n, np.float32)
            for word in self._similar(term):
                ix, w = self.postings[word]
                best[ix] = np.maximum(best[ix], w)
            scores += best
        if terms:
            scores /= len(terms)
        for wanted in {norm_model(m) for m in model_numbers if norm_model(m)}:
            for key, ratio, _ in process.extract(
                wanted, self.model_keys, scorer=fuzz.ratio, score_cutoff=MODEL_TOLERANCE, limit=5
            ):
                for i in self.models[key]:
                    scores[i] = max(scores[i], 1.0 if key == wanted else 0.9 * ratio / 100)
        mask = self._mask(filters)
        if mask is not None:
            scores[~mask] = 0.0
        candidates = np.flatnonzero(scores >= max(min_score, 1e-6))
        if not len(candidates):
            if not browse or terms or model_numbers:
                return []
            order = self.by_name if mask is None else self.by_name[mask[self.by_name]]
            return [(0.0, self.entries[i]) for i in order[:limit]]
        keep = max(limit * 4, 20)
        if len(candidates) > keep:
            candidates = candidates[np.argpartition(-scores[candidates], keep)[:keep]]
        # Ties (every tent matches "tent") go to the name closest to the whole question.
        phrase = " ".join(terms)
        ranked = sorted(
            ((float(scores[i]), self.entries[i]) for i in candidates),
            key=lambda x: (-round(x[0], 3), -fuzz.token_set_ratio(phrase, x[1].name.lower())),
        )
        return ranked[:limit]
