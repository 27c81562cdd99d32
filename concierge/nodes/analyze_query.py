"""First node of a turn: resolve what the message refers to, read the question, and decide which sources to ask.

A follow-up ("is it in stock?", "and the price?") becomes a standalone question about the item in focus: the
item the customer last named, or the one the last answer gave. With a cheap model configured, it rewrites the
question; the rules are the default and the fallback. The original and the standalone question both stay in
the turn's analysis (and so in the trace).
"""

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from concierge.state import Context, State
from concierge.state.records import CustomerFacts, Feedback, Focus, HumanHold, SourceName
from concierge.tools.analysis.conversation import (
    about_several,
    bare_comparison,
    compares,
    customer_facts,
    explains_first,
    is_short,
    means_the_other,
    refers_back,
    rewrite_prompt,
    same_for,
    standalone,
    standalone_several,
    than_whom,
    topic_of,
    with_facts,
)
from concierge.tools.analysis.query import analyze, calendar_days
from concierge.tools.analysis.units import ATTRIBUTES, asked_attributes
from concierge.tools.catalog.variants import answered_values, carried_phrase, chosen_values, value_words
from concierge.tools.catalog.vocabulary import CatalogItem, Vocabulary
from concierge.tools.llm.prompts import UNKNOWN_ITEM
from concierge.tools.llm.rewrite import model_rewrite, rewrite_models
from concierge.tools.toolbox import Toolbox, context_of, run_ids, toolbox

ALSO_NAMED = 0.75
"""Share of an item's name a message must hold for the item to count among those it names (comparisons)."""
MAX_ITEMS = 4
_ABOUT_THE_SHOP = re.compile(r"\b(you|your|yours|we|our|us|shop|store)\b", re.I)
_SHOP_MATTERS = re.compile(
    r"\b(deliver\w*|shipping|ship|returns?|refunds?|exchanges?|payments?|pay|open\w*|hours|address|located|"
    r"contact|phone|email|orders?|policy|policies|discounts?|vouchers?|gift cards?|membership|loyalty)\b",
    re.I,
)
_ASKS = re.compile(r"^\s*(how|what|which|is|are|does|do|can|will|has|have)\b", re.I)


def latest_question(state: State) -> str:
    msg = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)
    return msg.text if msg is not None else ""


UNRESOLVED = Focus(kind="product", id="", name=UNKNOWN_ITEM, turn=0, origin="named")
"""The focus of a message that says "it" when the conversation names nothing."""


def _focus(item: CatalogItem, turn: int, origin: str) -> Focus:
    return Focus(kind=item.kind, id=item.item_id, name=item.name, turn=turn, origin=origin)  # type: ignore[typeddict-item]


def previous_focus(state: State, words: Vocabulary | None) -> Focus | None:
    """What "it" meant at the end of the last turn: the item its question was about, else the first catalog item
    its answer cited (the cheapest stove, the one tent that fits four), else the older focus."""
    last = state.get("analysis") or {}
    if last.get("focus") and last["focus"]["id"]:
        # Asked about X, answered with Y's catalog entry alone ("balayage only around my face?" -> the Mini
        # Balayage): "it" is then the item the answer gave.
        cited = {c["id"] for c in state.get("citations") or [] if c["id"].startswith("catalog:")}
        given = words.by_key(next(iter(cited))) if words is not None and len(cited) == 1 else None
        if given is not None and given.item_id != last["focus"]["id"] and state.get("generation") is not None:
            return _focus(given, state.get("turn", 0), "answer")
        return last["focus"]
    if words is not None and state.get("generation") is not None:
        for item_id in _cited_items(state):
            item = words.by_key(item_id)
            if item is not None:
                return _focus(item, state.get("turn", 0), "answer")
    return state.get("focus")


def _cited_items(state: State) -> list[str]:
    """The catalog items the last answer cited, in citation order: a catalog entry, or a page about one item
    ("full-overhaul"), which stands for its item as its entry would."""
    about = {r["id"]: r["metadata"].get("about") or [] for r in state.get("retrieved") or []}
    out = []
    for citation in sorted(state.get("citations") or [], key=lambda c: c["n"]):
        subjects = about.get(citation["id"]) or []
        if citation["id"].startswith("catalog:"):
            out.append(citation["id"])
        elif len(subjects) == 1:
            out.append(subjects[0])
    return out


