"""The built-in answerer: extractive, cited, honest about what it does not know, and streaming."""

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, SystemMessage

from concierge.tools.llm.local import DECLINE, LocalAnswerer, compose_answer
from concierge.tools.llm.prompts import SourceBlock, format_block, parse_context, render_system_prompt
from concierge.tools.tokens import count_tokens

BLOCKS = [
    SourceBlock(1, "Customer FAQ (Opening hours)", "We open at 09:30 on weekdays.\nOn Sundays we open at 12:00."),
    SourceBlock(
        2, "Our catalog: Kestrel Fountain Pen", "Kestrel Fountain Pen (model KF-200) costs 48.00 EUR and is 6 in stock."
    ),
    SourceBlock(
        3,
        "Store policies (Returns)",
        "Books can be returned within 30 days with a receipt. Gift cards are\nnot refundable.",
    ),
]


def test_it_answers_with_the_best_sentence_and_cites_it() -> None:
    assert compose_answer("How much is the Kestrel pen?", BLOCKS) == (
        "Kestrel Fountain Pen (model KF-200) costs 48.00 EUR and is 6 in stock [2]."
    )
    assert compose_answer("When do you open on Sunday?", BLOCKS) == "On Sundays we open at 12:00 [1]."


def test_it_joins_lines_a_pdf_wrapped() -> None:
    assert compose_answer("Are gift cards refundable?", BLOCKS) == "Gift cards are not refundable [3]."


def test_it_declines_when_the_sources_do_not_hold_the_answer() -> None:
    assert compose_answer("Do you sell telescopes?", BLOCKS) == DECLINE
    assert compose_answer("How much is the Kestrel pen?", []) == DECLINE


def test_the_prompt_round_trips_its_sources() -> None:
    context = "\n\n".join(format_block(b.n, b.label, b.text) for b in BLOCKS)
    prompt = render_system_prompt(
        business_name="Inkwell & Oak", business_description="", can_do=["a"], cannot_do=[], context=context
    )
    assert parse_context(prompt) == BLOCKS


async def test_it_streams_tokens_with_usage_at_the_end() -> None:
    context = "\n\n".join(format_block(b.n, b.label, b.text) for b in BLOCKS)
    prompt = render_system_prompt(business_name="X", business_description="", can_do=[], cannot_do=[], context=context)
    chunks = [
        c async for c in LocalAnswerer().astream([SystemMessage(prompt), HumanMessage("How much is the Kestrel pen?")])
    ]
    assert len(chunks) > 5
    assert "".join(c.text for c in chunks).endswith("6 in stock [2].")
    whole = sum(chunks[1:], chunks[0])
    assert whole.usage_metadata["input_tokens"] > 50 and whole.usage_metadata["output_tokens"] == count_tokens(
        whole.text
    )
    assert chunks[0].usage_metadata is None, "usage comes once, with the last token"


# Context as it arrives in practice and as it may arrive broken: source text with headings, bullets, prices and
# citations, blocks missing or renumbered, a prompt cut anywhere, or plain arbitrary text.
_PIECES = st.sampled_from(
    ["price", "pen", "opens", "Sunday", "costs 48.00 EUR.", "in stock", "returns", "- ", "* ", "1. ", "**", "# ",
     "?", ".", "\n", "\n\n", "[1] ", "[2] Our catalog", "<context>", "</context>", ",", " and", " the"]
)  # fmt: skip
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=40).map(" ".join)
_BLOCKS = st.lists(st.builds(SourceBlock, st.integers(-1, 30), _TEXT, _TEXT), max_size=6)
_FAST = settings(max_examples=300, deadline=None)


@_FAST
@given(question=st.one_of(_TEXT, st.text()), blocks=_BLOCKS)
def test_it_answers_or_declines_whatever_the_sources(question: str, blocks: list[SourceBlock]) -> None:
    assert compose_answer(question, blocks)


@_FAST
@given(question=st.one_of(_TEXT, st.text()), context=st.one_of(_TEXT, st.text()), cut=st.integers(0, 5000))
def test_it_answers_or_declines_whatever_the_prompt(question: str, context: str, cut: int) -> None:
    prompt = render_system_prompt(business_name="X", business_description="", can_do=[], cannot_do=[], context=context)
    for text in (prompt, prompt[:cut]):
        assert compose_answer(question, parse_context(text))
