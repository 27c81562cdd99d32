"""The built-in local answerer: an extractive chat model that needs no network.

It reads the numbered sources of the system prompt (see `prompts.parse_context`), picks the sentences that
best cover the customer's question, and cites each one. When no sentence covers enough of the question it
says it does not know. Being a LangChain chat model, it streams through LangGraph's `messages` mode exactly
like a remote provider.
"""

import asyncio
import math
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import snowballstemmer
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from concierge.tools.docindex import keywords
from concierge.tools.llm.prompts import SourceBlock, parse_context
from concierge.tools.tokens import count_tokens

DECLINE = (
    "I'm sorry, I don't have that information in our documents or catalog, so I can't answer it "
    "reliably. A member of our staff can help if you'd like."
)
_STEM = snowballstemmer.stemmer("english")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Question words that stand for a fact the context states with another word.
_SYNONYMS = {
    "much": ("price",),
    "cost": ("price",),
    "expens": ("price",),
    "cheap": ("price",),
    "avail": ("stock", "free"),
    "left": ("stock",),
    "slot": ("free",),
    "open": ("hour",),
    "close": ("hour",),
    "refund": ("return",),
    "deliveri": ("ship",),
    "ship": ("deliveri",),
}
_HEADER_WEIGHT = 0.6


def stems(text: str) -> set[str]:
    return set(_STEM.stemWords(keywords(text)))


def _question(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _system(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in messages if isinstance(m, SystemMessage)), "")


def compose_answer(question: str, blocks: list[SourceBlock], max_sentences: int = 3, min_coverage: float = 0.45) -> str:
    """The best-covering sentences of the sources, each cited `[n]`, or a plain "I don't know"."""
    q = stems(question)
    if not q or not blocks:
        return DECLINE
    units = [
        (b.n, s.strip(), stems(s), stems(b.label))
        for b in blocks
        for s in _SENTENCE.split(b.text)
        if len(s.split()) >= 2
    ]
    if not units:
        return DECLINE
    # Rare terms tell more; a term no source holds weighs most, so its absence lowers coverage.
    df = {t: sum(1 for u in units if t in u[2] or t in u[3]) for t in q}
    idf = {t: math.log(1 + len(units) / (df[t] + 0.5)) for t in q}
    total = sum(idf.values())

    def coverage(sentence: set[str], header: set[str]) -> float:
        got = 0.0
        for t in q:
            alts = (t, *_SYNONYMS.get(t, ()))
            if any(a in sentence for a in alts):
                got += idf[t]
            elif any(a in header for a in alts):
                got += _HEADER_WEIGHT * idf[t]
        return got / total

    scored = sorted(((coverage(u[2], u[3]), i, u) for i, u in enumerate(units)), key=lambda x: (-x[0], x[1]))
    best = scored[0][0]
    if best < min_coverage:
        return DECLINE
    picked: list[str] = []
    seen: set[str] = set()
    for score, _, (n, sentence, _s, _h) in scored:
        if len(picked) == max_sentences or score < max(min_coverage, 0.6 * best):
            break
        if sentence.lower() in seen:
            continue
        seen.add(sentence.lower())
        picked.append(cite(sentence, n))
    return " ".join(picked)


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
        text = compose_answer(
            _question(messages), parse_context(_system(messages)), self.max_sentences, self.min_coverage
        )
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
