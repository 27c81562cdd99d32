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


_MEASURE = re.compile(r"^(\d+(?:[.,]\d+)?)(\s*-?\s*)([^\W\d_]+)$")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def not_offered(question: str, variants: tuple[Variant, ...] | list[Variant]) -> list[tuple[str, str, list[str]]]:
    """Measures the question asks for that no variant has ("64GB" of a laptop sold with 16GB and 32GB), as
    (option name, the measure as the shop writes it, the values it is sold in): the answer is then a plain no
    with the alternatives, not a silence."""
    text = question.casefold()
    out = []
    for name in dict.fromkeys(n for v in variants for n, _ in v.options):
        values = list(dict.fromkeys(x for v in variants for n, x in v.options if n == name))
        measures = [_MEASURE.match(x.strip()) for x in values]
        if not measures or any(m is None for m in measures):
            continue
        units = {m.group(3).casefold() for m in measures if m}
        if len(units) != 1:
            continue
        first = measures[0]
        assert first is not None
        offered = {_number(m.group(1)) for m in measures if m}
        unit = units.pop()
        for found in re.finditer(rf"(?<![\w.])(\d+(?:[.,]\d+)?)[\s\-]*{re.escape(unit)}(?!\w)", text):
            if _number(found.group(1)) not in offered:
                out.append((name, f"{found.group(1)}{first.group(2)}{first.group(3)}", values))
    return out


def chosen_values(
    question: str, variants: tuple[Variant, ...] | list[Variant], carried: list[str] | None = None
) -> list[str]:
    """The option values the customer has chosen so far: those this question names, and for every other option
    the value chosen in an earlier turn ("in 16GB", then "the 15 inch one" is the 15 inch with 16GB). A value
    asked for that no variant has ("in 64GB") changes nothing; values are returned in the shop's option order."""
    named = named_values(question, variants)
    option_of = {v: n for x in variants for n, v in x.options}
    by_option: dict[str, str] = {option_of[v]: v for v in carried or [] if v in option_of}
    # Two values of one option named at once ("13 or 15 inch?") choose neither: the question asks about both.
    per_option: dict[str, list[str]] = {}
    for v in named:
        per_option.setdefault(option_of[v], []).append(v)
    for option, values in per_option.items():
        if len(values) == 1:
            by_option[option] = values[0]
        else:
            by_option.pop(option, None)
    order = list(dict.fromkeys(n for x in variants for n, _ in x.options))
    return [by_option[o] for o in order if o in by_option]


def carried_phrase(question: str, variants: tuple[Variant, ...] | list[Variant], chosen: list[str]) -> str:
    """The chosen values the question itself does not name, as words to add to it ("16GB"), leaving out an
    option the question asks another value of ("and in 64GB?" asks about memory afresh)."""
    named = named_values(question, variants)
    asked_options = {name for name, _, _ in not_offered(question, variants)}
    option_of = {v: n for x in variants for n, v in x.options}
    named_options = {option_of[v] for v in named if v in option_of}
    return ", ".join(v for v in chosen if v not in named and option_of.get(v) not in asked_options | named_options)
