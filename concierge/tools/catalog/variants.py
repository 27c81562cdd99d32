"""A product's variants (a size, a memory, a colour) and which of them a question names.

Shop exports list one product with several variants, each with its own options, SKU, price and stock. "How much
is the 15 inch one?" and "do you have it in 16GB?" name option values, not products: `named_variants` picks
the variants whose values the question holds.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from concierge.tools.analysis.text import STOPWORDS, fold, stem
from concierge.tools.analysis.units import quantities, unit_of


@dataclass(frozen=True)
class Variant:
    sku: str | None
    options: tuple[tuple[str, str], ...]
    """(option name, value) in the order the shop lists them: (("Size", "15 inch"), ("Memory", "16GB"))."""
    price: Decimal
    currency: str
    stock: int | None
    stock_by_location: tuple[tuple[str, int], ...] | None = None
    """(location, count) in the shop's order when its export gives the stock per location (then `stock` is their
    sum); None when it gives one total."""

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
            "stock_by_location": None if self.stock_by_location is None else dict(self.stock_by_location),
        }


def _value_pattern(value: str) -> re.Pattern[str] | None:
    """ "15 inch" also as "15-inch" or "15inch"; "16GB" also as "16 GB"; case and accents aside."""
    parts = re.findall(r"\d+(?:[.,]\d+)?|[^\W\d_]+", value.casefold())
    if not parts:
        return None
    body = r"[\s\-]*".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w.'’]){body}(?![\w'’])")  # "she's" names no size S


_ONE_UNIT = re.compile(r"\b(?:a|an|one)\s+(?=(?:kilo|kilogram|kg|litre|liter|pound|lb|gallon|metre|meter)s?\b)", re.I)


def named_values(question: str, variants: tuple[Variant, ...] | list[Variant]) -> set[str]:
    """The option values of these variants that the question names; a size also in another spelling of the same
    amount ("a kilo bag" names "1kg", "half a litre" no more than "500 ml" does)."""
    text = question.casefold()
    said = [(q.dimension, q.base) for q in quantities(_ONE_UNIT.sub("1 ", text))]
    values = {v for variant in variants for _, v in variant.options}
    own = _own_words(values)
    words = set(_WORD.findall(fold(text)))
    words |= {_ENDONYMS[w] for w in words if w in _ENDONYMS}
    counted = {(_number_key(n), stem(w)) for n, w in _COUNTED.findall(fold(text))}
    sizes = {_size_key(w) for w in _asked_sizes(question)}  # "in XL" names "XL / 58 cm"
    out = set()
    for value in values:
        if sizes and _size_key(_first_word(value)) in sizes:
            out.add(value)
            continue
        pattern = _value_pattern(value)
        head = _COUNTED.match(fold(value).casefold())
        if (
            (pattern is not None and pattern.search(text))
            or (head is not None and (_number_key(head.group(1)), stem(head.group(2))) in counted)
            or (
                said
                and (mine := quantities(value))
                and any(d == mine[0].dimension and abs(mine[0].base - b) < 1e-9 for d, b in said)
            )
            or own[value] & words
            or _bare_number(value, text)
        ):
            out.add(value)
    return out | _ranked_values(text, variants)


_RANKED = re.compile(
    r"\b(?:(bigger|larger|biggest|largest|longer|longest|higher|highest|stronger|strongest)"
    r"|(smaller|smallest|shorter|shortest|lower|lowest|weaker|weakest))\b(?!\s+than\b)\s+(\w+)",
    re.I,
)
"""A version by the rank of its measure: "with the bigger battery", "the smaller one"; "bigger than" compares."""
_ANY_OPTION = frozenset({"one", "ones", "version", "versions", "model", "size", "option"})


def _ranked_values(text: str, variants: tuple[Variant, ...] | list[Variant]) -> set[str]:
    """The highest or lowest value of a measured option the question ranks by name ("the bigger battery" of
    "418 Wh" and "625 Wh"), or of the only measured option ("the smaller one")."""
    measured: dict[str, list[tuple[float, str]]] = {}
    for option in dict.fromkeys(n for v in variants for n, _ in v.options):
        values = list(dict.fromkeys(x for v in variants for n, x in v.options if n == option))
        found = [_MEASURE.match(x.strip()) for x in values]
        if len(values) > 1 and all(found) and len({m.group(3).casefold() for m in found if m}) == 1:
            measured[option] = [(_number(m.group(1)), x) for m, x in zip(found, values, strict=True) if m]
    out = set()
    for m in _RANKED.finditer(text):
        word = stem(m.group(3))
        options = [o for o in measured if word in {stem(w) for w in _WORD.findall(o.casefold())}]
        if not options and m.group(3) in _ANY_OPTION and len(measured) == 1:
            options = list(measured)
        for option in options:
            out.add((max if m.group(1) else min)(measured[option])[1])
    return out


def _bare_number(value: str, text: str) -> bool:
    """ "in a 177" of a "177 cm": a measured value said by its number alone, after "in", "a" or "the"."""
    m = _MEASURE.match(value.strip())
    if m is None:
        return False
    number = re.escape(m.group(1))
    for said in re.finditer(rf"\b(?:in|a|an|the)\s+(?:a\s+)?{number}(?![\w.,'’])\s*([^\W\d_]*)", text):
        if not said.group(1) or unit_of(said.group(1)) is None:  # "a 177 mm waist" measures something else
            return True
    return False


_WORD = re.compile(r"[^\W\d_]{3,}")
_COUNTED = re.compile(r"(\d+(?:[.,]\d+)?)\s*-?\s*([^\W\d_]{3,})")
"""A count and what it counts: "8 seats (244 x 107 cm)" is asked as "the 8 seat one"."""
_ENDONYMS = {
    "francais": "french", "francaise": "french", "anglais": "english", "espanol": "spanish", "espanola": "spanish",
    "deutsch": "german", "deutsche": "german", "italiano": "italian", "italiana": "italian", "nederlands": "dutch",
    "portugues": "portuguese", "portuguesa": "portuguese", "polski": "polish", "svenska": "swedish",
}  # fmt: skip
"""Languages as editions name themselves ("Édition française"), and as customers ask for them ("in French")."""


def value_words(value: str) -> set[str]:
    """The words a customer may call an option value by: its own ("navy", "française", "francaise") and, for a
    language, the English name ("french")."""
    own = {w.casefold() for w in re.findall(r"[^\W\d_]+", value)}
    folded = {fold(w) for w in own}
    return own | folded | {_ENDONYMS[w] for w in folded if w in _ENDONYMS}


def spoken(value: str, question: str) -> str:
    """The value with the English name of its language when the question asks by that ("Édition française
    (French)"), so an answer states the word the customer used."""
    said = set(_WORD.findall(fold(question).casefold()))
    english = [_ENDONYMS[w] for w in _WORD.findall(fold(value).casefold()) if w in _ENDONYMS]
    return f"{value} ({english[0].title()})" if english and english[0] in said else value


def _number_key(number: str) -> float:
    return float(number.replace(",", "."))


def _own_words(values: set[str]) -> dict[str, set[str]]:
    """Each value's words no other value holds: "mini" of "Mini (41 x 63 mm) - 100 sleeves", "gold" of "Antique
    gold", "française" of "Édition française", so the question need not repeat a shop's whole label."""
    words = {v: set(_WORD.findall(fold(v).casefold())) - STOPWORDS for v in values}
    words = {v: w | {_ENDONYMS[x] for x in w if x in _ENDONYMS} for v, w in words.items()}
    if len(values) < 2:
        return {v: set() for v in values}
    return {v: w - set().union(*(o for u, o in words.items() if u != v)) for v, w in words.items()}


def named_variants(question: str, variants: tuple[Variant, ...] | list[Variant]) -> list[Variant]:
    """The variants holding the most option values the question names (all of them when it names two), or none."""
    named = named_values(question, variants)
    if not named:
        return []
    counts = [sum(1 for _, v in x.options if v in named) for x in variants]
    best = max(counts)
    return [x for x, n in zip(variants, counts, strict=True) if n == best and best > 0]


_MEASURE = re.compile(r"^(\d+(?:[.,]\d+)?)(\s*-?\s*)([^\W\d_]+)$")


COLOURS = frozenset(
    "black white grey gray red blue green yellow orange purple pink brown beige navy olive teal tan khaki maroon "
    "burgundy silver gold charcoal cream ivory turquoise cyan magenta lime coral mint lavender violet indigo bronze "
    "copper graphite camo camouflage multicolour multicolor aqua lilac mustard ochre rust crimson scarlet "
    "emerald sapphire ruby amber".split()
)
"""Colour words in everyday English: a colour asked of a product sold in others is a plain no."""
_COLOUR_OPTION = re.compile(r"\b(colou?rs?|shades?|finish(?:es)?)\b", re.I)
SIZE_WORDS = frozenset(
    "xxs xs s m l xl xxl xxxl 2xl 3xl 4xl 5xl small medium large petite regular tall king queen twin single double "
    "extra-small extra-large".split()
)
_SIZE_OPTION = re.compile(r"\bsizes?\b", re.I)
_LETTER_SIZE = re.compile(r"(?<![\w.])(XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL)(?![\w])")
_WORD_SIZE = re.compile(
    r"\b(extra[- ]small|extra[- ]large|small|medium|large|petite|regular|tall|king|queen|twin|single|double)\b",
    re.I,
)
_LETTER_CONTEXT = re.compile(r"\b(?:in|size|an?|the)\s*$", re.I)
_ROW_KEY = re.compile(r"^(XXS|XS|S|M|L|XL|XXL|XXXL|[2-5]XL):\s", re.M)
"""A size as a size chart's row names it in an answer: "For 178 cm: M: 54 (Seat tube (cm)), ..."."""


def _words_of(values: list[str]) -> set[str]:
    return {w for v in values for w in re.findall(r"[^\W\d_]+", v.casefold())}


def _is_colour_option(name: str, values: list[str]) -> bool:
    return bool(_COLOUR_OPTION.search(name)) or all(_words_of([v]) & COLOURS for v in values)


def _is_size_option(name: str, values: list[str]) -> bool:
    return bool(_SIZE_OPTION.search(name)) or all(
        v.casefold() in SIZE_WORDS or v.casefold().replace(" ", "-") in SIZE_WORDS for v in values
    )


_SIZE_CANON = {"small": "s", "medium": "m", "large": "l", "extra-small": "xs", "extra-large": "xl", "2xl": "xxl"}
_AFTER_SIZE = re.compile(r"^\s*(?:one|size|version|model)\b", re.I)


def _first_word(value: str) -> str:
    """ "XL / 58 cm", "M (54)": a size value's first word is its size."""
    return re.split(r"\s*[/(]|\s", value.strip())[0]


def _size_key(value: str) -> str:
    key = re.sub(r"[\s-]+", "-", value.strip().casefold())
    return _SIZE_CANON.get(key, key)


def _asked_sizes(question: str, own: set[str] = frozenset()) -> list[str]:
    """Size words the question asks for, where it asks for a size: "in XL", "a large one", "size M", "the small
    version", "a large hoodie" of a hoodie ("large" in "a large choice", "single" in "a single origin" and the
    letters "M" and "L" elsewhere ask for none). `own`: the words of the product's name."""
    out = []
    for m in [*_WORD_SIZE.finditer(question), *_LETTER_SIZE.finditer(question)]:
        after = question[m.end() :]
        if _AFTER_SIZE.match(after):
            out.append(m.group(1))
        elif _LETTER_CONTEXT.search(question[: m.start()]):
            following = re.match(r"\s*([^\W\d_]+)", after)
            # A word after it that is no word of the product's name describes something else ("a single origin").
            # A word that asks nothing after it ("in large in stock?") leaves it a size.
            if (
                following is None
                or following.group(1).casefold() in STOPWORDS
                or stem(following.group(1).casefold()) in {stem(w.casefold()) for w in own}
                or m.re is _LETTER_SIZE
            ):
                out.append(m.group(1))
    return out


def asked_size_keys(question: str, own: set[str] = frozenset()) -> set[str]:
    """The sizes the question asks for, as size letters in lower case ("the large one" -> {"l"})."""
    return {_size_key(s) for s in _asked_sizes(question, own)}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _measures(name: str, values: list[str], text: str) -> list[tuple[str, str, list[str]]]:
    """A number with the unit the option's values share ("64GB" of 16GB and 32GB), not among them."""
    measures = [_MEASURE.match(x.strip()) for x in values]
    if not measures or any(m is None for m in measures):
        return []
    units = {m.group(3).casefold() for m in measures if m}
    if len(units) != 1:
        return []
    first = measures[0]
    assert first is not None
    offered = {_number(m.group(1)) for m in measures if m}
    unit = units.pop()
    return [
        (name, f"{found.group(1)}{first.group(2)}{first.group(3)}", values)
        for found in re.finditer(rf"(?<![\w.])(\d+(?:[.,]\d+)?)[\s\-]*{re.escape(unit)}(?!\w)", text)
        if _number(found.group(1)) not in offered
    ]


def _numbers(name: str, values: list[str], text: str) -> list[tuple[str, str, list[str]]]:
    """A bare number after the option's name ("size 47" of shoes sold in 40 to 46), not among its values."""
    if not all(re.fullmatch(r"\d+(?:[.,]\d+)?", v.strip()) for v in values):
        return []
    offered = {_number(v) for v in values}
    key = re.escape(name.casefold().rstrip("s"))
    return [
        (name, m.group(1), values)
        for m in re.finditer(rf"\b{key}s?\s*(?:of\s+|:\s*)?(\d+(?:[.,]\d+)?)(?![\w.])", text)
        if _number(m.group(1)) not in offered
    ]


def not_offered(
    question: str, variants: tuple[Variant, ...] | list[Variant], name: str = ""
) -> list[tuple[str, str, list[str]]]:
    """Option values the question asks for that no variant has, as (option name, the value as asked, the values
    it is sold in): a measure ("64GB" of a laptop sold with 16GB and 32GB), a colour ("in red" of a bag sold in
    black and olive), a size ("in XL", "size 47"). The answer is then a plain no with the alternatives, not a
    silence. Words of the product's own `name` ask for nothing ("the Red Rock tent in green")."""
    text = question.casefold()
    own = _words_of([name])
    out: list[tuple[str, str, list[str]]] = []
    for option in dict.fromkeys(n for v in variants for n, _ in v.options):
        values = list(dict.fromkeys(x for v in variants for n, x in v.options if n == option))
        found = _measures(option, values, text) or _numbers(option, values, text)
        if not found and _is_colour_option(option, values):
            sold = _words_of(values)
            asked = [w for w in re.findall(r"[^\W\d_]+", text) if w in COLOURS and w not in sold and w not in own]
            found = [(option, w, values) for w in dict.fromkeys(asked)]
        if not found and _is_size_option(option, values):
            sold = {_size_key(v) for v in values} | {_size_key(_first_word(v)) for v in values}
            asked = [w for w in _asked_sizes(question, own) if _size_key(w) not in sold and w.casefold() not in own]
            found = [(option, w, values) for w in dict.fromkeys(asked)]
        out += found
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


_NEGATED = re.compile(r"\b(?:without|no|not|never|nor)\s+(?:an?\s+|the\s+|any\s+)?[^\W\d_]+", re.I)
"""A value an answer says is not there ("works without a carrier") is no version it chose."""
_PICKED_FOR = re.compile(r"^For [^:]*\d[^:]*: ")
"""How an answer that picks a version for the customer's figure begins: "For 178 cm: "."""


def answered_values(answer: str, variants: tuple[Variant, ...] | list[Variant]) -> list[str]:
    """The option values an answer chose, so "do you have that one in stock?" asks of them: a size chart's row it
    picked for the customer's figure ("For 178 cm: M: ..."), or the one version it names; not one it says is not
    there ("works without a carrier"), nor any when it names two values of one option (a list)."""
    picked = _PICKED_FOR.match(answer)
    said = _ROW_KEY.sub(lambda m: f" size {m.group(1)} ", answer[picked.end() :] if picked else answer)
    return chosen_values(_NEGATED.sub(" ", said), variants)


def carried_phrase(question: str, variants: tuple[Variant, ...] | list[Variant], chosen: list[str]) -> str:
    """The chosen values the question itself does not name, as words to add to it ("16GB"), leaving out an
    option the question asks another value of ("and in 64GB?" asks about memory afresh)."""
    named = named_values(question, variants)
    asked_options = {name for name, _, _ in not_offered(question, variants)}
    option_of = {v: n for x in variants for n, v in x.options}
    named_options = {option_of[v] for v in named if v in option_of}
    return ", ".join(v for v in chosen if v not in named and option_of.get(v) not in asked_options | named_options)
