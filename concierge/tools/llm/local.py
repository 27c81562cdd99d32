"""The built-in local answerer: an extractive chat model that needs no network.

It reads the numbered sources of the system prompt (see `prompts.parse_context`), picks the sentences that
best cover the customer's question, and cites each one. When no sentence covers enough of the question it
says it does not know. Being a LangChain chat model, it streams through LangGraph's `messages` mode exactly
like a remote provider.
"""

import asyncio
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from rapidfuzz import fuzz, process

from concierge.tools.analysis.money import ANY_AMOUNT, to_decimal
from concierge.tools.analysis.query import calendar_days, same_day, weekdays_in
from concierge.tools.analysis.text import STOPWORDS, everyday_stems, fold, keywords, stem, stems, superlative_base
from concierge.tools.analysis.units import (
    ATTRIBUTES,
    BY_NAME,
    CLOCK_RANGE,
    CLOCK_TERM,
    CLOCK_TIME,
    ITEM_ROW,
    MATERIALS,
    PER_CHARGE,
    UNIT_STEMS,
    UNITS,
    Attribute,
    Quantity,
    asked_attributes,
    bounds,
    convert_phrase,
    key_value,
    marked_lines,
    number_in,
    phrase_words,
    quantities,
    units_named,
)
from concierge.tools.catalog.variants import asked_size_keys
from concierge.tools.llm.prompts import ABOUT, UNKNOWN_ITEM, Header, SourceBlock, parse_context, parse_header
from concierge.tools.tokens import count_tokens

