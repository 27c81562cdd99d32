"""A tenant's own words: its product and service names, brands and categories, built from its catalog.

Query rules ask it what a question is about ("a product word", "a service word", "this brand") instead of carrying
a shop's vocabulary in code; conversation rules ask it which catalog item a message names. Built with the catalog
index for each catalog version, so an import changes it at once.
"""

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from concierge.tools.analysis.text import WORD, everyday_stems, fold, keywords, stem, stem_list, stems

ItemKind = Literal["product", "service"]
NAMED = 0.5
"""Share of a name's weight (rarer words weigh more) a message must mention to name the item."""
MOSTLY = 0.75
NAMED_CACHE = 20_000
_ALTERNATIVES = re.compile(
    r"\s*(?:\bor\b|\bvs\b\.?|\bversus\b|\bthan\b|\bagainst\b|\bcompare[sd]? (?:to|with)\b"
    r"|\bdiffer(?:s|ent)? from\b)\s*",
    re.I,
)
"""What separates the items a question weighs against each other: "the T3 or the T3 Pro", "X vs Y", "lighter than"."""
_BETWEEN = re.compile(r"\b(?:between|both)\b", re.I)
_BETWEEN_AND = re.compile(r"\s*\b(?:and|&)\s+", re.I)
_MIN_TERM = 3


def _name_words(name: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(name).casefold())


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


@dataclass(frozen=True)
class CatalogItem:
    """A product or service as a conversation refers to it."""

    kind: ItemKind
    key: str
    """Product SKU or service code."""
    name: str
    brand: str = ""
    category: str = ""
    model_number: str = ""

    @property
    def item_id(self) -> str:
        """The id its retrieved item carries: `catalog:product:<sku>`, `catalog:service:<code>`."""
        return f"catalog:{self.kind}:{self.key}"


