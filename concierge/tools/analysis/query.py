"""Reading a customer's question: its type, what it names, which sources can answer it, how hard it is.

Rules, not a model: fast, offline and predictable. A model-based analyzer can replace `analyze` later.
"""

import contextlib
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal, Protocol

from concierge.state.records import Entities, QueryAnalysis, QueryType, SourceName
from concierge.tools.analysis.text import keywords, stems

_WANTS_HUMAN = re.compile(
    r"\b(speak|talk|chat|connect|transfer|put me through|get me|want|need)\b.{0,30}?"
    r"\b(human|real person|person|someone|somebody|agent|representative|staff|manager|operator)\b"
    r"|^\s*(human|agent|operator|representative)\W*$",
    re.I,
)
_TYPES: list[tuple[QueryType, re.Pattern[str]]] = [
    (
        "appointment",
        re.compile(
            r"\b(appointments?|slots?|reserve|reservation|booking|schedule|availability|sign (me )?up|"
            r"free (times?|places?|seats?)|when can i|book (a|an|me|my|in|for|onto|on)\b)",
            re.I,
        ),
    ),
    (
        "policy",
        re.compile(
            r"\b(return|refund|exchange|ship|shipping|deliver|delivery|warranty|polic(y|ies)|privacy|"
            r"loyalty|points?|gift cards?|damaged|faulty|cancel|opening hours?|open|close)\w*",
            re.I,
        ),
    ),
    (
        "product",
        re.compile(
            r"\b(price|prices|cost|costs|how much|in stock|stock|buy|sell|do you (have|carry|stock)|available|order|"
            r"cheap|cheapest|expensive|brands?|products?|items?|models?)\b",
            re.I,
        ),
    ),
    ("service", re.compile(r"\b(services?|events?|sessions?|classes|courses?|treatments?)\b", re.I)),
]


class TenantWords(Protocol):
    """The tenant's own vocabulary (see `catalog_vocabulary.Vocabulary`): which of its things a text speaks of."""

    def kind_of(self, text: str) -> Literal["product", "service"] | None: ...


_SOURCES: dict[QueryType, list[SourceName]] = {
    "product": ["catalog", "documents", "web"],
    "service": ["catalog", "documents"],
    "appointment": ["catalog", "documents"],
    "policy": ["documents"],
    "general": ["documents", "catalog"],
}
_INTENTS: dict[QueryType, str] = {
    "product": "ask_about_product",
    "service": "ask_about_service",
    "appointment": "find_appointment",
    "policy": "ask_about_policy",
    "general": "ask_question",
}
_MODEL_NUMBER = re.compile(
    r"\b(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9]{1,6}(?:-[A-Za-z0-9]{1,6})+\b|\b[A-Z]{2,}\d+[A-Z0-9]*\b"
)
_TITLE_PHRASE = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][\w']+(?:\s+(?:&\s+)?[A-Z][\w']+)+)")
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_REASONING = re.compile(
    r"\b(why|compare|comparison|difference|better|best|recommend|versus|vs|should i|explain|which one)\b", re.I
)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


_REQUEST = re.compile(
    r"\b(can|could|would|will) you\b|\bplease\b|\bi (want|need) you to\b|"
    r"^\s*(cancel|refund|book|change|apply|give|look up|issue|check)\b",
    re.I,
)


def forbidden_request(question: str, cannot_do: Sequence[str], can_do: Sequence[str]) -> str | None:
    """The `agent_cannot_do` entry a question runs into, if any.

    Terms the agent may talk about (from `agent_can_do`) do not count. A direct request ("can you refund my
    order?") needs one remaining term in common with the entry; a question ("is it safe with skin
    allergies?") needs two.
    """
    allowed = set().union(*(stems(c) for c in can_do))
    asked = stems(question) - allowed
    needed = 1 if _REQUEST.search(question) else 2
    return next((entry for entry in cannot_do if len(asked & (stems(entry) - allowed)) >= needed), None)