log = logging.getLogger(__name__)
Embed = Callable[[list[str]], np.ndarray]
"""Texts -> L2-normalised vectors, one row each."""
CLARIFY = "Which product do you mean? Tell me its name and I'll look it up."
DECLINE = (
    "I'm sorry, I don't have that information in our documents or catalog, so I can't answer it "
    "reliably. A member of our staff can help if you'd like."
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+|\s+·\s+")  # "42 cm width · 7.4 kg weight": a list of figures
# Everyday question words that stand for a fact a shop's sources state with another word.
_SENSES = {
    "solo": ("alon", "own", "singl"),
    "mark": ("dent", "scratch", "stain", "damag"),
}
"""Everyday words and the words sources say them in: unlike `_SYNONYMS`, the word is missing when none is there."""
_SYNONYMS = {
    "much": ("price", "cost"),
    "cost": ("price",),
    "price": ("cost",),
    "expens": ("price", "cost"),
    "cheap": ("price", "cost"),
    "avail": ("stock", "free"),
    "left": ("stock", "free"),
    "slot": ("free",),
    "copi": ("stock",),
    "shelf": ("stock",),
    "room": ("free", "place"),
    "space": ("free", "place"),
    "seat": ("free", "place"),
    "place": ("free",),
    "spot": ("free", "place", "seat", "space"),
    # Asking for advice: the sources say what is "recommended", "a good way", "ideal" or "best" for it.
    "suggest": ("recommend", "good", "ideal", "best"),
    "recommend": ("suggest", "good", "ideal", "best"),
    "advis": ("recommend", "good", "ideal", "best"),
    "address": ("street",),
    "money": ("refund",),
    "back": ("refund",),
    "locat": ("street",),
    "open": ("hour",),
    "close": ("hour", "open"),
    "refund": ("return",),
    "sell": ("stock", "carri", "cost"),
    "window": ("day", "within", "period"),
    "warranti": ("guarante", "repair"),
    "guarante": ("warranti", "repair"),
    "wrote": ("author", "writer"),
    "write": ("author", "writer"),
    "written": ("author", "writer"),
    "maker": ("brand", "manufactur"),
    "select": ("sell",),
    "rang": ("sell",),
    "option": ("sell",),
    "choic": ("sell",),
    "carri": ("have", "sell", "stock"),
    "offer": ("have", "sell"),
    **_SENSES,
    "deliveri": ("ship",),
    "charg": ("cost", "fee", "free"),
    # How-adjectives and the spec words for their measure: "how deep" is a depth, "how strong" a power.
    "deep": ("depth",),
    "wide": ("width",),
    "high": ("height",),
    "tall": ("height",),
    "strong": ("strength", "power"),
    "fast": ("speed",),
    "far": ("rang", "distanc"),
    "hot": ("temperatur", "heat"),
    "temp": ("temperatur",),  # "what temp should the water be?"
    "loud": ("nois", "sound"),
    "quiet": ("nois", "sound"),
    "heavi": ("weight",),
    "soon": ("hour", "day", "week", "minut", "wait", "after"),
    "fee": ("cost", "charg"),
    "store": ("stock", "shop"),  # "in stock at the Frisco store?": the stock line names its locations
    "branch": ("stock", "shop"),
    "special": ("sale",),  # "are they on special?": "on sale, regular price ..."
    "discount": ("sale", "off"),  # "a student discount": "15% off cuts"
    "lose": ("refund", "forfeit"),  # "do I lose the deposit?": "the deposit isn't refunded"
    "lost": ("refund", "forfeit"),
    "ship": ("deliveri",),
    "postag": ("deliveri", "ship", "post"),
    "post": ("deliveri", "ship"),
    "spend": ("order", "price", "cost"),
    "spent": ("order", "price", "cost"),
    # Everyday verbs for what manuals say in their own words.
    "swap": ("chang", "replac"),
    "replac": ("chang",),
    "fix": ("repair", "mend"),  # "what do you charge to fix a hinge?": "Hinge or screw repair: $35"
    "mend": ("repair", "fix"),
    # Everyday words for damage: "my glasses snapped" is answered by what the shop does with "broken" frames.
    "snap": ("broken", "break", "broke"),
    "crack": ("broken", "break", "broke"),
    "rip": ("torn", "tear"),
    "clean": ("wash", "care"),
    "wash": ("clean", "care"),
    "includ": ("box", "come", "suppli"),
    "box": ("includ", "content", "suppli"),
    "pick": ("collect",),
    "collect": ("pick",),
    "waterproof": ("ip67", "ip68", "ipx7", "ipx8", "ipx4", "water"),
    "swim": ("ip68", "ipx8", "water"),
    # Everyday names of the same part: "how long is the cord" asks the "Cable length".
    "cord": ("cabl", "lead"),
    "lead": ("cabl", "cord"),
    "cabl": ("cord", "lead"),
    "wire": ("cabl", "cord"),
}
_HEADER_WEIGHT = 0.6
_ALSO_GOOD = 0.7
_SPECIFIC = 4
_CONFIDENT = 0.75
_TYPO_SIMILARITY = 80
_MARKUP = re.compile(r"\*\*|__|`|^\s*#+\s*")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    """Sentences of a source, with lines a PDF wrapped mid-sentence joined and bullet marks removed."""
    lines: list[str] = []
    chart_before = False
    wrapping = False  # the line before was prose that ran to the wrap width without ending its sentence
    # Table rows read as spec lines ("| Weight | 3.9 kg |" -> "Weight: 3.9 kg"), leader dots as a colon; a size
    # chart's row is a line of its own ("5'5\" – 5'9\": 170 cm" carries on no row before it).
    for raw, row in marked_lines(text):
        line = _MARKUP.sub("", raw).strip()
        if not line:
            wrapping = False  # a paragraph ends at a blank line
            continue
        chart = row and bool(bounds(line))
        # Markdown written with hard line breaks ('...asks for\n"something playful".') wraps sentences too
        wrapped = wrapping and not row and not raw.lstrip().startswith("#") and not _STARTS_ITEM.match(line)
        if lines and not (chart and chart_before) and (wrapped or _continues(lines[-1], line)):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(_BULLET.sub("", line))
        chart_before = chart
        # a spec or list line ("Available in: ...") ends where its line does, however long
        wrapping = (
            not row and len(raw.rstrip()) >= _WRAP_WIDTH and line[-1] not in ".!?:" and not _STARTS_ITEM.match(line)
        )
    out: list[str] = []
    for line in lines:
        for piece in (p.strip() for p in _SENTENCE.split(line)):
            if not piece:
                continue
            if out and _ABBREVIATION.search(out[-1]) and out[-1] in line:
                out[-1] = f"{out[-1]} {piece}"  # "Approx. 8 lbs" is one sentence
            else:
                out.append(piece)
    return out


_WRAP_WIDTH = 60
"""Characters from which a line that ends mid-sentence was wrapped, not ended."""
_STARTS_ITEM = re.compile(r"^(?:[-*\u2022]|\d+[.)])\s+|^[A-Z][\w ()/&'-]{0,30}:\s")
"""A line that starts a list item or a spec line ("Weight: 3 kg") of its own."""


def bullet_lists(text: str) -> list[list[str]]:
    """A source's bulleted lists, each a run of its items as `sentences` gives them ("- T3 tracker" -> "T3 tracker")."""
    runs: list[list[str]] = []
    previous = False
    for raw in text.splitlines():
        line = _MARKUP.sub("", raw).strip()
        if not line:
            continue
        bullet = bool(_BULLET.match(line))
        if bullet:
            if not previous:
                runs.append([])
            runs[-1].append(_BULLET.sub("", line))
        previous = bullet
    return runs


_ABBREVIATION = re.compile(
    r"\b(?:approx|e\.g|i\.e|vs|no|incl|ca|est|min|max|dept|st|co|inc|ltd|mr|mrs|ms|dr|nr)\.$", re.I
)


def _continues(previous: str, line: str) -> bool:
    """Whether `line` carries on the sentence `previous` started (a PDF wraps lines mid-sentence)."""
    if previous[-1] in ".!?:" or _BULLET.match(line):
        return False
    return line[0].islower() or line[0].isdigit() or previous.endswith((",", " and", " or", " the", " of", " to", " a"))


def _question(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _system(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")


_CLAUSES = re.compile(r"(?<=[.!?])\s+|\s+-\s+|;\s*")


def focus(question: str) -> str:
    """The part of a chatty message that asks: "I need a gift - what's the price of X?" -> "what's the price of X?"."""
    clauses = [c for c in _CLAUSES.split(question) if c.strip()]
    asking = [c for c in clauses if c.rstrip().endswith("?")]
    if asking and len(clauses) > 1 and clauses[-1] not in asking and _ASKS_UNMARKED.match(clauses[-1]):
        asking.append(clauses[-1])  # "is the pika on sale? how much is it" asks both, the last without its mark
    chosen = " ".join(asking) if asking else (clauses or [question])[-1]
    refers = asking and len(clauses) > 1 and _POINTS_BACK.search(chosen) and not asked_attributes(chosen)
    if refers and len(stems(chosen)) <= _FEW_WORDS:
        return question  # "the display shows an error code. can you look at it?": "it" is what came before
    if len(stems(chosen)) >= 2 or (asking and len(clauses) > 1 and asked_attributes(chosen)):
        return chosen  # "is it light enough to carry around - what does it weigh?" asks the weight
    return question


_POINTS_BACK = re.compile(r"\b(?:it|that|this|them|those)\b", re.I)
_ASKS_UNMARKED = re.compile(r"\s*(?:how|what|which|when|where|who|why|whats|what's)\b", re.I)
_FEW_WORDS = 2


@dataclass(frozen=True)
class Scored:
    """A source sentence and how much of the question it covers."""

    coverage: float
    n: int
    sentence: str
    hits: frozenset[str]
    subject: str = ""
    """The catalog item the sentence's source is about, when known."""
    catalog: bool = False
    """From the catalog: its sentences already read as sentences."""
    words: float = 0.0
    """Coverage by words alone, before the attribute floor and bonus."""


_TIERS = re.compile(
    r"\b(?:membership|member|tier|status)\W{0,3}(?:status\W{0,3})?\"?\s*(gold|platinum|silver|bronze|diamond|premium|"
    r"vip|basic|base|standard|elite|none)\b|\b(gold|platinum|silver|bronze|diamond|premium|vip|elite)\s+"
    r"(?:members?|membership|tier|status|customers?)\b",
    re.I,
)
_FACTS = re.compile(r"\(([^()]*)\)\s*$")


@dataclass(frozen=True)
class Reading:
    """What the answerer knows of the question: its words, the items it is about, the customer's tier."""

    text: str
    asked: tuple[str, ...] = ()
    """Names of the catalog items asked about."""
    others: tuple[str, ...] = ()
    """Names of other catalog items the sources mention: never the subject of a stated fact."""
    tier: str | None = None

    @classmethod
    def of(cls, question: str, header: Header | None = None) -> "Reading":
        text = (header.question if header and header.question else None) or question
        facts = _FACTS.search(text)
        tier = None
        if facts:
            m = re.search(r"membership status (\w+)", facts.group(1), re.I)
            tier = m.group(1).casefold() if m else None
            if tier == "none":
                tier = "none"
        if tier is None:
            m = _TIERS.search(text)
            tier = (m.group(1) or m.group(2)).casefold() if m else None
        asked = tuple(header.focus) if header else ()
        others = tuple(n for n in (header.items if header else []) if n not in asked)
        return cls(text, asked, others, tier)

    @property
    def names(self) -> str:
        """Every item name the sources and question use, as one text."""
        return " ".join(self.asked + self.others)

    @property
    def words(self) -> str:
        """The question without the facts appended to it, then the asking part of it (`focus`), then the facts."""
        facts = _FACTS.search(self.text)
        body = _PHRASAL.sub(
            lambda m: _PHRASAL_WORDS[m.group(0).lower()], self.text[: facts.start()] if facts else self.text
        )
        body = _cue_typos(body)
        return f"{focus(body)} {facts.group(1)}" if facts else focus(body)


@lru_cache(maxsize=4096)
def _cue_typos(text: str) -> str:
    """Misspelt words that ask an attribute ("how much do they wiegh?") as spelt right: the attribute asked
    decides what answers (a weight, not a price). Only a word no English word list holds is respelt."""
    from wordfreq import zipf_frequency

    def fixed(m: re.Match[str]) -> str:
        word = m.group(0)
        low = word.lower()
        if len(low) < _SPECIFIC or low in _CUE_WORDS or zipf_frequency(low, "en") > 0:
            return word
        best = process.extractOne(low, _CUE_WORDS, scorer=fuzz.ratio, score_cutoff=_TYPO_SIMILARITY)
        return best[0] if best and best[0][0] == low[0] else word

    return re.sub(r"[^\W\d_]+", fixed, text)


_CUE_WORDS = frozenset(w for a in ATTRIBUTES for w in a.words if w.isalpha())
_PHRASAL_WORDS = {
    "hold up": "last",
    "holds up": "lasts",
    "keep going": "last",
    "keeps going": "lasts",
    # "how much do you take up front?" asks the deposit ("is the port up front?" asks no payment)
    "take up front": "deposit",
    "pay up front": "pay a deposit",
    "paid up front": "paid a deposit",
    "charge up front": "deposit",
    "upfront": "deposit",
    # "what if I can't make it?" asks about cancelling
    "can't make it": "have to cancel",
    "cant make it": "have to cancel",
    "can't make the appointment": "have to cancel the appointment",
    "cant make the appointment": "have to cancel the appointment",
    "can't come": "have to cancel",
    "cant come": "have to cancel",
    # "bought it last week" says when, it asks nothing about what lasts
    "last week": "week",
    "last month": "month",
    "last year": "year",
    "last night": "night",
    "last time": "before",
}
_PHRASAL = re.compile(r"\b(?:" + "|".join(_PHRASAL_WORDS) + r")\b", re.I)
"""Phrasal verbs as the one word sources use: "how long will it hold up?" asks how long it lasts."""


def _mentions(sentence: str, name: str, others: tuple[str, ...] | list[str] = ()) -> bool:
    return _mention(sentence, name, tuple(others)) == "name"


@lru_cache(maxsize=16_384)
def _mention(sentence: str, name: str, others: tuple[str, ...] = ()) -> str | None:
    """Whether a sentence names an item: its whole name, or a word of the name no other item would use
    ("the TrailMaster" for the TrailMaster X4 Tent). Another item's whole name in it is no mention of this one
    ("the Aster 700 Shelf" does not name the Aster Shelf), nor is a sibling model ("Aster 700 Mk I", or a
    bare "Aster" for the Aster 700): the words after the shared one must agree when either is a model mark."""
    low = _folded(sentence)
    full = _folded(name)
    for other in others:
        o = _folded(other)
        if o != full and o in low and o not in full:
            low = low.replace(o, " ")
    if full in low:
        return "name"
    words = _marks(name)
    if not words:
        return None
    shared = _shared(others)
    found = None
    for i, w in words:
        if w not in low:  # a plain substring test first: most sentences hold none of the name's words
            continue
        for m in _word_pattern(w).finditer(low):
            sibling, marked = _sibling(_words(name)[i + 1 :], re.findall(r"[^\W_]+", low[m.end() :])[:4])
            if sibling:
                found = "sibling"
            elif w not in shared or marked:  # a word others share names it only with its model mark
                return "name"
    return found


@lru_cache(maxsize=32_768)
def _folded(text: str) -> str:
    """The text without accents, case-folded: sources repeat their sentences, and names come back every call."""
    return fold(text).casefold()


@lru_cache(maxsize=4096)
def _marks(name: str) -> tuple[tuple[int, str], ...]:
    """The words of a name that name it on their own (long, no number, no everyday noun), with their places;
    none for a name in plain words ("Gift wrapping"), which only its whole name names."""
    if not any(c.isupper() for c in name[1:]):
        return ()
    return tuple((i, w) for i, w in enumerate(_words(name)) if len(w) >= 6 and not w.isdigit() and w not in _COMMON)


@lru_cache(maxsize=4096)
def _word_pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(word)}\b")


@lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    return tuple(fold(x).casefold() for x in re.findall(r"[^\W_]+", name))


@lru_cache(maxsize=4096)
def _shared(others: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(_words(o) for o in others))


def _sibling(name_rest: tuple[str, ...], said_rest: list[str]) -> tuple[bool, bool]:
    """Whether the words after a shared one make another model ("Aster 700" when asked the Aster, a bare
    "Aster" when asked the Aster 700, "Aster 700 Mk I" when asked the Aster 700), and whether they
    agreed on a model mark of the name on the way."""
    marked = False
    for n, s in zip(name_rest, said_rest, strict=False):
        if n != s:
            return bool(_MODEL_MARK.match(s) or _MODEL_MARK.match(n)), marked
        marked = marked or bool(_MODEL_MARK.match(n))
    if len(name_rest) > len(said_rest) and _MODEL_MARK.match(name_rest[len(said_rest)]):
        return True, marked
    return False, marked


def _another_model(text: str, name: str) -> bool:
    """Whether the text names a sibling of the item rather than the item: its name's words in order with a model
    mark put among them ("Quill 300 Mk II Microphone" for the Quill 300 Microphone)."""
    said = _words(text)
    words = _words(name)
    if not words or words[0] not in said:
        return False
    for start in (i for i, w in enumerate(said) if w == words[0]):
        i, j, extra = start, 0, False
        while i < len(said) and j < len(words):
            if said[i] == words[j]:
                j += 1
            elif _MODEL_MARK.match(said[i]) and not _MODEL_MARK.match(words[j]) and j > 0:
                extra = True
            else:
                break
            i += 1
        if j == len(words) and extra:
            return True
    return False


_MODEL_MARK = re.compile(r"^(?:\d\w*|mk|mark|[ivx]{1,4}|pro|plus|lite|max|mini|xl|xr|gen|se)$")
"""A word after a model's name that makes it another model: a number, "Mk", a roman numeral, "Pro"."""


_COMMON = frozenset(
    "camping hiking sleeping outdoor backpack jacket tent stove table chair boots shoes sandals pants daypack "
    "person people".split()
)


def _rivals(reading: Reading, name: str) -> list[str]:
    """The other items in play beside `name`: the sources' and the other asked ones."""
    return [*reading.others, *(a for a in reading.asked if a != name)]


def _about_other(reading: Reading, sentence: str, subject: str) -> bool:
    """A sentence that states a fact of another item than the one asked: it names another and not the asked
    one, or comes from a source about another item and names no asked one."""
    if not reading.asked:
        return False
    row = ITEM_ROW.match(sentence)
    if row:  # a row of a table of several items is about the item its row names, whatever the document
        return not any(_mentions(row.group(1), a, _rivals(reading, a)) for a in reading.asked)
    said = [_mention(sentence, a, tuple(_rivals(reading, a))) for a in reading.asked]
    if "name" in said:
        return False
    if "sibling" in said:
        return True  # "the earlier Aster 700 Mk I managed 58 cm", in the Aster 700's own manual
    # a word two other names share ("espresso") names neither of them
    others = [o for o in reading.others if _mentions(sentence, o, (*reading.asked, *_rivals(reading, o)))]
    if others:
        # A sentence naming several items ("tours, the tasting and classes are refunded") still
        # speaks of the asked one if it uses a word of its name no named other shares.
        said = stems(sentence)
        own = [stems(a) - set().union(*(stems(o) for o in others)) - _NAME_FILLER for a in reading.asked]
        return not any(words & said for words in own)
    return bool(subject) and subject not in reading.asked


_FILLER = frozenset(stems("much many"))
_MADE = frozenset(stems("made make wood"))
_FREE_OF_CHARGE = re.compile(r"\b(?:free of|no extra|at no) charge\b", re.I)
_CHARGE_STEMS = frozenset(stems("charge free"))
_MADE_STEM = next(iter(stems("made")), "made")
_MADE_OF = re.compile(r"\bmade\s+(?:of|from|out|with|in|by|entirely|mostly|using)\b", re.I)
_WHO_MADE = re.compile(
    r"\bwho (?:makes|made|wrote|writes|designed|designs|publishes|published|manufactures|produces|produced)\b|"
    r"\b(?:brand|maker|manufacturer|author|publisher|designer)\b",
    re.I,
)
_BY_MAKER = re.compile(r"\bby [A-Z]")
_PREPOSITIONS = frozenset(stems("under over about within without across along come comes"))
"""Words no source needs to hold for the answer to be there ("is it under warranty?")."""
_HOW_MUCH_OF = re.compile(
    r"\bhow much (?!is\b|are\b|does\b|do\b|did\b|will\b|would\b|was\b|were\b|for\b|it\b|the\b|'s\b|"
    r"to\b|would\b|can\b|should\b|money\b|cost|price|more\b|less\b)[^\W\d_]+",
    re.I,
)
_NAME_ONLY = 0.3
_NAME_FILLER = frozenset(stems("the a of and with set pack edition size model"))


def _other_tier(reading: Reading, sentence: str) -> bool:
    """A sentence about another membership tier than the customer's."""
    if reading.tier is None:
        return False
    m = _TIERS.search(sentence)
    said = (m.group(1) or m.group(2)).casefold() if m else None
    return said is not None and said != reading.tier


_AVAILABLE_IN = re.compile(r"^Available in: (.+)$", re.M)


def _version_word(value: str) -> str:
    """ "XL / 58 cm" -> "XL", "625 Wh at ..." -> "625": what a sentence names a version by."""
    return re.split(r"\s*[/(]|\s", value.strip())[0]


def _names_version(sentence: str, word: str) -> bool:
    if len(word) <= 3 and word.isalpha():  # "M", "XL": a size, said as one ("size M", "in XL", "M (54)", "XL:")
        return bool(re.search(rf"(?:\b(?:size|in)\s+{word}\b|^{word}:|\b{word}(?=\s*[(/]))", sentence))
    after = r"(?![\d.,]\d|\d)" if word.isdigit() else r"(?![\w])"  # "625Wh" names the "625 Wh"
    before = r"(?<![\w.,])" if word.isdigit() else r"(?<![\w.,-])"  # "non-polarised" names no "Polarised"
    return bool(re.search(rf"{before}{re.escape(word)}{after}", sentence, re.I))


def _versions_said(reading: Reading, blocks: list[SourceBlock]) -> tuple[set[str], set[str]]:
    """The versions of the asked item the question names and the ones it does not, by the words sentences name them
    by ("XL" of "XL / 58 cm"), from its catalog entry's "Available in:" line; both empty when it names none."""
    if len(reading.asked) != 1:
        return set(), set()
    entry = next((b for b in blocks if b.label == f"{_CATALOG}{reading.asked[0]}"), None)
    m = _AVAILABLE_IN.search(entry.text) if entry is not None else None
    if m is None:
        return set(), set()
    words = {_version_word(v.split(" at ")[0]) for v in m.group(1).split("; ")} - {""}
    sized = asked_size_keys(reading.words, set(re.findall(r"[^\W\d_]+", reading.asked[0].casefold())))
    said = {w for w in words if _names_version(reading.words, w) or w.casefold() in sized}  # "the large one": L
    return (said, words - said) if said else (set(), set())


def _other_version(sentence: str, versions: tuple[set[str], set[str]]) -> bool:
    """A sentence about another version than the one asked ("how heavy is it in XL?": "in size M it weighs 9.6
    kg"), naming none of those asked."""
    said, others = versions
    return (
        bool(said)
        and not any(_names_version(sentence, w) for w in said)
        and any(_names_version(sentence, w) for w in others)
    )


def _with_roots(terms: set[str]) -> set[str]:
    """A sentence's stems plus the verbs of its "-able" words: "Machine washable" answers "can it go in the washing
    machine?" ("washabl" -> "wash"), "adjustable" an "adjust"."""
    return terms | {t[:-3] for t in terms if t.endswith(("abl", "ibl")) and len(t) >= 7}


def _subject(label: str) -> str:
    if label.startswith(_CATALOG):
        return label[len(_CATALOG) :].strip()
    return label.split(ABOUT, 1)[1].strip() if ABOUT in label else ""


_CATALOG = "Our catalog: "
_SHORT_VALUE = 8
_COSTS = re.compile(r"\bcosts (\d+(?:\.\d+)?)")
_COSTS_IN = re.compile(r"\bcosts \d+(?:\.\d+)?(?: [A-Z]{3})?")


def _stated_prices(sentence: str) -> set:
    """The amounts of money a sentence states, whatever the currency mark."""
    out = set()
    for m in ANY_AMOUNT.finditer(sentence):
        number = next((g for g in m.groups() if g), None)
        if number is not None:
            out.add(to_decimal(number))
    return out


# How a sentence states the attribute asked: (floor it reaches at least, bonus over its word coverage).
_SPEC_STRONG = (0.8, 0.3)
"""A spec line whose key names the attribute and whose value is in its units ("Weight: 3.5 lbs")."""
_SPEC_PLAIN = (0.8, 0.3)
"""A spec line of an attribute without units ("Fuel Type: Propane")."""
_SPEC_NO_UNIT = (0.5, 0.05)
"""A spec line of a measured attribute whose value has no unit ("Temperature Rating: 3.5/5")."""
_QUANTITY_PROSE = (0.6, 0.2)
"""A sentence holding the attribute's word and a figure in its units ("rated for 20F to 60F")."""
_QUANTITY_ONLY = (0.5, 0.1)
"""Prose about the item asked whose one figure is in the attribute's units, without the attribute's word."""
_UNANCHORED = 0.25


_ONLY_MEASURE = {
    d: next(a for a in ATTRIBUTES if a.dimension == d)
    for d in {a.dimension for a in ATTRIBUTES if a.dimension}
    if sum(a.dimension == d for a in ATTRIBUTES) == 1
}
"""Dimensions only one attribute is measured in (light: brightness, loudness: noise): their unit names it."""


def _heads_another(key: str, attr: Attribute) -> bool:
    """Whether a spec key's last word names another attribute than `attr`, its own word only qualifying it:
    "Weight capacity" and "Light colour" (not "Temperature rating", whose "rating" no attribute claims)."""
    words = re.sub(r"\([^)]*\)", " ", key).split()
    head = stems(words[-1]) if words else set()
    return not head & attr.keys and any(
        head & other.keys for other in ATTRIBUTES if other is not attr and other.name not in _ANY_THINGS
    )


def _rival_line(sentence: str, measured: list[Attribute], asked: set[str]) -> bool:
    """A spec line whose key names another attribute of the measure asked than the ones asked."""
    if not measured:
        return False
    kv = key_value(sentence)
    return kv is not None and any(_rival_key(kv[0], a, asked) for a in measured)


def _rival_key(key: str, attr: Attribute, asked: set[str]) -> bool:
    """Whether a spec key names another attribute of the same measure than the ones asked: "Recharge time" is a
    time, but a charging time, no answer to how long the battery lasts ("Playback time" none to how long it
    takes to charge)."""
    said = stems(key)
    head = stems(re.sub(r"\([^)]*\)", " ", key).split()[-1]) if key.split() else set()
    if head & attr.keys and attr.name not in _ANY_THINGS:
        return False  # "User weight limit" is a limit, the load's, whatever weight qualifies it
    return any(
        said & other.keys and (attr.name in _ANY_THINGS or said & other.keys - attr.keys)
        for other in ATTRIBUTES
        if other.dimension == attr.dimension and other.name not in asked and other.name not in _ANY_THINGS
    )


_SIDES = {"wide": "width", "tall": "height", "high": "height", "deep": "depth", "thick": "thick", "long": "length"}
_SIDE_STEMS = {side: stems(f"{word} {side}") for word, side in _SIDES.items()}


def _other_side(sentence: str, question: str) -> bool:
    """A spec line measuring another side than the one asked: "how wide is it?" is not answered by "Lengths: 172,
    180 and 188 cm" (nor "how tall" by a width)."""
    m = re.search(r"\bhow (wide|tall|high|deep|thick)\b", question, re.I)
    kv = key_value(sentence) if m else None
    if m is None or kv is None:
        return False
    key = stems(kv[0])
    asked = _SIDE_STEMS[_SIDES[m.group(1).lower()]]
    return not key & asked and any(key & other for side, other in _SIDE_STEMS.items() if other != asked)


_ANY_THINGS = frozenset({"duration", "dimensions"})
"""Measures of anything: "Warranty Duration" is still the warranty's, "Blade size" the blade's."""


_PLACE = re.compile(
    r"\b(?:comes? from|grown (?:in|on|at|by)|made in|produced in|sourced from|roasted in|from)\b[^.]{0,40}?"
    r"\b(?:in|of|from)?\s?[A-Z][a-z]+",
)
"""A place a sentence says something comes from: "grown in Huila", "comes from a family garden in Yame"."""


def _is_heading(line: str, following: str) -> bool:
    """A line that titles the spec lines below it ("Brewing guide" over "Water: 100 °C"): a few words, no figure,
    no sentence mark, and a "Key: value" line next. Never an answer itself."""
    words = line.split()
    return (
        0 < len(words) <= 4
        and not any(c.isdigit() for c in line)
        and line.rstrip()[-1:] not in ".!?:;,"
        and key_value(line) is None
        and key_value(following) is not None
    )


_NOT_QUALIFIED = "of and or to in on at for with it is so but when each per empty total".split()
_OF_SOMETHING = re.compile(
    r"\s+(?:of\s+(?!the\b|it\b|its\b)[^\W\d_]|(?!(?:" + "|".join(_NOT_QUALIFIED) + r")\b)[a-z]{3,})"
)
"""What follows a figure that measures something else: "20 g of beans", "a 60 g tin"."""


def _own_figures(sentence: str) -> list[Quantity]:
    """The figures a sentence states of its item: "holds up to 20 g of beans" measures the beans and "the 60 g tin"
    the tin, not the item."""
    out = []
    for q in quantities(sentence):
        at = sentence.find(q.text)
        if at < 0 or not _OF_SOMETHING.match(sentence, at + len(q.text)):
            out.append(q)
    return out


_MEASURED_AS = re.compile(r"\b[LWHD]\s*[×x]\s*[LWHD]\b")
_DIMENSIONS_KEY = frozenset(stems("dimensions"))


def _key_stems(key: str) -> set[str]:
    """A spec key's stems; "Overall (L × W)" names the dimensions by its letters."""
    return stems(key) | (_DIMENSIONS_KEY if _MEASURED_AS.search(key) else set())


def _attribute_score(
    sentence: str, attributes: list[Attribute], subject_ok: bool, catalog: bool = False, bare: bool = True
) -> tuple[float, float]:
    """(floor, bonus) for how surely a sentence states the attribute asked: spec lines first, figures in the right
    unit next; (0, 0) for a sentence about another item or when no attribute is asked."""
    if not attributes or not subject_ok:
        return 0.0, 0.0
    kv = key_value(sentence)
    best = (0.0, 0.0)
    asked = {a.name for a in attributes}
    for attr in attributes:
        if attr.name == "duration" and not catalog and kv is None:
            if "time" in {q.dimension for q in quantities(sentence)} and stems(sentence) & (attr.keys | attr.cues):
                best = max(best, _QUANTITY_PROSE)  # "Expect it to last 8 to 10 weeks"
            continue
        if attr.name in ("price", "stock", "duration"):
            continue  # the catalog's own sentences state these
        if attr.name == "hours":
            if CLOCK_RANGE.search(kv[1] if kv is not None else "") or (
                CLOCK_RANGE.search(sentence) and weekdays_in(sentence)
            ):
                best = max(best, _SPEC_STRONG)  # "Saturday: 9 am to 5 pm", "Tuesday to Friday 8:00-16:00"
            elif _states_hours(sentence):
                best = max(best, _QUANTITY_PROSE)  # "we close at 6pm"
            continue
        if attr.name == "charging" and PER_CHARGE.search(sentence):
            continue  # "10 hours per charge" is how long it runs
        if kv is not None and _key_stems(kv[0]) & attr.keys:
            if _rival_key(kv[0], attr, asked):
                continue  # "Recharge time: 4 h" does not say how long the battery lasts
            if _heads_another(kv[0], attr):
                score = _SPEC_NO_UNIT  # "Weight capacity: 80 kg" is a capacity, though it says "weight"
            elif attr.dimension is None:
                score = _SPEC_PLAIN
            elif attr.dimension in {q.dimension for q in quantities(kv[1])}:
                score = _SPEC_STRONG
            else:
                score = _SPEC_NO_UNIT
        elif (
            attr.dimension
            and attr.dimension in {q.dimension for q in quantities(sentence)}
            and stems(sentence) & (attr.keys | attr.cues)
        ):
            score = _QUANTITY_PROSE
        elif _ONLY_MEASURE.get(attr.dimension or "") is attr and attr.dimension in {
            q.dimension for q in quantities(kv[1] if kv is not None else sentence)
        }:
            score = _QUANTITY_PROSE  # "Flux: 900 lm", "850 stitches per minute": the unit names the measure
        elif (
            not catalog
            and bare
            and kv is None
            and attr.dimension
            and [q.dimension for q in _own_figures(sentence)].count(attr.dimension) == 1
        ):
            score = _QUANTITY_ONLY  # "At just 6.9 kg, it is easy to carry": the one figure of that kind
        elif attr.name == "origin" and not catalog and _PLACE.search(sentence):
            score = _QUANTITY_PROSE  # "comes from a family garden in Yame": where it is from, without "origin"
        elif attr.name == "material" and not catalog and stems(sentence) & MATERIALS:
            score = _QUANTITY_PROSE  # "made by hand from 100% New Zealand wool": the material, not the making
        else:
            continue
        best = max(best, score)
    return best


_OPEN_WORDS = re.compile(r"\b(?:open|opens|opening|close|closes|closing|closed|until|till)\b", re.I)


def _states_hours(sentence: str) -> bool:
    """A line giving hours: a span of times ("10:00 to 18:00") or a time with a day or an opening word ("Sunday
    10am", "we close at 6pm"); "orders placed by 10:00" is a deadline, not an opening hour."""
    return bool(CLOCK_RANGE.search(sentence)) or bool(
        CLOCK_TIME.search(sentence) and (weekdays_in(sentence) or _OPEN_WORDS.search(sentence))
    )


def _keyed_measure(sentence: str) -> bool:
    """A spec line keyed by a measure ("Duration: 2.5 hours, starting at 10:00"): its time of day is no opening hour."""
    kv = key_value(sentence)
    return kv is not None and any(stems(kv[0]) & a.keys for a in ATTRIBUTES if a.name != "hours")


def _keyed_other(sentence: str, attributes: list[Attribute]) -> bool:
    """A spec line whose key names another attribute than the ones asked: "Water resistance: IP68 (1.5 m for 30
    minutes)" states how waterproof, not how long anything lasts, whatever figure its value holds."""
    kv = key_value(sentence)
    if kv is None:
        return False
    key = stems(kv[0])
    if any(key & a.keys for a in attributes):
        return False
    asked = {a.name for a in attributes}
    return any(key & a.keys for a in ATTRIBUTES if a.name not in asked and a.name not in _ANY_THINGS)


_HOW_MANY = re.compile(r"\bhow many [^\W\d_]+", re.I)


def _keyed_figure(sentence: str, counted: set[str]) -> bool:
    """A spec line whose key names the thing a question counts and whose value gives a figure: "Oxygen
    transmissibility (Dk/t): 138 at -3.00" for "how much oxygen"."""
    kv = key_value(sentence)
    return kv is not None and bool(counted & stems(kv[0])) and bool(re.search(r"\d", kv[1]))


def _key_asked(sentence: str, asked: set[str], dims: set[str]) -> tuple[float, float] | None:
    """A spec line whose key the question says and whose value measures what it asks: "how long does the battery
    last?" of "Battery: 1,100 mAh, up to 10 days". Below a line whose key names the attribute itself."""
    kv = key_value(sentence)
    if kv is None or not (key := stems(kv[0])) or not key <= asked:
        return None
    return _QUANTITY_PROSE if any(x.dimension in dims for x in quantities(kv[1])) else None


def _semantic(question: str, candidates: list[str], embed: Embed | None) -> list[float]:
    """Cosine similarity of each candidate to the question by meaning (MiniLM), 0 without a model."""
    if embed is None or not candidates:
        return [0.0] * len(candidates)
    try:
        vectors = embed([question, *candidates])
    except Exception:  # the model is an aid, never a reason to fail an answer
        return [0.0] * len(candidates)
    return [float(x) for x in vectors[1:] @ vectors[0]]


def weigh(
    question: str | Reading, blocks: list[SourceBlock], embed: Embed | None = None
) -> tuple[list[Scored], set[str]]:
    """Every sentence of the sources by coverage of the question, best first; and the question's words
    that no source mentions at all. Sentences about another item than the one asked, or another membership
    tier than the customer's, are left out."""
    reading = question if isinstance(question, Reading) else Reading(question)
    q = stems(reading.words)
    asked_days, undated = calendar_days(reading.words)
    if asked_days:
        q = stems(undated) | {_DATE}  # "places left on the 13th of February?" is matched by the date it names
    attributes = asked_attributes(reading.words, reading.names)
    # A question in the sources (an FAQ's own heading) is never an answer.
    units = []
    # The catalog is always more current than a document: for a price, documents' own figures are left out.
    catalog_prices = {
        to_decimal(m.group(1)) for b in blocks if b.label.startswith(_CATALOG) for m in _COSTS.finditer(b.text)
    }
    stale_prices = any(a.name == "price" for a in attributes) and bool(catalog_prices)
    # A price the question names beside the item's ("the deposit", "the travel fee") is none the catalog states.
    other_price = q - set().union(*(stems(a) for a in reading.asked)) - BY_NAME["price"].cues - _FILLER
    versions = _versions_said(reading, blocks)
    for b in blocks:
        subject = _subject(b.label)
        said = sentences(b.text)
        listed = {line for run in bullet_lists(b.text) for line in run}
        heading: set[str] = set()
        faq: set[str] = set()  # an FAQ's question, in the words of the answer below it
        for i, s in enumerate(said):
            if s not in listed and _is_heading(s, said[i + 1] if i + 1 < len(said) else ""):
                heading = stems(s)  # "Brewing guide" over "Steep: 3-5 minutes": the lines below are about it
                faq = set()
                continue
            if heading and key_value(s) is None:
                heading = set()
            if s.endswith("?"):
                faq = stems(s)  # "Can I play it on my own?" over "Yes. The automa deck plays against you."
                continue
            if len(s.split()) < 2:
                continue
            if (
                stale_prices
                and not b.label.startswith(_CATALOG)
                and (subject or reading.asked)
                and _stated_prices(s) - catalog_prices
                and not stems(s) & other_price
            ):
                continue  # a page's price of a catalog item; a policy's price of a service the catalog lacks stays
            if _about_other(reading, s, subject) or _other_tier(reading, s) or _other_version(s, versions):
                continue
            catalog = b.label.startswith(_CATALOG)
            terms = _with_roots(stems(s))
            if asked_days and same_day(asked_days, calendar_days(s)[0]):
                terms.add(_DATE)
            terms |= stems(" ".join(weekdays_in(s)))  # "Tuesday to Friday 8:00-16:00" answers "on Friday?"
            if _states_hours(s):
                terms.add(CLOCK_TERM)
            units.append((b.n, s, terms, stems(b.label) | heading | faq, subject, catalog, heading))
    if not units or not (q or (reading.asked and attributes)):
        return [], set()
    if attributes and attributes[0].name == "dimensions" and _HOW_LONG_IS.search(reading.words):
        # "how long is a bridal trial?": a time where the sources measure times and no lengths, or where the
        # asked item's catalog entry states a time (a service's: "takes 90 minutes")
        measures = {x.dimension for u in units for x in quantities(u[1])}
        timed = any(u[5] and u[4] in reading.asked and _times(u[1]) for u in units)
        if "time" in measures and ("length" not in measures or timed) and not units_named(reading.words):
            attributes = [BY_NAME["duration"], *attributes[1:]]
    vocabulary = set().union(*(u[2] | u[3] for u in units))
    # A word with everyday synonyms or an attribute meaning ("sell", "weigh") is no typo of a source's word.
    phrases = phrase_words(reading.words)
    meaningful = (
        {_DATE} | {t for t in q if _SYNONYMS.get(t)} | set().union(*(a.cues for a in attributes), *phrases.values())
    )
    everyday = everyday_stems(reading.words)  # a real word, no typo of a source's ("late" is not "later")
    # "the thinnest lenses" are the "Extra thin" ones: a superlative no source holds meets its adjective (the
    # attributes' own cue words, "lightest" of a weight, stay as they are)
    for word in keywords(reading.words):
        base = superlative_base(word)
        if base is not None and stem(word) in q and stem(word) not in meaningful and stem(base) in vocabulary:
            q = (q - {stem(word)}) | {stem(base)}
    spelt = {t: t if t in meaningful or t in everyday else _respell(t, vocabulary) for t in q}
    q = set(spelt.values())
    # A respelt word is only a guess: it still counts as missing unless the answer is otherwise sure.
    # A word the sources hold with an ending added ("pack" of "package", "fit" of "fitting") is the same word.
    guessed = {new for old, new in spelt.items() if new != old and not new.startswith(old)}
    # "If I spend £30": the customer's amount is no word to find ("30 minutes")
    amount = {t for m in ANY_AMOUNT.finditer(reading.words) for t in stems(m.group(0))}  # "40 euro": both words
    q -= amount | {spelt[t] for t in amount if t in spelt}
    guessed -= {spelt[t] for t in amount if t in spelt}
    if _HOW_MUCH_OF.search(reading.words):
        # "how much suspension travel", "how much torque": an amount of something, not a price
        attributes = [a for a in attributes if a.name != "price"]
        q -= _FILLER
    if attributes and all(a.name != "price" for a in attributes):
        q -= _FILLER  # "how much does it weigh": "much" asks for no price
    if any(a.name == "material" for a in attributes):
        q -= _MADE  # "made from?" asks a material: "made by hand" is no answer, "100% wool" is
    synonyms = {t: set(_SYNONYMS.get(t, ())) for t in q}
    if attributes and all(a.name != "price" for a in attributes):
        synonyms = {t: v - {"price", "cost"} for t, v in synonyms.items()}
    unit_words = q & UNIT_STEMS
    own_names = set().union(*(stems(a) for a in reading.asked)) if reading.asked else set()
    for attr in attributes:
        for t in (q & (attr.cues | phrases.get(attr.name, frozenset()))) - unit_words:
            synonyms[t] |= attr.keys - own_names  # the "Power" of a "Power Bank" states no power
    # Rare terms tell more; a term no source holds weighs most, so its absence lowers coverage.
    df = {t: sum(1 for u in units if t in u[2] or t in u[3]) for t in q}
    # The asked item's own name says which item, not what about it: a sentence holding only the name (its price
    # line) does not answer "how many speeds is the X?" (see `_NAME_ONLY`). When the question's other words are
    # all stop words ("how long is the X?"), the attribute it asks stands in for them, spelt as sources spell it.
    name_terms = set().union(*(stems(a) for a in reading.asked)) & q if reading.asked else set()
    q -= {t for t in _situation(reading) if not df.get(t)}  # "at home" need not be found, nor count against
    # Everyday wording no source holds ("stay at its best", "on your site", "if we're running late") phrases the
    # question: the sources say it in their own words, so it weighs like a word most sentences hold and is never
    # missing. A rare word none holds ("caffeine") stays missing; so does a word naming the attribute asked ("how
    # big", "what size").
    cues = set().union(*(a.cues | a.keys for a in attributes)) if attributes else set()
    phrasing = {t for t in everyday if not df.get(t)} - name_terms - cues
    df.update(dict.fromkeys(phrasing & q, len(units)))
    for a, b in _choices(reading.words):
        # "natural or washed?": a choice no source holds asks nothing the sources lack when they hold the other
        sa, sb = stems(a) & q, stems(b) & q
        if sa and sb and not any(df[t] for t in sa) and any(df[t] for t in sb):
            q -= sa
        elif sa and sb and not any(df[t] for t in sb) and any(df[t] for t in sa):
            q -= sb
    if (name_terms or reading.asked) and not q - name_terms - _FILLER and attributes:
        asked = attributes[0]
        pseudo = f"\x00{asked.name}"
        q.add(pseudo)
        synonyms[pseudo] = set(asked.keys)
        df[pseudo] = sum(1 for u in units if asked.keys & (u[2] | u[3]))
    idf = {t: math.log(1 + len(units) / (df[t] + 0.5)) for t in q}
    asks_more = bool(name_terms and q - name_terms - _FILLER)
    who_made = bool(_WHO_MADE.search(reading.words))  # "who makes it?" is answered by "X by <maker>"
    total = sum(idf.values())
    if not total:
        return [], set()  # nothing left to look for once the scene and the filler are set aside

    def matched(terms: set[str]) -> set[str]:
        return {t for t in q if t in terms or synonyms[t] & terms}

    scored = []
    asked_names = set().union(*(stems(a) for a in reading.asked)) if reading.asked else set()
    dims = {a.dimension for a in attributes if a.dimension}
    # Words asking something beside the attribute ("under warranty, and for how long?"): a bare figure of the
    # attribute's kind is then no answer by itself.
    how = _HOW_WORD.search(reading.words)
    measured = [a for a in attributes if a.dimension]
    asked_words = set().union(*(a.cues | a.keys for a in measured)) | (stems(how.group(1)) if how else set())
    beside = q - name_terms - _FILLER - asked_words - unit_words - _PREPOSITIONS
    # ...and the phrase asking it ("how long does it take to charge"): no answer by itself either
    asking_words = asked_words | set().union(*(phrases.get(a.name, frozenset()) for a in measured))
    charging = any(a.name == "charging" for a in attributes)
    opening = any(a.name == "hours" for a in attributes)
    if opening:
        q -= _NOW_WORDS  # "are you open tomorrow?": the week's hours answer it; no source says "tomorrow"
    pricing = BY_NAME["price"].keys if any(a.name == "price" for a in attributes) else frozenset()
    asked_names_attr = {a.name for a in attributes}
    # "how much oxygen", "how many lumens": the thing counted, which a spec line's key may name
    counted = _HOW_MUCH_OF.search(reading.words) or _HOW_MANY.search(reading.words)
    amount_of = stems(counted.group(0).split()[-1]) - _FILLER if counted else set()
    part = _part_asked(reading)
    if part and not any(
        u[4] in reading.asked and (kv := key_value(u[1])) is not None and stems(kv[0]) & part for u in units
    ):
        part = set()  # "what size sleeves fit the game?": sleeves are no part the game's own spec lines name
    for n, sentence, terms, header, subject, catalog, heading in units:
        if subject and subject in reading.asked and not catalog:
            terms = terms | asked_names  # a manual's spec line is about its product without naming it
        if dims and any(x.dimension in dims for x in quantities(sentence)):
            terms = terms | unit_words  # "60 liters" answers "how many litres"
        if pricing and not catalog and ANY_AMOUNT.search(sentence):
            terms = terms | pricing  # "Dog wash: £8 for 30 minutes" states a price without the word
        if _FREE_OF_CHARGE.search(sentence) or (charging and ANY_AMOUNT.search(sentence)):
            terms = terms - _CHARGE_STEMS  # "free of charge", "we charge EUR 2.50" say nothing of charging
        if opening and (CLOCK_TERM not in terms or _keyed_measure(sentence)):
            # "within 48 hours" is no opening hour, nor "Duration: 2.5 hours, starting at 10:00"
            terms = terms - _HOURS_WORDS - {CLOCK_TERM}
        hits = matched(terms)
        if attributes and _keyed_other(sentence, attributes):
            hits &= terms  # its figure in minutes does not make "Water resistance: IP68 (1 m for 30 min)" a duration
        for asked_verb, rival in _RIVAL_TIMES if "duration" in asked_names_attr else ():
            if asked_verb in hits and rival in terms and asked_verb not in terms:
                hits = hits - {asked_verb}  # "it takes 2 hours" is not how long it lasts, nor the reverse
        if _MADE_STEM in hits and not _MADE_OF.search(sentence):
            hits = hits - {_MADE_STEM}  # "made for everyday use" says nothing of what, where or by whom
        from_header = matched(header) - hits
        coverage = (sum(idf[t] for t in hits) + _HEADER_WEIGHT * sum(idf[t] for t in from_header)) / total
        if asks_more and not (hits | from_header) - name_terms and not (who_made and _BY_MAKER.search(sentence)):
            coverage = min(coverage, _NAME_ONLY)  # only the item's name: not what was asked about it
        subject_ok = (
            not reading.asked
            or subject in reading.asked
            or any(_mentions(sentence, a, _rivals(reading, a)) for a in reading.asked)
        )
        words = coverage
        floor, bonus = _attribute_score(sentence, attributes, subject_ok, catalog, bare=not beside)
        alone = _PART_ALONE.search(sentence) if dims and not part else None
        if alone and not stems(alone.group(1)) & (q | asked_names):
            floor, bonus = 0.0, 0.0  # "The battery on its own weighs 2.6 kg" is not what the bike weighs
        if part and dims and subject_ok:
            # "what size burrs does it use?": "Burrs: 38 mm" states the part's size; "Height: 19 cm" the item's
            key = key_value(sentence)
            if key is not None and stems(key[0]) & part and any(x.dimension in dims for x in quantities(key[1])):
                floor, bonus = _SPEC_STRONG
            elif not terms & part:
                floor, bonus = 0.0, 0.0
                coverage = words = min(coverage, _NAME_ONLY)  # a line without the part says nothing of its size
        if not floor and dims and subject_ok and (named_key := _key_asked(sentence, q, dims)):
            floor, bonus = named_key  # "how long does the battery last?": "Battery: 1,100 mAh, up to 10 days"
        if not floor and amount_of and subject_ok and _keyed_figure(sentence, amount_of):
            floor, bonus = _SPEC_PLAIN  # "how much oxygen do they let through?": "Oxygen transmissibility: 138"
        kv = key_value(sentence) if asks_more and not catalog and not floor else None
        if (
            kv is not None
            and not matched(stems(kv[0] if kv[1][:1].isdigit() else sentence) | heading) - name_terms
            and not ITEM_ROW.match(sentence)
        ):
            # A spec line states what its key names (or, worded, its value: "Colours: blue, red"): "Weight: 20 kg,
            # manufacturer's figure" says nothing of where it is manufactured, whatever words its note shares.
            coverage = words = min(coverage, _NAME_ONLY)
        said = (hits | from_header) - name_terms - _FILLER
        if (
            dims
            and said
            and said <= asking_words
            and not floor
            and not any(x.dimension in dims for x in quantities(sentence))
        ):
            # "how much does it weigh?" is a figure: "88 fully weighted keys" shares its word, not its answer
            coverage = words = min(coverage, _NAME_ONLY)
        if _other_side(sentence, reading.words):
            floor, bonus = 0.0, 0.0  # "how wide?": "Lengths: 172, 180 and 188 cm" measures another side
            coverage = words = min(coverage, _NAME_ONLY)
        if (charging and PER_CHARGE.search(sentence)) or _rival_line(sentence, measured, asked_names_attr):
            # "10 hours per charge" is how long it runs; "Charging time: 3 h" not how long the battery lasts
            coverage = words = min(coverage, _NAME_ONLY)
        if not reading.asked:  # a spec line of no item in particular needs words too
            floor, bonus = min(floor, coverage + _UNANCHORED), bonus / 2
        coverage = max(coverage + bonus, floor)
        if _TESTIMONIAL.search(sentence):
            coverage *= _TESTIMONIAL_WEIGHT  # a customer's review is an opinion, not the shop's fact
        if opening and subject and subject not in reading.asked:
            coverage *= _ITEM_HOURS_WEIGHT  # "are you open today?" asks the shop's hours before a service's
        scored.append(Scored(coverage, n, sentence, frozenset(hits), subject, catalog, words))
    scored.sort(key=lambda x: -x.coverage)  # stable: ties keep the context's own ranking
    scored = _by_meaning(reading, scored, embed)
    scored = _spec_by_meaning(reading, scored, attributes, embed)
    measured = bool(dims) and any(q.dimension in dims for u in units for q in quantities(u[1]))
    # A word no source holds is missing; one of `_SENSES` too, unless a source holds a word of the same sense
    # ("solo" is answered by "on your own", not by "Playing time").
    missing = {
        t
        for t in q
        if len(t) >= _SPECIFIC
        and df[t] == 0
        and (not synonyms[t] or (t in _SENSES and not set(_SENSES[t]) & vocabulary))
    } - _PREPOSITIONS | guessed
    if measured:
        missing -= unit_words  # "how many lumens" is answered by "900 lm"
    return scored, missing


_NOW_WORDS = frozenset(stems("today tomorrow tonight now currently"))
_HOURS_WORDS = frozenset(stems("hour hours time times"))
"""Words of "what are your opening hours?" that a line without a time of day holds in another sense."""
_DATE = "\x00date"
"""The term a line holds when it names the day of the month the question asks about."""
_RIVAL_TIMES = (("last", "take"), ("take", "last"))
_TESTIMONIAL = re.compile(r"^(?:I|I'm|I've|I'd|My|We bought|We used)\b|\b(?:I bought|I purchased|I recently)\b")
_TESTIMONIAL_WEIGHT = 0.85
_ITEM_HOURS_WEIGHT = 0.9
_SEMANTIC_POOL = 4
_SEMANTIC_WEIGHT = 0.25
_SEMANTIC_FLOOR = 0.3
_SEMANTIC_MARGIN = 0.1
_NEAR_TIE = 0.02


def _by_meaning(reading: Reading, scored: list[Scored], embed: Embed | None) -> list[Scored]:
    """Re-rank the best few by meaning as well as words: a sentence that says what was asked in other words
    ("keeps you dry" for "is it waterproof") gains; it never lifts a sentence no word of the question reaches."""
    # Only sentences the words leave nearly tied with the best are weighed by meaning.
    pool = [s for s in scored[:_SEMANTIC_POOL] if s.coverage > 0 and scored[0].coverage - s.coverage <= _NEAR_TIE]
    if embed is None or len(pool) < 2:
        return scored
    sims = _semantic(reading.words, [s.sentence for s in pool], embed)
    lifted = [
        replace(s, coverage=s.coverage + _SEMANTIC_WEIGHT * max(0.0, sim - _SEMANTIC_FLOOR))
        for s, sim in zip(pool, sims, strict=True)
    ]
    rest = scored[len(pool) :]
    order = sorted(range(len(pool)), key=lambda i: -lifted[i].coverage)
    # Meaning overrules the words' order only when it clearly disagrees: near-equal similarities keep the
    # sources' own order (which already ranks the better source first).
    if sims[order[0]] - sims[0] < _SEMANTIC_MARGIN:
        return scored
    return [lifted[i] for i in order] + rest


_SPEC_MEANING = 0.35
"""Similarity a spec line of the item asked must reach to answer by meaning alone ("speeds" for "Gears: 14")."""
_SPEC_MARGIN = 0.12
_SPEC_SURE = 0.55
_SPEC_SURE_MARGIN = 0.25
"""How clearly a line some of the question's words reach must say it by meaning ("air speed" and "Max air
velocity: 220 km/h", 0.70 against 0.30 for the next line)."""
_HOW_DIMENSIONS = {
    "long": {"length", "time"},
    "far": {"length"},
    "big": {"length", "volume"},
    "large": {"length", "volume"},
    "heavy": {"mass"},
    "hot": {"temperature"},
    "cold": {"temperature"},
    "warm": {"temperature"},
    "fast": {"rate", "time"},
    "loud": {"loudness"},
    "bright": {"light"},
    "tall": {"length"},
    "wide": {"length"},
    "deep": {"length"},
}
_HOW_WORD = re.compile(r"\bhow (\w+)\b", re.I)


_FIGURE = re.compile(r"(?<![^\W\d_])\d")
"""A number of its own: "32 mm", "2,000"; not the 2 of a model's name ("H2")."""


def _spec_by_meaning(
    reading: Reading, scored: list[Scored], attributes: list[Attribute], embed: Embed | None
) -> list[Scored]:
    """When no sentence answers by its words, a spec line of the item asked that clearly says the same thing in
    other words ("how many speeds" and "Gears: 14", "how strong is the motor" and "Rated power: 450 W") answers,
    if its figure is of the kind the question asks ("how long" is a length or a time, never lumens)."""
    if embed is None or len(reading.asked) != 1 or not scored or scored[0].coverage >= _CONFIDENT:
        return scored
    # A line no word of the question reaches ("Gears" for "speeds") answers by meaning; a line that matches some
    # words and lacks others ("Footprint: Sold separately" for "a footprint groundsheet") only when meaning is sure.
    names = set().union(*(stems(a) for a in reading.asked))
    asked = {a.name for a in attributes}
    specs = [
        s
        for s in scored
        if not s.catalog
        and s.subject in reading.asked
        and (key_value(s.sentence) is not None or _FIGURE.search(s.sentence))
        and not _rival_line(s.sentence, [a for a in attributes if a.dimension], asked)
    ]
    if not specs:
        return scored
    question = reading.words
    for name in reading.asked:
        question = re.sub(rf"(?:\bthe\s+)?{re.escape(name)}", "it", question, flags=re.I)
    sims = _semantic(question, [s.sentence for s in specs], embed)
    order = sorted(range(len(specs)), key=lambda i: -sims[i])
    best = order[0]
    second = sims[order[1]] if len(order) > 1 else 0.0
    if sims[best] < _SPEC_MEANING or sims[best] - second < _SPEC_MARGIN:
        return scored
    if specs[best].hits - names and (sims[best] < _SPEC_SURE or sims[best] - second < _SPEC_SURE_MARGIN):
        return scored  # a line some words reach and others miss is the words' to judge, unless meaning is sure
    if key_value(specs[best].sentence) is None and sims[best] < _SPEC_SURE:
        return scored  # prose holding a figure says many things: only a sure likeness makes it the answer
    wanted = {a.dimension for a in attributes if a.dimension}
    how = _HOW_WORD.search(reading.words)
    if how:
        wanted |= _HOW_DIMENSIONS.get(how.group(1).lower(), set())
    value = key_value(specs[best].sentence)
    dims = {q.dimension for q in quantities(value[1] if value else specs[best].sentence)}
    if wanted and dims and not dims & wanted:
        return scored
    if wanted and not dims and how and how.group(1).lower() in _HOW_DIMENSIONS:
        return scored  # "how long is it?" is not answered by a word ("Frame: steel")
    said_units = {UNITS[u][0] for u in units_named(reading.words)}
    if said_units and not dims & said_units:
        return scored  # "how many lumens?" is not answered by "Light output: 60 lux"
    lifted = replace(specs[best], coverage=max(specs[best].coverage, _CONFIDENT), words=_CONFIDENT)
    return [lifted] + [s for s in scored if s is not specs[best]]


def _respell(term: str, vocabulary: set[str]) -> str:
    """A misspelt word ("wraping") as the sources spell it ("wrap"), when one is close enough."""
    if term in vocabulary or len(term) < _SPECIFIC:
        return term
    best = process.extractOne(term, vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_SIMILARITY)
    return best[0] if best and best[0][0] == term[0] else term


_LEAD_IN = re.compile(r"^(?:a|an|the|one|some|our|your|please|note|tip|warning)\b", re.I)
"""A key that leads into a remark rather than naming a property: "A word of warning: ...", "Note: ..."."""


def phrase(item: Scored, wanted_units: list[str]) -> str:
    """A spec line as a sentence about its item: "Weight: 3.5 lbs" -> "The X's weight: 3.5 lbs (about 1.6 kg)"."""
    kv = key_value(item.sentence)
    if kv is None or not item.subject or item.catalog:
        return item.sentence
    key, value = kv
    if _mentions(value, item.subject) and len(value.split()) >= 6:
        return value  # "Warranty Duration: The X is covered by ..." reads best as its own sentence
    if _mentions(item.sentence, item.subject) or len(value.split()) > _SHORT_VALUE or _LEAD_IN.match(key):
        return item.sentence  # prose that happens to hold a colon ("A word of warning: ...") is no spec line
    if weekdays_in(key):
        return f"{item.subject}: {item.sentence}"  # "Saturday: 11:00 - midnight" is no property of the item
    q = quantities(value)
    # "60 °C (140 °F)" already says it in the unit asked: no "(about 140 °F)" after it
    extra = convert_phrase(q[0], wanted_units) if q and not any(x.unit in wanted_units for x in q) else ""
    return f"The {key[:1].lower() + key[1:]} of the {item.subject}: {value.rstrip('.')}{extra}."


def compose_answer(
    question: str,
    blocks: list[SourceBlock],
    max_sentences: int = 3,
    min_coverage: float = 0.45,
    *,
    header: Header | None = None,
    embed: Embed | None = None,
) -> str:
    """The best-covering sentences of the sources, each cited `[n]`, or a plain "I don't know"."""
    reading = Reading.of(question, header)
    if UNKNOWN_ITEM in reading.asked:
        return CLARIFY  # "it" with nothing in focus: a fact about a guessed item would be worse than asking
    if len(reading.asked) == 1 and _another_model(reading.words, reading.asked[0]):
        return DECLINE  # "the Aster 700 Mk II" is another model than the Aster 700 the catalog sells
    listed = next((b for b in blocks if header is not None and b.n == header.listing), None)
    if listed is not None and sentences(listed.text):
        return cite(sentences(listed.text)[0], listed.n)  # the catalog, filtered and sorted, answers it exactly
    fitted = party_fit(reading, blocks) or fit(reading, blocks)
    if fitted:
        return fitted
    compared = compare(reading, blocks)
    if compared:
        return compared
    overview = _overview(reading, blocks) or difference(reading, blocks, max_sentences)
    if overview:
        return overview
    scored, missing = weigh(reading, blocks, embed)
    best = scored[0].coverage if scored else 0.0
    # A specific word of the question that no source mentions ("battery" of a lamp whose entry never says
    # it has one) means the sources cannot hold the answer, unless one sentence covers nearly all the rest.
    # A word no source holds ("calories") is not made up for by a spec line of the attribute: words must be sure.
    if missing and scored:
        missing -= _other_choice(reading, scored[0]) | _situation(reading)
    if missing and max(s.words for s in scored) < _CONFIDENT:
        missing -= _names_the_key(missing, reading, scored[0]) | _verb_of(reading)
    if (
        missing
        and max(s.words for s in scored) >= _MOSTLY
        and (not reading.asked or scored[0].subject in reading.asked)
        and _common_words(missing, reading.words)
    ):
        missing = set()  # "a normal eye test", "postage to perth": a plain word beside what the best line covers
    if best < min_coverage or (missing and max(s.words for s in scored) < _CONFIDENT):
        return DECLINE
    if _WHEN_AGAIN.search(reading.words) and not _WHEN_SAID.search(scored[0].sentence):
        return DECLINE  # "when is it back in stock?" asks a date: "currently out of stock" gives none
    if _between_items(reading, scored):
        return CLARIFY
    scored = _own_first(reading, scored)
    whole = _whole_list(scored, blocks) or _whole_week(reading, scored, blocks)
    if whole:
        return whole
    wanted_units = units_named(reading.words)
    # Greedy: a further sentence must cover a question term the answer lacks, and be nearly as good.
    picked: list[Scored] = []
    covered: set[str] = set()
    answered: set[str] = set()
    for item in scored:
        if len(picked) == max_sentences or item.coverage < min_coverage:
            break
        # With several items asked ("how much are they?"), each asked item's best sentence is news of its own.
        own = len(reading.asked) > 1 and item.subject in reading.asked and item.subject not in answered
        if picked and ((not (item.hits - covered) and not own) or item.coverage < _ALSO_GOOD * best):
            continue
        if any(item.sentence.lower() == p.sentence.lower() for p in picked):
            continue
        if (
            picked
            and _of_asked(reading, picked[0])
            and item.subject not in reading.asked
            and not any(_mentions(item.sentence, a, _rivals(reading, a)) for a in reading.asked)
        ):
            continue  # the asked item's own fact leads: a shop-wide line sharing a word ("9 people or more") is noise
        covered |= item.hits
        answered.add(item.subject)
        picked.append(item)
    asking = _ASKING.search(reading.words)
    # "my bike doesn't have a rack, can I still use it?": the scene's "have a rack" asks nothing of the item
    feature = _HAS_FEATURE.search(reading.words, asking.start() if asking else 0)
    named = [w for w in feature.group(1).split() if w.lower() not in _FILLER_NOUNS] if feature else []
    if named and reading.asked and picked and not stems(named[-1]) & covered:
        return DECLINE  # "does it have a carry bag?": no sentence holding "bag" is no answer, whatever else it says
    if _ASKS_YEAR.search(reading.words) and not any(_YEAR.search(p.sentence) for p in picked):
        return DECLINE  # "what year did it come out?" is a date: a "two-year warranty" is no answer
    part = _PART.search(reading.words)
    if part and part.group(1) and reading.asked and picked and not _part_is_named(part.group(1), reading, covered):
        return DECLINE  # "how long is the cable?": the amplifier's dimensions are not the cable's length
    measured = {a.dimension for a in asked_attributes(reading.words, reading.names) if a.dimension}
    measured |= {"time"} if "length" in measured else set()  # "how long is a bridal trial?" is its time
    if (
        measured
        and picked
        and all(
            p.catalog and _COSTS.search(p.sentence) and not {x.dimension for x in quantities(p.sentence)} & measured
            for p in picked
        )
    ):
        return DECLINE  # "how heavy is it in XL?": the version's price line states no weight
    if _unstated_choice(reading, picked, blocks):
        return DECLINE
    # A price comes from the catalog, always more current than a document: its sentence joins the answer.
    if (
        any(a.name == "price" for a in asked_attributes(reading.words, reading.names))
        and not _HOW_MUCH_OF.search(reading.words)
    ) and not any(p.catalog or ANY_AMOUNT.search(p.sentence) for p in picked):
        from_catalog = next((s for s in scored if s.catalog and _COSTS.search(s.sentence)), None)
        if from_catalog is not None and from_catalog.coverage >= min_coverage and len(picked) < max_sentences:
            picked.append(from_catalog)
    if not picked:
        return DECLINE  # the line put first (an item's own) covered too little to be said
    said = [_with_antecedent(p, blocks, picked, _named(p, reading, phrase(p, wanted_units))) for p in picked]
    return " ".join(cite(text, p.n) for text, p in zip(said, picked, strict=True))


_LEANS_BACK = re.compile(
    r"^(?:after that|before that|until then|by then|otherwise|in that case|if not|if so|"
    r"(?:that|this) (?:means|makes|is why|way))\b",
    re.I,
)
"""Openings that refer to the sentence before: "After that we may have to shorten the service"."""


_WHEN_AGAIN = re.compile(
    r"\bwhen\b.{0,60}\b(?:back in stock|in stock again|restock\w*|available again|back on (?:sale|the shelves?)|"
    r"come back|coming back|be back|arriv\w*)\b",
    re.I,
)
_WHEN_SAID = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(?:next|this|coming) (?:week|month|season)\b|\bexpected\b|\bdue\b|\bwithin \d|\b\d+\s*(?:days?|weeks?)\b|"
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}\b",
    re.I,
)
"""When something is back, arrives: a date, a day, a span of time."""
_BARE_REPLY = re.compile(r"^(?:yes|no|yep|nope|absolutely|of course|sadly not|not yet)[.!]?$", re.I)


