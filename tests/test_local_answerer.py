"""The built-in answerer: extractive, cited, honest about what it does not know, and streaming."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, SystemMessage

from concierge.tools.analysis.text import everyday_stems
from concierge.tools.analysis.units import asked_attributes
from concierge.tools.llm.local import CLARIFY, DECLINE, LocalAnswerer, Reading, compose_answer, sentences, weigh
from concierge.tools.llm.prompts import Header, SourceBlock, format_block, parse_context, render_system_prompt
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


# Material nobody here wrote: a product manual's spec table, prose, a sibling product, tiers.
MANUAL = [
    SourceBlock(1, "Our catalog: Ridge 40 Backpack", "Ridge 40 Backpack by Northway costs 90.00 USD."),
    SourceBlock(
        2,
        "ridge_manual (Technical Specs) — about Ridge 40 Backpack",
        "- **Capacity**: 40 liters\n- **Weight**: 2.5 lbs\n- **Material**: Nylon\n- **Rating**: 5",
    ),
    SourceBlock(
        3,
        "ridge_manual (FAQ) — about Ridge 40 Backpack",
        "The Ridge 40 Backpack is designed to hold up to 40 lbs of gear comfortably. "
        "Unlike the Summit 60 Backpack, which weighs 3 lbs, it has no rain cover.",
    ),
    SourceBlock(
        4,
        "ridge_manual (Return Policy) — about Ridge 40 Backpack",
        '- **If Membership status "None":** Returns are accepted within 30 days of purchase.\n'
        '- **If Membership status "Gold":** Returns are accepted within 60 days of purchase.',
    ),
    SourceBlock(5, "summit_manual (Technical Specs) — about Summit 60 Backpack", "- **Weight**: 3 lbs"),
]
ASKED = Header(question=None, focus=["Ridge 40 Backpack"], items=["Ridge 40 Backpack", "Summit 60 Backpack"])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many litres does the Ridge 40 Backpack hold?", "capacity of the Ridge 40 Backpack: 40 liters [2]"),
        ("How heavy is the Ridge 40 Backpack?", "weight of the Ridge 40 Backpack: 2.5 lbs [2]"),
        ("How much does the Ridge 40 Backpack weigh in kg?", "2.5 lbs (about 1.1 kg) [2]"),
        ("What is the Ridge 40 Backpack made of?", "Nylon [2]"),
    ],
)
def test_spec_lines_answer_in_any_spelling_of_their_units(question: str, expected: str) -> None:
    answer = compose_answer(question, MANUAL, header=ASKED)
    assert expected in answer, answer
    assert "Summit" not in answer and "3 lbs" not in answer, "never a fact of another item"


def test_a_sentence_about_another_item_is_never_the_answer() -> None:
    header = Header(question=None, focus=["Summit 60 Backpack"], items=["Ridge 40 Backpack", "Summit 60 Backpack"])
    answer = compose_answer("How much does the Summit 60 Backpack weigh?", MANUAL, header=header)
    assert answer == "The weight of the Summit 60 Backpack: 3 lbs [5]."


def test_the_customers_tier_picks_the_rule() -> None:
    question = "How long do I have to return the Ridge 40 Backpack? (membership status Gold)"
    answer = compose_answer(question, MANUAL, header=replace(ASKED, question=question))
    assert "60 days" in answer and "30 days" not in answer


def test_comparisons_read_each_items_own_figure() -> None:
    header = Header(question=None, focus=["Ridge 40 Backpack", "Summit 60 Backpack"], items=ASKED.items)
    answer = compose_answer("Which is lighter, the Ridge 40 Backpack or the Summit 60 Backpack?", MANUAL, header=header)
    assert answer.startswith("The Ridge 40 Backpack is lighter:")
    assert "2.5 lbs [2]" in answer and "3 lbs [5]" in answer


def test_a_price_comparison_states_each_catalog_price() -> None:
    blocks = [
        SourceBlock(1, "Our catalog: T3 Pro Tracker", "T3 Pro Tracker by Wayfind costs 89.99 GBP and is 7 in stock."),
        SourceBlock(2, "Our catalog: T3 Tracker", "T3 Tracker by Wayfind costs 59.99 GBP and is 12 in stock."),
    ]
    header = Header(question=None, focus=["T3 Tracker", "T3 Pro Tracker"], items=[])
    answer = compose_answer("which is cheaper, the T3 or the T3 Pro?", blocks, header=header)
    assert answer == (
        "The T3 Tracker is cheaper: T3 Tracker, costs 59.99 GBP [2]. T3 Pro Tracker, costs 89.99 GBP [1]."
    )


def test_a_word_no_source_holds_still_declines() -> None:
    assert compose_answer("How many calories does the Ridge 40 Backpack burn?", MANUAL, header=ASKED) == DECLINE
    assert compose_answer("What is the battery life of the Ridge 40 Backpack?", MANUAL, header=ASKED) == DECLINE


def test_a_catalog_listing_answers_a_question_about_the_catalog() -> None:
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Camp Stove Mini",
            "The cheapest of our camping stoves is the Camp Stove Mini at 60.00 USD.\nCamp Stove Mini costs 60.00 USD.",
        ),
        SourceBlock(2, "stove_manual (Features)", "A stove for every trip."),
    ]
    answer = compose_answer("What's your cheapest camping stove?", blocks, header=Header(None, [], [], listing=1))
    assert answer == "The cheapest of our camping stoves is the Camp Stove Mini at 60.00 USD [1]."


def test_meaning_breaks_ties_the_words_leave() -> None:
    blocks = [
        SourceBlock(1, "Guide (Care)", "Rinse the tent with clean water. Dry the tent fully before you store it.")
    ]
    calls: list[list[str]] = []

    def embed(texts: list[str]):
        import numpy as np

        calls.append(texts)
        vectors = {"Dry the tent fully before you store it.": [1.0, 0.0]}
        return np.array([vectors.get(t, [0.0, 1.0]) if i else [1.0, 0.0] for i, t in enumerate(texts)])

    answer = compose_answer("tent care?", blocks, embed=embed)
    assert calls and answer.startswith("Dry the tent fully"), answer


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


def test_tell_me_about_an_item_gives_its_catalog_entry() -> None:
    blocks = [
        *MANUAL,
        SourceBlock(6, "ridge_manual (Reviews) — about Ridge 40 Backpack", "I love the Ridge 40 Backpack!"),
    ]
    answer = compose_answer("Tell me about the Ridge 40 Backpack", blocks, header=ASKED)
    assert answer == "Ridge 40 Backpack by Northway costs 90.00 USD [1]."


LOCK_MANUAL = [
    SourceBlock(1, "Our catalog: Keep Bike Lock", "Keep Bike Lock by Cadenza costs 54.99 EUR and is 33 in stock."),
    SourceBlock(
        2,
        "keep-manual (Specifications) — about Keep Bike Lock",
        "| Specification | Value |\n|---|---|\n| Length | 60 cm |\n| Item weight | 3.9 kg |\n"
        "| Security level | 12/15 |",
    ),
    SourceBlock(3, "bastion-manual (About) — about Bastion Bike Lock", "At just 6.9 kg, the lock is easy to carry."),
    SourceBlock(4, "keep-manual (Warranty) — about Keep Bike Lock", "Cadenza guarantees this lock for 5 years."),
]
KEEP = Header(question=None, focus=["Keep Bike Lock"], items=["Keep Bike Lock", "Bastion Bike Lock"])


def test_table_rows_are_spec_lines_and_stop_words_still_ask() -> None:
    assert compose_answer("How long is the Keep Bike Lock?", LOCK_MANUAL, header=KEEP) == (
        "The length of the Keep Bike Lock: 60 cm [2]."
    )
    assert compose_answer("how heavy is the Keep Bike Lock", LOCK_MANUAL, header=KEEP).startswith(
        "The item weight of the Keep Bike Lock: 3.9 kg"
    )
    # Its name alone does not answer: no sentence of its own says how bright it is ("33 in stock" is no length).
    assert compose_answer("How bright is the Keep Bike Lock?", LOCK_MANUAL, header=KEEP) == DECLINE


def test_table_columns_name_their_figures() -> None:
    """A row's figures carry their column's name (a version, or what they measure); a row saying one thing in
    every column says it once; a key written "Overall (L × W)" is the dimensions'."""
    from concierge.tools.analysis.units import document_lines

    table = (
        "| Dimensions | 6 seats | 8 seats |\n|---|---|---|\n| Overall (L × W) | 183 × 107 cm | 244 × 107 cm |\n"
        "| Height | 76 cm | 76 cm |"
    )
    assert document_lines(table) == ["Overall (L × W): 183 × 107 cm (6 seats), 244 × 107 cm (8 seats)", "Height: 76 cm"]
    blocks = [
        SourceBlock(1, "Our catalog: Erable Table", "Erable Table by Boisvert costs 3450.00 CAD and is 1 in stock."),
        SourceBlock(2, "erable (Sizes) — about Erable Table", table),
    ]
    header = Header(question=None, focus=["Erable Table"], items=["Erable Table"])
    assert compose_answer("how big is the 8 seat Erable Table?", blocks, header=header).startswith(
        "Overall (L × W): 183 × 107 cm (6 seats), 244 × 107 cm (8 seats) [2]"
    )


def test_comparisons_read_prose_figures_and_any_comparative() -> None:
    both = Header(question=None, focus=["Keep Bike Lock", "Bastion Bike Lock"], items=KEEP.items)
    answer = compose_answer("Which is lighter, the Keep Bike Lock or the Bastion Bike Lock?", LOCK_MANUAL, header=both)
    assert answer.startswith("The Keep Bike Lock is lighter:") and "3.9 kg [2]" in answer and "6.9 kg [3]" in answer
    blocks = [
        SourceBlock(1, "a (Specs) — about Drill A", "Max torque: 60 Nm\nNoise level: 84 dB"),
        SourceBlock(2, "b (Specs) — about Drill B", "Torque: 45 Nm\nSound level: 79 dB(A)"),
    ]
    drills = Header(question=None, focus=["Drill A", "Drill B"], items=["Drill A", "Drill B"])
    assert compose_answer("Which has more torque, Drill A or Drill B?", blocks, header=drills).startswith(
        "The Drill A has more torque:"
    )
    assert compose_answer("Which is quieter, Drill A or Drill B?", blocks, header=drills).startswith(
        "The Drill B is quieter:"
    )


