"""The evaluation harness: its scoring, and the demo question set through the whole graph."""

import json
import shutil
from pathlib import Path

import pytest

from concierge.evaluation.harness import (
    CONTOSO_SET,
    Outcome,
    Question,
    cites_another_item,
    contains,
    load_questions,
    load_set,
    matches,
    summarize,
)
from concierge.tools.demo.seed import CONTENT
from concierge.tools.settings import Settings


def test_sources_match_by_id_or_by_document_title_and_section() -> None:
    doc = {"source": "documents", "id": "documents:x:3", "title": "Store policies", "locator": "Returns and refunds"}
    assert matches(doc, {"source": "documents", "title": "store policies", "section": "Returns"})
    assert not matches(doc, {"source": "documents", "title": "Customer FAQ", "section": "Returns"})
    item = {"source": "catalog", "id": "catalog:product:ST-0001", "title": "Pen", "locator": "our catalog"}
    assert matches(item, {"source": "catalog", "id": "catalog:product:ST-0001"})
    assert not matches(item, {"source": "catalog", "id": "catalog:product:ST-0002"})


def outcome(**kw) -> Outcome:
    base = dict(
        id="q",
        kind="price",
        question="?",
        answer="",
        hit=True,
        cited=1,
        cited_valid=1,
        rouge_l=0.5,
        declined=False,
        handed_off=False,
        exact=True,
        latency_ms=10.0,
    )
    return Outcome(**{**base, **kw})


def test_summary_figures() -> None:
    summary = summarize(
        [
            outcome(hit=True, cited=2, cited_valid=1, exact=True),
            outcome(hit=False, cited=2, cited_valid=2, exact=False, latency_ms=30.0),
            outcome(kind="unanswerable", hit=None, cited=0, cited_valid=0, rouge_l=None, exact=None, declined=True),
            outcome(kind="handoff", hit=None, cited=0, cited_valid=0, rouge_l=None, exact=None, handed_off=True),
        ]
    )
    assert summary["hit_at_5"] == 0.5 and summary["citation_precision"] == 0.75
    assert summary["declined_unanswerable"] == 1.0 and summary["handoff_recall"] == 1.0
    assert summary["handoff_rate"] == 0.25 and summary["exact_figure"] == 0.5


def test_the_demo_question_set_is_well_formed() -> None:
    questions = load_questions(Path(str(CONTENT / "questions.jsonl")))
    assert len(questions) >= 30 and len({q.id for q in questions}) == len(questions)
    kinds = {q.kind for q in questions}
    assert {"price", "slot", "policy", "unanswerable", "handoff"} <= kinds
    assert all(
        isinstance(q, Question) and (q.expected_sources or q.kind in ("unanswerable", "handoff")) for q in questions
    )


async def test_eval_runs_the_demo_set_through_the_graph(settings: Settings, tmp_path: Path, capsys) -> None:
    from concierge.evaluation.harness import evaluate

    report = tmp_path / "eval.json"
    await evaluate(settings, "demo", None, report)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert set(figures) >= {"hit_at_5", "citation_precision", "declined_unanswerable", "exact_figure"}
    summary = json.loads(report.read_text())["summary"]
    # The documented targets that do not depend on the time of day the suite runs at.
    assert summary["hit_at_5"] >= 0.9 and summary["declined_unanswerable"] >= 0.9
    assert summary["handoff_recall"] == 1.0


CONTOSO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "contoso-outdoor"


def test_conversations_score_every_turn_and_follow_ups_apart() -> None:
    summary = summarize(
        [
            outcome(kind="fact", exact=None, correct=True),
            outcome(kind="fact", exact=None, turn=1, correct=False, wrong_item=True),
            outcome(kind="fact", exact=None, turn=2, correct=True),
            outcome(kind="statement", exact=None, correct=None, hit=None, cited=0, cited_valid=0, rouge_l=None),
        ]
    )
    assert summary["questions"] == 3, "a statement is run, not scored"
    assert summary["facts_correct"] == 0.667 and summary["followups"] == 2 and summary["followup_correct"] == 0.5
    assert summary["wrong_item"] == 1