_ONE_THING = re.compile(r"\b(?:the|my|our|his|her|their)\s+[^\W\d_]+(?<!s)\b", re.I)


def follows_up(message: str, words: Vocabulary | None, service: bool = False) -> bool:
    """Whether a message that names no item leans on the conversation: "is it waterproof?", "and the price?", or
    a short attribute question ("how heavy?") that names no brand or category either. With a `service` in focus
    (or an item the last turn was about), "you" asking how long or how much is the shop doing it: "how long do you
    keep the bike?" asks about the overhaul just discussed."""
    if refers_back(message):
        return True
    # "the bike", "my bike" is one thing already spoken of, not the shop's category ("how long do you keep the
    # bike?" after asking what a full overhaul is)
    if words is not None and (words.brands_in(message) or words.categories_in(_ONE_THING.sub(" ", message))):
        return False
    # "What are your opening hours?" asks about the shop, not the item in focus.
    asked = [a.name for a in asked_attributes(message) if a.name in ("duration", "price")]
    shop = _ABOUT_THE_SHOP.search(message) and not (service and asked)
    if not is_short(message) or shop or _SHOP_MATTERS.search(message):
        return False
    if asked_attributes(message):
        return True
    # "How strong is the motor?": a short question naming no item, brand, category or kind of product asks about
    # the one in focus.
    return bool(_ASKS.match(message)) and (words is None or not words.kind_words(message))


_AVAILABILITY = re.compile(
    r"\b(?:spots?|space|places?|seats?|slots?|availab\w*|openings?|room|book(?:ed|ing)?|full|sold out)\b", re.I
)
_DAY_WORDS = re.compile(
    r"\b(?:today|tonight|tomorrow|(?:this |next )?weekend|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b", re.I
)


def _books_focus(message: str, focus: Focus, words: Vocabulary | None) -> bool:
    """ "can I still get a spot on the 28th?" with a bookable service in focus asks about that service's day,
    however long the message: a day and a word of availability, and no item named."""
    if focus.get("kind") != "service" or (words is not None and words.named(message)):
        return False
    dated = bool(calendar_days(message)[0] or _DAY_WORDS.search(message))
    return dated and bool(_AVAILABILITY.search(message))


def _history(state: State) -> list[tuple[str, str]]:
    pairs = []
    for m in state["messages"][:-1]:
        if isinstance(m, HumanMessage):
            pairs.append(("customer", m.text))
        elif isinstance(m, AIMessage):
            pairs.append(("assistant", m.text))
    return pairs


async def resolve(
    state: State, message: str, words: Vocabulary | None, tools: Toolbox, ctx: Context, turn: int
) -> tuple[str, str, Focus | None, Focus | None]:
    """(standalone question, who rewrote it, this turn's focus, the focus to keep for the next turns)."""
    named = words.best_named(message) if words is not None else None
    before = previous_focus(state, words)
    if named is None and before is not None and words is not None and (focused := words.by_key(before["id"])):
        named = words.sibling_named(message, focused)  # "and the Pro?"
    if named is None and words is not None:
        named = _the_other(state, message, before, words)
    picked = _ordinal(state, message, words, turn) if named is None else None
    if picked is None and named is None:
        picked = await _by_price(state, message, words, turn, tools, ctx)
    if picked is not None:
        # "the second one" of the items the last answer listed (or the last question compared)
        focus, phrase = picked
        focus, _ = await _with_options(focus, message, [], tools, ctx)
        return _tidy_name(message, phrase, focus["name"]), "rules", focus, focus
    if named is not None:
        focus, _ = await _with_options(_focus(named, turn, "named"), message, [], tools, ctx)
        last = state.get("analysis") or {}
        # "And the Y?" after a question about X asks the same of Y.
        swapped = same_for(message, named.name, last.get("question") or "", (before or {}).get("name") or "")
        return (swapped, "rules", focus, focus) if swapped else (message, "none", focus, focus)
    topic = _topic_meant(state, message, words)
    if topic is not None:
        # "can I pause it?" after "do you do a coffee subscription?": "it" is what the last question was about,
        # which is no catalog item; an item named before stays in focus for later.
        return standalone(message, topic), "rules", None, before
    if (
        before is None
        and words is not None
        and refers_back(message)
        and words.kind_of(message) is None
        and not explains_first(message)
    ):
        # "How much does it weigh?" with nothing in focus, and no word of the catalog for "it" to stand for ("I
        # opened a bottle of X and..."): no item to answer for; the answer asks which.
        return message, "none", UNRESOLVED, None
    if _between_two(state) and refers_back(message):
        # "Is it in stock?" right after naming two items: either could be meant, and a fact about the wrong one
        # is worse than asking which (the answer's citations name no choice the customer made).
        return message, "none", UNRESOLVED, None
    typed = _type_word(message, before, words) if before is not None else None
    if typed is not None:  # "how much cable comes with the microphone?" of the microphone in focus
        return typed, "rules", before, before
    # a service, or what the last turn was about: "how long do you...", "how much do you..." is the shop doing it
    service = before is not None and (before["kind"] == "service" or before["turn"] >= turn - 1)
    if before is None or not (follows_up(message, words, service) or _books_focus(message, before, words)):
        return message, "none", None, before
    before, carried = await _with_options(before, message, before.get("options") or _last_answer(state), tools, ctx)
    # The version chosen earlier ("in 16GB") stays what "it" means: "how much is it?" prices that version.
    name = f"{before['name']} in {carried}" if carried else before["name"]
    names = rewrite_models(tools.models, ctx.tier_models, ctx.providers) if turn > 1 else []
    if names:
        prompt = rewrite_prompt(_history(state), message, name)
        done = await model_rewrite(tools.models, tools.health, names, ctx.providers, prompt, message)
        if done is not None:
            await tools.usage.record([{**done.usage, "tenant_id": ctx.tenant_id, "thread_id": None, "run_id": None}])
            return done.question, "model", before, before
    chosen = frozenset(w for v in before.get("options") or [] for w in value_words(v))
    return standalone(message, name, chosen), "rules", before, before