def test_a_spec_line_said_in_other_words_answers_by_meaning() -> None:
    from concierge.tools.llm.local import SentenceVectors

    embed = SentenceVectors()
    blocks = [
        SourceBlock(1, "Our catalog: Veloce Road Bike", "Veloce Road Bike costs 1714.99 EUR and is 6 in stock."),
        SourceBlock(
            2,
            "veloce-manual (Specifications) — about Veloce Road Bike",
            "- Item weight: 5.9 kilograms\n- Frame material: steel\n- Number of gears: 14\n- Wheels: 28 in",
        ),
    ]
    header = Header(question=None, focus=["Veloce Road Bike"], items=["Veloce Road Bike"])
    answer = compose_answer("how many speeds is the Veloce Road Bike?", blocks, header=header, embed=embed)
    assert answer == "The number of gears of the Veloce Road Bike: 14 [2].", answer
    # Without the model the words alone cannot tell, and the price line is no answer to it.
    assert compose_answer("how many speeds is the Veloce Road Bike?", blocks, header=header) == DECLINE
    # Meaning never answers with a figure of another kind: "how long" is no number of gears.
    assert compose_answer("How long is the Veloce Road Bike?", blocks, header=header, embed=embed) == DECLINE


def test_a_comparative_of_a_measure_reads_its_spec_word_in_any_unit() -> None:
    blocks = [
        SourceBlock(1, "a (Specs) — about Ladder A", "Max working height: 16 ft\nLoad capacity: 300 lbs"),
        SourceBlock(2, "b (Specs) — about Ladder B", "Reach height: 4.2 m\nDuty rating: 250 lbs"),
    ]
    ladders = Header(question=None, focus=["Ladder A", "Ladder B"], items=["Ladder A", "Ladder B"])
    answer = compose_answer("Which is taller, Ladder A or Ladder B?", blocks, header=ladders)
    assert answer.startswith("The Ladder A is taller:") and "16 ft [1]" in answer and "4.2 m [2]" in answer, answer
    saws = [
        SourceBlock(1, "a (Specs) — about Saw A", "Max cutting depth: 54 mm\nBlade diameter: 185 mm"),
        SourceBlock(2, "b (Specs) — about Saw B", "Depth of cut: 6 cm\nBlade size: 165 mm"),
    ]
    header = Header(question=None, focus=["Saw A", "Saw B"], items=["Saw A", "Saw B"])
    answer = compose_answer("Which one cuts deeper, Saw A or Saw B?", saws, header=header)
    assert answer.startswith("The Saw B is deeper:") and "6 cm [2]" in answer, answer


SIBLINGS = [
    SourceBlock(
        1, "Our catalog: Corvid Striper Mower", "Corvid Striper Mower by Corvid costs 784.99 USD and is 3 in stock."
    ),
    SourceBlock(
        2,
        "corvid-striper-700-mower-manual (Key figures) — about Corvid Striper 700 Mower",
        "The mower cuts a 45 cm strip. The first-generation Striper 700 Mk I, now discontinued, managed 58 cm.\n"
        "The Corvid Striper 700 Mower's collection bag takes 70 litres of clippings.",
    ),
    SourceBlock(
        3,
        "mowers-range-guide (Mowers at a glance)",
        "| Model | Cutting width | Grass box |\n|---|---|---|\n"
        "| Striper | 40 cm | 35 L |\n| Striper 700 | 45 cm | 70 L |",
    ),
]
SIBLING_NAMES = ["Corvid Striper Mower", "Corvid Striper 700 Mower"]


def test_a_sibling_models_figure_is_never_the_answer() -> None:
    """Names that differ by a model mark are different items: the Striper 700's bag is not the Striper's, a
    discontinued "Striper 700 Mk I" is not the Striper 700, and a row of a table of models is about its own model."""
    plain = Header(question=None, focus=["Corvid Striper Mower"], items=SIBLING_NAMES)
    answer = compose_answer("How big is the collection bag of the Corvid Striper Mower?", SIBLINGS, header=plain)
    assert "70" not in answer, answer
    seven = Header(question=None, focus=["Corvid Striper 700 Mower"], items=SIBLING_NAMES)
    answer = compose_answer("What's the cutting width of the Corvid Striper 700 Mower?", SIBLINGS, header=seven)
    assert "45 cm" in answer and "58" not in answer and "40 cm" not in answer, answer


@pytest.mark.parametrize(
    "layout",
    [
        "Cutting width ............ 42 cm\nWeight ................... 7,4 kg",
        "| Parameter | Value | Unit |\n|---|---|---|\n| Cutting width | 42 | cm |\n| Weight | 7,4 | kg |",
        "Cutting width — 42 cm\nWeight — 7,4 kg",
        "| Specification | Value | Notes |\n|---|---|---|\n| Cutting width | 42 cm | nominal |\n| Weight | 7,4 kg | |",
    ],
)
def test_spec_lines_in_other_layouts_answer(layout: str) -> None:
    blocks = [SourceBlock(1, "rook-manual (Technical data) — about Rook Mower", layout)]
    header = Header(question=None, focus=["Rook Mower"], items=["Rook Mower"])
    assert "42" in compose_answer("How wide does the Rook Mower cut?", blocks, header=header)
    assert "7,4" in compose_answer("How heavy is the Rook Mower?", blocks, header=header)


def test_a_note_or_a_neighbouring_word_answers_no_other_question() -> None:
    """ "manufacturer's figure" beside a weight says nothing of where it is made; "easy to carry" is no carry bag;
    "made for everyday use" says nothing of what it is made of."""
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Rook Mower",
            "Rook Mower costs 300.00 USD and is 4 in stock. The Rook Mower is a mower made for everyday use.",
        ),
        SourceBlock(
            2,
            "rook-manual (Technical data) — about Rook Mower",
            "| Feature | Value | Notes |\n|---|---|---|\n| Weight | 20 kg | manufacturer's figure |\n\n"
            "At just 20 kg, the Rook Mower is easy to carry.",
        ),
    ]
    header = Header(question=None, focus=["Rook Mower"], items=["Rook Mower"])
    for question in (
        "Where is the Rook Mower manufactured?",
        "Does the Rook Mower have a carry bag?",
        "What is the Rook Mower made of?",
    ):
        assert compose_answer(question, blocks, header=header) == DECLINE, question
    assert "20 kg" in compose_answer("How much does the Rook Mower weigh?", blocks, header=header)


def test_several_items_asked_each_get_their_sentence() -> None:
    blocks = [
        SourceBlock(1, "Our catalog: Rook Mower", "Rook Mower by Corvid costs 300.00 USD and is 4 in stock."),
        SourceBlock(2, "Our catalog: Wren Mower", "Wren Mower by Corvid costs 250.00 USD and is 2 in stock."),
    ]
    header = Header(question=None, focus=["Rook Mower", "Wren Mower"], items=["Rook Mower", "Wren Mower"])
    answer = compose_answer("How much are the Rook Mower and the Wren Mower?", blocks, header=header)
    assert "300.00" in answer and "250.00" in answer, answer


def test_a_word_beside_the_spec_key_is_no_reason_to_decline() -> None:
    blocks = [
        SourceBlock(1, "wren-manual (Specifications) — about Wren Trimmer", "- Runtime: 35 minutes\n- Blade: 55 cm")
    ]
    header = Header(question=None, focus=["Wren Trimmer"], items=["Wren Trimmer"])
    assert "35 minutes" in compose_answer("What's the battery life of the Wren Trimmer?", blocks, header=header)
    assert compose_answer("How long is the hose on the Wren Trimmer?", blocks, header=header) == DECLINE


def test_a_key_whose_last_word_names_another_attribute_answers_for_that_one() -> None:
    """ "Weight capacity: 80 kg" is what a desk bears; "Weight: 27 kg" what it weighs."""
    blocks = [
        SourceBlock(1, "kite-manual (Specifications) — about Kite Desk", "- Weight capacity: 80 kg\n- Weight: 27 kg")
    ]
    header = Header(question=None, focus=["Kite Desk"], items=["Kite Desk"])
    assert "27 kg" in compose_answer("How heavy is the Kite Desk?", blocks, header=header)
    assert "80 kg" in compose_answer("How much weight can the Kite Desk carry?", blocks, header=header)


def test_a_list_of_figures_and_the_words_before_a_key_answer() -> None:
    blocks = [
        SourceBlock(
            1,
            "kite-manual (Key figures) — about Kite Mower",
            "At a glance: 42 cm cutting width · 1.1 kW power · 14.8 kg weight\n- Collection bag capacity: 45 L",
        )
    ]
    header = Header(question=None, focus=["Kite Mower"], items=["Kite Mower"])
    assert "1.1 kW" in compose_answer("How strong is the motor of the Kite Mower?", blocks, header=header)
    assert "45 L" in compose_answer("What's the grass catcher capacity of the Kite Mower?", blocks, header=header)


def test_a_unit_or_a_verb_of_the_question_is_no_missing_word() -> None:
    blocks = [
        SourceBlock(
            1,
            "wren-manual (Specifications) — about Wren Lamp",
            "- Luminous flux: 900 lm\n- Light colour: 4800 K\n- Power: 7 watts\n- Maximum load: 2 kg",
        )
    ]
    header = Header(question=None, focus=["Wren Lamp"], items=["Wren Lamp"])
    assert "900 lm" in compose_answer("How many lumens does the Wren Lamp give?", blocks, header=header)
    assert "7 watts" in compose_answer("What's the power consumption of the Wren Lamp?", blocks, header=header)
    assert "2 kg" in compose_answer("What's the weight limit of the Wren Lamp?", blocks, header=header)
    assert compose_answer("Where is the Wren Lamp manufactured?", blocks, header=header) == DECLINE


def test_a_measure_of_anything_in_a_key_stays_its_subjects() -> None:
    """ "Warranty Duration" is the warranty's (a duration), unlike "Weight capacity" (a capacity)."""
    text = (
        "Warranty Coverage: The warranty covers defects in materials and workmanship.\n"
        "Warranty Duration: The Kite Tent is covered by a 2-year limited warranty from the date of purchase."
    )
    blocks = [SourceBlock(1, "kite-manual (Warranty) — about Kite Tent", text)]
    header = Header(question=None, focus=["Kite Tent"], items=["Kite Tent"])
    from concierge.tools.llm.local import SentenceVectors

    answer = compose_answer(
        "How long is the warranty on the Kite Tent?", blocks, header=header, embed=SentenceVectors()
    )
    assert "2-year" in answer, answer