def _with_antecedent(item: Scored, blocks: list[SourceBlock], picked: list[Scored], said: str) -> str:
    """A sentence that leans on the one before ("We hold your appointment for 15 minutes. After that ..."), with it
    (unless the answer states it already); alone it would say nothing the customer can use."""
    block = next((b for b in blocks if b.n == item.n), None)
    lines = sentences(block.text) if block else []
    at = lines.index(item.sentence) if item.sentence in lines else 0
    if at > 0 and _BARE_REPLY.match(lines[at - 1]) and said == item.sentence:
        return f"{lines[at - 1]} {said}"  # an FAQ's "Yes." before the line that says why
    if not _LEANS_BACK.match(item.sentence):
        return said
    if at == 0 or any(p.sentence == lines[at - 1] for p in picked):
        return said
    return f"{lines[at - 1]} {said}"


_LONGEST_LIST = 12


def _whole_list(scored: list[Scored], blocks: list[SourceBlock]) -> str | None:
    """ "What comes in the box?": when the best lines are items of one bulleted list, tied (what matched was the
    list's heading, no one item), the answer is the whole list, not its first item."""
    top = scored[0]
    tied = {s.sentence for s in scored if s.n == top.n and abs(s.coverage - top.coverage) < 1e-9}
    if len(tied) < 2:
        return None
    block = next((b for b in blocks if b.n == top.n), None)
    run = next((r for r in bullet_lists(block.text) if top.sentence in r), None) if block else None
    if run is None or not tied <= set(run) or len(run) > _LONGEST_LIST:
        return None
    return cite("; ".join(line.rstrip(".;,") for line in run) + ".", top.n)