def test_answers_citing_another_item_are_caught() -> None:
    q = Question(
        id="q",
        question="How heavy is it?",
        kind="fact",
        expected_sources=[{"source": "documents", "title": "manual_2", "section": ""}],
        items=["catalog:product:2"],
        documents_per_item=True,
    )
    own = {"source": "catalog", "id": "catalog:product:2", "title": "B", "locator": "our catalog"}
    other_doc = {"source": "documents", "id": "documents:x:1", "title": "manual_7", "locator": "Specs"}
    other_product = {"source": "catalog", "id": "catalog:product:7", "title": "G", "locator": "our catalog"}
    assert not cites_another_item(q, [own])
    assert cites_another_item(q, [other_doc]) and cites_another_item(q, [other_product])
    own_page = {"source": "documents", "id": "documents:y:1", "title": "2", "locator": "About"}
    assert not cites_another_item(q, [own_page]), "the item's own page, named by its key, is no other item's"
    assert contains("rated 20°F to 60°F", "20F|20°F") and not contains("rated 30F", "20F|20°F")
    assert contains("a 90-minute practice run", "90 min|1.5 hours") and not contains("a 9-minute run", "90 min")


def test_the_contoso_set_is_well_formed_and_marked() -> None:
    conversations = load_set(CONTOSO_SET)
    turns = [t for c in conversations for t in c.turns]
    assert len(turns) >= 60 and {c.split for c in conversations} == {"dev", "holdout", "holdout2"}
    assert sum(len(c.turns) > 1 for c in conversations) >= 10
    assert all(t.expected_sources or t.kind in ("unanswerable", "statement") for t in turns)
    readme = (CONTOSO_SET.parent / "README.md").read_text()
    assert "written by us" in readme and "Contoso" in readme


@pytest.mark.skipif(not CONTOSO.exists(), reason="../shared/data/contoso-outdoor is absent (not in a user clone)")
async def test_eval_runs_on_contoso_outdoor(settings: Settings, tmp_path: Path, capsys) -> None:
    from concierge.evaluation.harness import evaluate

    report = tmp_path / "contoso.json"
    summary = await evaluate(settings, "demo", None, report, CONTOSO, split="holdout")
    out = capsys.readouterr().out
    assert "contoso: 20 products accepted, 20 documents ingested" in out
    outcomes = json.loads(report.read_text())["outcomes"]
    turns = sum(len(c.turns) for c in load_set(CONTOSO_SET) if c.split == "holdout")
    assert len(outcomes) == turns and any(o["turn"] == 2 for o in outcomes)
    assert summary["hit_at_5"] >= 0.9 and summary["declined_unanswerable"] >= 0.9
    assert summary["facts_correct"] >= 0.8 and summary["wrong_item"] == 0


def test_the_demo_conversations_are_well_formed() -> None:
    conversations = load_set(Path(str(CONTENT / "conversations.jsonl")))
    assert len(conversations) >= 4 and sum(len(c.turns) > 1 for c in conversations) >= 4
    assert all(t.expected_sources or t.kind == "unanswerable" for c in conversations for t in c.turns)


@pytest.mark.parametrize("key", ["bikes", "hardware", "kitchen", "garden", "audio"])
def test_synthetic_businesses_take_their_references_from_their_own_data(key: str, tmp_path: Path) -> None:
    """Every figure a generated question requires is in the manual or catalog row it names as its source, the
    same seed builds the same set, and a holdout business is marked as one."""
    import csv

    from concierge.evaluation import synthetic

    root = synthetic.build(key, tmp_path / key)
    again = synthetic.build(key, tmp_path / "again")
    assert (root / "questions.jsonl").read_text() == (again / "questions.jsonl").read_text()
    manuals = {p.stem: p.read_text() for p in (root / "manuals").glob("*.md")}
    prices = {r["sku"]: r["price"] for r in csv.DictReader((root / "products.csv").open())}
    conversations = load_set(root / "questions.jsonl")
    turns = [t for c in conversations for t in c.turns]
    assert len(turns) >= 80 and sum(len(c.turns) > 1 for c in conversations) >= 6
    assert {c.split for c in conversations} == {"holdout" if key in synthetic.HOLDOUT_BUSINESSES else "dev"}
    kinds = {t.kind for t in turns}
    assert {"fact", "price", "shape", "constraint", "compare", "unanswerable", "policy"} <= kinds
    for t in turns:
        if t.kind in ("fact", "policy"):
            texts = [manuals[e["title"]] for e in t.expected_sources if e["source"] == "documents"]
            for figure in t.must_contain:
                assert any(any(alt in text for alt in figure.split("|")) for text in texts), (t.question, figure)
        if t.kind == "price":  # one item's price, or each of several ("how much are they?")
            assert t.must_contain == [prices[i.split(":")[-1]] for i in t.items]
        if t.kind == "unanswerable":
            assert not t.expected_sources and not t.must_contain