def test_a_rate_is_no_length_and_a_measure_of_anything_names_no_key() -> None:
    text = "The Kite Fan pushes air out at up to 220 km/h.\n- Cut width: 50 cm"
    blocks = [SourceBlock(1, "kite-manual (Specifications) — about Kite Fan", text)]
    header = Header(question=None, focus=["Kite Fan"], items=["Kite Fan"])
    assert "220" not in compose_answer("How tall is the Kite Fan?", blocks, header=header), "220 km/h is no height"
    assert compose_answer("What blade size does the Kite Fan take?", blocks, header=header) == DECLINE


FOUNTAIN = [
    SourceBlock(
        1,
        "wren_fountain — about Wren F35 Fountain",
        "The F35 measures 24 x 24 x 17 cm and comes in white or grey. The filter is the same carbon type and "
        "should be changed every 4 weeks. Care: hand wash the tray in cold water, reshape and leave to dry.",
    ),
    SourceBlock(
        2,
        "wren_tracker — about Wren T3 Tracker",
        "The 600 mAh battery lasts up to 5 days in normal use, and a full charge takes about 2 hours. "
        "Collar strap: machine washable at 30 °C.",
    ),
]


@pytest.mark.parametrize(
    ("question", "focus", "expected"),
    [
        ("How often do I need to swap the filter in the F35?", "Wren F35 Fountain", "every 4 weeks [1]"),
        ("How do I clean the fountain's tray?", "Wren F35 Fountain", "hand wash the tray"),
        ("how long will the T3 go between charges?", "Wren T3 Tracker", "5 days"),
        ("Can the T3's strap go in the washing machine?", "Wren T3 Tracker", "machine washable"),
    ],
)
def test_customers_ask_in_everyday_verbs(question: str, focus: str, expected: str) -> None:
    """How customers ask ("how often", "swap", "clean", "go between charges", "washing machine") against how
    manuals say it ("every 4 weeks", "changed", "Care: hand wash", "lasts", "machine washable")."""
    header = Header(question=None, focus=[focus], items=["Wren F35 Fountain", "Wren T3 Tracker"])
    assert expected in compose_answer(question, FOUNTAIN, header=header)


def test_an_everyday_verb_does_not_make_up_an_answer() -> None:
    header = Header(question=None, focus=["Wren F35 Fountain"], items=["Wren F35 Fountain", "Wren T3 Tracker"])
    assert compose_answer("How often do I need to descale the F35's pump?", FOUNTAIN, header=header) == DECLINE


def test_made_of_is_answered_by_a_material_not_by_the_making() -> None:
    cave = [
        SourceBlock(
            1,
            "cave — about Burrow Cat Cave",
            "Because each cave is made by hand, sizes vary slightly. Every cave is felted from 100% New Zealand "
            "wool.\nBody: mahogany, satin finish",
        )
    ]
    header = Header(question=None, focus=["Burrow Cat Cave"], items=["Burrow Cat Cave"])
    assert "wool [1]" in compose_answer("What's the Burrow Cat Cave made from?", cave, header=header)
    assert "mahogany" in compose_answer("What wood is the Burrow Cat Cave's body?", cave, header=header)


def test_a_measure_is_answered_by_a_figure_not_by_its_word() -> None:
    piano = [
        SourceBlock(
            1,
            "p88 — about Tessel P88 Piano",
            "The P88 has 88 fully weighted keys with a graded hammer action. At 11.7 kg it can be moved by one person.",
        )
    ]
    header = Header(question=None, focus=["Tessel P88 Piano"], items=["Tessel P88 Piano"])
    answer = compose_answer("How much does the Tessel P88 Piano weigh?", piano, header=header)
    assert "11.7 kg" in answer and "weighted keys" not in answer


def _manual(name: str, *lines: str) -> list[SourceBlock]:
    return [
        SourceBlock(1, f"{name} manual — about {name}", "\n".join(lines)),
        SourceBlock(2, f"Our catalog: {name}", f"{name} by Aurel costs 99.00 GBP and is 4 in stock."),
    ]


def _ask(question: str, blocks: list[SourceBlock], name: str) -> str:
    return compose_answer(question, blocks, header=Header(question, [name], [name]))


def test_how_long_it_runs_and_how_long_it_charges_are_two_figures() -> None:
    name = "Aurel Drift Headset"
    both = _manual(name, "- Playback time: 34 hours", "- Recharge time: 4 hours", "- Net weight: 300 g")
    assert "34 hours" in _ask(f"How long does the battery last on the {name}?", both, name)
    assert "34 hours" in _ask(f"How long does the {name} run on one charge?", both, name)
    assert "4 hours" in _ask(f"How long does the {name} take to charge?", both, name)
    assert "4 hours" in _ask(f"How long before the {name} is topped up from flat?", both, name)
    playing = _manual(name, "Expect 20 h of listening per charge.", "- Net weight: 300 g")
    assert _ask(f"How long does the {name} take to charge?", playing, name) == DECLINE
    charging = _manual(name, "- Charging time: 3 hours", "- Net weight: 300 g")
    assert _ask(f"How long does the battery last on the {name}?", charging, name) == DECLINE


def test_a_guarantee_free_of_charge_is_no_charging_time() -> None:
    name = "Aurel Quill Microphone"
    blocks = _manual(name, "We repair or replace the microphone free of charge for three years if a fault appears.")
    assert _ask(f"How long does the {name} take to charge?", blocks, name) == DECLINE
    assert "three years" in _ask(f"Does the {name} come with a warranty?", blocks, name)


def test_a_battery_capacity_asked_in_everyday_words() -> None:
    name = "Aurel Reserve Power Bank"
    blocks = _manual(name, "- Capacity: 16400 mAh", "- Charging time: 3 hours", "- Item weight: 800 g")
    assert "16400 mAh" in _ask(f"How big is the battery in the {name}?", blocks, name)
    assert _ask(f"What's the output wattage of the {name}?", blocks, name) == DECLINE, "'Power' names the item"


def test_a_sibling_model_is_not_the_item() -> None:
    name = "Sonora Quill 300 Microphone"
    blocks = _manual(name, "- Net weight: 2800 g", "- Lead length: 4.5 metres")
    assert "2800 g" in _ask(f"How much does the {name} weigh?", blocks, name)
    assert _ask("How much does the Sonora Quill 300 Mk II Microphone weigh?", blocks, name) == DECLINE
    assert "4.5 metres" in _ask(f"How long is the cord on the {name}?", blocks, name)


def test_the_asking_clause_of_a_chatty_question() -> None:
    name = "Sonora Quill 300 Microphone"
    blocks = _manual(name, "- Net weight: 2800 g", "- Lead length: 4.5 metres")
    said = f"Is the {name} light enough to carry around all day - what does it weigh?"
    assert "2800 g" in _ask(said, blocks, name)


def test_a_count_of_cups_and_how_hot_are_a_capacity_and_a_temperature() -> None:
    name = "Brio Arc Kettle"
    blocks = _manual(name, "- Capacity: 1.7 L", "- Heat-up time: 4 minutes", "- Max temperature: 100 °C")
    assert "1.7 L (about 7.2 cups)" in _ask(f"How many cups does the {name} make?", blocks, name)
    assert "100 °C" in _ask(f"How hot does the {name} get?", blocks, name)
    assert "4 minutes" in _ask(f"How long does the {name} take to warm up?", blocks, name)
    assert _ask(f"How loud is the {name}?", blocks, name) == DECLINE


SIZE_GUIDE = [
    SourceBlock(1, "Our catalog: Dale Harness", "Dale Harness by Dale costs 24.99 GBP and up, and is 20 in stock."),
    SourceBlock(
        2,
        "dale-harness (Size guide) — about Dale Harness",
        "| Size | Chest girth | Dog weight |\n|---|---|---|\n| S | 43–58 cm | 5–12 kg |\n| M | 56–76 cm | 12–25 kg |\n"
        "| L | 71–96 cm | 25–45 kg |\nThe clip fits collars up to 25 mm wide.",
    ),
    SourceBlock(3, "policies (In-store services)", "- Self-service dog wash: £8 for 30 minutes, towels included"),
]
ON_HARNESS = Header(question=None, focus=["Dale Harness"], items=["Dale Harness"])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "My terrier is 30 kg, which size should I get?",
            "For 30 kg: L: 71–96 cm (Chest girth), 25–45 kg (Dog weight) [2]",
        ),
        ("she's 10 kg. What size?", "For 10 kg: S: 43–58 cm (Chest girth), 5–12 kg (Dog weight) [2]"),
        ("My dog wears a 30mm collar, will the clip fit it?", "No: The clip fits collars up to 25 mm wide [2]."),
        ("His collar is 2 cm wide - will the clip fit?", "Yes: The clip fits collars up to 25 mm wide [2]."),
    ],
)
def test_a_figure_the_customer_gives_is_checked_against_the_ranges_stated(question: str, expected: str) -> None:
    assert compose_answer(question, SIZE_GUIDE, header=ON_HARNESS) == expected


def test_a_range_no_line_holds_is_no_answer_by_itself() -> None:
    answer = compose_answer("My dog is 60 kg, which size should I get?", SIZE_GUIDE, header=ON_HARNESS)
    assert not answer.startswith("For 60 kg"), answer


def test_a_service_the_catalog_lacks_is_priced_by_its_policy() -> None:
    """The catalog's price wins over a page's for a catalog item; a service only a policy prices keeps its price,
    and the catalog's price of an item the question does not name does not join it."""
    assert compose_answer("How much does it cost to use your dog wash?", SIZE_GUIDE) == (
        "Self-service dog wash: £8 for 30 minutes, towels included [3]"
    )


