"""What a message refers to in the conversation so far, and the question it asks on its own.

"Is it in stock?" after "How much is the TrailMaster X4 Tent?" asks "Is the TrailMaster X4 Tent in stock?". The
rules here find the references ("it", "that one", "and the price?", "how long does it take?"), write the standalone
question with the item in focus, and keep what the customer said about themselves (membership tier, party size).
They are the offline default; a model may rewrite instead (`rewrite_prompt`), and these rules are its fallback.
"""

import re
from typing import Any

from concierge.tools.analysis.text import STOPWORDS, WORD, fold, stems

_PRONOUN = re.compile(
    r"\b(it|its|it's|itself|that one|this one|the one|that|this|these|those|they|them|their|theirs|one)\b", re.I
)
_DUMMY_IT = re.compile(
    r"\bit(?:'s| is| was)? (?:possible|true|ok|okay|worth|necessary|safe to|allowed|raining|late|early|too late)\b|"
    r"\b(?:is|was) it (?:possible|true|ok|okay|worth|necessary|allowed|too late|raining)\b|"
    r"\bhow long does it take (?:to|for) (?:ship|deliver|arrive|get|receive|process|refund)|"
    r"\bwhat time is it\b|\bhow much does it cost to (?:ship|deliver|post|send|return)\b|\bit depends\b|"
    r"\b(?:have|having|get|getting|had) it (?:delivered|shipped|sent|posted|gift[- ]wrapped|wrapped)\b|"
    r"\b(?:this|that) (?:morning|afternoon|evening|night|weekend|week|month|year|time|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b",  # "this Saturday" is a day, no thing referred to
    re.I,
)
_ELLIPTIC = re.compile(
    r"^\s*(?:and|also|plus|what about|how about|and what about|what of|same for|ok(?:ay)?,? and|and how|"
    r"and is|and does|and do|and what|and the|so)\b",
    re.I,
)
_BARE_ATTRIBUTE = re.compile(
    r"^\s*(?:the |its |and the )?(?:price|cost|weight|size|dimensions|warranty|capacity|colou?rs?|materials?|"
    r"stock|availability|duration|temperature rating|return policy|reviews?|rating)\s*\??\s*$",
    re.I,
)
_SHORT = 7
"""Words at most, for a question without a name to be read as a follow-up of the item in focus."""


def refers_back(message: str) -> bool:
    """Whether the message leans on an earlier one: a pronoun for a thing ("is it waterproof?"), an elliptic
    start ("and the price?", "what about the warranty?"), or a bare attribute ("weight?")."""
    text = _DUMMY_IT.sub(" ", message)
    if _ELLIPTIC.search(text) or _BARE_ATTRIBUTE.search(text):
        return True
    return bool(_PRONOUN.search(text))


