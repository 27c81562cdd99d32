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
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from rapidfuzz import fuzz, process

from concierge.tools.analysis.text import stems
from concierge.tools.llm.prompts import SourceBlock, parse_context
from concierge.tools.tokens import count_tokens

log = logging.getLogger(__name__)
DECLINE = (
    "I'm sorry, I don't have that information in our documents or catalog, so I can't answer it "
    "reliably. A member of our staff can help if you'd like."
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Question words that stand for a fact the context states with another word.
_SYNONYMS = {
    "much": ("price", "cost"),
    "cost": ("price",),
    "price": ("cost",),
    "expens": ("price", "cost"),
    "cheap": ("price", "cost"),
    "avail": ("stock", "free"),
    "left": ("stock", "free"),
    "slot": ("free",),
    "room": ("free", "place"),
    "space": ("free", "place"),
    "seat": ("free", "place"),
    "place": ("free",),
    "copi": ("stock",),
    "shelf": ("stock",),
    "address": ("street",),
    "money": ("refund",),
    "back": ("refund",),
    "locat": ("street",),
    "open": ("hour",),
    "close": ("hour", "open"),
    "refund": ("return",),
    "deliveri": ("ship",),
    "ship": ("deliveri",),
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
    for raw in text.splitlines():
        line = _MARKUP.sub("", raw).strip()
        if not line:
            continue
        if lines and _continues(lines[-1], line):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(_BULLET.sub("", line))
    return [s.strip() for line in lines for s in _SENTENCE.split(line) if s.strip()]


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
    chosen = " ".join(asking) if asking else (clauses or [question])[-1]
    return chosen if len(stems(chosen)) >= 2 else question


@dataclass(frozen=True)
class Scored:
    """A source sentence and how much of the question it covers."""

    coverage: float
    n: int
    sentence: str
    hits: frozenset[str]


def weigh(question: str, blocks: list[SourceBlock]) -> tuple[list[Scored], set[str]]:
    """Every sentence of the sources by coverage of the question, best first; and the question's words
    that no source mentions at all."""
    q = stems(focus(question))
    # A question in the sources (an FAQ's own heading) is never an answer.
    units = [
        (b.n, s, stems(s), stems(b.label))
        for b in blocks
        for s in sentences(b.text)
        if len(s.split()) >= 2 and not s.endswith("?")
    ]
    if not q or not units:
        return [], set()
    vocabulary = set().union(*(u[2] | u[3] for u in units))
    spelt = {t: _respell(t, vocabulary) for t in q}
    q = set(spelt.values())
    # A respelt word is only a guess: it still counts as missing unless the answer is otherwise sure.
    guessed = {new for old, new in spelt.items() if new != old}
    # Rare terms tell more; a term no source holds weighs most, so its absence lowers coverage.
    df = {t: sum(1 for u in units if t in u[2] or t in u[3]) for t in q}
    idf = {t: math.log(1 + len(units) / (df[t] + 0.5)) for t in q}
    total = sum(idf.values())

    def matched(terms: set[str]) -> set[str]:
        return {t for t in q if any(a in terms for a in (t, *_SYNONYMS.get(t, ())))}

    scored = []
    for n, sentence, terms, header in units:
        hits = matched(terms)
        from_header = matched(header) - hits
        coverage = (sum(idf[t] for t in hits) + _HEADER_WEIGHT * sum(idf[t] for t in from_header)) / total
        scored.append(Scored(coverage, n, sentence, frozenset(hits)))
    scored.sort(key=lambda x: -x.coverage)  # stable: ties keep the context's own ranking
    missing = {t for t in q if len(t) >= _SPECIFIC and df[t] == 0 and not _SYNONYMS.get(t)} | guessed
    return scored, missing


def _respell(term: str, vocabulary: set[str]) -> str:
    """A misspelt word ("wraping") as the sources spell it ("wrap"), when one is close enough."""
    if term in vocabulary or len(term) < _SPECIFIC:
        return term
    best = process.extractOne(term, vocabulary, scorer=fuzz.ratio, score_cutoff=_TYPO_SIMILARITY)
    return best[0] if best and best[0][0] == term[0] else term


def compose_answer(question: str, blocks: list[SourceBlock], max_sentences: int = 3, min_coverage: float = 0.45) -> str:
    """The best-covering sentences of the sources, each cited `[n]`, or a plain "I don't know"."""
    scored, missing = weigh(question, blocks)
    best = scored[0].coverage if scored else 0.0
    # A specific word of the question that no source mentions ("battery" of a lamp whose entry never says
    # it has one) means the sources cannot hold the answer, unless one sentence covers nearly all the rest.
    if best < min_coverage or (missing and best < _CONFIDENT):
        return DECLINE
    # Greedy: a further sentence must cover a question term the answer lacks, and be nearly as good.
    picked: list[Scored] = []
    covered: set[str] = set()
    for item in scored:
        if len(picked) == max_sentences or item.coverage < min_coverage:
            break
        if picked and (not (item.hits - covered) or item.coverage < _ALSO_GOOD * best):
            continue
        if any(item.sentence.lower() == p.sentence.lower() for p in picked):
            continue
        covered |= item.hits
        picked.append(item)
    return " ".join(cite(p.sentence, p.n) for p in picked)


def cite(sentence: str, n: int) -> str:
    """`We open at 9.` -> `We open at 9 [1].`"""
    s = sentence.rstrip()
    return f"{s[:-1]} [{n}]{s[-1]}" if s and s[-1] in ".!?" else f"{s} [{n}]"


class LocalAnswerer(BaseChatModel):
    """Grounded extractive answers from the prompt's own context; free, offline, always available."""

    max_sentences: int = 3
    min_coverage: float = 0.45

    @property
    def _llm_type(self) -> str:
        return "concierge-local"

    def _answer(self, messages: list[BaseMessage]) -> tuple[str, dict[str, int]]:
        try:
            text = compose_answer(
                _question(messages), parse_context(_system(messages)), self.max_sentences, self.min_coverage
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
