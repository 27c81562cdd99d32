"""Words of a text as search and answering compare them: content words, and their English stems."""

import re
import threading

import snowballstemmer

_WORD = re.compile(r"[A-Za-z0-9]+")

STOPWORDS = frozenset(
    """a an and are as at be but by can do does for from had has have how i if in is it its me my no not of on
    or our so that the their them there they this to was we what when where which who why will with you your
    please could would should any some about tell know want get hi hello hey thanks thank whats got still
    looking wondering many really like just also don can re ll ve moment need make long bought""".split()
)


def keywords(text: str) -> list[str]:
    """Content words of a question, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(text.lower()):
        if w not in STOPWORDS and len(w) > 1:
            seen.setdefault(w, None)
    return list(seen)


_STEMMERS = threading.local()


def stem_words(words: list[str], algorithm: str = "english") -> list[str]:
    """`words` reduced to their stems by this thread's own snowball stemmer ("english" or "porter").

    A stemmer keeps the word it is working on in its own attributes, so one instance shared by threads (the
    local answerer and index searches run in worker threads, question analysis on the event loop) mixes up
    concurrent words and raises IndexError. One per thread costs a few microseconds, once.
    """
    own = getattr(_STEMMERS, algorithm, None)
    if own is None:
        own = snowballstemmer.stemmer(algorithm)
        setattr(_STEMMERS, algorithm, own)
    return own.stemWords(words)


def stems(text: str) -> set[str]:
    """The content words of `text` reduced to their stems, so "prices" meets "price" and "opening" meets "open"."""
    return set(stem_words(keywords(text)))