_THOSE = re.compile(r"\b(?:those|these|they|them|their)\b", re.I)


_ITEM_ONLY = frozenset({"price", "duration"})
"""Attributes a service or a policy has too ("how much is it?", "how long does it take?"); any other one asked
("is it in stock?") is asked of a catalog item."""


def _topic_meant(state: State, message: str, words: Vocabulary | None) -> str | None:
    """What the last question was about, when it was no catalog item and its answer gave none, and this message
    says "it" of it: the nearer antecedent than an item named turns ago. None when the message names an item
    or asks what only items have."""
    last = state.get("analysis") or {}
    topic = last.get("topic")
    if not topic or not refers_back(message) or (words is not None and words.named(message)):
        return None
    if _cited_items(state):
        return None  # the answer gave an item (its entry, or its own page): "it" is that one
    if any(a.name not in _ITEM_ONLY for a in asked_attributes(message)):
        return None
    return topic


def _several(state: State, message: str, words: Vocabulary | None) -> list[Focus]:
    """The items the last turn named, when this message names none and speaks of them together ("they",
    "which one", "both"); for "which one is cheaper?" after "and the Pro?", the two items of the latest turns;
    for "those" after an answer that listed items, the items it listed."""
    if words is None or words.named(message, ALSO_NAMED):
        return []
    last_turn = state.get("analysis") or {}
    last = [i for i in last_turn.get("items") or [] if i.get("id")]
    # "which is your cheapest grinder?" asks the catalog, not the items just discussed.
    comparing = compares(message) and not words.kind_words(message)
    if about_several(message) or comparing:
        if len(last) > 1:
            return last[:MAX_ITEMS]
        recent = [i for i in last_turn.get("recent") or [] if i.get("id")]
        if comparing and len(recent) > 1:
            return recent[:2]
    if _THOSE.search(message) and len(last) < 2 and not last_turn.get("focus"):
        listed = [it for key in _listed(state) if (it := words.by_key(key)) is not None]
        turn = state.get("turn", 0) + 1
        return [_focus(it, turn, "answer") for it in listed[:MAX_ITEMS]] if len(listed) > 1 else []
    return []


_COMPARATIVES = frozenset(w for a in ATTRIBUTES for w in a.cues_words)