def _day_row(line: str) -> bool:
    """A row of hours keyed by its days: "Saturday: 9 am to 5 pm", "Wednesday, Thursday: 17:00 - 23:00"."""
    m = re.match(r"^([^:]{2,40}):\s+\S", line)
    return m is not None and bool(weekdays_in(m.group(1)))


def _whole_week(reading: Reading, scored: list[Scored], blocks: list[SourceBlock]) -> str | None:
    """ "What are your opening hours?" answered by a row of a table a row per day: every day's row, in page order
    ("Sunday: closed" too); a day asked ("on Sunday") is its own row's alone."""
    if weekdays_in(reading.words) or not any(a.name == "hours" for a in asked_attributes(reading.words, reading.names)):
        return None
    top = scored[0]
    block = next((b for b in blocks if b.n == top.n), None)
    if not _day_row(top.sentence) or block is None:
        return None
    rows = [line for line in sentences(block.text) if _day_row(line)]
    if len(rows) < 2:
        return None
    return cite(_named(top, reading, "; ".join(line.rstrip(".;,") for line in rows[:7]) + "."), top.n)


def _named(item: Scored, reading: Reading, said: str) -> str:
    """Another item's line that does not name it ("Balayage painted around the face" of the Mini Balayage, for
    "balayage only around my face?") is said with its name, so the customer knows which item it is."""
    if not item.subject or item.subject in reading.asked or _folded(item.subject) in _folded(said):
        return said
    return f"{item.subject}: {said}"


