"""Amounts of money in text, in any currency a tenant sells in.

The catalog stores an ISO 4217 code per price; customers and documents write symbols and names ("$90", "90 dollars",
"€12,50", "12.50 EUR"). One table of the common currencies, and the code itself for any other.
"""

import re
from decimal import Decimal, InvalidOperation

CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "EUR": ("€", "euro", "euros"),
    "USD": ("$", "US$", "dollar", "dollars", "usd"),
    "GBP": ("£", "pound", "pounds", "quid"),
    "CAD": ("C$", "CA$", "dollar", "dollars"),
    "AUD": ("A$", "AU$", "dollar", "dollars"),
    "NZD": ("NZ$", "dollar", "dollars"),
    "CHF": ("Fr.", "franc", "francs"),
    "JPY": ("¥", "yen"),
    "CNY": ("¥", "yuan", "rmb"),
    "INR": ("₹", "rupee", "rupees", "rs"),
    "SEK": ("kr", "krona", "kronor"),
    "NOK": ("kr", "krone", "kroner"),
    "DKK": ("kr", "krone", "kroner"),
    "PLN": ("zł", "zloty", "zlotys"),
    "BRL": ("R$", "real", "reais"),
    "MXN": ("MX$", "peso", "pesos"),
}
_NUMBER = r"(\d{1,3}(?:[,.\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_SYMBOLS = {w for ws in CURRENCY_WORDS.values() for w in ws if not w.isalpha()}
_NAMES = {w for ws in CURRENCY_WORDS.values() for w in ws if w.isalpha()} | {c.lower() for c in CURRENCY_WORDS}
_ANY_SYMBOL = "|".join(re.escape(w) for w in sorted(_SYMBOLS, key=len, reverse=True))
_ANY_WORD = "|".join(sorted(_NAMES, key=len, reverse=True))
_ANY_CODE = "|".join(CURRENCY_WORDS)
ANY_AMOUNT = re.compile(
    rf"(?:(?:{_ANY_SYMBOL})\s?{_NUMBER}|\b(?:{_ANY_CODE})\s?{_NUMBER}|{_NUMBER}\s?(?:{_ANY_SYMBOL}|(?:{_ANY_WORD})\b))",
    re.I,
)
"""An amount with any currency mark before or after it ("€15", "EUR 2.50", "15 euro")."""


def currency_words(code: str) -> tuple[str, ...]:
    """The ways to write a currency: its code, its symbols and its names."""
    return (code.upper(), *CURRENCY_WORDS.get(code.upper(), ()))


def amount_pattern(code: str) -> re.Pattern[str]:
    """Amounts in one currency: "$90", "90 USD", "90 dollars" for USD. Group 1 or 2 holds the number."""
    marks = sorted(currency_words(code), key=len, reverse=True)
    before = "|".join(re.escape(m) + (r"\b" if m[-1].isalnum() else "") for m in marks if not m.islower())
    after = "|".join(re.escape(m) + (r"\b" if m[-1].isalnum() else "") for m in marks)
    lead = rf"(?:{before})\s?{_NUMBER}|" if before else ""
    return re.compile(rf"(?:{lead}{_NUMBER}\s?(?:{after}))", re.I)


def to_decimal(number: str) -> Decimal | None:
    """ "1,299.00", "1.299,00", "12,50" and "12.5" as decimals."""
    s = re.sub(r"\s", "", number)
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?", s):
        s = s.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?", s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def amounts(text: str, code: str) -> list[Decimal]:
    """Every amount in `text` written in currency `code`."""
    found = []
    for m in amount_pattern(code).finditer(text):
        value = to_decimal(next(g for g in m.groups() if g))
        if value is not None:
            found.append(value)
    return found


_BOUND = _NUMBER + r"(?:\s?(?:" + _ANY_SYMBOL + r"|(?:" + _ANY_WORD + r")\b))?"
_CEILING = re.compile(
    r"\b(?:under|below|less than|cheaper than|up to|at most|max(?:imum)?|no more than|within|"
    r"budget(?: is| of)?(?: around| about| roughly)?)\s*"
    rf"(?:{_ANY_SYMBOL})?\s?{_BOUND}",
    re.I,
)
_FLOOR = re.compile(
    rf"\b(?:over|above|more than|at least|from|min(?:imum)?)\s*(?:{_ANY_SYMBOL})\s?{_BOUND}|"
    rf"\b(?:over|above|more than|at least|min(?:imum)?)\s*{_NUMBER}\s?(?:{_ANY_SYMBOL}|(?:{_ANY_WORD})\b)",
    re.I,
)
_NOT_MORE = re.compile(r"(?:\bno|\bnot|n't|\bdont|\bnever|\bwithout)\b(?:\s+\w+){0,4}\s*$", re.I)
"""A negation just before "more than": what follows is a ceiling."""
_BETWEEN = re.compile(
    rf"\bbetween\s*(?:{_ANY_SYMBOL})?\s?{_NUMBER}\s*(?:{_ANY_SYMBOL}|(?:{_ANY_WORD})\b)?\s*(?:and|-|to)\s*"
    rf"(?:{_ANY_SYMBOL})?\s?{_BOUND}",
    re.I,
)
_UNIT_AFTER = re.compile(
    r"\s?(?:lbs?|pounds?|kg|kilos?|g|grams?|oz|ounces?|l|liters?|litres?|ml|inch|inches|cm|mm|"
    r"people|persons?|days?|weeks?|months?|years?|hours?|minutes?|%)\b",
    re.I,
)


def _money_only(text: str, m: re.Match[str]) -> bool:
    """ "under 3 lbs" bounds a weight, not a price; a bare number with no unit after it counts as money."""
    return not _UNIT_AFTER.match(text, m.end()) or bool(re.search(rf"{_ANY_SYMBOL}", m.group(0)))


def price_bounds(text: str) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest price a question accepts ("under $50", "between 20 and 40 euros")."""
    between = _BETWEEN.search(text)
    if between:
        lo, hi = to_decimal(between.group(1)), to_decimal(between.group(2))
        if lo is not None and hi is not None:
            return min(lo, hi), max(lo, hi)
    ceiling = next((m for m in _CEILING.finditer(text) if _money_only(text, m)), None)
    floor = next((m for m in _FLOOR.finditer(text) if _money_only(text, m)), None)
    hi = to_decimal(ceiling.group(1)) if ceiling else None
    lo = to_decimal(next(g for g in floor.groups() if g)) if floor else None
    if floor and _NOT_MORE.search(text[max(0, floor.start() - 30) : floor.start()]):
        # "no more than 40", "don't want to spend more than 40 euro": at most, not at least
        return None, hi if hi is not None else lo
    return lo, hi