def _against(state: State, message: str, words: Vocabulary | None) -> tuple[str, list[Focus]] | None:
    """ "Is it quieter than the small one?": the item in focus against the one it is measured with (named, a
    sibling called by what sets it apart or by its size, or "the other one" of the latest turns), as a question
    naming both, and the two items, the focus first. "is it cheaper?" after "and the Pro?" measures it against
    the item before."""
    if (state.get("analysis") or {}).get("topic"):
        return None  # the last turn was about no item: "is it cheaper?" is not about an older one
    said = than_whom(message)
    if said is None and bare_comparison(message, _COMPARATIVES):
        said = (message.rstrip(" ?.!") + " than ", "the other one", "?")
    if said is None or words is None:
        return None
    head, rival_text, tail = said
    before = previous_focus(state, words)
    if before is None or not before.get("id") or not refers_back(head) or words.named(head, ALSO_NAMED):
        return None
    focused = words.by_key(before["id"])
    if focused is None:
        return None
    rival = words.best_named(rival_text) or words.sibling_named(rival_text, focused)
    if rival is None and means_the_other(rival_text):
        recent = (state.get("analysis") or {}).get("recent") or []
        other = next((f for f in recent if f.get("id") and f["id"] != focused.item_id), None)
        rival = words.by_key(other["id"]) if other else None
    if rival is None or rival.item_id == focused.item_id:
        return None
    turn = state.get("turn", 0) + 1
    question = f"{standalone(head, focused.name).rstrip()} the {rival.name}{tail}"
    return question, [_focus(focused, turn, "named"), _focus(rival, turn, "named")]


def _answered_items(state: State, words: Vocabulary | None) -> list[Focus]:
    """The items the last answer cited (a page about the Bondi, the Noosa's entry), for "the other one" later."""
    if words is None or state.get("generation") is None:
        return []
    cited = [words.by_key(i) for i in _cited_items(state)]
    return [_focus(it, state.get("turn", 0), "answer") for it in cited if it is not None]


def _the_other(state: State, message: str, before: Focus | None, words: Vocabulary) -> CatalogItem | None:
    """ "what about the other one?": the item of the latest turns that is not the one in focus."""
    if not _THE_OTHER.search(message):
        return None
    recent = [*((state.get("analysis") or {}).get("recent") or []), *_answered_items(state, words)]
    other = next((f for f in recent if f.get("id") and f["id"] != (before or {}).get("id")), None)
    return words.by_key(other["id"]) if other else None


_THE_OTHER = re.compile(r"\bthe other (?:one|model|version|pair|kind)\b", re.I)


def _recent(items: list[Focus], last: dict[str, Any]) -> list[Focus]:
    """This turn's items, then those of the latest turns, newest first, each once."""
    seen: dict[str, Focus] = {}
    for f in [*items, *(last.get("recent") or last.get("items") or [])]:
        if f.get("id") and f["id"] not in seen:
            seen[f["id"]] = f
    return list(seen.values())[:MAX_ITEMS]


def _listed(state: State) -> list[str]:
    """The catalog items the last answer named, in the order it named them."""
    answer = next((m.text for m in reversed(state["messages"][:-1]) if isinstance(m, AIMessage)), "")
    sources = (state.get("context") or {}).get("sources") or []
    named = {s["id"]: answer.find(s["title"]) for s in sources if s["id"].startswith("catalog:") and s["title"]}
    return sorted((i for i, at in named.items() if at >= 0), key=lambda i: named[i])


_ORDINAL = re.compile(
    r"\bthe (first|second|third|fourth|fifth|last|latter|former|1st|2nd|3rd|4th|5th)"
    r"(?: (?:one|option|item|product|model|choice)s?\b|"
    r"(?=\s*(?:[?,.!;]|$|\b(?:is|does|do|has|have|cost|costs|weigh)\b)))",
    re.I,
)
_ORDINALS = {"first": 0, "1st": 0, "former": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
             "4th": 3, "fifth": 4, "5th": 4, "last": -1, "latter": -1}  # fmt: skip


def _ordinal(state: State, message: str, words: Vocabulary | None, turn: int) -> tuple[Focus, str] | None:
    """ "the second one", "the latter": an item by its place among those the last turn listed (its answer's
    catalog sources, in the listing's order) or compared (the items its question named, in their order)."""
    m = _ORDINAL.search(message)
    if m is None or words is None:
        return None
    last = state.get("analysis") or {}
    listed = [i["id"] for i in last.get("items") or [] if i.get("id")]
    if len(listed) < 2:
        listed = _listed(state)
    if len(listed) < 2:
        return None
    place = _ORDINALS[m.group(1).lower()]
    if place >= len(listed):
        return None
    item = words.by_key(listed[place])
    return (_focus(item, turn, "answer"), m.group(0)) if item is not None else None