def _of_asked(reading: Reading, item: Scored) -> bool:
    """Whether a line is the asked item's own, or names it ("Forêt des Lucioles uses Euro size" on a sleeves page)."""
    return item.subject in reading.asked or any(_mentions(item.sentence, a, _rivals(reading, a)) for a in reading.asked)


_OWN_FIRST = 0.05
"""How near a line of the asked item must come to a shop-wide line to answer before it."""


def _own_first(reading: Reading, scored: list[Scored]) -> list[Scored]:
    """The asked item's own line before a shop-wide one nearly as good ("which sleeve sizes for Ironwake?": the
    game's "180 standard and 40 mini", not the returns policy's "Card sleeves: unopened packs only")."""
    if not reading.asked or not scored or _of_asked(reading, scored[0]) or scored[0].subject:
        return scored
    own = next((s for s in scored[1:4] if _of_asked(reading, s)), None)
    if own is None or scored[0].coverage - own.coverage > _OWN_FIRST:
        return scored
    return [own] + [s for s in scored if s is not own]


def _between_items(reading: Reading, scored: list[Scored]) -> bool:
    """No item asked ("how heavy is the Veloce Air?" of an Air and an Air Pro) and the best lines, as good as each
    other, are two items' own: a fact of either may be the other's, so the answer asks which."""
    if reading.asked or len(scored) < 2:
        return False
    first, second = scored[0], scored[1]
    return bool(
        first.subject
        and second.subject
        and first.subject != second.subject
        and second.coverage >= first.coverage - _TIED_ITEMS
    )