def wants_human(text: str) -> bool:
    return bool(_WANTS_HUMAN.search(text))


def query_type(text: str, words: TenantWords | None = None) -> QueryType:
    """The question's type from general rules first (appointments, policies), then from the tenant's own words:
    a question using its service names is about a service, one using its product names, brands or categories
    is about a product."""
    for qtype, pattern in _TYPES[:2]:
        if pattern.search(text):
            return qtype
    kind = words.kind_of(text) if words is not None else None
    if kind == "service":
        return "service"
    if kind == "product" or _TYPES[2][1].search(text):
        return "product"
    return "service" if _TYPES[3][1].search(text) else "general"


def dates_in(text: str, today: date) -> list[str]:
    """Days the question names, as ISO dates, read relative to `today` in the tenant's time zone."""
    low = text.lower()
    days: list[date] = []
    if "day after tomorrow" in low:
        days.append(today + timedelta(days=2))
    elif "tomorrow" in low:
        days.append(today + timedelta(days=1))
    if re.search(r"\btoday|tonight\b", low):
        days.append(today)
    if "weekend" in low:
        sat = today + timedelta(days=(5 - today.weekday()) % 7 + (7 if "next weekend" in low else 0))
        days += [sat, sat + timedelta(days=1)]
    for m in re.finditer(r"\b(next |this )?(" + "|".join(_WEEKDAYS) + r")\b", low):
        ahead = (_WEEKDAYS.index(m.group(2)) - today.weekday()) % 7
        if ahead == 0 and m.group(1) == "next ":
            ahead = 7  # "next Saturday" said on a Saturday is a week away
        days.append(today + timedelta(days=ahead))
    for iso in _ISO_DATE.findall(text):
        with contextlib.suppress(ValueError):
            days.append(date.fromisoformat(iso))
    for m in re.finditer(r"\bin (\d{1,2}|a|one|two|three|four|five|six|seven) days?\b", low):
        n = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}.get(m.group(1))
        days.append(today + timedelta(days=n if n is not None else int(m.group(1))))
    if re.search(r"\b(this|next) week\b", low):
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7 if "next week" in low else 0)
        days += [d for d in (monday + timedelta(days=i) for i in range(7)) if d >= today]
    days += _month_days(low, today)
    return sorted({d.isoformat() for d in days})


_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])"
)
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"


def _month_days(low: str, today: date) -> list[date]:
    """The next day on or after today named like "5 December", "December 5th" or "the 5th of Dec"."""
    found = []
    pairs = [(m.group(1), m.group(2)) for m in re.finditer(rf"\b{_DAY}(?: of)? {_MONTH}", low)]
    pairs += [(m.group(2), m.group(1)) for m in re.finditer(rf"\b{_MONTH} (?:the )?{_DAY}\b", low)]
    for day, month in pairs:
        for year in (today.year, today.year + 1):
            with contextlib.suppress(ValueError):
                d = date(year, _MONTHS.index(month[:3]) + 1, int(day))
                if d >= today:
                    found.append(d)
                    break
    return found


CalendarDay = tuple[int | None, int]
"""(month 1-12, or None when only the day is said: "the 28th"; day of the month)."""


def calendar_days(text: str) -> tuple[set[CalendarDay], str]:
    """Days of the month a text names ("13th of February", "Jan 21", "Thu 28 January 2027", "the 28th"), with no
    year needed, and the text with them cut out: a question's date is matched as a date, not as the words "13th"
    and "february" (nor "21" against "21:30")."""
    low = text.lower()
    found: set[CalendarDay] = set()

    def take(day: str, month: str | None) -> str:
        if 1 <= int(day) <= 31:
            found.add((_MONTHS.index(month[:3]) + 1 if month else None, int(day)))
        return " "

    low = re.sub(rf"\b{_DAY}(?: of)? {_MONTH}", lambda m: take(m.group(1), m.group(2)), low)
    low = re.sub(rf"\b{_MONTH} (?:the )?{_DAY}\b(?!:)", lambda m: take(m.group(2), m.group(1)), low)
    low = re.sub(r"\bthe (\d{1,2})(?:st|nd|rd|th)\b", lambda m: take(m.group(1), None), low)
    return found, low