TEA = [
    SourceBlock(1, "Our catalog: Dun Tea", "Dun Tea by Leaf & Co costs 6.50 GBP and is 41 in stock."),
    SourceBlock(
        2,
        "dun-tea (Dun Tea) — about Dun Tea",
        "A malty black tea, grown in Upper Dun.\nBrewing guide\nWater: freshly boiled, 100 °C\n"
        "Steep: 3-5 minutes, longer for a stronger brew\nProcess: washed, then rolled\n"
        "The 60 g tin holds up to 20 g of leaf per scoop, and at 390 g it travels well.",
    ),
]
ON_TEA = Header(question=None, focus=["Dun Tea"], items=["Dun Tea"])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("how long do I brew it?", "3-5 minutes"),  # a heading over spec lines says what they are about
        ("is it natural or washed?", "washed"),  # the choice the sources do not state is no missing word
        ("where is it from?", "Upper Dun"),
        ("how heavy is the Dun Tea?", "390 g"),  # "20 g of leaf" measures the leaf
    ],
)
def test_headings_choices_and_origins(question: str, expected: str) -> None:
    answer = compose_answer(question, TEA, header=ON_TEA)
    assert expected in answer, answer
    assert "Brewing guide [" not in answer, "a heading is never the answer"


def test_what_it_holds_and_what_delivery_costs_from_the_customers_own_words() -> None:
    feeder = [
        SourceBlock(1, "Our catalog: Dish F4", "Dish F4 by Dish costs 69.00 GBP and is 5 in stock."),
        SourceBlock(
            2,
            "dish-f4 (Dish F4) — about Dish F4",
            "| Feature | Details |\n|---|---|\n| Hopper capacity | 4 L (about 1.6 kg of dry food) |\n"
            "| Suitable food | dry kibble 3–12 mm |",
        ),
        SourceBlock(
            3, "policies (Delivery)", "- Standard delivery: £3.95, free on orders over £40\n- Nail clipping: £10"
        ),
    ]
    on_feeder = Header(question=None, focus=["Dish F4"], items=["Dish F4"])
    assert "4 L" in compose_answer("How much kibble can I put in the F4?", feeder, header=on_feeder)
    assert compose_answer("If I spend £30, what will postage cost me?", feeder) == (
        "Standard delivery: £3.95, free on orders over £40 [3]"
    )


def test_a_word_two_other_names_share_names_neither() -> None:
    """ "from espresso to French press" in the big grinder's entry names neither the espresso blend nor the espresso
    class: it is still the big grinder's fact, never the mini's."""
    blocks = [
        SourceBlock(1, "Our catalog: Tal H2 Mini Grinder", "Tal H2 Mini Grinder by Tal costs 79.00 GBP."),
        SourceBlock(2, "Our catalog: Tal H2 Grinder", "A precise hand grinder with steel burrs, espresso to press."),
    ]
    header = Header(
        question=None,
        focus=["Tal H2 Mini Grinder"],
        items=["Tal H2 Mini Grinder", "Tal H2 Grinder", "Ridge Espresso Blend", "Home Espresso Class"],
    )
    assert compose_answer("Could I use the H2 Mini for espresso?", blocks, header=header) == DECLINE


@pytest.mark.parametrize(
    "question",
    [
        "we've got an induction hob at home, will the Dun Kettle work on it?",
        "What kind of hobs does the Dun Kettle suit?",
    ],
)
def test_words_that_set_the_scene_need_no_source(question: str) -> None:
    blocks = [SourceBlock(1, "dun-kettle (Dun Kettle) — about Dun Kettle", "Hobs: gas, electric and induction")]
    header = Header(question=None, focus=["Dun Kettle"], items=["Dun Kettle"])
    assert "induction [1]" in compose_answer(question, blocks, header=header)
    assert compose_answer("Will the Dun Kettle work on a camping stove?", blocks, header=header) == DECLINE


def test_the_customers_own_things_and_model_numbers() -> None:
    """ "my lab" is the customer's dog, no word a page must hold; the 2 of "H2" is no figure to answer by."""
    tracker = [
        SourceBlock(1, "pawl-t3 (Pawl T3 Pro) — about Pawl T3 Pro", "Water resistance: IP68 (1.5 m for 30 minutes)"),
    ]
    header = Header(question=None, focus=["Pawl T3 Pro"], items=["Pawl T3 Pro"])
    answer = compose_answer("can my lab go swimming with the T3 Pro on?", tracker, header=header)
    assert "IP68" in answer, answer
    grinder = [
        SourceBlock(1, "tal-h2-mini (Tal H2 Mini) — about Tal H2 Mini", "The H2 Mini is the H2 cut down for travel."),
    ]
    header = Header(question=None, focus=["Tal H2 Mini"], items=["Tal H2 Mini"])
    assert compose_answer("whats the warranty on the H2 Mini?", grinder, header=header) == DECLINE


def test_how_long_it_lasts_in_weeks_and_how_soon() -> None:
    blocks = [
        SourceBlock(
            1,
            "mini-tint (Mini Tint) — about Mini Tint",
            "It takes about 2 hours and costs $165.\nExpect a Mini Tint to last 8 to 10 weeks.\n"
            "First wash: wait 48 hours after the tint.",
        )
    ]
    header = Header(question=None, focus=["Mini Tint"], items=["Mini Tint"])
    assert "10 weeks" in compose_answer("how many weeks will a mini tint last?", blocks, header=header)
    assert "48 hours" in compose_answer("how soon can I wash my hair after it?", blocks, header=header)
    assert "2 hours" in compose_answer("how long does the mini tint take?", blocks, header=header)


def test_everyday_wording_no_source_holds_is_phrasing_a_rare_word_is_the_thing_asked() -> None:
    """ "on your site", "running late", "stay at its best" are how customers put it; "caffeine" or "wheelchair" no
    page holds means the pages do not say."""
    policies = [
        SourceBlock(1, "policies (Prices and taxes)", "All prices are in dollars and do not include taxes."),
        SourceBlock(
            2,
            "cafe-tables (FAQ)",
            "We hold your table for 15 minutes after the booked time.\n"
            "Cancellation is free up to 24 hours before your booking.",
        ),
    ]
    assert "do not include taxes" in compose_answer("do the prices on your site include tax?", policies)
    answer = compose_answer("running 20 min late for our table booking tonight, will you still hold it??", policies)
    assert "15 minutes" in answer, answer
    assert compose_answer("is the table area wheelchair accessible?", policies) == DECLINE
    assert compose_answer("how much caffeine do you add to the prices?", policies) == DECLINE
    assert {"site", "late", "stay"} <= everyday_stems("on your site, running late, does it stay fresh")
    assert not everyday_stems("caffeine wheelchair bluetooth warranty")


def test_the_asked_items_own_fact_is_not_padded_with_a_shop_wide_line() -> None:
    own = "It's a game for 2 to 5 players aged 7 and up, and most games are over in 20 minutes, so it gets played."
    blocks = [
        SourceBlock(
            1,
            "firefly-game (Firefly Game) — about Firefly Game",
            f"{own}\nLeave the tokens in daylight for 10 minutes before you play, then dim the lights.",
        ),
        SourceBlock(
            2,
            "policies (Bookings)",
            "Café tables are booked on our website or by phone.\nPrivate events for 9 people or more: mail us.",
        ),
    ]
    header = Header(question=None, focus=["Firefly Game"], items=["Firefly Game"])
    answer = compose_answer("Firefly Game - how many people can play it?", blocks, header=header)
    assert answer == f"{own[:-1]} [1].", answer


def test_a_remark_after_a_colon_is_said_as_written_not_as_a_property() -> None:
    blocks = [
        SourceBlock(
            1,
            "forge-dice (Forge Dice) — about Forge Dice",
            "Weight: 150 g\nA word of warning: metal dice are hard on wood and glass.",
        )
    ]
    header = Header(question=None, focus=["Forge Dice"], items=["Forge Dice"])
    answer = compose_answer("are the Forge Dice hard on wood?", blocks, header=header)
    assert answer == "A word of warning: metal dice are hard on wood and glass [1].", answer
    assert compose_answer("how heavy are the Forge Dice?", blocks, header=header).startswith("The weight of the Forge")


def test_a_range_guides_row_naming_the_asked_item_is_its_fact() -> None:
    blocks = [
        SourceBlock(1, "fairway (Fairway Lawn Mower) — about Fairway Lawn Mower", "Cut width: 35 centimetres"),
        SourceBlock(2, "mowers-guide (Mowers at a glance)", "Fairway — Grass box: 60 ltr\nStriper — Grass box: 35 L"),
    ]
    header = Header(question=None, focus=["Fairway Lawn Mower"], items=["Fairway Lawn Mower", "Striper Lawn Mower"])
    answer = compose_answer("How big is the grass box on the Fairway Lawn Mower?", blocks, header=header)
    assert "60 ltr" in answer and "35 L" not in answer, answer


def test_a_choice_needs_one_of_its_sides() -> None:
    box = [
        SourceBlock(
            1,
            "caves (Caves Expansion) — about Caves Expansion",
            "In the box you'll find the cellar board, 48 cards and a rulebook.\nBox size: 30 x 30 cm",
        ),
        SourceBlock(2, "cafe (Café)", "Our café menu (coffee, tea, sandwiches and snacks) is served at the table."),
        SourceBlock(3, "caves (Caves Expansion)", "Beneath the old château lie the wine cellars."),
    ]
    assert compose_answer("do you serve beer or coffee in the café?", box) != DECLINE, "one side is stated"
    assert compose_answer("do you serve beer or wine in the café?", box) == DECLINE, "neither side is"


def test_two_items_lines_as_good_as_each_other_with_none_asked_ask_which() -> None:
    """ "How heavy is the Veloce Air?" of an Air and an Air Pro, no item in focus: the Pro's weight would be a fact
    of another item, so the answer asks which."""
    blocks = [
        SourceBlock(1, "air-pro (Veloce Air Pro) — about Veloce Air Pro", "It weighs 1.3 lb (590 g)."),
        SourceBlock(2, "air (Veloce Air) — about Veloce Air", "Weight: 1.1 lb (500 g)"),
    ]
    header = Header(question=None, focus=[], items=["Veloce Air Pro", "Veloce Air"])
    assert compose_answer("How heavy is the Veloce?", blocks, header=header) == CLARIFY
    asked = Header(question=None, focus=["Veloce Air"], items=["Veloce Air Pro", "Veloce Air"])
    assert "1.1 lb" in compose_answer("How heavy is the Veloce Air?", blocks, header=asked)