def test_a_varied_business_is_written_and_asked_in_more_ways(tmp_path: Path) -> None:
    """The garden business: manuals in layouts beyond "Key: value", range guides naming several items, questions
    about two items at once, the same question of the next item, features no source states."""
    from concierge.evaluation import synthetic

    root = synthetic.build("garden", tmp_path / "garden")
    texts = [p.read_text() for p in (root / "manuals").glob("*.md")]
    assert any("| Model |" in t for t in texts) and any("......" in t for t in texts)
    assert any("| Parameter | Value | Unit |" in t for t in texts) and any("At a glance:" in t for t in texts)
    turns = [t for c in load_set(root / "questions.jsonl") for t in c.turns]
    assert any(t.kind == "price" and len(t.items) == 2 for t in turns)
    assert any(t.question.startswith(("And the", "what about the", "Same for the")) for t in turns)
    assert sum(t.kind == "unanswerable" for t in turns) >= 10
    assert "garden" in synthetic.DEV_BUSINESSES


def test_the_hand_written_businesses_are_well_formed_and_marked() -> None:
    from concierge.evaluation.harness import BUSINESSES, business_folder

    splits = {}
    for name in ("fretline", "muddypaws", "framewell"):
        folder = business_folder(name)
        conversations = load_set(folder / "questions.jsonl")
        turns = [t for c in conversations for t in c.turns]
        assert len(turns) >= 45 and sum(len(c.turns) > 1 for c in conversations) >= 6
        assert sum(t.kind == "unanswerable" for t in turns) >= 8
        titles = {p.stem for p in (folder / "docs").iterdir()}
        for t in turns:  # every expected page exists
            assert {e["title"] for e in t.expected_sources if e["source"] == "documents"} <= titles, t.question
        splits[name] = {c.split for c in conversations}
    assert splits == {"fretline": {"dev"}, "muddypaws": {"dev"}, "framewell": {"holdout"}}
    assert "holdout" in (BUSINESSES / "README.md").read_text()


async def test_eval_runs_a_business_folder_and_keeps_holdout_misses_unread(
    settings: Settings, tmp_path: Path, capsys
) -> None:
    """A folder as a shop publishes itself becomes a tenant and its questions run; a holdout question's miss is
    counted, never printed."""
    from concierge.evaluation.harness import business_folder, evaluate

    folder = tmp_path / "shop"
    shutil.copytree(business_folder("fretline"), folder)
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text().splitlines()]
    picked = [r for r in rows if r["id"] in ("bf02", "bf09", "bv04")]
    wrong = {**picked[0], "id": "h1", "split": "holdout", "question": "How heavy is the Keyra P88 exactly?"}
    wrong["must_contain"] = ["99 kg"]  # a figure no page states: this turn misses
    (folder / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*picked, wrong]))
    summary = await evaluate(settings, "demo", None, tmp_path / "r.json", business=folder)
    out = capsys.readouterr().out
    assert "business-shop: 8 products accepted, 9 documents ingested" in out
    assert summary["questions"] == 5 and summary["facts_correct"] == 0.8 and summary["wrong_item"] == 0
    assert "1 holdout misses not shown" in out and "exactly" not in out


def test_the_audio_business_asks_the_shapes_real_customers_use(tmp_path: Path) -> None:
    """Figures nobody states asked close to a stated key, a sibling model, a part's warranty (all to decline);
    follow-ups by type word and price rank, and an "it" either of two items could be (to ask, never guess)."""
    from concierge.evaluation import synthetic

    root = synthetic.build("audio", tmp_path / "audio")
    conversations = load_set(root / "questions.jsonl")
    turns = [t for c in conversations for t in c.turns]
    questions = [t.question for t in turns]
    assert any(" Mk II " in q for t, q in zip(turns, questions, strict=True) if t.kind == "unanswerable")
    assert any("covered by the warranty" in q or "guaranteed" in q for q in questions)
    assert any(
        q.startswith(
            ("How much does the cheaper", "what does the cheaper", "what does the less", "How much does the more")
        )
        for q in questions
    )
    assert any(
        " that headset" in q or " that speaker" in q or " that microphone" in q or " that power bank" in q
        for q in questions
    )
    unclear = [
        c
        for c in conversations
        if len(c.turns) == 2 and c.turns[1].kind == "unanswerable" and len(c.turns[1].items) == 2
    ]
    assert unclear, "an 'it' after two items must be asked about"
    assert "audio" in synthetic.DEV_BUSINESSES and "audio" not in synthetic.HOLDOUT_BUSINESSES