_DAY_NAME = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?s?\.?"
_DAY_SPAN = re.compile(rf"\b({_DAY_NAME})\s*(?:-|–|—|to|through|thru|till|until)\s*({_DAY_NAME})(?!\w)", re.I)
_FULL_DAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b", re.I)


def _weekday(word: str) -> int:
    return next(i for i, d in enumerate(_WEEKDAYS) if word.lower().startswith(d[:3]))


def weekdays_in(text: str) -> set[str]:
    """The days of the week a text names, spans spelt out: "Tuesday to Friday 8:00-16:00" names Friday, "Mon–Sat"
    Wednesday, "weekends" Saturday and Sunday. A short name counts only in a span ("Sun" is also the sun)."""
    found = {m.group(1).lower() for m in _FULL_DAY.finditer(text)}
    for m in _DAY_SPAN.finditer(text):
        first, last = _weekday(m.group(1)), _weekday(m.group(2))
        found |= {_WEEKDAYS[(first + i) % 7] for i in range((last - first) % 7 + 1)}
    if re.search(r"\bweekends?\b", text, re.I):
        found |= {"saturday", "sunday"}
    if re.search(r"\bweekdays\b", text, re.I):
        found |= set(_WEEKDAYS[:5])
    return found


def same_day(asked: set[CalendarDay], named: set[CalendarDay]) -> bool:
    """Whether a day named is one asked; a day said without its month ("the 28th") is the 28th of any month."""
    return any(d == e and (m is None or n is None or m == n) for m, d in asked for n, e in named)


def entities(text: str, today: date) -> Entities:
    return Entities(
        products=[p for p in _TITLE_PHRASE.findall(text)],
        model_numbers=sorted({m.upper() for m in _MODEL_NUMBER.findall(text) if not _ISO_DATE.match(m)}),
        dates=dates_in(text, today),
    )


def complexity_features(text: str, found: Entities, depth: int) -> dict[str, float]:
    """Documented signals of a hard question, each in [0, 1]."""
    n_entities = len(found["products"]) + len(found["model_numbers"]) + len(found["dates"])
    return {
        "length": min(len(text.split()) / 60, 1.0),
        "questions": min(max(text.count("?") - 1, 0) / 2, 1.0),
        "reasoning": 1.0 if _REASONING.search(text) else 0.0,
        "entities": min(n_entities / 4, 1.0),
        "depth": min(depth / 10, 1.0),
    }


COMPLEXITY_WEIGHTS = {"length": 0.3, "questions": 0.2, "reasoning": 0.3, "entities": 0.1, "depth": 0.1}


def complexity(features: dict[str, float]) -> float:
    return round(sum(COMPLEXITY_WEIGHTS[k] * v for k, v in features.items()), 3)


def analyze(
    question: str,
    *,
    today: date,
    depth: int,
    available: list[SourceName],
    cannot_do: Sequence[str] = (),
    can_do: Sequence[str] = (),
    words: TenantWords | None = None,
) -> QueryAnalysis:
    found = entities(question, today)
    qtype = query_type(question, words)
    human = wants_human(question)
    forbidden = forbidden_request(question, cannot_do, can_do)
    return QueryAnalysis(
        question=question,
        intent="request_human" if human else _INTENTS[qtype],
        query_type=qtype,
        entities=found,
        keywords=keywords(question),
        sources=[] if human or forbidden else [s for s in _SOURCES[qtype] if s in available],
        complexity=complexity(complexity_features(question, found, depth)),
        wants_human=human,
        out_of_scope=forbidden,
    )