def test_a_word_after_a_verb_sharing_a_keys_stem_is_no_part_of_the_key() -> None:
    """ "played solo" is not "Playing time": the playing time does not say whether it can be played alone."""
    blocks = [
        SourceBlock(
            1,
            "ironwake (Ironwake) — about Ironwake",
            "Playing time: 120-180 minutes\nPlan on a 45-minute teach the first time you play.",
        )
    ]
    header = Header(question=None, focus=["Ironwake"], items=["Ironwake"])
    assert compose_answer("can Ironwake be played solo?", blocks, header=header) == DECLINE
    assert "120-180" in compose_answer("what is the playing time of Ironwake?", blocks, header=header)


def test_a_day_asked_is_found_as_a_date_not_as_its_words() -> None:
    """ "jan 21" is the line of Thursday 21 January, not "19:00 to 21:30"; a day no line names is not answered."""
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Learn-to-Play Night",
            "Learn-to-Play Night takes 150 minutes and costs 12.00 CAD.\n"
            "Thu 21 January 2027: 12.00, no places left.\nThu 28 January 2027: 12.00, 6 places left.",
        ),
        SourceBlock(
            2,
            "night (Learn-to-Play Night) — about Learn-to-Play Night",
            "When: every Thursday, 19:00 to 21:30\nBonus: 10% off a game taught that evening",
        ),
    ]
    header = Header(question=None, focus=["Learn-to-Play Night"], items=["Learn-to-Play Night"])
    answer = compose_answer("is there still space on the learn to play night on jan 21?", blocks, header=header)
    assert "no places left" in answer and "28 January" not in answer, answer
    assert "6 places left" in compose_answer("any spot on the 28th at the learn to play night?", blocks, header=header)
    assert compose_answer("any places on the learn to play night on 4 March?", blocks, header=header) == DECLINE


def test_how_long_is_a_service_asks_its_time_though_its_page_measures_a_distance() -> None:
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Bridal Hair Trial",
            "Bridal Hair Trial takes 90 minutes and costs 120.00 USD.",
        ),
        SourceBlock(
            2,
            "bridal (Bridal Hair Trial) — about Bridal Hair Trial",
            "Travel within 15 miles of the salon: a flat $75 travel fee.",
        ),
    ]
    header = Header(question=None, focus=["Bridal Hair Trial"], items=["Bridal Hair Trial"])
    assert "90 minutes" in compose_answer("how long is a bridal hair trial?", blocks, header=header)


def test_the_asked_items_own_line_answers_before_a_shop_wide_one_as_good() -> None:
    blocks = [
        SourceBlock(2, "returns (Returns)", "Card sleeves: unopened packs only."),
        SourceBlock(
            1,
            "ironwake (Ironwake) — about Ironwake",
            "There are 220 cards: 180 in standard size (63.5 x 88 mm) and 40 in mini size (41 x 63 mm).",
        ),
    ]
    header = Header(question=None, focus=["Ironwake"], items=["Ironwake"])
    answer = compose_answer("which sleeve sizes do I need for Ironwake?", blocks, header=header)
    assert "40 in mini size" in answer and "unopened" not in answer, answer


def test_a_current_draw_is_read_in_milliamps_and_currently_asks_none() -> None:
    blocks = [
        SourceBlock(
            1,
            "driftwood (Driftwood Overdrive) — about Driftwood Overdrive",
            "Controls: Drive, Tone, Level.\nPower requirements: 9V DC, center negative; it draws 12 mA.",
        ),
        SourceBlock(2, "Our catalog: Driftwood Overdrive", "Driftwood Overdrive costs 89.00 GBP and is 9 in stock."),
    ]
    header = Header(question=None, focus=["Driftwood Overdrive"], items=["Driftwood Overdrive"])
    assert "12 mA" in compose_answer("How much current does the Driftwood Overdrive draw?", blocks, header=header)
    assert "9 in stock" in compose_answer("Is the Driftwood Overdrive currently in stock?", blocks, header=header)


def test_what_size_a_part_is_its_own_spec_line_not_the_items_measure() -> None:
    blocks = [
        SourceBlock(
            1,
            "h2 (Tallis H2 Grinder) — about Tallis H2 Grinder",
            "Height: 19 cm (7.5 in)\nBurrs: 38 mm hardened stainless steel, conical\nDo not wash the burrs with water.",
        )
    ]
    header = Header(question=None, focus=["Tallis H2 Grinder"], items=["Tallis H2 Grinder"])
    answer = compose_answer("what size burrs does the Tallis H2 Grinder use?", blocks, header=header)
    assert "38 mm" in answer and "19 cm" not in answer, answer
    assert "19 cm" in compose_answer("what size is the Tallis H2 Grinder?", blocks, header=header)


def test_a_misspelt_attribute_word_still_asks_its_attribute() -> None:
    blocks = [
        SourceBlock(1, "Our catalog: Tallis H2 Mini", "Tallis H2 Mini by Tallis costs 79.00 GBP and is 5 in stock."),
        SourceBlock(2, "h2-mini (Tallis H2 Mini) — about Tallis H2 Mini", "Weight: 390 g"),
    ]
    header = Header(question=None, focus=["Tallis H2 Mini"], items=["Tallis H2 Mini"])
    answer = compose_answer("how much do the Tallis H2 Mini wiegh?", blocks, header=header)
    assert "390 g" in answer and "79.00" not in answer, answer


def test_another_items_line_that_does_not_name_it_is_said_with_its_name() -> None:
    blocks = [
        SourceBlock(1, "Our catalog: Balayage", "Balayage takes 210 minutes and costs 240.00 USD."),
        SourceBlock(2, "Our catalog: Mini Balayage", "Balayage painted around the face and parting only."),
    ]
    header = Header(question=None, focus=["Balayage"], items=["Balayage", "Mini Balayage"])
    answer = compose_answer("balayage only around my face and parting?", blocks, header=header)
    assert answer.startswith("Mini Balayage: Balayage painted around the face"), answer


def test_how_long_on_batteries_is_the_battery_only_running_time() -> None:
    blocks = [
        SourceBlock(
            1,
            "af4 (AF4 Feeder) — about AF4 Feeder",
            "Power: mains adapter, plus 3 x D batteries as backup\nBattery-only running: up to 6 months",
        )
    ]
    header = Header(question=None, focus=["AF4 Feeder"], items=["AF4 Feeder"])
    answer = compose_answer("how long can the AF4 Feeder keep going on just batteries?", blocks, header=header)
    assert "6 months" in answer, answer


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("sews up to 1,100 stitches per minute", [(1100.0, "rate")]),
        ("Its 1,200 W base", [(1200.0, "power")]),
        ("weighs 1,5 kg", [(1.5, "mass")]),
        ("3 minutes per side", [(3.0, "time")]),
    ],
)
def test_figures_read_thousands_decimal_commas_and_rates(text: str, found: list) -> None:
    from concierge.tools.analysis.units import quantities

    assert [(q.value, q.dimension) for q in quantities(text)] == found


def test_how_fast_is_a_rate_of_things_per_minute() -> None:
    blocks = [
        SourceBlock(
            1,
            "xr (Stitchwell XR) — about Stitchwell XR",
            "Needle threader and drop-in bobbin.\nWeight: 6.8 kg\nUp to 850 stitches per minute.",
        )
    ]
    header = Header(question=None, focus=["Stitchwell XR"], items=["Stitchwell XR"])
    assert "850 stitches per minute" in compose_answer("how fast does the Stitchwell XR sew?", blocks, header=header)


def test_a_deposit_asked_is_the_pages_deposit_not_the_catalog_price() -> None:
    """ "How much do you take up front?" asks the deposit: the page's $50 is no stale copy of the $280 price."""
    blocks = [
        SourceBlock(1, "Our catalog: Keratin Smoothing", "Keratin Smoothing takes 165 minutes and costs 280.00 USD."),
        SourceBlock(
            2,
            "keratin (Keratin Smoothing) — about Keratin Smoothing",
            "Price: from $280\nDeposit: $50, taken when you book and taken off the final bill",
        ),
    ]
    header = Header(question=None, focus=["Keratin Smoothing"], items=["Keratin Smoothing"])
    answer = compose_answer("how much do you take up front when I book the Keratin Smoothing?", blocks, header=header)
    assert "$50" in answer and "280" not in answer, answer
    assert "280.00 USD" in compose_answer("how much is the Keratin Smoothing?", blocks, header=header)


def test_a_party_size_picks_the_range_that_holds_it() -> None:
    tables = [
        SourceBlock(
            1,
            "Our catalog: Table Reservation",
            "Table Reservation takes 60 minutes and costs 10.00 CAD.\nTable for 2-4: 10.00.\nTable for 5-8: 18.00.",
        )
    ]
    header = Header(question=None, focus=["Table Reservation"], items=["Table Reservation"])
    answer = compose_answer("There'll be 6 of us, how much is the Table Reservation?", tables, header=header)
    assert answer.startswith("For 6 people: Table for 5-8: 18.00"), answer
    game = [SourceBlock(1, "voyage (Voyage) — about Voyage", "Players: 2-4\nPlaying time: 15 minutes")]
    header = Header(question=None, focus=["Voyage"], items=["Voyage"])
    assert compose_answer("Can five of us play the Voyage?", game, header=header).startswith("No: Players: 2-4")
    assert compose_answer("can 3 of us play the Voyage?", game, header=header).startswith("Yes")
    assert "15 minutes" in compose_answer("what is the playing time of the Voyage?", game, header=header)


def test_a_party_size_against_an_upper_bound() -> None:
    tent = [SourceBlock(1, "ridge (Ridge Tent) — about Ridge Tent", "A tunnel tent that sleeps 4.\nWeight: 3.1 kg")]
    header = Header(question=None, focus=["Ridge Tent"], items=["Ridge Tent"])
    assert compose_answer("will the Ridge Tent do for 5 people?", tent, header=header).startswith("No: A tunnel tent")
    assert compose_answer("is the Ridge Tent ok for 3 people?", tent, header=header).startswith("Yes")
    assert "3.1 kg" in compose_answer("how heavy is the Ridge Tent?", tent, header=header)