_TIED_ITEMS = 0.1


def _unstated_choice(reading: Reading, picked: list[Scored], blocks: list[SourceBlock]) -> bool:
    """ "beer or wine?": a choice none of the sources holds one side of is answered only by a line stating the
    other side; a café menu listing neither says nothing of either."""
    if not picked:
        return False
    held = set().union(*(_with_roots(stems(b.text)) for b in blocks))
    said = _with_roots(stems(" ".join(p.sentence for p in picked)))
    for a, b in _choices(reading.words):
        sa, sb = stems(a), stems(b)
        if (not sa & held or not sb & held) and not (sa | sb) & said:
            return True
    return False


_CHOOSES = re.compile(
    r"\b(?:which|what)\b[^?]*\b(?:size|length|width|one|model|version|should|need|get|buy|pick)\b", re.I
)
_YES_NO = re.compile(r"(?:^|[,;:.!?-])\s*(?:will|would|can|could|does|do|is|are|should)\b", re.I)
"""A clause asking yes or no: "My dog wears a 30 mm collar, will the clip fit?"."""
_FIT_WORDS = frozenset(stems("fit fits suit suits suitable enough ok okay right work take hold"))


_PARENTHESES = re.compile(r"\([^()]*\)")


def fit(reading: Reading, blocks: list[SourceBlock]) -> str | None:
    """A figure the customer gives checked against the ranges the asked item's page states: "my dog is 30 kg,
    which size?" picks the size whose range holds 30 kg; "a 30 mm collar, will the clip fit?" is answered no by
    "fits collars up to 25 mm". None when the question gives no figure, or no line of the item states a range of
    that measure."""
    if len(reading.asked) != 1:
        return None
    if any(a.name in ("price", "stock") for a in asked_attributes(reading.words, reading.names)):
        return None  # "do you have the GR2 in M / 54 cm in stock?": the version's figure is no customer's
    facts = _FACTS.search(reading.text)
    said = reading.text[: facts.start()] if facts else reading.text
    for name in sorted(reading.asked + reading.others, key=len, reverse=True):
        said = re.sub(re.escape(name), " ", said, flags=re.I)  # "the 50mm f/1.8" names a lens, not a length
    said = re.sub(r"\b(\d)\s?m\s?(\d{2})\b", r"\1.\2 m", said)  # "I'm 1m93": a height as the Dutch write it
    stated = quantities(said)
    lines = [
        (b.n, s)
        for b in blocks
        if not b.label.startswith(_CATALOG) and _subject(b.label) == reading.asked[0]
        for s in sentences(b.text)
    ]
    ranges = [(n, s, r) for n, s in lines for r in bounds(s)]
    if len(stated) > 1:  # "I'm 6'2, 210 lbs": the figure of the measure the item's ranges state, a chart's first
        stated = [q for q in stated if any(r.dimension == q.dimension for _, _, r in ranges)]
        charted = [q for q in stated if len({s for _, s, r in ranges if r.dimension == q.dimension}) >= 2]
        stated = charted if len(charted) == 1 else stated
    if len(stated) != 1:
        return None
    given = stated[0]
    ranged = [(n, s, r) for n, s, r in ranges if r.dimension == given.dimension]
    if len({s for _, s, _ in ranged}) >= 2 and _CHOOSES.search(said):
        holding = [(n, s, r) for n, s, r in ranged if r.holds(given)]
        if not holding:
            return None
        n, line, _ = min(holding, key=lambda x: (x[2].high is None, x[2].high or 0.0, -(x[2].low or 0.0)))
        return f"For {given.text}: {cite(line, n)}"
    if not (_YES_NO.search(focus(said)) or stems(said) & _FIT_WORDS):
        return None
    # A yes or no from the one range the lines sharing the question's words state ("collar" for a clip's limit):
    # a range of the same measure on another line may measure another thing (a chest girth).
    own = set().union(*(stems(a) for a in reading.asked)) | UNIT_STEMS | _FIT_WORDS
    asked = stems(said) | (_BODY_WORDS if _MY_BODY.search(said) else set())  # "I'm 1.93 m": riders' heights
    # (a column's name beside a figure, "5–12 kg (Dog weight)", says what that figure measures, not this line's topic)
    topical = [(n, s, r) for n, s, r in ranged if asked & stems(_PARENTHESES.sub(" ", s)) - own]
    if len({(r.low, r.high) for _, _, r in topical}) != 1:
        return None
    n, line, r = max(topical, key=lambda x: len(stems(said) & stems(x[1])))  # one range, however often said
    return f"{'Yes' if r.holds(given) else 'No'}: {cite(line, n)}"


