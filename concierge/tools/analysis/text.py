"""Words of a text as search and answering compare them: content words, and their English stems."""

import re

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


_ENGLISH = snowballstemmer.stemmer("english")


def stems(text: str) -> set[str]:
    """The content words of `text` reduced to their stems, so "prices" meets "price" and "opening" meets "open"."""
    return set(_ENGLISH.stemWords(keywords(text)))