TRACKER = [
    SourceBlock(
        1, "Our catalog: Wayfind T3 Tracker", "Wayfind T3 Tracker by Wayfind costs 59.99 GBP and is 12 in stock."
    ),
    SourceBlock(
        2,
        "wayfind-t3 (What's in the box) — about Wayfind T3 Tracker",
        "- T3 tracker\n- Collar clip (fits collars up to 25 mm)\n- Magnetic USB charging cable\n- Quick start guide\n"
        "Warranty: 1 year from Wayfind.",
    ),
    SourceBlock(
        3,
        "wayfind-t3 (Specification) — about Wayfind T3 Tracker",
        "Weight: 32 g\nBattery: 600 mAh, up to 5 days\nWater resistance: IP68 (1.5 m for 30 minutes)\n"
        "Charging time: 2 hours",
    ),
]
T3 = Header(question=None, focus=["Wayfind T3 Tracker"], items=["Wayfind T3 Tracker"])


def test_a_list_its_heading_matched_is_answered_whole() -> None:
    """The box's list, not its first item; and its last item ("Quick start guide") is no heading of the line after."""
    assert compose_answer("what comes in the box with the T3?", TRACKER, header=T3) == (
        "T3 tracker; Collar clip (fits collars up to 25 mm); Magnetic USB charging cable; Quick start guide [2]."
    )
    assert compose_answer("does the T3 come with a charging cable?", TRACKER, header=T3) == (
        "Magnetic USB charging cable [2]"
    )


def test_a_spec_key_the_question_names_answers_the_measure_asked_of_it() -> None:
    """ "how long does the battery last?": the "Battery" line's days; a "Water resistance" line's minutes are no
    duration, and a charging question still reads the charging time."""
    assert compose_answer("How long does the battery last on the T3?", TRACKER, header=T3) == (
        "The battery of the Wayfind T3 Tracker: 600 mAh, up to 5 days [3]."
    )
    assert compose_answer("how long does the T3 take to charge?", TRACKER, header=T3) == (
        "The charging time of the Wayfind T3 Tracker: 2 hours [3]."
    )


def test_a_difference_is_what_each_page_says_of_the_other() -> None:
    """ "Unlike the K1, ..." on the K1 Pro's page answers how the two differ; a page line with the Pro's own mark
    after the shared code ("the K1 Pro is electric") does not name the K1."""
    blocks = [
        SourceBlock(
            1, "Our catalog: Potter K1 Kettle", "Potter K1 Kettle by Potter costs 38.00 GBP and is 9 in stock."
        ),
        SourceBlock(
            2,
            "potter-k1-pro (Potter K1 Pro Kettle) — about Potter K1 Pro Kettle",
            "The K1 Pro is an electric kettle with a 1,200 W base. Unlike the K1, which sits on your hob, it heats "
            "itself. It holds 0.9 L, a little less than the K1. Warranty: 2 years.",
        ),
        SourceBlock(3, "potter-k1 (Potter K1 Kettle) — about Potter K1 Kettle", "A stovetop kettle. Weight: 620 g."),
    ]
    header = Header(question=None, focus=["Potter K1 Kettle", "Potter K1 Pro Kettle"], items=[])
    assert compose_answer("what's the difference between the K1 and the K1 Pro?", blocks, header=header) == (
        "Unlike the K1, which sits on your hob, it heats itself [2]. It holds 0.9 L, a little less than the K1 [2]."
    )
    plain = Header(question=None, focus=["Potter K1 Kettle", "Potter K1 Pro Kettle"], items=[])
    assert compose_answer("what's the difference between the K1 and the K1 Pro?", blocks[:1], header=plain) == DECLINE


def test_a_sentence_leaning_on_the_one_before_brings_it() -> None:
    blocks = [
        SourceBlock(
            1,
            "policies (Running late)",
            "We hold your appointment for 15 minutes. After that we may have to shorten the service or reschedule "
            "you, and a late cancellation fee may apply.",
        )
    ]
    assert compose_answer("will you shorten the service or reschedule me?", blocks) == (
        "We hold your appointment for 15 minutes. After that we may have to shorten the service or reschedule you, "
        "and a late cancellation fee may apply [1]."
    )


SHOP_HOURS = [
    SourceBlock(
        1,
        "policies (Returns)",
        "If something arrives damaged, contact us within 48 hours. Orders placed by 10:00 leave the same day.",
    ),
    SourceBlock(
        2, "policies (Roastery shop)", "Tuesday to Friday 8:00-16:00, Saturday 9:00-15:00. Closed Sundays and Mondays."
    ),
    SourceBlock(3, "workshop (Workshop) — about Espresso Workshop", "Duration: 2.5 hours, starting at 10:00"),
]


@pytest.mark.parametrize(
    "question",
    [
        "what are your opening hours?",
        "what time do you close on saturday?",
        "until when can I come in on thursday?",
        "are you open tomorrow?",
        "how late are you open on fridays",
    ],
)
def test_opening_hours_are_the_lines_giving_times_of_day(question: str) -> None:
    """Not "within 48 hours", nor a deadline ("by 10:00"), nor a workshop's duration: a span of times, with its days
    ("Tuesday to Friday" holds Thursday)."""
    assert compose_answer(question, SHOP_HOURS) == "Tuesday to Friday 8:00-16:00, Saturday 9:00-15:00 [2].", question


def test_a_day_asked_of_a_service_says_whose_hours_they_are() -> None:
    blocks = [SourceBlock(1, "tables (When can I reserve?) — about Table Booking", "Saturday: 11:00 - midnight")]
    header = Header(question=None, focus=["Table Booking"], items=["Table Booking"])
    answer = compose_answer("until what time can I book the Table Booking on saturdays?", blocks, header=header)
    assert answer == "Table Booking: Saturday: 11:00 - midnight [1]", answer


def test_a_price_and_whether_there_is_one_to_buy_in_one_question() -> None:
    blocks = [
        SourceBlock(1, "Our catalog: Ironwake", "Ironwake by Longbarrow costs 139.95 CAD and is out of stock."),
        SourceBlock(2, "policies (Loyalty)", "Get one stamp for every $10 you spend in the boutique."),
    ]
    header = Header(question=None, focus=["Ironwake"], items=["Ironwake"])
    for question in ("how much is Ironwake and can i grab one this weekend?", "how much is Ironwake, do you have one?"):
        assert compose_answer(question, blocks, header=header) == (
            "Ironwake by Longbarrow costs 139.95 CAD and is out of stock [1]."
        ), question


def test_a_party_size_said_before_answers_a_price_not_a_cancellation() -> None:
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Table Reservation",
            "Table Reservation takes 60 minutes and costs 10.00 CAD.\nTable for 2-4: 10.00.\nTable for 5-8: 18.00.",
        ),
        SourceBlock(
            2,
            "tables (FAQ) — about Table Reservation",
            "Cancellation is free up to 24 hours before your booking. Bring your own games at no extra cost.",
        ),
    ]
    header = Header(question=None, focus=["Table Reservation"], items=["Table Reservation"])
    cancel = "and if someone gets sick and we have to cancel the Table Reservation? (for 6 people)"
    assert compose_answer(cancel, blocks, header=header) == (
        "Cancellation is free up to 24 hours before your booking [2]."
    )
    price = "and how much is the Table Reservation? (for 6 people)"
    assert compose_answer(price, blocks, header=header).startswith("For 6 people: Table for 5-8: 18.00")


def test_an_faqs_question_words_the_answer_below_it() -> None:
    """The FAQ's question ("Can I play it on my own?") says what its answer is about in the customer's words;
    its bare "Yes." comes with the line that says why."""
    blocks = [
        SourceBlock(
            1,
            "ironwake (FAQ) — about Ironwake",
            "**Can I play it on my own?**\nYes. The automa deck plays against you, with three difficulty levels.\n"
            "**How long is a game?**\nPlan on three hours, and a 45-minute teach the first time you play.",
        )
    ]
    header = Header(question=None, focus=["Ironwake"], items=["Ironwake"])
    assert compose_answer("can ironwake be played solo?", blocks, header=header) == (
        "Yes. The automa deck plays against you, with three difficulty levels [1]."
    )


def test_a_unit_asked_is_not_answered_by_another_measure() -> None:
    """ "how many lumens?" of a light whose page gives lux only: no answer, however alike the words."""
    from concierge.tools.llm.local import SentenceVectors

    blocks = [SourceBlock(1, "lx (Helder LX) — about Helder LX", "Light output: 60 lux\nCharging: USB-C, 3 hours")]
    header = Header(question=None, focus=["Helder LX"], items=["Helder LX"])
    question = "how many lumen does the helder lx put out?"
    assert compose_answer(question, blocks, header=header, embed=SentenceVectors()) == DECLINE


def test_when_it_is_back_in_stock_asks_a_date() -> None:
    blocks = [SourceBlock(1, "Our catalog: K10 Chain", "K10 Chain costs 84.95 EUR and is currently out of stock.")]
    header = Header(question=None, focus=["K10 Chain"], items=["K10 Chain"])
    assert compose_answer("when is the K10 Chain back in stock?", blocks, header=header) == DECLINE
    dated = [SourceBlock(2, "k10 (K10 Chain) — about K10 Chain", "The K10 Chain is expected back in stock in March.")]
    assert "March" in compose_answer("when is the K10 Chain back in stock?", blocks + dated, header=header)


def test_a_part_weighed_on_its_own_is_not_the_items_weight() -> None:
    blocks = [
        SourceBlock(
            1,
            "e7 (Stadsrijder E7) — about Stadsrijder E7",
            "The battery on its own weighs 2.6 kg.\n418 Wh: 418 Wh (Capacity), 25.8 kg (Bike weight incl. battery)",
        )
    ]
    header = Header(question=None, focus=["Stadsrijder E7"], items=["Stadsrijder E7"])
    assert "25.8 kg" in compose_answer("how heavy is the stadsrijder e7?", blocks, header=header)
    assert "2.6 kg" in compose_answer("how heavy is the battery of the stadsrijder e7?", blocks, header=header)


def test_the_customers_height_against_the_riders_a_bike_is_for() -> None:
    """ "I'm 1m93" (as the Dutch write it) against "for riders from 1.65 m up to 1.90 m": one range, two ends."""
    blocks = [
        SourceBlock(
            1,
            "e7 (Specifications) — about Stadsrijder E7",
            "Frame: aluminium, one frame height of 53 cm, for riders from 1.65 m up to 1.90 m\nWheels: 28 inch",
        )
    ]
    header = Header(question=None, focus=["Stadsrijder E7"], items=["Stadsrijder E7"])
    assert compose_answer("Im 1m93, is the Stadsrijder E7 big enough for me?", blocks, header=header).startswith("No:")
    assert compose_answer("I'm 178 cm, is the Stadsrijder E7 big enough?", blocks, header=header).startswith("Yes:")