_MY_BODY = re.compile(r"\b(?:i'm|i am|im|my height is|i weigh)\s+(?:about |around |roughly )?\d", re.I)
_BODY_WORDS = frozenset(stems("rider riders height tall user users person people body weight inseam you"))
"""What a line measures of the customer: "for riders from 1.65 m up to 1.90 m", "users up to 120 kg"."""
_COUNT = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_ASKS_FIT = re.compile(
    r"\bhow much\b|\b(?:price|prices|cost|costs|fit|fits|seat|seats|sleep|sleeps|enough|room|big enough|which one)\b",
    re.I,
)
"""What a party size said earlier in the conversation can answer: a price, or whether it fits."""
_PARTY = re.compile(
    rf"\b{_COUNT} of us\b|\b(?:party|group|table) of {_COUNT}\b|"
    rf"\b{_COUNT} (?:people|persons|guests|players|adults)\b",
    re.I,
)
"""How many people the customer says they are: "there'll be 6 of us", "a party of 5", "for seven people"."""
_PEOPLE_RANGE = re.compile(
    r"\b(\d{1,2})\s?(?:-|–|to)\s?(\d{1,2})\s+(?:people|persons|guests|players|adults)\b|"
    r"\b(?:table|tables|group|groups|party|parties|room|rooms) (?:for|of) (\d{1,2})\s?(?:-|–|to)\s?(\d{1,2})\b|"
    r"\b(?:players|people|guests|persons|group size|party size)\s*:\s*(\d{1,2})\s?(?:-|–|to)\s?(\d{1,2})\b",
    re.I,
)
"""A range of people a line states: "2 to 4 players", "Table for 5-8", "Players: 2-4"."""
_PEOPLE_MAX = re.compile(
    r"\b(?:sleeps|seats)\s+(\d{1,2})\b|\bup to (\d{1,2}) (?:people|persons|guests|players|adults)\b|"
    r"\b(?:players|people|guests|persons|group size|party size)\s*:\s*up to (\d{1,2})\b",
    re.I,
)
"""At most so many people: "sleeps 4", "for up to 6 guests", "Players: up to 8"."""


def _people_range(sentence: str) -> tuple[int, int] | None:
    m = _PEOPLE_RANGE.search(sentence)
    if m is not None:
        low, high = (int(g) for g in m.groups() if g is not None)
        return low, high
    m = _PEOPLE_MAX.search(sentence)
    return (1, int(next(g for g in m.groups() if g is not None))) if m is not None else None


def party_fit(reading: Reading, blocks: list[SourceBlock]) -> str | None:
    """The number of people the customer gives checked against the ranges the asked item's lines state: "6 of us,
    how much is a table?" picks "Table for 5-8: 18.00"; "can five of us play it?" is answered by "2-4 players", "will
    it fit 5 people?" by "sleeps 4"."""
    if len(reading.asked) != 1:
        return None
    party = _PARTY.search(reading.text)
    if party is None:
        return None
    facts = _FACTS.search(reading.text)
    if facts and party.start() >= facts.start() and not _ASKS_FIT.search(reading.words):
        return None  # a party size said earlier answers "how much is it?", not "and if we have to cancel?"
    count = number_in(next(g for g in party.groups() if g))
    lines = [
        (b.n, s, r)
        for b in blocks
        if _subject(b.label) == reading.asked[0] or b.label == f"{_CATALOG}{reading.asked[0]}"
        for s in sentences(b.text)
        if (r := _people_range(s)) is not None
    ]
    if count is None or not lines:
        return None
    people = f"{count} {'person' if count == 1 else 'people'}"
    ranges = {r for _, _, r in lines}
    if len(ranges) >= 2:
        holding = [(n, s) for n, s, (low, high) in lines if low <= count <= high]
        return f"For {people}: {cite(holding[0][1], holding[0][0])}" if holding else None
    if not _YES_NO.search(focus(reading.text)):
        return None
    n, line, (low, high) = lines[0]
    return f"{'Yes' if low <= count <= high else 'No'}: {cite(line, n)}"


def _times(sentence: str) -> bool:
    return any(x.dimension == "time" for x in quantities(sentence))


_HOW_LONG_IS = re.compile(r"\bhow long (?:is|are|was|will be)\b", re.I)
_ASKS_YEAR = re.compile(
    r"\b(?:what|which) year\b|\bwhen (?:was|were|did)\b.*\b(?:released|launched|introduced|come out|came out)\b",
    re.I,
)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_PART = re.compile(
    r"\bhow (?:long|wide|big|thick|heavy|tall) (?:is|are) (?:the|its|their) ([^\W\d_]+)\b|"
    r"\bwhat size (?:of )?(?:the )?(?!(?:is|are|was|does|do|did|would|should|will|can|could|fits?|for)\b)"
    r"([^\W\d_]+)\b",
    re.I,
)
"""The thing a "how long is the X?" or "what size X?" question measures: the item itself, a key of it, or a part."""


def _part_asked(reading: Reading) -> set[str]:
    """The stems of the part a question measures ("what size burrs does it use?": "burr"), when it is neither the
    item asked nor a measure; empty otherwise."""
    m = _PART.search(reading.words)
    if m is None or not reading.asked or not m.group(2):
        return set()  # "how long is the lead?" is checked on the answer (`_part_is_named`), lead or cord
    said = stems(m.group(2))
    names = set().union(*(stems(a) for a in reading.asked))
    measures = set().union(*(a.keys | a.cues for a in ATTRIBUTES))
    return set() if said & (names | measures) else said


def _part_is_named(word: str, reading: Reading, covered: set[str]) -> bool:
    """Whether "how long is the <word>?" asks about what the answer covers: the item asked (its name), a measure
    ("how wide is the opening"? no: "the width"), or a word the picked sentences hold ("the cable": "Cable length")."""
    said = stems(word)
    if not said:
        return True
    names = set().union(*(stems(a) for a in reading.asked))
    measures = set().union(*(a.keys | a.cues for a in ATTRIBUTES))
    return bool(said & (names | measures | covered | set().union(*(_SYNONYMS.get(t, ()) for t in covered))))


_ASKING = re.compile(
    r"\b(?:how|what|which|where|when|who|why)\b|(?:^|[,;:.!]\s*)(?:will|would|can|could|does|do|is|are|should)\b",
    re.I,
)
_PART_ALONE = re.compile(
    r"\b(?:the|its|each|their)\s+([^\W\d_]+(?:\s+[^\W\d_]+)?)\s+(?:on its own|on their own|alone|by itself|itself)\b",
    re.I,
)
"""A part measured apart from its item: "the battery on its own weighs 2.6 kg"."""
_IF_CLAUSE = re.compile(r"\bif\s+([^,;?]+?)\s*(?:,|\band\b|\bthen\b)\s*([^?]*[^\W\d_][^?]*)", re.I)
"""A condition and what is asked under it."""
_THEIRS = re.compile(r"\b(?:my|our|his|her|their)\s+([^\W\d_]{3,})\b", re.I)
_KIND_OF = re.compile(r"\b(kind|sort|type)s? of\b", re.I)


_MOSTLY = 0.55
"""Coverage by words from which one plain word no source holds does not make the line no answer (`_common_words`)."""
_RARE = 3.5
"""Zipf frequency below which a word names something specific ("lumen", "gluten"): a source must hold it."""


def _common_words(missing: set[str], question: str) -> bool:
    """Whether the one word no source holds is plain English, though not everyday enough to be mere phrasing
    ("normal", "separate", "regular", a city): the sources say it their own way. Two such words, or a rare one,
    ask what the sources do not say."""
    from wordfreq import zipf_frequency

    if len(missing) != 1:
        return False
    (term,) = missing
    said = [w for w in keywords(question) if stem(w) == term]
    if any(re.search(_ASKED_WORD.format(re.escape(w)), question, re.I) for w in said):
        return False  # "what density is the foam?", "do you price match?": the word is what is asked
    return bool(said) and all(zipf_frequency(w, "en") >= _RARE for w in said)


_ASKED_WORD = (
    r"\b(?:what|which|whats|what's)\s+{0}\b|"
    r"\b(?:do|does|can|could|will|would)\s+(?:you|u|ya|y'all|they)(?:\s+guys)?(?:\s+[^\W\d_]+)?\s+{0}\b|"
    r"\b{0}\s+(?:to|with)\b"
)
"""Where a word is the thing a question asks for: after "what", as the shop's verb, or as a comparison's."""


def _situation(reading: Reading) -> set[str]:
    """Words that set the scene rather than ask: before the question proper ("we've got an induction hob at
    home, will it work on it?", "once it reaches temperature how long ...") and "what kind of": a source need
    not hold them."""
    text = reading.words
    out = {stem(m.group(1)) for m in _KIND_OF.finditer(text)}
    out |= {stem(m.group(1)) for m in _THEIRS.finditer(text)}  # "my lab", "his collar": the customer's own things
    m = _ASKING.search(text)
    if m and m.start() > 0:
        out |= stems(text[: m.start()]) - stems(text[m.start() :])
    for m in _IF_CLAUSE.finditer(text):  # "if someone gets sick and we have to cancel?": the cancelling is asked
        out |= stems(m.group(1)) - stems(m.group(2))
    return out


_EITHER = re.compile(r"\b([^\W\d_]{3,})\s+or\s+([^\W\d_]{3,})\b", re.I)
_NO_CHOICE = frozenset({"now", "later", "not", "else", "never"})


def _choices(text: str) -> list[tuple[str, str]]:
    """The either-or choices a question offers ("natural or washed?"); "book it now or should I wait?" offers
    "now" against a verb, no two things."""
    return [(a, b) for a, b in _EITHER.findall(text) if not {a.lower(), b.lower()} & (STOPWORDS | _NO_CHOICE)]


def _other_choice(reading: Reading, top: Scored) -> set[str]:
    """ "natural or washed?": the choice the best line does not state is no word the sources lack, when it states
    the other ("Process: washed")."""
    out: set[str] = set()
    said = _with_roots(stems(top.sentence))
    for a, b in _choices(reading.words):
        sa, sb = stems(a), stems(b)
        if sa & said and not sb & said:
            out |= sb
        elif sb & said and not sa & said:
            out |= sa
    return out


def _names_the_key(missing: set[str], reading: Reading, top: Scored) -> set[str]:
    """The question words no source holds that only qualify the best line's spec key, in the run of words before
    a word of the key: "storage bin" in "storage bin capacity" before "capacity" of "Holding capacity:
    45 L", "battery" before "life" (asking the "Runtime"); not "strap" in "how long is the strap", which names
    another thing than the "Length" a line states."""
    kv = key_value(top.sentence)
    if kv is None or top.catalog or top.subject not in reading.asked:
        return set()
    key = stems(kv[0])
    attributes = asked_attributes(reading.words, reading.names)
    typed = re.findall(r"[^\W_]+", reading.words)
    said = [stems(w) for w in typed]
    key_words = set(re.findall(r"[^\W_]+", kv[0].casefold()))
    # a word of the key, or a word asking an attribute the key names ("life", a "Runtime"), never a measure of
    # anything ("size" names no "Cut width": "blade size" asks of a blade)
    specific = [a for a in attributes if a.name not in _ANY_THINGS]
    keyed = [bool(w & key or any(w & a.cues and a.keys & key for a in specific)) for w in said]
    out: set[str] = set()
    for i in (i for i, k in enumerate(keyed) if k):
        j = i - 1
        while j >= 0 and said[j] & missing:  # the words qualifying the key word, right before it
            out |= said[j] & missing
            j -= 1
        if i + 1 < len(said) and typed[i].casefold() in key_words:
            # or the one it qualifies: "power consumption" of a "Power" line (the key's own word, not "played solo"
            # of a "Playing time")
            out |= said[i + 1] & missing
    return out


def _verb_of(reading: Reading) -> set[str]:
    """The verb right after the item's name in a question asking how much or what ("what air speed does the X
    reach", "how many lumens does the X give"): it says how the item does it, not what it has. Never in a
    question asking where, when or who, whose verb is the point ("where is the X manufactured?")."""
    if len(reading.asked) != 1 or not (_ASKS_WHAT.match(reading.words) or _YES_NO.search(reading.words)):
        return set()
    m = re.search(rf"{re.escape(reading.asked[0])}\s+([^\W\d_]+)", reading.words, re.I)
    return stems(m.group(1)) if m else set()


_ASKS_WHAT = re.compile(r"^\s*(?:how|what|which)\b(?!\s+(?:year|country|date|time|day|month)\b)", re.I)
_HAS_FEATURE = re.compile(
    r"\b(?:have|has|come with|comes with|include|includes|there)\s+(?:a|an|any|the|some)\s+"
    r"([^\W\d_]+(?:[ -][^\W\d_]+){0,2}?)\s*(?:\?|$|\b(?:on|with|for|in|at|included)\b)",
    re.I,
)
"""A yes/no question about a feature: "does it have a carry bag?", "is there a wall bracket on it?"."""
_FILLER_NOUNS = frozenset("thing things thingy stuff feature features function option bit".split())
"""Nouns that name no feature themselves: "does it have the MIPS thing?" asks about MIPS."""
_ABOUT_WORDS = frozenset(
    stems(
        "tell me about describe description info information details detail overview look looking "
        "interested know more what is"
    )
)