def _norm_model(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_MODEL_TOKEN = re.compile(r"(?<![\w-])[A-Za-z]+-?\d[A-Za-z0-9-]*(?![\w-])")
"""A model designation inside a name: letters then digits ("K61", "AR-200CE", "XR700"); not "16GB" nor "2-Person",
which start with their number and measure something."""


def _numbers(text: str) -> list[str]:
    """The standalone numbers of a name ("Cub 15" -> 15): part of how customers say it, not in `_terms`. A
    sentence's full stop or a list's comma after one ends it ("the Ridge 88. I'm 6'2"); "1.5" is no 1 and 5."""
    return re.findall(r"(?<![\w.,-])\d+(?![\w-]|[.,]\d)", text)


_ROMAN = frozenset({"ii", "iv", "vi", "ix", "xi"})
_MARK_WORDS = frozenset(stem_list("pro plus mini max lite xl ultra"))
"""Words that make a sibling model of a name ("Veloce Air" and "Veloce Air Pro")."""
"""Two-letter generation marks of model names ("Z50 II"): the word that tells a sibling apart."""


def _worth(term: str) -> bool:
    """A stem worth matching: no bare number, no one-letter word; two characters only as a model mark ("T3",
    "X4", "II")."""
    if term.isdigit():
        return False
    if len(term) >= _MIN_TERM:
        return True
    return len(term) == 2 and (term in _ROMAN or (any(c.isdigit() for c in term) and any(c.isalpha() for c in term)))


def _terms(text: str) -> list[str]:
    """Stems worth matching, plus compounds joined ("Wi-Fi" is also "wifi", as `message_terms` joins)."""
    return [t for t in dict.fromkeys(stem_list(text) + stem_list(" ".join(_compounds(text)))) if _worth(t)]


def _compounds(text: str) -> list[str]:
    """Words written with hyphens, slashes or points, joined: "Wi-Fi" -> "wifi", "f/2.8" -> "f28"."""
    return [re.sub(r"[-/.]", "", w) for w in re.findall(r"[^\W_]+(?:[-/.][^\W_]+)+", text.lower())]


_GERUND = re.compile(r"\b[^\W\d_]{2,}ing\b", re.I)
_BEFORE_PRONOUN = re.compile(r"\b([^\W\d_]{3,})\s+(?:it|them|this|that|these|those|me|us|him|her)\b", re.I)
"""A word said as a verb: "fit it", "test them"."""


def _singular(word: str) -> str:
    """ "bikes" -> "bike", "boxes" -> "box", "glass" stays: enough to say a category's name in the singular."""
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def message_terms(text: str) -> set[str]:
    """A message's stems, plus each pair of neighbouring words joined ("trail master" meets "TrailMaster")."""
    words = [fold(w) for w in re.findall(r"[^\W_]+", text.lower())]
    joined = {a + b for a, b in itertools.pairwise(words)}
    return stems(text) | stems(" ".join(joined)) | stems(" ".join(_compounds(text)))


_SMALLER = frozenset({"small", "smaller", "smallest", "little", "compact", "tiny", "mini"})
_BIGGER = frozenset({"big", "bigger", "biggest", "large", "larger", "largest", "huge"})
_COMPARATIVE_SIZE = frozenset({"smaller", "bigger", "larger"})
_SIZED = re.compile(
    rf"\bthe\s+({'|'.join(sorted(_SMALLER | _BIGGER))})(?:\s+(?:one|model|version)s?\b|(?=\s*(?:[?.!,;]|$)))", re.I
)


def _model_size(name: str) -> tuple[str, float] | None:
    """A name's family (its words without the model number) and the number its model says: "AquaFlo F35 Drinking
    Fountain" -> ("aquaflo drinking fountain", 35); None for a name with no number or several."""
    words = re.findall(r"[^\W_]+(?:[-.][^\W_]+)*", name.lower())
    numbered = [w for w in words if re.search(r"\d", w)]
    if len(numbered) != 1:
        return None
    digits = re.findall(r"\d+(?:\.\d+)?", numbered[0])
    if len(digits) != 1:
        return None
    family = " ".join(w if w != numbered[0] else re.sub(r"[\d.]+", "#", w) for w in words)
    return family, float(digits[0])


@dataclass
class Vocabulary:
    """What the tenant's catalog calls things, for one catalog version."""

    version: int
    items: list[CatalogItem] = field(default_factory=list)
    product_terms: set[str] = field(default_factory=set)
    """Stems of product names, categories, brands and tags."""
    service_terms: set[str] = field(default_factory=set)
    """Stems of service names."""
    brands: dict[str, str] = field(default_factory=dict)
    """Folded, lower-cased brand -> the brand as the catalog writes it."""
    categories: dict[str, str] = field(default_factory=dict)
    """Folded, lower-cased category -> the category as the catalog writes it."""
    _name_terms: list[list[str]] = field(default_factory=list)
    """Each item's name words as stems (its standalone numbers are in `_name_numbers`, as `#15`)."""
    _postings: dict[str, list[int]] = field(default_factory=dict)
    _idf: dict[str, float] = field(default_factory=dict)
    _models: dict[str, int] = field(default_factory=dict)
    _named_cache: dict[tuple[str, float], list[tuple[float, CatalogItem]]] = field(default_factory=dict)
    _category_terms: set[str] = field(default_factory=set)
    """A category's words name no item on their own ("massage" is no massage course)."""
    _name_numbers: list[list[str]] = field(default_factory=list)
    _number_postings: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    _everyday: set[str] = field(default_factory=set)
    """Name words that are everyday English ("full", "light"): one alone names no longer name."""
    _gerunds: set[str] = field(default_factory=set)
    """Stems the catalog's own words spell with "-ing" ("Climbing Shoes"): those a text's "-ing" word may name."""

    @classmethod
    def build(cls, version: int, products: Iterable[Any], services: Iterable[Any]) -> "Vocabulary":
        """From product rows (sku, name, category, brand, model_number, tags) and service rows (code, name)."""
        vocab = cls(version)
        postings: dict[str, list[int]] = defaultdict(list)
        for p in products:
            tags = [str(t) for t in (p.tags or [])]
            item = CatalogItem("product", p.sku, p.name, p.brand or "", p.category or "", p.model_number or "")
            words = " ".join([p.name, p.category or "", p.brand or ""] + [t.split(":", 1)[-1] for t in tags])
            vocab.product_terms.update(_terms(words))
            vocab._gerunds.update(stem(w.lower()) for w in _GERUND.findall(words))
            if p.brand:
                vocab.brands[fold(p.brand).casefold()] = p.brand
            if p.category:
                vocab.categories[fold(p.category).casefold()] = p.category
            if p.model_number and len(_norm_model(p.model_number)) >= _MIN_TERM:
                vocab._models[_norm_model(p.model_number)] = len(vocab.items)
            vocab._add(item, postings)
        for s in services:
            vocab.service_terms.update(_terms(s.name))
            vocab._gerunds.update(stem(w.lower()) for w in _GERUND.findall(s.name))
            vocab._add(CatalogItem("service", s.code, s.name), postings)
        vocab._postings = dict(postings)
        vocab._category_terms = set(_terms(" ".join(vocab.categories.values())))
        n = max(len(vocab.items), 1)
        vocab._idf = {t: math.log(1 + n / len(ix)) for t, ix in (postings | vocab._number_postings).items()}
        vocab._find_models()
        return vocab

    def _find_models(self) -> None:
        """Model designations in names ("Keyra K61 Portable Keyboard") name their item outright, as a catalog's
        model number does, when no other name holds the same one: customers say "the K61", rarely the rest."""
        seen: dict[str, set[int]] = defaultdict(set)
        for i, item in enumerate(self.items):
            for token in _MODEL_TOKEN.findall(item.name):
                if len(code := _norm_model(token)) >= _MIN_TERM:
                    seen[code].add(i)
        for code, holders in seen.items():
            if len(holders) == 1 and code not in self._models:
                self._models[code] = next(iter(holders))

    def _add(self, item: CatalogItem, postings: dict[str, list[int]]) -> None:
        terms = _terms(item.name)
        self._everyday.update(everyday_stems(item.name))  # read here, in the build's thread: wordfreq reads files
        for t in dict.fromkeys(terms):
            postings[t].append(len(self.items))
        # A name's number weighs like a word when the share of the name a text says is reckoned ("the Cub 15" of
        # "Voltline Cub 15 Practice Amp"), and a text that says a sibling's number is not about this item; kept
        # out of the term sets, where a bare number would name a product kind.
        numbers = [f"#{n}" for n in dict.fromkeys(_numbers(item.name))]
        self._name_numbers.append(numbers)
        for n in numbers:
            self._number_postings[n].append(len(self.items))
        self.items.append(item)
        self._name_terms.append(terms)

    def named(self, text: str, threshold: float = NAMED) -> list[tuple[float, CatalogItem]]:
        """Items whose name the text mentions (see `_named`); cached, since passages come back turn after turn."""
        key = (text, threshold)
        hit = self._named_cache.get(key)
        if hit is None:
            hit = self._named(text, threshold) + self._alternatives(text, threshold)
            if len(self._named_cache) > NAMED_CACHE:
                self._named_cache.clear()
            self._named_cache[key] = hit
        return hit

    def _alternatives(self, text: str, threshold: float) -> list[tuple[float, CatalogItem]]:
        """Items named by one side of an "X or Y" that the whole text, read as one bag of words, does not name:
        "the T3 or the T3 Pro" says every word of the T3 Pro's name, so read whole it names the Pro alone."""
        sides = [side for side in _ALTERNATIVES.split(text) if side.strip()]
        if _BETWEEN.search(text):  # "the difference between the K1 and the K1 Pro"
            sides = [part for side in sides for part in _BETWEEN_AND.split(side) if part.strip()]
        if len(sides) < 2:
            return []
        whole = {it.item_id for _, it in self._named(text, threshold)}
        extra: dict[str, tuple[float, CatalogItem]] = {}
        # "the resin or the metal dice": the last side's head noun is the others' too
        tail = re.findall(r"[^\W_]+", sides[-1])[-1:]
        for side in sides:
            # each side on its own names its item as a message would
            for score, it in (self._named(side) or self._named(" ".join([side, *tail])))[:1]:
                if it.item_id not in whole:
                    extra.setdefault(it.item_id, (score, it))
        return list(extra.values())

    def _named(self, text: str, threshold: float = NAMED) -> list[tuple[float, CatalogItem]]:
        """Items whose name the text mentions, best first, as (share of the name's weight mentioned, item).

        Rare words weigh more: "the TrailMaster" names the TrailMaster X4 Tent, "the tent" names no tent. A model
        number names its product outright.
        """
        found = message_terms(text)
        verbs = stems(" ".join(_BEFORE_PRONOUN.findall(text)))
        said_numbers = {f"#{n}" for n in _numbers(text)}
        scores: dict[int, float] = {}
        for t in found:
            for i in self._postings.get(t, ()):
                scores[i] = scores.get(i, 0.0) + self._idf[t]
        for i in scores:  # a number names nothing alone, only with a word of the name
            scores[i] += sum(self._idf[n] for n in self._name_numbers[i] if n in said_numbers)
        out: dict[int, float] = {}
        for i, got in scores.items():
            terms = self._name_terms[i]
            total = sum(self._idf[t] for t in dict.fromkeys(terms)) + sum(self._idf[n] for n in self._name_numbers[i])
            # The words mentioned must single the item out: "sleeping bag" is every sleeping bag's name, none's
            # in particular; "Alpine tent" is one product even though other names hold "Alpine" or "tent".
            matched = [t for t in dict.fromkeys(terms) if t in found]
            if len(matched) == 1 and len(set(terms)) > 1 and not said_numbers and matched[0] in self._everyday | verbs:
                # "charge it full" names no "Full overhaul", "will you fit it?" no "Bike fit": one everyday word of
                # a longer name, or one said as a verb (before "it")
                continue
            sharing = set(self._postings[matched[0]]).intersection(*(self._postings[t] for t in matched[1:]))
            if len(sharing) > 1:
                sharing = self._by_number(sharing, text)
            if len(sharing) > 1:
                sharing = self._said_whole(sharing, found, text)
            # "the T3" of a "T3 GPS Tracker" and a "T3 Pro GPS Tracker": the sibling whose mark ("Pro", "II") goes
            # unsaid is not the one asked, when the words said are a model's.
            marks = {t for t in matched if any(c.isdigit() for c in t)}
            marks |= {n for n in self._name_numbers[i] if n in said_numbers}
            sibling = len(sharing) > 1 and bool(marks)
            if (
                len(sharing) > 1
                and not sibling
                and i in sharing
                and set(matched) - self._category_terms
                and not self._said_plural(text, set(matched))
                and self._marked_siblings(i, sharing, found)
            ):
                # "the Veloce Air" beside the "Veloce Air Pro": the others differ from it by an unsaid model mark
                sharing, sibling = {i}, True
            if sibling:
                sharing = self._fewest_unsaid(sharing, found, said_numbers)
            share = got / total if total else 0.0
            # ...and be its own: a word no other name (nor a category) uses, or most of the name ("hiking
            # jackets" is no one jacket even when one jacket alone has both words).
            owned = [t for t in matched if len(self._postings[t]) == 1 and t not in self._category_terms]
            owned += [n for n in self._name_numbers[i] if n in said_numbers and len(self._number_postings[n]) == 1]
            # A model's mark and one more word that leave no other name ("the Z50 II", "T3 Pro") are its own too.
            marked = bool(marks) and len(matched) >= 2
            if owned and set(owned) == set(matched) and not sibling and self._name_numbers[i]:
                # "the Pika" of the "Cinder Pika 78", its only Pika: a size number customers leave out when no
                # sibling needs it (words other names share, "Brightwave ... Combo", are no such name)
                numbers = sum(self._idf[n] for n in self._name_numbers[i] if n not in said_numbers)
                share = max(share, round(got / (total - numbers), 6)) if total > numbers else share
            own = bool(owned) or share >= MOSTLY or sibling or marked
            distinctive = sharing == {i} and own
            # Two things only this name has ("the Cub 15" of the "Voltline Cub 15 Practice Amp") name it, however
            # long the rest of its name: shop titles trail descriptions customers never repeat.
            # A word only this name has, said with another of its words or its category's ("the Assam tea", "the
            # Huila coffee"), names it too: not when that other word is said in the plural ("hiking jackets" asks
            # for every jacket for hiking).
            paired = bool(owned) and len(set(matched) | (self._category_of(i) & found)) >= 2
            paired = paired and not self._said_plural(text, set(matched) - set(owned))
            loose = threshold <= NAMED and (len(set(owned) | marks) >= 2 or sibling or marked or paired)
            if distinctive and (share >= threshold or loose):
                out[i] = max(share, threshold)
        # Words the whole names in the text already account for name nothing more: "the Alder Crest Shelf or
        # the Birch Vale Shelf" does not name the "Birch Crest 200 Shelf".
        said = fold(text).casefold()
        whole = {i for i in out if fold(self.items[i].name).casefold() in said}
        for i in [i for i in out if i not in whole and whole - {i}]:
            # ...numbers too: "the Fernway Timber Chainsaw or the Fernway Logger 500 Chainsaw" says no word of the
            # "Quillon Timber 500 Chainsaw" that those two names do not account for.
            mine = {t for t in self._name_terms[i] if t in found}
            mine |= {n for n in self._name_numbers[i] if n in said_numbers}
            if not mine - set().union(*(self._name_terms[j] + self._name_numbers[j] for j in whole if j != i)):
                del out[i]
        for code in re.findall(r"[A-Za-z0-9][A-Za-z0-9-]{2,}", text):
            i = self._models.get(_norm_model(code))
            if i is not None:
                out[i] = 1.0
        ranked = sorted(out.items(), key=lambda x: (-x[1], -len(self._name_terms[x[0]])))
        return [(round(score, 3), self.items[i]) for i, score in ranked]

    def _marked_siblings(self, i: int, sharing: set[int], found: set[str]) -> bool:
        """Whether every other name holding the words said is this one's plus an unsaid model mark ("Pro", "Plus",
        "Mini", "Max", "Lite", "XL"): then the words said name this one, the plain model."""
        mine = set(self._name_terms[i])
        for j in sharing - {i}:
            extra = set(self._name_terms[j]) - mine
            if not mine <= set(self._name_terms[j]) or not extra or not extra <= _MARK_WORDS or extra & found:
                return False
        return True

    def _category_of(self, i: int) -> set[str]:
        return set(_terms(self.items[i].category)) if self.items[i].category else set()

    @staticmethod
    def _said_plural(text: str, terms: set[str]) -> bool:
        """Whether the text says one of these stems in the plural ("jackets" for "jacket")."""
        for w in re.findall(r"[^\W\d_]+", text.lower()):
            if len(w) > 3 and w.endswith("s") and not w.endswith("ss") and stem(w) in terms and stem(w) != w:
                return True
        return False

    def _fewest_unsaid(self, sharing: set[int], found: set[str], said_numbers: set[str]) -> set[int]:
        """Of names holding the same words, the one with the fewest words and numbers the text leaves unsaid; all
        of them when several tie."""
        # Unless one name is said whole, a name holding more of the words said comes first: "the K1 Pro kettle" is
        # not the "K1 Gooseneck Kettle", however short.
        said = {j: len([t for t in self._name_terms[j] if t in found]) for j in sharing}
        if not any(said[j] == len(self._name_terms[j]) for j in sharing):
            sharing = {j for j in sharing if said[j] == max(said.values())}
        unsaid = {
            j: len([t for t in self._name_terms[j] if t not in found])
            + len([n for n in self._name_numbers[j] if n not in said_numbers])
            for j in sharing
        }
        least = min(unsaid.values())
        fewest = {j for j, n in unsaid.items() if n == least}
        return fewest if len(fewest) == 1 else sharing

    def sibling_named(self, text: str, focus: CatalogItem) -> CatalogItem | None:
        """The item a message names by what sets it apart from the one in focus: "and the Pro?" after the T3,
        "on the Wi-Fi version?" after the plain feeder. None unless exactly one item fits."""
        own = set(_terms(focus.name))
        # Only what follows "the" names an item: "does it have a brushless motor?" asks the focus about a feature
        # a sibling's name holds, "and the brushless one?" asks about that sibling.
        pointed = " ".join(re.findall(r"\bthe\s+([^\W_][\w/.-]*)", text, re.I))
        said = {t for t in message_terms(pointed) if _worth(t)} - own
        if not said:
            return None
        fits = [
            it
            for _, it in self.named(f"{text} {focus.name}")
            if it != focus and said & set(_terms(it.name)) and own & set(_terms(it.name))
        ]
        if not fits:
            # "and with the expansion?" after the game: the one name holding the game's words and the word said
            fits = [
                it
                for it in self.items
                if it != focus and it.kind == focus.kind and (said | own) <= set(_terms(it.name))
            ]
        if not fits:
            return self.sized_sibling(text, focus)
        return fits[0] if len(fits) == 1 else None

    def sized_sibling(self, text: str, focus: CatalogItem) -> CatalogItem | None:
        """ "the small one" after the F35 fountain: the sibling (the same name with another model number, "AquaFlo
        F20 Drinking Fountain") whose number is lower, "the big one" higher; of several on that side, the nearest
        ("smaller") or the farthest ("smallest", "small"). None when the text says no size (or both) or no sibling is
        on that side."""
        # "the small one", "the bigger model"; not "the large size", a version of the item itself.
        said = {m.group(1).lower() for m in _SIZED.finditer(text)}
        down, up = said & _SMALLER, said & _BIGGER
        if bool(down) == bool(up):
            return None
        mine = _model_size(focus.name)
        if mine is None:
            return None
        family, number = mine
        side = []
        for it in self.items:
            theirs = _model_size(it.name) if it != focus and it.kind == focus.kind else None
            if theirs is not None and theirs[0] == family and (theirs[1] < number if down else theirs[1] > number):
                side.append((abs(theirs[1] - number), it))
        if not side:
            return None
        side.sort(key=lambda x: x[0])
        nearest = bool((down | up) & _COMPARATIVE_SIZE)
        return side[0][1] if nearest or len(side) == 1 else side[-1][1]

    def _said_whole(self, sharing: set[int], found: set[str], text: str) -> set[int]:
        """Of names that all hold the words said, the one the text says whole, as written: "Château des Brumes" is
        the game, not "Château des Brumes : Les Caves (expansion)"; unless a longer name holds more of the words
        said ("Château des Brumes : Les Caves" is the expansion)."""
        held = {j: len(found & set(self._name_terms[j])) for j in sharing}
        said = " ".join(WORD.findall(fold(text).casefold()))
        whole = {
            j
            for j in sharing
            if re.search(rf"\b{re.escape(' '.join(WORD.findall(fold(self.items[j].name).casefold())))}\b", said)
        }
        return whole if len(whole) == 1 and held[next(iter(whole))] == max(held.values()) else sharing

    def _by_number(self, sharing: set[int], text: str) -> set[int]:
        """Of names sharing the same words, those the text's numbers single out: "Aster Shelf" is not the
        "Aster 700 Shelf" (its 700 is not said), "Aster 700 Shelf" is that one rather than the plain Aster."""
        said = set(re.findall(r"\d+", text))
        numbers = {j: set(re.findall(r"\d+", self.items[j].name)) for j in sharing}
        fitting = {j for j in sharing if numbers[j] <= said}
        if not fitting:
            return sharing
        most = max(len(numbers[j]) for j in fitting)
        return {j for j in fitting if len(numbers[j]) == most}

    def best_named(self, text: str) -> CatalogItem | None:
        """The one item a message names, when one clearly leads."""
        named = self.named(text)
        if not named:
            return None
        if len(named) > 1 and named[1][0] >= named[0][0] - 1e-9:
            # A tie between a product and a longer-named one that holds it ("Trail Stove" vs "Trail Stove
            # Cartridges"), or two model codes ("the AR-200CE ... as the AR-200"), goes to the one whose whole name
            # is in the message.
            said = fold(text).casefold()
            tied = [it for s, it in named if s >= named[0][0] - 1e-9]
            whole = [it for it in tied if fold(it.name).casefold() in said] or [it for s, it in named if s >= 0.999]
            if len(whole) == 1:
                return whole[0]
            # A model code said ("the K1 Pro") names its item more surely than plain words ("green tea") do another.
            words = set(re.findall(r"[^\W_]+", said))
            coded = [it for it in tied if any(_has_digit(w) and w in words for w in _name_words(it.name))]
            return coded[0] if len(coded) == 1 else None
        return named[0][1]

    def subject(self, head: str) -> CatalogItem | None:
        """The item a document is about, from its head (title, then its opening text): the one its title or first
        line names; else one whose whole name its opening holds. An item the opening merely mentions ("see the
        Table Reservation page") is not what a shop-wide page is about."""
        lines = head.split("\n")
        top = self.best_named("\n".join(lines[:2]))
        if top is not None:
            return top
        named = self.named(head)
        whole = [it for s, it in named if s >= 0.999 and fold(it.name).casefold() in fold(head).casefold()]
        return whole[0] if len(whole) == 1 else None

    def kind_words(self, text: str) -> list[tuple[str, str]]:
        """Words of the text that item names use, as (stem, the word as typed), rarest first: "boots" in
        "any hiking boots?" picks the boots among everything for hiking."""
        typed = {stem(w): w for w in keywords(text)}
        verbs = {stem(w) for w in _BEFORE_PRONOUN.findall(text)}  # "which size would fit him?": no Fitting
        verbs |= self.activities(text)  # "wax for spring skiing" asks for wax, not skis
        found = [(t, w) for t, w in typed.items() if t in self._postings and len(t) >= _MIN_TERM and t not in verbs]
        order = {t: i for i, (t, _) in enumerate(found)}
        # Among equally rare words, the later one: English puts the head noun last ("hiking jackets").
        return sorted(found, key=lambda x: (len(self._postings[x[0]]), -order[x[0]]))

    def activities(self, text: str) -> set[str]:
        """Stems of the text's "-ing" words the catalog never spells so: what the customer does ("skiing", "for
        running"), not a thing it sells ("Skis", "Runners"). "Climbing" of a catalog's "Climbing Shoes" stays."""
        return {t for w in _GERUND.findall(text.lower()) if (t := stem(w)) != w.lower() and t not in self._gerunds}

    def items_with(self, term: str) -> list[CatalogItem]:
        """Items whose name uses the stem `term`."""
        return [self.items[i] for i in self._postings.get(term, ())]

    def by_key(self, item_id: str) -> CatalogItem | None:
        return next((it for it in self.items if it.item_id == item_id), None)

    def kind_of(self, text: str) -> ItemKind | None:
        """Whether a message speaks of the tenant's products or its services, from the words it uses."""
        q = message_terms(text)
        products, services = q & self.product_terms, q & self.service_terms
        only_services, only_products = services - products, products - services
        if len(only_services) > len(only_products):
            return "service"
        if products:
            return "product"
        return "service" if services else None

    def brands_in(self, text: str) -> list[str]:
        """Brands the text names, as the catalog writes them."""
        low = fold(text).casefold()
        out = []
        for key, brand in self.brands.items():
            # "CampBuddy", "Camp Buddy" and "camp-buddy" are one brand.
            chars = [re.escape(c) for c in re.sub(r"[\W_]", "", key)]
            if chars and re.search(r"(?<![^\W_])" + r"[\W_]?".join(chars) + r"(?![^\W_])", low):
                out.append(brand)
        return out

    def _qualifies(self, head: str, low: str) -> bool:
        """Whether the text says a category's head word only before another word of item names, which is then the
        thing asked: "the game table" is a table, not a game; "board game sleeves" are sleeves."""
        said = [stem(w) for w in re.findall(r"[^\W_]+", low)]
        at = [i for i, t in enumerate(said) if t == head]
        return bool(at) and all(i + 1 < len(said) and said[i + 1] in self._postings for i in at)

    def categories_in(self, text: str) -> list[str]:
        """Categories the text names, allowing plurals and a missing word ("stoves" for "Camping Stoves")."""
        # A category's whole name said ("e-bikes", "E bike", "road bikes") names it before any other whose last
        # word alone matches ("bike" of "Road Bikes").
        low = fold(text).casefold()
        whole = []
        for key, category in self.categories.items():
            words = re.findall(r"[^\W_]+", key)
            if words and re.search(
                r"(?<![^\W_])"
                + r"[\W_]*".join(map(re.escape, [*words[:-1], _singular(words[-1])]))
                + r"(?:e?s)?(?![^\W_])",
                low,
            ):
                whole.append((len(words), category))
        if whole:
            return [c for _, c in sorted(whole, key=lambda x: -x[0])]
        q = message_terms(text) - self.activities(text)
        out = []
        for key, category in self.categories.items():
            terms = set(_terms(key))
            if not terms:
                continue
            hit = terms & q
            # "camping stove" and "stoves" both name "Camping Stoves"; "camping" alone names no category.
            head = _terms(key)[-1]
            if (hit == terms or head in q) and not self._qualifies(head, low):
                out.append((len(hit), category))
        out.sort(key=lambda x: -x[0])
        return [c for _, c in out]

    def term_counts(self) -> Counter[str]:
        """How many item names use each word (for tests and diagnostics)."""
        return Counter({t: len(ix) for t, ix in self._postings.items()})