def test_a_budget_in_words_asks_the_price() -> None:
    blocks = [SourceBlock(1, "Our catalog: Drukker Pump", "Drukker Pump costs 34.95 EUR and is 9 in stock.")]
    header = Header(question=None, focus=["Drukker Pump"], items=["Drukker Pump"])
    question = "I need a decent Drukker Pump but dont want to spend more than 40 euro"
    assert compose_answer(question, blocks, header=header) == "Drukker Pump costs 34.95 EUR and is 9 in stock [1]."


def test_it_in_a_short_question_is_what_the_sentence_before_described() -> None:
    """ "my e-bike shows an error code on the display. can you look at it?": the asking part says only "it"."""
    blocks = [
        SourceBlock(
            1,
            "diagnosis (E-bike diagnosis) — about E-bike diagnosis",
            "What we do:\n- Read out and clear error codes of motor, display and battery\n- Software updates",
        ),
        SourceBlock(2, "policies (Workshop)", "You can look at our workshop through the window."),
    ]
    question = "my e-bike (bosch motor) is showing an error code on the display. can you guys look at it?"
    assert compose_answer(question, blocks) == (
        "E-bike diagnosis: Read out and clear error codes of motor, display and battery [1]"
    )


def test_a_feature_the_customers_own_thing_lacks_asks_nothing_of_the_item() -> None:
    """ "my bike doesn't have a rack": the scene's "have a rack" is no "does it come with a rack?"."""
    blocks = [
        SourceBlock(
            1,
            "maxi (Pukkel Maxi) — about Pukkel Maxi",
            "A bracket goes on the seat tube, so it also works on bikes without a carrier.\nWeight: 4.2 kg",
        )
    ]
    header = Header(question=None, focus=["Pukkel Maxi"], items=["Pukkel Maxi"])
    question = "My bike doesnt have a rack on the back, can I still use the Pukkel Maxi?"
    assert compose_answer(question, blocks, header=header).startswith("A bracket goes on the seat tube")
    assert compose_answer("does the Pukkel Maxi come with a rain cover?", blocks, header=header) == DECLINE


def test_a_fact_of_another_version_is_no_answer_for_the_one_asked() -> None:
    """ "how heavy is it in XL?" of a page giving size M's weight only: no answer, not M's weight."""
    blocks = [
        SourceBlock(
            1,
            "Our catalog: Kade GR2",
            "Kade GR2 costs 1899.00 EUR and is 7 in stock.\n"
            "Available in: M / 54 cm at 1899.00 EUR (2 in stock); XL / 58 cm at 1899.00 EUR (1 in stock)",
        ),
        SourceBlock(2, "gr2 (Kade GR2) — about Kade GR2", "A complete GR2 in size M (54) weighs 9.6 kg."),
    ]
    header = Header(question=None, focus=["Kade GR2"], items=["Kade GR2"])
    assert compose_answer("how heavy is the Kade GR2 in XL?", blocks, header=header) == DECLINE
    assert "9.6 kg" in compose_answer("how heavy is the Kade GR2 in size M?", blocks, header=header)
    assert "9.6 kg" in compose_answer("how heavy is the Kade GR2?", blocks, header=header)


def test_opening_hours_of_a_table_are_the_whole_week() -> None:
    blocks = [
        SourceBlock(
            1,
            "policies (Opening hours)",
            "| Day | Shop |\n|---|---|\n| Monday | 13:00 - 18:00 |\n| Tuesday - Friday | 09:00 - 18:00 |\n"
            "| Saturday | 09:00 - 17:00 |\n| Sunday | closed |",
        )
    ]
    assert compose_answer("what are your opening hours?", blocks) == (
        "Monday: 13:00 - 18:00; Tuesday - Friday: 09:00 - 18:00; Saturday: 09:00 - 17:00; Sunday: closed [1]."
    )
    assert compose_answer("are you open on saturday?", blocks) == "Saturday: 09:00 - 17:00 [1]"


def test_a_measure_asked_of_a_version_is_not_its_price_line() -> None:
    blocks = [SourceBlock(1, "Our catalog: Kade GR2", "The Kade GR2 in XL / 58 cm costs 1899.00 EUR.")]
    header = Header(question=None, focus=["Kade GR2"], items=["Kade GR2"])
    assert compose_answer("how heavy is the Kade GR2 in XL?", blocks, header=header) == DECLINE
    assert "1899.00 EUR" in compose_answer("how much is the Kade GR2 in XL?", blocks, header=header)


def test_the_phrase_asking_a_measure_is_no_answer_by_itself() -> None:
    """ "how long does it take to charge it?": "Rear carrier: takes a child seat" shares "take", not a time."""
    blocks = [
        SourceBlock(
            1,
            "k2 (Specifications) — about Bakfiets K2",
            "Rear carrier: takes a child seat with carrier mount, max 27 kg\nWheels: 20 inch front, 26 inch rear",
        )
    ]
    header = Header(question=None, focus=["Bakfiets K2"], items=["Bakfiets K2"])
    assert compose_answer("How long does it take to charge the Bakfiets K2?", blocks, header=header) == DECLINE


def test_a_size_chart_whose_column_names_the_unit_picks_the_row_holding_the_customer() -> None:
    """A table's "Rider height (cm)" column gives its ranges their unit; a stock question names a version's
    figure ("in M / 54 cm"), which is no figure of the customer's to check."""
    chart = (
        "| Size | Frame (cm) | Rider height (cm) |\n|---|---|---|\n"
        "| S | 51 | 160 – 170 |\n| M | 54 | 169 – 179 |\n| L | 57 | 178 – 188 |\n"
    )
    blocks = [SourceBlock(1, "trail-x (Which size?) — about Trail X", chart)]
    header = Header(question=None, focus=["Trail X"], items=["Trail X"])
    answer = compose_answer("I'm 175 cm, which size Trail X should I get?", blocks, header=header)
    assert answer.startswith("For 175 cm: M:"), answer
    stock = compose_answer("Do you have the Trail X in M / 54 cm in stock?", blocks, header=header)
    assert not stock.startswith(("Yes", "No")), stock


def test_a_height_in_feet_and_inches_picks_the_row_of_a_two_column_chart() -> None:
    """ "I'm 6'2, 210 lbs": the height is the figure the chart's rows range over (the weight only one line's), and
    a two-column table's rows ("5'9\\" – 6'0\\"": 177 cm) are lines of their own, never one run-on sentence."""
    chart = (
        "Most skiers end up with a ski between chin and nose height.\n"
        "| Your height | Length |\n|---|---|\n"
        "| under 5'5\" | 163 cm |\n| 5'5\" – 5'9\" | 170 cm |\n| 5'9\" – 6'0\" | 177 cm |\n| over 6'0\" | 184 cm |\n"
        "If you weigh over 200 lbs, go one length up.\n"
    )
    assert "5'5\" – 5'9\": 170 cm" in sentences(chart)
    blocks = [SourceBlock(1, "ridge (Which length?) — about Ridge 88", chart)]
    header = Header(question=None, focus=["Ridge 88"], items=["Ridge 88"])
    answer = compose_answer("looking at the ridge 88. im 6'2, 210 lbs. what length?", blocks, header=header)
    assert "184 cm" in answer and answer.startswith("For 6'2:"), answer
    assert "170 cm" in compose_answer("I'm 5' 7\", which length of the Ridge 88?", blocks, header=header)


def test_a_last_question_without_its_mark_is_asked_too() -> None:
    """ "is the pika on sale rn? how much is it": the price is asked, though its clause has no question mark."""
    blocks = [
        SourceBlock(1, "Our catalog: Pika 78", "Pika 78 costs 399.00 USD (on sale, regular price 499.00 USD)."),
        SourceBlock(2, "pika (Pika 78) — about Pika 78", "Unlike the Ridge, the Pika is sold with bindings."),
    ]
    header = Header(question=None, focus=["Pika 78"], items=["Pika 78"])
    assert "399.00" in compose_answer("is the pika on sale rn? how much is it", blocks, header=header)


def test_how_wide_is_not_answered_by_a_length() -> None:
    blocks = [
        SourceBlock(
            1,
            "ridge (Specifications) — about Ridge 96",
            "Lengths: 172, 180 and 188 cm\nDimensions at 180 cm: 134 - 96 - 120 mm\nWeight: 1,850 g per ski",
        )
    ]
    header = Header(question=None, focus=["Ridge 96"], items=["Ridge 96"])
    answer = compose_answer("how wide is the ridge 96 underfoot?", blocks, header=header)
    assert "134 - 96 - 120 mm" in answer and "172" not in answer, answer


def test_the_stock_at_a_named_store_is_answered_by_the_line_naming_its_locations() -> None:
    entry = "Pika 78 costs 399.00 USD and is 10 in stock (4 at Frisco, 6 at Denver)."
    header = Header(question=None, focus=["Pika 78"], items=["Pika 78"])
    blocks = [SourceBlock(1, "Our catalog: Pika 78", entry)]
    stock = compose_answer("is the pika in stock at the frisco store?", blocks, header=header)
    assert "4 at Frisco" in stock, stock


def test_a_feature_asked_as_a_thing_and_now_or_later_offer_no_choice() -> None:
    """ "does it have the MIPS thing?" asks about MIPS; "can I wash it now or should I wait?" offers no two things
    to choose between, so a line answering only one side is still an answer."""
    header = Header(question=None, focus=["Orbit Helmet"], items=["Orbit Helmet"])
    helmet = [
        SourceBlock(1, "orbit (Orbit Helmet) — about Orbit Helmet", "Unlike the Vale, the Orbit has no MIPS layer.")
    ]
    assert "no MIPS layer" in compose_answer("does the orbit helmet have the mips thing?", helmet, header=header)
    header = Header(question=None, focus=["Keratin Smoothing"], items=["Keratin Smoothing"])
    care = [
        SourceBlock(
            1, "keratin (Aftercare) — about Keratin Smoothing", "First wash: wait 48 hours after the treatment."
        )
    ]
    answer = compose_answer("can I wash my hair after the keratin smoothing now or should I wait?", care, header=header)
    assert "48 hours" in answer, answer


