"""A product's variants (a size, a memory, a colour) and which of them a question names.

Shop exports list one product with several variants, each with its own options, SKU, price and stock. "How much
is the 15 inch one?" and "do you have it in 16GB?" name option values, not products: `named_variants` picks
the variants whose values the question holds.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Variant:
    sku: str | None
    options: tuple[tuple[str, str], ...]
    """(option name, value) in the order the shop lists them: (("Size", "15 inch"), ("Memory", "16GB"))."""
    price: Decimal
    currency: str
    stock: int | None

    @property
    def label(self) -> str:
        """The option values as a customer says them: "15 inch, 16GB"."""
        return ", ".join(v for _, v in self.options)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "options": dict(self.options),
            "price": str(self.price),
            "currency": self.currency,
            "stock": self.stock,
        }


def _value_pattern(value: str) -> re.Pattern[str] | None:
    """ "15 inch" also as "15-inch" or "15inch"; "16GB" also as "16 GB"; case and accents aside."""
    parts = re.findall(r"\d+(?:[.,]\d+)?|[^\W\d_]+", value.casefold())
    if not parts:
        return None
    body = r"[\s\-]*".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w.]){body}(?![\w])")


def named_values(question: str, variants: tuple[Variant, ...] | list[Variant]) -> set[str]:
    """The option values of these variants that the question names."""
    text = question.casefold()
    out = set()
    for value in {v for variant in variants for _, v in variant.options}:
        pattern = _value_pattern(value)
        if pattern is not None and pattern.search(text):
            out.add(value)
    return out


def named_variants(question: str, variants: tuple[Variant, ...] | list[Variant]) -> list[Variant]:
    """The variants holding the most option values the question names (all of them when it names two), or none."""
    named = named_values(question, variants)
    if not named:
        return []
    counts = [sum(1 for _, v in x.options if v in named) for x in variants]
    best = max(counts)
    return [x for x, n in zip(variants, counts, strict=True) if n == best and best > 0]
