"""Words of a text for matching: content words in any script (accents kept) and their English stems.

`keywords()` keeps letters as written ("café" stays "café", so the FTS5 index, which folds diacritics itself,
finds "cafe" and "café" alike); `stems()` also folds accents, so a question typed without them still meets the
source's words.
"""

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[^\W_]+")
"""A word: letters and digits, any script."""

STOPWORDS = frozenset(
    """a an and are as at be but by can do does for from had has have how i if in is it its me my no not of on
    or our so that the their them there they this to was we what when where which who why will with you your
    please could would should any some about tell know want get hi hello hey thanks thank whats got still
    looking wondering many really like just also don can re ll ve moment need make long bought anything
    something
    go goes going come comes coming put puts use using having instead he she him his her us im between into onto
    than then dont doesnt didnt cant wont isnt arent decent
    totally completely absolutely actually literally basically definitely seriously honestly
    mine yours ours theirs hers myself yourself ourselves themselves meant supposed""".split()
)
"""Words that ask nothing by themselves. Everyday verbs and pronouns of how customers talk ("can my dog go
swimming with it on his collar?", "does it come with a plug?") are here: a source rarely repeats them."""


def keywords(text: str) -> list[str]:
    """Content words of a question, lower-cased, in order, without repeats; letters keep their accents."""
    seen: dict[str, None] = {}
    for w in WORD.findall(text.lower()):
        if w not in STOPWORDS and len(w) > 1:
            seen.setdefault(w, None)
    return list(seen)


def fold(text: str) -> str:
    """Text without diacritics: "Café Crème" -> "Cafe Creme"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """One word's English stem, accents folded; a noun in "-ance"/"-ence" meets its adjective. Cached: the
    pure-Python stemmer costs ~0.3 ms a word, and sources repeat their words turn after turn."""
    out = stem_words([fold(word)])[0]
    if out in _PER_TIME:
        return _PER_TIME[out]  # "the daily ones" are the "1-Day" lenses; "monthly" is "per month"
    # "pregnancy" and "pregnant", "distance" and "distant": the stemmer leaves "-anc"/"-enc" beside "-ant"/"-ent"
    return f"{out[:-1]}t" if out.endswith(("anc", "enc")) else out


def superlative_base(word: str) -> str | None:
    """The adjective of a superlative ("thinnest" -> "thin", "largest" -> "large", "earliest" -> "early"): the
    stemmer leaves "-est" on. Only where the base is a commoner English word than the form, so "interest",
    "forest" or "honest" stay."""
    if len(word) < 6 or not word.endswith("est") or not word.isalpha():
        return None
    from wordfreq import zipf_frequency  # its word lists load on first use (~0.2 s)

    root = word[:-3]
    candidates = [root, f"{root}e", f"{root[:-1]}y" if root.endswith("i") else ""]
    if len(root) > 2 and root[-1] == root[-2]:
        candidates.append(root[:-1])  # "thinnest", "biggest", "hottest"
    said = zipf_frequency(word, "en")
    scored = [(zipf_frequency(c, "en"), c) for c in candidates if len(c) >= 3 and c not in STOPWORDS]
    best = max(scored, default=(0.0, ""))
    return best[1] if best[0] > said and best[0] >= _COMMON_BASE else None


_COMMON_BASE = 3.5


_PER_TIME = {"daili": "day", "weekli": "week", "monthli": "month", "yearli": "year", "hourli": "hour"}


def stems(text: str) -> set[str]:
    """The content words of `text` reduced to their stems, accents folded, so "prices" meets "price" and
    "opening" meets "open"."""
    return {stem(w) for w in keywords(text)}


def stem_list(text: str) -> list[str]:
    """`stems` in the order the words come, repeats removed."""
    return list(dict.fromkeys(stem(w) for w in keywords(text)))


EVERYDAY = 5.2
"""Zipf frequency (log10 of uses per billion words) from which an English word is everyday wording: "stay",
"again", "work", "site", "later" are how a customer phrases a question, while "caffeine", "bluetooth", "warranty"
or "loyalty" (below it) name the thing asked, which a source must hold."""


def everyday_stems(text: str) -> set[str]:
    """Stems of the words of `text` that are everyday English (see `EVERYDAY`)."""
    from wordfreq import zipf_frequency  # its word lists load on first use (~0.2 s), not on import of this module

    return {stem(w) for w in keywords(text) if w.isalpha() and zipf_frequency(w, "en") >= EVERYDAY}