def test_a_discount_or_a_special_is_answered_by_what_is_off_or_on_sale() -> None:
    header = Header(question=None, focus=[], items=[])
    policies = [SourceBlock(1, "policies (Students)", "Students with a valid student ID get 15% off cuts on weekdays.")]
    assert "15% off" in compose_answer("do you do any student discount?", policies, header=header)
    header = Header(question=None, focus=["Monthly Lenses"], items=["Monthly Lenses"])
    entry = [
        SourceBlock(
            1, "Our catalog: Monthly Lenses", "Monthly Lenses costs 54.00 AUD (on sale, regular price 64.00 AUD)."
        )
    ]
    assert "54.00" in compose_answer("are the monthly lenses on special at the moment?", entry, header=header)


def test_last_week_says_when_and_asks_nothing_about_lasting() -> None:
    """ "bought goggles last week, can I get my money back?": a wax that "lasts 3 to 5 days" shares no asked word."""
    header = Header(question=None, focus=[], items=[])
    blocks = [
        SourceBlock(
            1, "policies (Returns)", "Items bought at a sale price: exchange or store credit only, within 14 days."
        ),
        SourceBlock(2, "hot-wax (Hot Wax) — about Hot Wax", "A hot wax lasts 3 to 5 days on the snow."),
    ]
    answer = compose_answer("bought goggles on sale last week, can i get my money back?", blocks, header=header)
    assert "store credit" in answer and "lasts" not in answer, answer


def test_what_you_charge_to_fix_it_is_the_price_of_its_repair() -> None:
    """ "what do u charge to fix a hinge": "charge" asks a price here, and "fix" is what the price list calls a repair;
    a frame's page saying its temples are "fixed with hinges" states no price."""
    header = Header(question=None, focus=[], items=[])
    blocks = [
        SourceBlock(
            1,
            "halden-arlo (Halden Arlo) — about Halden Arlo",
            "The temples are fixed with riveted five-barrel hinges that hold their screws well.",
        ),
        SourceBlock(
            2,
            "frame-adjustment-and-repair (Repair prices)",
            "| Job | Price |\n|---|---|\n| Adjust & tighten | free |\n| Hinge or screw repair | $35 |",
        ),
    ]
    answer = compose_answer("what do u charge to fix a hinge", blocks, header=header)
    assert "$35" in answer and "riveted" not in answer, answer
    assert [a.name for a in asked_attributes("what do you charge for a puncture?")] == ["price"]
    assert "price" not in [a.name for a in asked_attributes("how long does it take to charge?")]


def test_one_plain_word_no_source_holds_beside_a_well_covered_line_is_answered() -> None:
    """ "how long does a normal eye test take?": "normal" is the customer's word for the standard test, not a fact
    the sources lack. A rare word ("density"), or a plain one that is what is asked ("do you price match?",
    "what density"), still declines."""
    header = Header(question=None, focus=["Eye Test"], items=["Eye Test"])
    blocks = [
        SourceBlock(1, "eye-test (Eye Test) — about Eye Test", "An eye test takes about 30 minutes."),
        SourceBlock(2, "Our catalog: Eye Test", "Eye Test costs 0.00 AUD."),
    ]
    assert "30 minutes" in compose_answer("how long does a normal eye test take?", blocks, header=header)
    foam = [SourceBlock(1, "bed (Bed) — about Bed", "The bed has a 10 cm layer of memory foam.")]
    bed = Header(question=None, focus=["Bed"], items=["Bed"])
    assert compose_answer("What density is the memory foam in the bed?", foam, header=bed) == DECLINE
    shop = Header(question=None, focus=[], items=[])
    policy = [SourceBlock(1, "policies (Prices)", "Our shop prices include tax and are the same as our online prices.")]
    assert compose_answer("do you guys price match other shops?", policy, header=shop) == DECLINE


def test_a_superlative_meets_its_adjective() -> None:
    """ "the hd with the thinnest lenses": the price list says "Extra thin"; "interest" or "forest" are no
    superlatives."""
    from concierge.tools.analysis.text import superlative_base

    assert [superlative_base(w) for w in ("thinnest", "largest", "earliest", "interest", "forest")] == [
        "thin",
        "large",
        "early",
        None,
        None,
    ]
    header = Header(question=None, focus=["Vista Lenses"], items=["Vista Lenses"])
    blocks = [
        SourceBlock(
            1,
            "vista-lenses (Vista Lenses) — about Vista Lenses",
            "1.50 Standard: $649 for Vista HD.\n1.67 Extra thin: $799 for Vista HD.",
        )
    ]
    assert "$799" in compose_answer("how much is the hd with the thinnest lenses?", blocks, header=header)


def test_a_word_the_sources_hold_with_an_ending_added_is_no_guess() -> None:
    """ "will the grinder pack inside my aeropress?": "pack" is close to the sources' "packaging", which is the
    same word lengthened, not a typo to be unsure of."""
    header = Header(question=None, focus=["Mini Grinder"], items=["Mini Grinder"])
    blocks = [
        SourceBlock(
            1,
            "mini-grinder (Mini Grinder) — about Mini Grinder",
            "At 15 cm tall it fits inside the plunger of a standard AeroPress.",
        ),
        SourceBlock(2, "policies (Returns)", "Return it in its original packaging within 30 days."),
    ]
    answer = compose_answer("will the mini grinder pack inside my aeropress?", blocks, header=header)
    assert "plunger" in answer, answer
    reading = Reading.of("will the mini grinder pack inside my aeropress?", header)
    assert weigh(reading, blocks)[1] == set(), "a lengthened word is no missing one"
    # a misspelling is still a guess ("orignal" read as "original")
    assert "origin" in weigh(Reading.of("can I return it in the orignal box?", header), blocks)[1]


def test_the_large_one_of_a_size_chart_is_its_l_row_and_temp_is_a_temperature() -> None:
    """ "what weight of dog is the large harness meant for?" is the chart's "L:" row; "what temp in fahrenheit" is
    answered by the temperature line, whose °F is not converted again."""
    header = Header(question=None, focus=["Trail Harness"], items=["Trail Harness"])
    blocks = [
        SourceBlock(
            1, "Our catalog: Trail Harness", "Trail Harness costs 24.99 GBP.\nAvailable in: XS; S; M; L at 26.99 GBP"
        ),
        SourceBlock(
            2,
            "trail-harness (Trail Harness) — about Trail Harness",
            "XS: 2–5 kg (Typical dog weight)\nS: 5–12 kg (Typical dog weight)\nM: 12–25 kg (Typical dog weight)\n"
            "L: 25–45 kg (Typical dog weight)",
        ),
    ]
    answer = compose_answer("what weight of dog is the large Trail harness meant for?", blocks, header=header)
    assert "25–45 kg" in answer and "2–5 kg" not in answer, answer
    tea = Header(question=None, focus=["Gyokuro"], items=["Gyokuro"])
    brew = [SourceBlock(1, "gyokuro (Gyokuro) — about Gyokuro", "Water temperature: 60 °C (140 °F), never boiling")]
    answer = compose_answer("what temp in fahrenheit should the water be for the gyokuro?", brew, header=tea)
    assert "140 °F" in answer and "about 140" not in answer, answer


def test_markdown_wrapped_by_hand_is_read_in_whole_sentences() -> None:
    """A page written with hard line breaks wraps a sentence before a quote or a name: it is one sentence; a blank
    line, a spec line or a list item starts a new one, and a long "Available in:" line ends where it does."""
    text = (
        "The Pocket is the board we reach for when someone asks for a board that is\n"
        '"something playful". It is a true twin.\n'
        "\n"
        "Sizes and prices of the Pocket, in centimetres, for every rider we fit here\n"
        "Weight: 3.1 kg\n"
        "Available in: 144 at 379.00 USD (2 in stock); 149 at 379.00 USD (4 in stock)\n"
        "Our house board, for the park."
    )
    assert sentences(text) == [
        'The Pocket is the board we reach for when someone asks for a board that is "something playful".',
        "It is a true twin.",
        "Sizes and prices of the Pocket, in centimetres, for every rider we fit here",
        "Weight: 3.1 kg",
        "Available in: 144 at 379.00 USD (2 in stock); 149 at 379.00 USD (4 in stock)",
        "Our house board, for the park.",
    ]


def test_business_days_are_days_and_snapped_is_broken() -> None:
    """ "7 to 10 business days" is a time; "my glasses snapped" meets what the shop does with "broken" frames."""
    from concierge.tools.analysis.units import quantities

    assert [(q.value, q.unit) for q in quantities("7 to 10 business days, or 2 working days")] == [
        (10.0, "day"),
        (2.0, "day"),
    ]
    header = Header(question=None, focus=[], items=[])
    blocks = [SourceBlock(1, "repairs (Repairs)", "Solder repairs are for frames broken at the bridge.")]
    (scored,), _ = weigh(Reading.of("the bridge on my metal glasses snapped :( can u fix it", header), blocks)
    assert "snap" in scored.hits, scored


def test_a_hyphenated_opposite_names_no_version() -> None:
    """ "the non-polarised lens" names the Non-polarised version, not the Polarised one."""
    from concierge.tools.llm.local import _names_version

    assert not _names_version("The non-polarised gradient lens is lighter (category 2).", "Polarised")
    assert _names_version("The non-polarised gradient lens is lighter (category 2).", "Non-polarised")
    assert _names_version("Polarised grey is category 3.", "Polarised")


def test_how_much_of_a_thing_is_the_spec_line_keyed_by_it() -> None:
    """ "how much oxygen do they let through?": "Oxygen transmissibility (Dk/t): 138" is keyed by what is counted;
    a policy sharing "let" is not."""
    header = Header(question=None, focus=["Monthly Lenses"], items=["Monthly Lenses"])
    blocks = [
        SourceBlock(
            1,
            "policies (Appointments)",
            "If you miss two appointments without letting us know, we ask for a $30 deposit to book the next one.",
        ),
        SourceBlock(
            2,
            "monthly-lenses (Monthly Lenses) — about Monthly Lenses",
            "Material: silicone hydrogel\nOxygen transmissibility (Dk/t): 138 at -3.00",
        ),
    ]
    answer = compose_answer("how much oxygen do the monthly ones let through?", blocks, header=header)
    assert "138" in answer and "$30" not in answer, answer