_OWN_THING = re.compile(r"\b(?:my|our)\s+(?:[^\W\d_]+\s+){0,2}[^\W\d_]{3,}", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_SCENE_WORDS = 5
"""Words at least, of the sentences before a message's last, for them to be the scene its "that" points at."""


def explains_first(message: str) -> bool:
    """Whether the message tells its story before it asks ("my back tyre is flat, it's an old one with a hub gear.
    what do you charge to fix that?"), or names the customer's own thing before its "it" ("the bridge on my metal
    glasses snapped :( can u fix it"): the pronoun points at what the message said, not back in the conversation."""
    text = _DUMMY_IT.sub(" ", message)
    pronoun = _PRONOUN.search(text)
    if pronoun and _OWN_THING.search(text[: pronoun.start()]):
        return True
    said = [s for s in _SENTENCE_END.split(message.strip()) if s.strip()]
    if len(said) < 2 or (refers_back(" ".join(said[:-1])) and _ELLIPTIC.search(said[0])):
        return False
    return len(re.findall(r"[^\W_]+", " ".join(said[:-1]))) >= _SCENE_WORDS


def is_short(message: str) -> bool:
    return len(re.findall(r"[^\W_]+", message)) <= _SHORT


_REPLACE = [
    (re.compile(r"\b(?:that one|this one|the one)\b", re.I), "the {name}"),
    # "the travel one" of the item in focus: its word describes the item, it asks nothing of it (an option value
    # chosen, "the navy one", stays: see `standalone`)
    (re.compile(r"\b(?:that|this|the) ([^\W\d_]+) one\b", re.I), "the {name}"),
    (
        re.compile(r"\bit's\b(?=\s+(?:made|rated|waterproof|available|in stock|suitable|good|heavy|light|warm))", re.I),
        "the {name} is",
    ),
    (re.compile(r"\bits\b", re.I), "the {name}'s"),
    (re.compile(r"\bitself\b", re.I), "the {name}"),
    (re.compile(r"\bit\b", re.I), "the {name}"),
    (re.compile(r"\b(?:they|them|these|those)\b", re.I), "the {name}"),
]


def standalone(message: str, name: str, options: frozenset[str] = frozenset()) -> str:
    """The message with its reference replaced by the item's name: "Is it in stock?" -> "Is the X in stock?";
    "and the price?" -> "and the price of the X?". Idempotent when the name is already there. `options`: words of
    the item's option values the message chose, kept beside the name ("the navy one" -> "the navy X")."""
    if name.casefold() in message.casefold():
        return message
    protected = _DUMMY_IT.sub(lambda m: m.group(0).replace("it", "\x00"), message)
    if re.search(r"\bit\b", protected, re.I):
        protected = re.sub(r"\s+itself\b", "", protected, flags=re.I)  # "what does it weigh itself?"
    for pattern, template in _REPLACE:
        if pattern.search(protected):
            named = template.format(name=name)

            def said(m: re.Match[str], named: str = named) -> str:
                return f"the {m.group(1)} {name}" if m.groups() and m.group(1).casefold() in options else named

            out = pattern.sub(said, protected, count=1)
            return _tidy(out.replace("\x00", "it"))
    body = message.rstrip(" ?.!")
    return _tidy(f"{body} of the {name}?")


_BOTH = re.compile(
    r"\b(?:they|them|their|theirs|both|the two|these two|those two|either|each of them|which one|which of)\b", re.I
)
_WHICH = re.compile(r"^\s*which\b", re.I)


def about_several(message: str) -> bool:
    """Whether a message that names no item asks about the several items the conversation just named: "how much
    are they?", "which one is lighter?", "and their prices?"."""
    return bool(_BOTH.search(_DUMMY_IT.sub(" ", message)))


def standalone_several(message: str, names: list[str]) -> str:
    """ "how much are they?" about X and Y -> "how much are the X and the Y?"; "which one is lighter?" -> "Which
    one is lighter, the X or the Y?"."""
    if _WHICH.match(message):
        return _tidy(f"{message.rstrip(' ?.!')}, " + " or ".join(f"the {n}" for n in names) + "?")
    joined = " and ".join(f"the {n}" for n in names)
    out = re.sub(r"\b(?:their|theirs)\b", f"{joined}'s", message, count=1, flags=re.I)
    out = re.sub(r"\b(?:they|them|both|the two|these two|those two|those|these)\b", joined, out, count=1, flags=re.I)
    return _tidy(out if out != message else f"{message.rstrip(' ?.!')} of {joined}?")


_COMPARES = re.compile(r"^\s*which\b|\bwhich (?:one|of|is)\b", re.I)


def compares(message: str) -> bool:
    """Whether a message asks which of several items wins ("which one is cheaper?", "which is lighter?")."""
    return bool(_COMPARES.search(message))


_THAN = re.compile(r"\b(?:[^\W\d_]+er|more [^\W\d_]+|less [^\W\d_]+|better|worse)\s+than\s+(?P<rival>[^?.!,;]+)", re.I)


def than_whom(message: str) -> tuple[str, str, str] | None:
    """ "Is it quieter than the small one?" -> ("Is it quieter than ", "the small one", "?"): the part that asks,
    what it is measured against, and what follows; None when the message compares with nothing."""
    m = _THAN.search(message)
    if m is None:
        return None
    return message[: m.start("rival")], m.group("rival").strip(), message[m.end("rival") :]


_BARE_COMPARISON = re.compile(
    r"^\s*(?:is|are|was)\s+(?:it|this|that|this one|that one)\s+(?:any\s+|much\s+|a bit\s+|a lot\s+)?"
    r"(?P<word>(?:more |less )?[^\W\d_]+)\s*[?.!]*\s*$",
    re.I,
)


def bare_comparison(message: str, comparatives: frozenset[str]) -> bool:
    """ "is it cheaper?" (one of `comparatives`, or "more X"/"less X" of one): a comparison with the item named
    before, not said."""
    m = _BARE_COMPARISON.match(message)
    if m is None:
        return False
    word = m.group("word").lower().split()
    return word[-1] in comparatives and (len(word) == 2 or word[-1].endswith("er"))


_OTHER = re.compile(r"^(?:the )?(?:other|previous|first|last|earlier)(?: one)?$|^(?:that|this)(?: one)?$", re.I)


def means_the_other(phrase: str) -> bool:
    """ "the other one", "the previous one", "that one": an item the conversation named before, not by name."""
    return bool(_OTHER.match(phrase.strip(" ?.!")))


_CLAUSE_WORDS = frozenset("while because since before after until unless though although whether".split())
_DETERMINER = re.compile(r"\b(?:a|an|the|your|any|some|my|our)\s+", re.I)


_PROPERTY_WORDS = frozenset(
    stems("size sizes weight price cost colour color length width height dimensions capacity fit model version")
)
"""Words naming a property of a thing, never a thing a later "it" could mean ("which size?" -> no topic)."""


def topic_of(question: str) -> str | None:
    """What a question about no catalog item is about, for a later "it": the words after its last determiner
    ("do you do a coffee subscription?" -> "coffee subscription"), else the service matter it names ("how much is
    delivery to Ireland?" -> "delivery"), else the content words it ends with ("do you do subscriptions?" ->
    "subscriptions"); None when it ends with none of them."""
    body = re.sub(r"\s*\([^)]*\)\s*$", "", question).strip()
    if not (body.endswith("?") or _ASKS.match(body)):
        return None  # "Hi, I'm a gold member" is about nothing a later "it" means
    body = body.rstrip(" ?.!")
    spans = [m.end() for m in _DETERMINER.finditer(body)]
    for start in reversed(spans):
        words = []
        for w in WORD.findall(body[start:]):
            if w.lower() in STOPWORDS or w.lower() in _CLAUSE_WORDS:
                break
            words.append(w)
        if words and not stems(" ".join(words)) <= _PROPERTY_WORDS:
            return " ".join(words[:3])
    matter = _MEMBERSHIP_TOPICS.search(body)
    if matter:  # "How much is delivery to Ireland?" is about delivery
        return matter.group(0)
    tail = []
    for w in reversed(WORD.findall(body)):
        if w.lower() in STOPWORDS or w.lower() in _CLAUSE_WORDS or len(tail) == 3:
            break
        tail.insert(0, w)
    return " ".join(tail) if tail and not stems(" ".join(tail)) <= _PROPERTY_WORDS else None


_SAME_FOR = re.compile(
    r"^\s*(?:and|also|what about|how about|and what about|what of|same for|and for|ok(?:ay)?,? and)\b", re.I
)
_SAME_FOR_FILLER = frozenset(
    "the then one ones please too on for with in about of version versions model models variant edition type "
    "instead small smaller smallest little big bigger biggest large larger largest".split()
)
"""Words beside an item's name that ask nothing more of it: "and on the Wi-Fi version?", "and the small one?"."""


def said_name(text: str, name: str) -> str | None:
    """How the text says the item's name: the whole name, else the longest run of its words ("the Bastion 50" of
    "Voltline Bastion 50 Combo", "the K61"), as typed; None when it says none of them."""
    if name.casefold() in text.casefold():
        return text[text.casefold().index(name.casefold()) :][: len(name)]
    own = {fold(w).casefold() for w in WORD.findall(name)}
    own_stems = stems(name)
    best: tuple[int, int] | None = None
    start = None
    spans = [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]
    for k, (_, _, word) in enumerate([*spans, (0, 0, "")]):
        ours = bool(word) and (fold(word).casefold() in own or bool((st := stems(word)) and st <= own_stems))
        if ours and start is None:
            start = k
        elif not ours and start is not None:
            if best is None or k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return None if best is None else text[spans[best[0]][0] : spans[best[1] - 1][1]]


def same_for(message: str, name: str, previous_question: str, previous_name: str) -> str | None:
    """ "And the Y?" after "What's the weight of the X?" asks "What's the weight of the Y?": the last question
    with the item swapped, however either was said ("the P88", "and the K61?"). None when the message asks anything
    beyond naming the item."""
    lead = _SAME_FOR.match(message)
    before = said_name(previous_question, previous_name) if previous_name else None
    if not lead or not before:
        return None
    # A sibling called by its size ("and the small one?") says none of its name.
    said = said_name(message[lead.end() :], name) or "\x00"
    rest = message[lead.end() :].replace(said, " ")
    if not set(WORD.findall(rest.lower())) <= _SAME_FOR_FILLER or name.casefold() == previous_name.casefold():
        return None
    return previous_question.replace(before, name)


def _tidy(text: str) -> str:
    text = re.sub(r"\bthe the\b", "the", text, flags=re.I)
    return text[:1].upper() + text[1:]


# What customers say about themselves that changes an answer: a tier's return window, a table for four.
_TIER_WORDS = r"(gold|platinum|silver|bronze|diamond|premium|premier|vip|plus|basic|base|standard|elite)"
_TIER = [
    re.compile(rf"\b(?:i'?m|i am|we'?re|we are|as)\s+(?:an?\s+)?{_TIER_WORDS}\s+(?:member|customer|tier)", re.I),
    re.compile(
        rf"\b(?:my|our)\s+(?:membership|member|loyalty|account)?\s*(?:status|tier|level|membership)\s+"
        rf"(?:is|:)\s*{_TIER_WORDS}\b",
        re.I,
    ),
    re.compile(rf"\b{_TIER_WORDS}\s+(?:membership|member|tier|status|card)\b", re.I),
    re.compile(rf"\b(?:i have|we have|with)\s+(?:an?\s+)?{_TIER_WORDS}\s+(?:membership|account|card|status)\b", re.I),
]
_NO_TIER = re.compile(r"\b(?:not a member|no membership|don'?t have (?:a|any) membership|not members)\b", re.I)
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple": 2,
    "couple": 2,
}
_N = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple|couple)"
_PARTY = [
    re.compile(
        rf"\b(?:for|party of|group of|table for|we are|we're|there are|there'll be|there will be)\s+{_N}"
        r"(?:\s+(?:of us|people|persons|adults|guests|kids|children))?\b",
        re.I,
    ),
    re.compile(rf"\b{_N}\s+(?:of us|people|persons|adults|guests)\b", re.I),
]