def _overview(reading: Reading, blocks: list[SourceBlock]) -> str | None:
    """ "Tell me about X" asks nothing beyond the item: its catalog entry (name, maker, price, stock) and the first
    sentence of its description answer it, rather than whichever review repeats its name most."""
    if len(reading.asked) != 1 or stems(reading.words) - stems(reading.asked[0]) - _ABOUT_WORDS:
        return None
    if _HOW_WORD.search(reading.words) or asked_attributes(reading.words, reading.names):
        return None  # "how long is the X?" asks something, though its words are all stop words
    entry = next((b for b in blocks if b.label.startswith(_CATALOG) and _subject(b.label) == reading.asked[0]), None)
    if entry is None:
        return None
    said = [s for s in sentences(entry.text) if len(s.split()) >= 3][:2]
    return " ".join(cite(s, entry.n) for s in said) or None


_DIFFERENCE = re.compile(
    r"\b(?:differen(?:ce|ces|t)|differ|compare[sd]?|comparison|vs\.?|versus|stacks? up|better)\b", re.I
)


def difference(reading: Reading, blocks: list[SourceBlock], most: int = 3) -> str | None:
    """ "What's the difference between the K1 and the K1 Pro?": what the asked items' own sources say of one
    against the other ("Unlike the K1, which sits on your hob, the K1 Pro is an electric kettle"), in their order.
    None when no such sentence is there (the general answer then does what it can)."""
    if len(reading.asked) != 2 or not _DIFFERENCE.search(reading.words):
        return None
    found: list[tuple[int, int, str]] = []
    for b in blocks:
        subject = _subject(b.label)
        if subject not in reading.asked or b.label.startswith(_CATALOG):
            continue
        other = next(a for a in reading.asked if a != subject)
        for i, s in enumerate(sentences(b.text)):
            if _names_other(s, other, subject):  # a page naming the other item says how the two differ
                found.append((b.n, i, s))
    return " ".join(cite(s, n) for n, _, s in found[:most]) or None


def _names_other(sentence: str, other: str, subject: str) -> bool:
    """Whether a page about `subject` names `other` in this sentence: a word of its name that the subject's lacks,
    written as a name ("the F20", "our Glazed Ceramic Planter"); or, when the subject's name holds the other's
    whole (the "K1 Pro" of the "K1", the "Mini Balayage" of the "Balayage"), their shared model code (else the
    other's last word) without the subject's mark beside it ("Unlike the K1, which sits on your hob", "Unlike our
    full Balayage")."""
    own = set(_words(subject))
    theirs = [w for w in _words(other) if w not in own]
    said = re.findall(r"[^\W_]+", sentence)
    folded = [_folded(w) for w in said]
    if theirs:
        return any(f in theirs and (w[:1].isupper() or _has_figure(w)) for w, f in zip(said, folded, strict=True))
    marks = own - set(_words(other))
    codes = [w for w in _words(other) if _has_figure(w)] or list(_words(other))[-1:]
    return any(
        f in codes
        and (i + 1 == len(folded) or folded[i + 1] not in marks)
        and (i == 0 or folded[i - 1] not in marks)  # "the Mini Balayage" is not the Balayage
        for i, f in enumerate(folded)
    )


def _has_figure(word: str) -> bool:
    return any(c.isdigit() for c in word)


_COMPARATIVES: dict[str, tuple[str, int]] = {
    "lighter": ("weight", -1),
    "heavier": ("weight", 1),
    "cheaper": ("price", -1),
    "less expensive": ("price", -1),
    "more expensive": ("price", 1),
    "pricier": ("price", 1),
    "bigger": ("capacity", 1),
    "larger": ("capacity", 1),
    "roomier": ("capacity", 1),
    "smaller": ("capacity", -1),
    "warmer": ("temperature", -1),
    "heavier duty": ("weight", 1),
}
_COMPARE = re.compile(r"\b(" + "|".join(sorted(_COMPARATIVES, key=len, reverse=True)) + r")\b", re.I)


def _figure(attribute: str, sentence: str) -> float | None:
    """The attribute's figure in a sentence, in base units; for a range (20F to 60F) its lowest end."""
    if attribute == "price":
        m = re.search(r"costs (\d+(?:\.\d+)?)", sentence)
        return float(m.group(1)) if m else None
    dim = BY_NAME[attribute].dimension
    found = [q.base for q in quantities(sentence) if q.dimension == dim]
    return min(found) if found else None


_LOWER_IS = frozenset(
    "lighter cheaper smaller shorter slower quieter dimmer weaker lower less fewer narrower thinner colder".split()
)
_MORE_LESS = re.compile(
    r"\b(more|less|higher|lower|longer|shorter|bigger|larger|greater|smaller|stronger|better)\s+([^\W\d_]+)\b", re.I
)
_ER = re.compile(r"\b([^\W\d_]{3,}(?:er|ier))\b", re.I)


def comparative(text: str) -> tuple[str, int, str] | None:
    """The attribute a comparison asks about, its direction (1: the higher figure wins) and the word it used:
    "lighter" is (weight, -1), "more torque" and "longer range" name their attribute, "quieter" is the lower
    noise. Known comparatives first, then any "-er" word or "more X" whose word asks for an attribute."""
    m = _COMPARE.search(text)
    if m:
        attribute, direction = _COMPARATIVES[m.group(1).lower()]
        return attribute, direction, m.group(1).lower()
    for m in _MORE_LESS.finditer(text):
        found = [a for a in ATTRIBUTES if a.dimension and stems(m.group(2)) & (a.cues | a.keys)]
        if found:
            direction = -1 if m.group(1).lower() in _LOWER_IS else 1
            return found[0].name, direction, m.group(0).lower()
    for m in _ER.finditer(text):
        word = m.group(1).lower()
        found = [a for a in ATTRIBUTES if a.dimension and word in a.cues_words]
        if found:
            return found[0].name, -1 if word in _LOWER_IS else 1, word
        base = _base_adjective(word)
        if base in _MEASURES:  # "deeper" is more depth, "taller" more height
            attribute, _ = _MEASURES[base]
            return attribute, -1 if word in _LOWER_IS else 1, word
    return None


_MEASURES = {
    "deep": ("dimensions", "depth"),
    "tall": ("dimensions", "height"),
    "high": ("dimensions", "height"),
    "wide": ("dimensions", "width"),
    "long": ("dimensions", "length"),
    "thick": ("dimensions", "thick"),
    "fast": ("speed", "speed"),
    "strong": ("power", "power"),
    "far": ("range", "range"),
}
"""How-adjectives, the attribute they measure and the spec word for it ("deeper" reads a "Cutting depth")."""


def _base_adjective(word: str) -> str:
    """ "deeper" -> "deep", "bigger" -> "big", "heavier" -> "heavy", "wider" -> "wide"."""
    if word.endswith("ier"):
        return word[:-3] + "y"
    stem = word[:-2]
    if stem in _MEASURES:
        return stem
    if len(stem) > 2 and stem[-1] == stem[-2]:
        return stem[:-1]
    return word[:-1]


def _measure_keys(word: str) -> frozenset[str]:
    """Spec-key stems a comparative names beyond its attribute's: "deeper" -> {"depth"}."""
    base = _base_adjective(word.split()[-1]) if word else ""
    return frozenset(stems(_MEASURES[base][1])) if base in _MEASURES else frozenset()


def compare(reading: Reading, blocks: list[SourceBlock]) -> str | None:
    """ "Which is lighter, X or Y?": each item's figure from its own sources, and which wins; None when the
    question is no comparison or a figure is missing (the general answer then does what it can)."""
    asked = comparative(reading.words)
    if asked is None or len(reading.asked) < 2:
        return None
    attribute, direction, said_word = asked
    attr = BY_NAME[attribute]
    keys = attr.keys | _measure_keys(said_word) | stems(said_word.split()[-1])
    found: list[tuple[float, str, Scored]] = []
    for name in reading.asked:
        best: tuple[float, float, Scored] | None = None
        for b in blocks:
            subject = _subject(b.label)
            for s in sentences(b.text):
                if subject != name and not _mentions(s, name, _rivals(reading, name)):
                    continue
                if any(
                    _mentions(s, other, [name, *reading.others]) for other in reading.asked if other != name
                ) or _about_other(
                    Reading(reading.text, (name,), reading.others + tuple(a for a in reading.asked if a != name)),
                    s,
                    subject,
                ):
                    continue
                value = _figure(attribute, s)
                if value is None:
                    continue
                kv = key_value(s)
                sure = 2.0 if kv and stems(kv[0]) & keys else 1.0 if stems(s) & (keys | attr.cues) else 0.0
                if not sure and kv is None and subject == name and len(quantities(s)) == 1:
                    sure = 0.5  # "At just 6.9 kg, the lock is easy to carry": its one figure of that kind
                if attribute == "price" and b.label.startswith(_CATALOG):
                    sure = 3.0
                if sure and (best is None or sure > best[0]):
                    best = (sure, value, Scored(sure, b.n, s, frozenset(), subject or name))
        if best is None:
            return None
        found.append((best[1], name, best[2]))
    ordered = sorted(found, key=lambda x: direction * -x[0])
    winner, rest = ordered[0], ordered[1:]
    if any(abs(winner[0] - r[0]) < 1e-9 for r in rest):
        head = f"They are the same on {attribute}:"
    else:
        head = f"The {winner[1]} is {said_word}:" if " " not in said_word else f"The {winner[1]} has {said_word}:"
    parts = [cite(f"{name}, {_stated(attribute, scored)}", scored.n) for _, name, scored in ordered]
    return f"{head} " + " ".join(p if p.endswith(".") else p + "." for p in parts)


def _stated(attribute: str, scored: Scored) -> str:
    if attribute == "price" and (cost := _COSTS_IN.search(scored.sentence)):
        return cost.group(0)  # "costs 59.99 GBP", not the catalog entry's whole sentence
    kv = key_value(scored.sentence)
    if kv is not None:
        return f"{kv[0][:1].lower() + kv[0][1:]} {kv[1].rstrip('.')}"
    dim = BY_NAME[attribute].dimension if attribute in BY_NAME else None
    found = [q for q in quantities(scored.sentence) if q.dimension == dim]
    if len(found) == 1:  # "At just 6.9 kg, the lock is easy to carry": its weight, 6.9 kg
        return f"{attribute} {found[0].text}"
    return scored.sentence.rstrip(".")


def cite(sentence: str, n: int) -> str:
    """`We open at 9.` -> `We open at 9 [1].`"""
    s = sentence.rstrip()
    return f"{s[:-1]} [{n}]{s[-1]}" if s and s[-1] in ".!?" else f"{s} [{n}]"


class SentenceVectors:
    """MiniLM vectors of sentences, kept in a bounded cache: sources repeat their sentences turn after turn, and
    the model is the one the document index already loaded (one ONNX session per process)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._model: Any = None

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            if self._model is None:
                from concierge.tools.documents.embeddings import MiniLMEmbedder

                self._model = MiniLMEmbedder(batch_size=8).load()
            vectors = self._model.encode(missing)
            with self._lock:
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = v
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.stack([self._cache[t] for t in texts])


_SHARED_VECTORS = SentenceVectors()


class LocalAnswerer(BaseChatModel):
    """Grounded extractive answers from the prompt's own context; free, offline, always available."""

    max_sentences: int = 3
    min_coverage: float = 0.45
    semantic: bool = True
    """Re-rank candidate sentences by meaning with MiniLM besides words (off: words only)."""

    @property
    def _llm_type(self) -> str:
        return "concierge-local"

    def _answer(self, messages: list[BaseMessage]) -> tuple[str, dict[str, int]]:
        system = _system(messages)
        try:
            text = compose_answer(
                _question(messages),
                parse_context(system),
                self.max_sentences,
                self.min_coverage,
                header=parse_header(system),
                embed=_SHARED_VECTORS if self.semantic else None,
            )
        except Exception:
            # The last link of every chain: a bug here must cost one answer (a decline), not the customer's turn.
            log.exception("local answerer failed; declining")
            text = DECLINE
        inp = sum(count_tokens(str(m.content)) for m in messages)
        out = count_tokens(text)
        return text, {"input_tokens": inp, "output_tokens": out, "total_tokens": inp + out}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text, usage = self._answer(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text, usage_metadata=usage))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        text, usage = self._answer(messages)
        yield from _chunks(text, usage)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        text, usage = await asyncio.to_thread(self._answer, messages)
        for chunk in _chunks(text, usage):
            yield chunk
            await asyncio.sleep(0)  # let each token reach the client before the next


def _chunks(text: str, usage: dict[str, int]) -> Iterator[ChatGenerationChunk]:
    tokens = re.findall(r"\s*\S+", text)
    for i, tok in enumerate(tokens):
        last = i == len(tokens) - 1
        msg = AIMessageChunk(content=tok, usage_metadata=usage if last else None)  # type: ignore[arg-type]
        yield ChatGenerationChunk(message=msg)