def _between_two(state: State) -> bool:
    """Whether the last message named several items and settled on none of them."""
    last = state.get("analysis") or {}
    named = [i for i in last.get("items") or [] if i.get("id") and i.get("origin") == "named"]
    return len(named) >= 2 and not (last.get("focus") or {}).get("id")


_PRICE_RANK = re.compile(
    r"\bthe (cheaper|cheapest|less expensive|least expensive|lower[- ]priced|more expensive|most expensive|pricier|"
    r"priciest|dearer|dearest|higher[- ]priced)(?: (?:one|option|item|product|model|choice)s?\b|"
    r"(?=\s*(?:[?,.!;]|$|\b(?:is|does|do|has|have|weigh|weighs)\b)))",
    re.I,
)
_LOWER_PRICE = ("cheap", "less", "least", "lower")


async def _by_price(
    state: State, message: str, words: Vocabulary | None, turn: int, tools: Toolbox, ctx: Context
) -> tuple[Focus, str] | None:
    """ "the cheaper one" of the items the last turn named: the one the catalog prices lowest (or highest)."""
    m = _PRICE_RANK.search(message)
    if m is None or words is None:
        return None
    last = state.get("analysis") or {}
    listed = [i["id"] for i in last.get("items") or [] if i.get("id")]
    if len(listed) < 2:  # "the cheaper one" after "and the Pro?": the items of the latest turns
        listed = [i["id"] for i in last.get("recent") or [] if i.get("id")][:2]
    skus = [i.split(":", 2)[2] for i in listed if i.startswith("catalog:product:")]
    if len(skus) < 2:
        return None
    hits = await tools.catalog.products(ctx.tenant_id, skus)
    if len(hits) < 2 or len({h.price for h in hits}) < len(hits):
        return None  # a tie names no one item
    low = m.group(1).lower().startswith(_LOWER_PRICE)
    chosen = (min if low else max)(hits, key=lambda h: h.price)
    item = words.by_key(f"catalog:product:{chosen.sku}")
    return (_focus(item, turn, "answer"), m.group(0)) if item is not None else None


_CATALOG_SHAPE = re.compile(
    r"\b(?:cheapest|dearest|any|which|all|other|another|every|most|least|under|over|below|above|best|similar)\b|"
    r"\bdo you (?:have|sell|carry|stock)\b",
    re.I,
)


def _type_word(message: str, focus: Focus, words: Vocabulary | None) -> str | None:
    """ "that headset", "the microphone": the item in focus called by its type word (the last word of its name
    or of its category), in a message that asks nothing of the catalog at large. The message with the item's
    name for it; None otherwise."""
    if words is None or not focus.get("id") or _CATALOG_SHAPE.search(message):
        return None
    item = words.by_key(focus["id"])
    if item is None:
        return None
    types = {w.lower().rstrip("s") for w in (item.name.split()[-1:] + item.category.split()[-1:]) if len(w) > 2}
    for word in sorted(types, key=len, reverse=True):
        m = re.search(rf"\b(?:the|that|this)\s+{re.escape(word)}s?\b", message, re.I)
        if m:
            out = f"{message[: m.start()]}the {focus['name']}{message[m.end() :]}"
            return out[:1].upper() + out[1:]
    return None


def _tidy_name(message: str, phrase: str, name: str) -> str:
    """The message with its ordinal reference replaced by the item's name."""
    out = message.replace(phrase, f"the {name}", 1)
    return out[:1].upper() + out[1:]


def _last_answer(state: State) -> str:
    """The last answer's text, whose choice of a version ("For 178 cm: M: ...") a follow-up may mean."""
    return next((str(m.content) for m in reversed(state["messages"]) if isinstance(m, AIMessage)), "")


async def _with_options(
    focus: Focus, message: str, carried: list[str] | str, tools: Toolbox, ctx: Context
) -> tuple[Focus, str]:
    """The focus with the option values chosen so far (this message's and earlier ones', or, when the customer
    chose none, those the last answer, given as text, chose), and those of them the message does not name itself,
    as words to add to its standalone question ("16GB")."""
    if focus["kind"] != "product" or not focus["id"].startswith("catalog:product:"):
        return focus, ""
    hits = await tools.catalog.products(ctx.tenant_id, [focus["id"].split(":", 2)[2]])
    variants = hits[0].variants if hits else ()
    if not variants:
        return focus, ""
    if isinstance(carried, str):
        carried = answered_values(carried, variants)
    values = chosen_values(message, variants, carried)
    out: Focus = {k: v for k, v in focus.items() if k != "options"}  # type: ignore[assignment]
    if values:
        out["options"] = values
    return out, carried_phrase(message, variants, values)


