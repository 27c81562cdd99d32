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

from rapidfuzz import fuzz, process

from concierge.tools.docindex import keywords

TYPO_TOLERANCE = 85
"""rapidfuzz ratio a word must reach to count as the query's word with a typo or a plural."""
MODEL_TOLERANCE = 90
"""Model numbers are codes: a near miss must be nearer."""
FIELD_WEIGHTS = {"name": 1.0, "ident": 1.0, "class": 0.7, "description": 0.3}
"""How much a query word counts when found in each field: name, brand and model, category and tags, description."""


def norm_model(text: str) -> str:
    """`KF-200`, `kf 200` and `KF200` are the same model."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


@dataclass(frozen=True)
class Entry:
    id: int
    name: str
    category: str
    tags: frozenset[str]
    price: Decimal
    stock: int


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    tags: tuple[str, ...] = ()
    max_price: Decimal | None = None
    min_price: Decimal | None = None
    in_stock: bool | None = None

    def admit(self, price: Decimal, stock: int, category: str = "", tags: frozenset[str] = frozenset()) -> bool:
        if self.category and category.casefold() != self.category.casefold():
            return False
        if self.tags and not {t.casefold() for t in self.tags} <= tags:
            return False
        if self.max_price is not None and price > self.max_price:
            return False
        if self.min_price is not None and price < self.min_price:
            return False
        return not (self.in_stock is not None and (stock > 0) != self.in_stock)

    @property
    def active(self) -> bool:
        return bool(self.category or self.tags or self.max_price is not None or self.min_price is not None) or (
            self.in_stock is not None
        )


class ProductIndex:
    """One tenant's products at one catalog version."""

    def __init__(self, version: int, rows: list[Any]) -> None:
        """`rows` have id, name, brand, model_number, category, tags, description, price, stock."""
        self.version = version
        self.entries: list[Entry] = []
        self.postings: dict[str, dict[int, float]] = defaultdict(dict)
        self.models: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            tags = [str(t) for t in (r.tags or [])]
            self.entries.append(
                Entry(r.id, r.name, r.category or "", frozenset(t.casefold() for t in tags), r.price, r.stock)
            )
            fields = {
                "name": r.name,
                "ident": f"{r.brand or ''} {r.model_number or ''}",
                "class": " ".join([r.category or "", *tags]),
                "description": r.description or "",
            }
            for fname, text in fields.items():
                weight = FIELD_WEIGHTS[fname]
                for token in keywords(text):
                    posting = self.postings[token]
                    if posting.get(i, 0.0) < weight:
                        posting[i] = weight
            if r.model_number:
                self.models[norm_model(r.model_number)].append(i)
        self.postings = dict(self.postings)
        by_length: dict[int, list[str]] = defaultdict(list)
        for token in self.postings:
            by_length[len(token)].append(token)
        self.by_length = dict(by_length)
        self.model_keys = list(self.models)

    def __len__(self) -> int:
        return len(self.entries)

    def _similar(self, term: str) -> list[str]:
        """Vocabulary words equal to `term` or within a typo or a plural of it."""
        out = [term] if term in self.postings else []
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
        return out

    def search(
        self, query: str, model_numbers: list[str], limit: int, filters: Filters, min_score: float, browse: bool
    ) -> list[tuple[float, Entry]]:
        """Best products for the query, as (score in [0, 1], entry); an exact model number scores 1."""
        terms = keywords(query)
        scores: dict[int, float] = defaultdict(float)
        if terms:
            for term in terms:
                best: dict[int, float] = {}
                for word in self._similar(term):
                    for i, w in self.postings[word].items():
                        if w > best.get(i, 0.0):
                            best[i] = w
                for i, w in best.items():
                    scores[i] += w / len(terms)
        for wanted in {norm_model(m) for m in model_numbers if norm_model(m)}:
            for key, ratio, _ in process.extract(
                wanted, self.model_keys, scorer=fuzz.ratio, score_cutoff=MODEL_TOLERANCE, limit=5
            ):
                for i in self.models[key]:
                    scores[i] = max(scores[i], 1.0 if key == wanted else 0.9 * ratio / 100)
        if not scores and browse:
            ranked = [(0.0, e) for e in self.entries]
            ranked.sort(key=lambda x: x[1].name.casefold())
        else:
            ranked = [(s, self.entries[i]) for i, s in scores.items() if s >= min_score]
            # Ties (every tent matches "tent") go to the name closest to the whole question.
            ranked.sort(key=lambda x: -x[0])
            head = ranked[: max(limit * 4, 20)]
            phrase = " ".join(terms)
            head.sort(key=lambda x: (-round(x[0], 3), -fuzz.token_set_ratio(phrase, x[1].name.lower())))
            ranked = head + ranked[len(head) :]
        if filters.active:
            ranked = [x for x in ranked if filters.admit(x[1].price, x[1].stock, x[1].category, x[1].tags)]
        return ranked[:limit]
