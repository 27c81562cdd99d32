"""The prompts sent to every provider, and the context block format they share.

They sit in `tools/` rather than `graph/` because the nodes that build them may not import `graph/`,
and the local answerer reads the same block format back.
"""

import re
from dataclasses import dataclass

SYSTEM_PROMPT = """You are the customer-service assistant of {business_name}. {business_description}

What you can do for customers:
{can_do}
What you must not do (offer to pass the customer to a member of staff instead):
{cannot_do}

Answer only from the numbered sources between <context> and </context>. If they do not hold the answer,
say plainly that you do not know; never guess a price, a date or a policy. Prices, stock and free slots
come from our catalog, which is always more current than any document. Keep answers short and friendly.
Cite the source of each fact right after it as [n], using only the numbers given in the context.{variant}

<context>
{context}
</context>"""

PROMPT_VARIANTS = {
    "standard": "",
    "concise": "\nAnswer in one or two sentences: the fact asked for, with its citation, and nothing else.",
    "detailed": "\nGive every detail the sources hold that bears on the question (prices, stock, times, conditions).",
}
"""Wordings of the instructions a tenant's policy picks from (`Context.prompt_variant`)."""

NO_CONTEXT = "(no sources found for this question)"
_BLOCK = re.compile(r"^\[(\d+)\] (.*)$")
CITATION = re.compile(r"\s?\[(\d+)\]")


@dataclass(frozen=True)
class SourceBlock:
    n: int
    label: str
    text: str


def bullet_list(items: list[str]) -> str:
    return "\n".join(f"- {i}" for i in items) or "- (not specified)"


def format_block(n: int, label: str, text: str) -> str:
    return f"[{n}] {label}\n{text.strip()}"


def render_system_prompt(
    *,
    business_name: str,
    business_description: str,
    can_do: list[str],
    cannot_do: list[str],
    context: str,
    variant: str = "standard",
) -> str:
    return SYSTEM_PROMPT.format(
        variant=PROMPT_VARIANTS.get(variant, ""),
        business_name=business_name or "this business",
        business_description=business_description,
        can_do=bullet_list(can_do),
        cannot_do=bullet_list(cannot_do),
        context=context or NO_CONTEXT,
    )


QUESTION_LINE = "The question on its own: "
FOCUS_LINE = "The customer is asking about: "
ITEMS_LINE = "Catalog items these sources name: "
LISTING_LINE = "Our catalog, filtered and sorted for this question: "
ABOUT = " — about "
UNKNOWN_ITEM = "(not clear which item: ask the customer)"
"""The focus line's value when the customer says "it" and the conversation names no item."""
"""Joins a document block's label to the catalog item its document is about."""


def context_header(question: str | None, focus: list[str], items: list[str], listing: int | None = None) -> str:
    """Lines before the numbered sources: the question with its references resolved, the item(s) it is about,
    and every catalog item the sources name, so an answer never gives one item's fact for another."""
    lines = []
    if question:
        lines.append(f"{QUESTION_LINE}{question}")
    if focus:
        lines.append(f"{FOCUS_LINE}{'; '.join(focus)}")
    if items:
        lines.append(f"{ITEMS_LINE}{'; '.join(items)}")
    if listing is not None:
        lines.append(f"{LISTING_LINE}[{listing}]")
    return "".join(f"{line}\n" for line in lines)


@dataclass(frozen=True)
class Header:
    question: str | None
    focus: list[str]
    items: list[str]
    listing: int | None = None
    """The source whose first sentence answers a question about the catalog's shape (cheapest, by brand...)."""


def parse_header(prompt: str) -> Header:
    """What `context_header` wrote into a system prompt's context."""
    start = prompt.rfind("<context>")
    body = prompt[start:] if start >= 0 else ""

    def line(prefix: str) -> str | None:
        m = re.search(rf"^{re.escape(prefix)}(.*)$", body, re.M)
        return m.group(1).strip() if m else None

    def names(prefix: str) -> list[str]:
        raw = line(prefix)
        return [n.strip() for n in raw.split("; ") if n.strip()] if raw else []

    listing = re.fullmatch(r"\[(\d+)\]", line(LISTING_LINE) or "")
    return Header(line(QUESTION_LINE), names(FOCUS_LINE), names(ITEMS_LINE), int(listing.group(1)) if listing else None)


def parse_context(prompt: str) -> list[SourceBlock]:
    """The numbered blocks of a system prompt's context, as `format_block` wrote them."""
    start, end = prompt.rfind("<context>"), prompt.rfind("</context>")
    if start < 0 or end < start:
        return []
    blocks: list[SourceBlock] = []
    for line in prompt[start + len("<context>") : end].strip().splitlines():
        m = _BLOCK.match(line)
        if m:
            blocks.append(SourceBlock(int(m.group(1)), m.group(2), ""))
        elif blocks:
            last = blocks[-1]
            blocks[-1] = SourceBlock(last.n, last.label, f"{last.text}\n{line}".strip())
    return blocks


def cited_numbers(text: str) -> list[int]:
    """The `[n]` markers of an answer, in order of first appearance."""
    return list(dict.fromkeys(int(n) for n in CITATION.findall(text)))