async def analyze_query(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    available: list[SourceName] = [
        s for s in ("documents", "catalog", "web") if s in ctx.sources and (s != "web" or tools.web)
    ]
    turn = state.get("turn", 0) + 1
    depth = sum(1 for m in state["messages"] if isinstance(m, HumanMessage)) - 1
    today = datetime.now(ZoneInfo(ctx.timezone)).date()
    words = await tools.catalog.vocabulary(ctx.tenant_id) if "catalog" in ctx.sources else None
    message = latest_question(state)
    several = _several(state, message, words)
    against = None if several else _against(state, message, words)
    if several:  # "how much are they?" about the items the last turn named
        question, rewritten_by = standalone_several(message, [f["name"] for f in several]), "rules"
        focus, keep = None, previous_focus(state, words)
    elif against is not None:  # "is it quieter than the small one?": the item in focus and its sibling
        (question, several), rewritten_by = against, "rules"
        focus = keep = several[0]
    else:
        question, rewritten_by, focus, keep = await resolve(state, message, words, tools, ctx, turn)
    facts: CustomerFacts = customer_facts(message, dict(state.get("customer") or {}))  # type: ignore[assignment]
    question = with_facts(question, dict(facts), message)
    if rewritten_by == "none" and question != message:
        rewritten_by = "rules"
    analysis: Any = analyze(
        question,
        today=today,
        depth=depth,
        available=available,
        cannot_do=ctx.agent_cannot_do,
        can_do=ctx.agent_can_do,
        words=words,
    )
    items = [_focus(it, turn, "named") for _, it in (words.named(message, ALSO_NAMED) if words else [])][:MAX_ITEMS]
    items = several or items
    if focus is not None and focus is not UNRESOLVED and all(i["id"] != focus["id"] for i in items):
        items.insert(0, focus)
    if focus is UNRESOLVED:
        items = [UNRESOLVED]
    last = state.get("analysis") or {}
    # A question about no item keeps what it was about for a later "it": the topic it carried over, or its own.
    topic = None
    if focus is None and not items:
        carried = last.get("topic")
        topic = carried if carried and carried in question and carried not in message else topic_of(message)
    analysis.update(
        original=message,
        rewritten_by=rewritten_by,
        focus=focus,
        items=items,
        recent=_recent([i for i in items if i is not UNRESOLVED] + _answered_items(state, words), last),
        topic=topic,
    )
    update: dict = {
        "turn": turn,
        "analysis": analysis,
        "focus": keep,
        "customer": facts,
        "retrieved": Overwrite([]),
        "source_errors": Overwrite([]),
        "citations": [],
        "generation": None,
        "handoff": None,
        "human": None,
    }
    thread_id, _ = run_ids(runtime)
    if thread_id is not None and ctx.record:
        # Implicit signals on the previous answer: continued, how fast, whether a person was asked for.
        await tools.feedback.customer_wrote(
            tenant_id=ctx.tenant_id, thread_id=thread_id, wants_human=analysis["wants_human"]
        )
        # A conversation a person is handling (or waiting for) stays with people: this message goes to them.
        entry = await tools.handoffs.open_for(ctx.tenant_id, thread_id)
        if entry is not None:
            update["human"] = HumanHold(
                handoff_id=entry.id, status=entry.status, agent=entry.assignee, reason=entry.reason
            )
    if _left_unrated(state):
        # A new message while the feedback prompt waits counts as "continued": an implicit signal.
        update["feedback"] = [Feedback(turn=turn - 1, kind="continued", rating=None, comment="")]
    return update


def _left_unrated(state: State) -> bool:
    previous = state.get("turn", 0)
    answered = state.get("generation") is not None and any(isinstance(m, AIMessage) for m in state["messages"])
    rated = any(f["turn"] == previous for f in state.get("feedback", []))
    return previous > 0 and answered and not rated and state.get("handoff") is None
