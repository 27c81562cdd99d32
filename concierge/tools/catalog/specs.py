"""Each product's spec lines, read from the documents about it: what "under 3 lbs" and "at least 1000 lumens" filter.

A manual's spec table ("Weight: 12 lbs", "| Light output | 850 lumens |") never names its product; the manual's
opening does. The sheet reads every document of the tenant once per catalog and document version, links each to
the product its head names, and keeps the "Key: value" lines with the quantities they state. Catalog tags written
"key:value" count too. A constraint ("under 3 lbs", "with a range of at least 100 km") is then a filter over
these figures, in any spelling of the unit.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from concierge.tools.analysis.text import stems
from concierge.tools.analysis.units import (
    ATTRIBUTES,
    UNITS,
    Attribute,
    Quantity,
    asked_attributes,
    document_lines,
    key_value,
    prose_figures,
    quantities,
)
from concierge.tools.catalog.vocabulary import Vocabulary


@dataclass(frozen=True)
class Spec:
    key: str
    value: str
    quantities: tuple[Quantity, ...]
    document_id: str = ""
    title: str = ""
    """The document's title ("" for a catalog tag)."""


@dataclass
class SpecSheet:
    """Spec lines by product SKU."""

    signature: Any = None
    by_sku: dict[str, list[Spec]] = field(default_factory=dict)

    def of(self, sku: str) -> list[Spec]:
        return self.by_sku.get(sku, [])


class ChunkSource(Protocol):
    async def heads(self, tenant_id: str, document_ids: list[str]) -> dict[str, str]: ...

    async def document_chunks(self, tenant_id: str, document_id: str) -> list[Any]: ...


def spec_lines(text: str) -> list[tuple[str, str]]:
    """The "Key: value" lines of a text, as bold keys, bullets or table rows."""
    out = []
    for line in document_lines(text):  # a table of several items' rows are no spec lines of the document's item
        kv = key_value(line)
        # "The unit weighs 3.6 kg.", "Key figures: 42 cm width · 7.4 kg weight": figures with their word
        figures = prose_figures(line)
        if figures:
            out += figures
        elif kv is not None and kv[1]:
            out.append(kv)
    return out


async def read_sheet(
    index: ChunkSource, tenant_id: str, documents: list[tuple[str, str]], words: Vocabulary, tags: dict[str, list[str]]
) -> dict[str, list[Spec]]:
    """Spec lines by SKU from `documents` ((id, title) pairs) whose head names one product, and from catalog tags
    ("Weight:2.1 kg") by SKU."""
    out: dict[str, list[Spec]] = {}
    for sku, product_tags in tags.items():
        for tag in product_tags:
            if ":" in tag:
                key, value = (x.strip() for x in tag.split(":", 1))
                if key and value:
                    out.setdefault(sku, []).append(Spec(key, value, tuple(quantities(value))))
    heads = await index.heads(tenant_id, [d for d, _ in documents]) if documents else {}
    titles = dict(documents)
    for doc_id, head in heads.items():
        item = words.subject(head)
        if item is None or item.kind != "product":
            continue
        for chunk in await index.document_chunks(tenant_id, doc_id):
            for key, value in spec_lines(chunk.text):
                out.setdefault(item.key, []).append(
                    Spec(key, value, tuple(quantities(value)), doc_id, titles.get(doc_id, ""))
                )
    return out


Op = Literal["<", "<=", ">", ">="]
_BELOW_STRICT = r"under|below|less than|lighter than|smaller than|shorter than|quieter than|lower than|slower than"
_BELOW = r"at most|no more than|max(?:imum)?|up to|within|not over"
_ABOVE_STRICT = (
    r"over|above|more than|bigger than|larger than|longer than|heavier than|brighter than|louder than|higher than|"
    r"faster than|stronger than|more powerful than"
)
_ABOVE = r"at least|min(?:imum)?|no less than"
_BOUND = re.compile(
    rf"\b(?:(?P<lt>{_BELOW_STRICT})|(?P<le>{_BELOW})|(?P<gt>{_ABOVE_STRICT})|(?P<ge>{_ABOVE}))\s+(?:a |an )?"
    r"(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>[^\W\d_°][^\s,.?!;)]*(?:\s(?:per|an?)\s\w+)?|°\s?[CFcf])?",
    re.I,
)