async def test_the_shops_own_passage_keeps_a_place_beside_an_items_many_sections(
    settings: Settings, tmp_path: Path, capsys
) -> None:
    """A service whose page has more sections than the context has places, asked something its policies answer
    ("if I cancel my fitting the same morning, do I lose the deposit?"): the policies still reach the answer."""
    from concierge.evaluation.harness import evaluate

    folder = tmp_path / "optician"
    (folder / "docs").mkdir(parents=True)
    (folder / "products.csv").write_text("sku,name,price,category\nFIT,Lens Fitting,120,Services\n")
    sections = "\n\n".join(
        f"## {title}\n\nThe lens fitting {text}."
        for title, text in [
            ("What happens", "measures your cornea and checks your tear film, and a deposit is taken when you book"),
            ("Trial lenses", "includes trial lenses to take home for a week"),
            ("Lesson", "includes a lesson in putting lenses in and taking them out"),
            ("Follow-up", "includes a follow-up visit within two weeks of the fitting appointment"),
            ("Who it is for", "is for new wearers and for people changing lens type"),
            ("Booking", "is booked online or by phone, and the fitting appointment takes about an hour"),
        ]
    )
    (folder / "docs" / "lens-fitting.md").write_text(f"# Lens Fitting\n\n{sections}\n")
    (folder / "docs" / "policies.md").write_text(
        "# Policies\n\n## Cancellations\n\nIf you cancel with less than 24 hours' notice, the deposit isn't refunded.\n"
        "\n## Delivery\n\nOrders ship within two business days.\n"
    )
    question = {
        "id": "c1",
        "split": "dev",
        "question": "if i cancel my lens fitting on the morning of the appointment do i lose the deposit?",
        "kind": "fact",
        "expected_sources": [{"source": "documents", "title": "policies", "section": ""}],
        "items": [],
        "answer": "Yes: with less than 24 hours' notice the deposit isn't refunded.",
        "must_contain": ["24 hours"],
    }
    (folder / "questions.jsonl").write_text(json.dumps(question) + "\n")
    summary = await evaluate(settings, "demo", None, tmp_path / "r.json", business=folder)
    assert summary["facts_correct"] == 1.0, capsys.readouterr().out[-600:]


def test_an_items_own_page_named_unlike_its_id_is_no_other_item(tmp_path: Path) -> None:
    """A business whose items are keyed by SKU ("MF-COLETTE") names its pages by the item's name
    ("moreau-finch-colette.md"): citing that page answers for the item, not for another."""
    from types import SimpleNamespace

    from concierge.evaluation.harness import own_pages, with_pages
    from concierge.tools.catalog.vocabulary import Vocabulary
    from concierge.tools.learning.scoring import Conversation, Question, cites_another_item

    def product(sku: str, name: str) -> SimpleNamespace:
        return SimpleNamespace(sku=sku, name=name, category="Frames", brand=None, model_number=None, tags=[])

    words = Vocabulary.build(
        1,
        [
            product("MF-COLETTE", "Moreau & Finch Colette"),
            product("CD-1D", "ClearDay 1-Day Contact Lenses"),
            product("SVC-REPAIR", "Frame Adjustment & Repair"),
        ],
        [],
    )
    (tmp_path / "docs").mkdir()
    for stem in ("moreau-finch-colette", "clearday-1-day", "frame-adjustment-and-repair", "policies"):
        (tmp_path / "docs" / f"{stem}.md").write_text("# page\n")
    pages = own_pages(words, tmp_path / "docs")
    assert pages == {
        "catalog:product:MF-COLETTE": "moreau-finch-colette",
        "catalog:product:CD-1D": "clearday-1-day",
        "catalog:product:SVC-REPAIR": "frame-adjustment-and-repair",  # "&" written as "and"
    }
    q = Question(
        "p02",
        "is the colette on sale?",
        "price",
        [{"source": "catalog", "id": "catalog:product:MF-COLETTE"}],
        documents_per_item=True,
        items=["catalog:product:MF-COLETTE"],
    )
    own = [{"source": "documents", "id": "documents:1", "title": "moreau-finch-colette"}]
    other = [{"source": "documents", "id": "documents:2", "title": "clearday-1-day"}]
    assert cites_another_item(q, own), "without the pages, the scorer cannot tie the page to the item"
    (scored,) = with_pages([Conversation("p02", [q])], pages)
    assert not cites_another_item(scored.turns[0], own)
    assert cites_another_item(scored.turns[0], other)