def customer_facts(message: str, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """The customer's stated facts, updated with what this message says: `membership` (the tier as said,
    capitalised) and `party_size`."""
    facts = dict(known or {})
    if _NO_TIER.search(message):
        facts["membership"] = "None"
    for pattern in _TIER:
        m = pattern.search(message)
        if m:
            facts["membership"] = m.group(1).capitalize()
            break
    for pattern in _PARTY:
        m = pattern.search(message)
        if m and re.search(r"\b(?:of us|people|persons|adults|guests|party|group|table|we|there)\b", m.group(0), re.I):
            raw = m.group(1).lower()
            facts["party_size"] = _WORD_NUMBERS.get(raw) or int(raw)
            break
    return facts


_MEMBERSHIP_TOPICS = re.compile(
    r"\b(return|returns|refund|exchange|ship|shipping|delivery|discount|points|perks|benefits|polic(?:y|ies)|"
    r"warranty|member|membership|restocking|fee)\w*",
    re.I,
)
_PARTY_TOPICS = re.compile(
    r"\b(book|booking|reserve|table|slots?|seats?|places?|room|sleeps?|fit|people|"
    r"persons?|capacity|size|enough|how much|price|prices|cost|costs)\b",
    re.I,
)


def with_facts(question: str, facts: dict[str, Any], said: str | None = None) -> str:
    """The question with the customer's facts that bear on it: "What is your return policy? (Gold member)". A party
    size bears on what the customer said (`said`, the question itself when not given) asking a price or a fit: the
    item's name in a standalone question ("the Café Table Reservation") is no such topic."""
    notes = []
    tier = facts.get("membership")
    if tier and _MEMBERSHIP_TOPICS.search(question) and tier.casefold() not in question.casefold():
        notes.append(f"membership status {tier}" if tier != "None" else "no membership")
    size = facts.get("party_size")
    if size and _PARTY_TOPICS.search(said or question) and not re.search(rf"\b{size}\b", question):
        notes.append(f"for {size} people")
    if not notes:
        return question
    return f"{question.rstrip()} ({'; '.join(notes)})"


REWRITE_PROMPT = """Rewrite the customer's last message as one standalone question that names what it refers to,
using the conversation below. Keep the customer's wording otherwise; do not answer it. If it already stands alone,
repeat it unchanged. Reply with the question only.

Conversation:
{history}

Last message: {message}
Item in focus: {focus}
Standalone question:"""


def rewrite_prompt(history: list[tuple[str, str]], message: str, focus: str | None) -> str:
    """The prompt a cheap model gets to rewrite a follow-up; `history` as (role, text) pairs, oldest first."""
    lines = "\n".join(f"{role}: {text[:400]}" for role, text in history[-6:])
    return REWRITE_PROMPT.format(history=lines or "(none)", message=message, focus=focus or "(none)")


_CITED = re.compile(r"\[\d+\]")
_ASKS = re.compile(
    r"^(what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|will|would|should|may|"
    r"have|has|tell|show|list|give)\b",
    re.I,
)


def acceptable_rewrite(original: str, rewritten: str) -> bool:
    """A model's rewrite is used only if it looks like one question of reasonable length (not an answer)."""
    text = rewritten.strip()
    if not text or "\n" in text or len(text) > max(300, 3 * len(original)) or _CITED.search(text):
        return False
    return text.endswith("?") or bool(_ASKS.match(text))