def _passes(have: float, op: str, want: float) -> bool:
    close = abs(have - want) <= 1e-9 * max(1.0, abs(want))
    if op == "<":
        return have < want and not close
    if op == "<=":
        return have < want or close
    if op == ">":
        return have > want and not close
    return have > want or close


@dataclass(frozen=True)
class Bound:
    """A figure the question bounds: "under 3 lbs" is (<, 3 lb)."""

    op: Op
    quantity: Quantity | None
    """With a unit `analysis.units` knows; else `number` and `unit` as said."""
    number: float
    unit: str
    text: str

    def admits(self, spec: Spec) -> tuple[bool, Quantity] | None:
        """Whether the spec's figure passes the bound (and the figure), or None when it states no such figure."""
        for q in spec.quantities:
            if self.quantity is not None and q.dimension == self.quantity.dimension:
                return _passes(q.base, self.op, self.quantity.base), q
        if self.quantity is None and self.unit and stems(self.unit) & stems(spec.key):
            m = re.match(r"^\s*(\d+(?:[.,]\d+)?)\s*$", spec.value)
            if m:  # "at least 4 slots" of "Slots: 4"
                have = float(m.group(1).replace(",", "."))
                return _passes(have, self.op, self.number), Quantity(have, "", spec.value.strip())
        if self.quantity is None and self.unit:
            m = re.match(rf"^\s*(\d+(?:[.,]\d+)?)\s*{re.escape(self.unit)}(?!\w)", spec.value, re.I)
            if m:
                have = float(m.group(1).replace(",", "."))
                return _passes(have, self.op, self.number), Quantity(have, "", m.group(0).strip())
        return None


_MONEY = re.compile(r"^(?:usd|eur|gbp|chf|cad|aud|dollars?|euros?|bucks|quid|\$|€|£)$", re.I)


def bounds_in(question: str) -> list[Bound]:
    """The figures a question bounds, other than prices: "under 3 lbs", "at least 1000 lumens"."""
    out = []
    for m in _BOUND.finditer(question):
        unit = (m.group("unit") or "").strip()
        if not unit or _MONEY.match(unit.split()[0]):
            continue
        found = quantities(f"{m.group('number')} {unit}")
        q = found[0] if found else None
        op: Op = "<" if m.group("lt") else "<=" if m.group("le") else ">" if m.group("gt") else ">="
        said = unit.split()[0] if q is None else unit
        out.append(Bound(op, q, float(m.group("number").replace(",", ".")), said, m.group(0).strip()))
    return out


def _rank(spec: Spec, bound: Bound, question: str) -> int:
    """0: the question names the spec's key ("a load capacity over 250 lbs"); 1: the key is one of the asked
    attribute's ("weighs under" and "Weight"); 2: neither."""
    said = stems(question) - stems(bound.text)
    if stems(spec.key) & said:
        return 0
    attrs: list[Attribute] = asked_attributes(question)
    if bound.quantity is not None:
        dimension = bound.quantity.dimension
        # "at least 40 m long" asks no attribute by name: any attribute measured in metres ("Length", not "Gap"...)
        attrs = [a for a in attrs if a.dimension == dimension] or [a for a in ATTRIBUTES if a.dimension == dimension]
    keys = set().union(*(a.keys for a in attrs)) if attrs else set()
    return 1 if stems(spec.key) & keys else 2


def figure_for(specs: list[Spec], bound: Bound, question: str) -> tuple[Spec, Quantity, bool] | None:
    """The spec of a product that the bound is about (a key the question names first, then a key of the
    attribute it asks), its figure, and whether it passes; None when the product states no such figure, or
    states two and the question points at neither."""
    candidates = []
    for spec in specs:
        judged = bound.admits(spec)
        if judged is None:
            continue
        ok, q = judged
        candidates.append((_rank(spec, bound, question), spec, q, ok))
    if not candidates:
        return None
    candidates.sort(key=lambda c: c[0])
    best = candidates[0]
    if best[0] == 2 and len({c[1].key.casefold() for c in candidates}) > 1:
        return None  # two figures of that kind ("Weight" and "Load capacity") and the question names neither
    return best[1], best[2], best[3]


def dimension_of(bound: Bound) -> str:
    return UNITS[bound.quantity.unit][0] if bound.quantity is not None else bound.unit
