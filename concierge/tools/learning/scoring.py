"""Scoring an evaluation set: its cases, how one answer is judged, and the figures a run of the set adds up to.

Shared by `concierge eval` (evaluation/harness.py), the policy comparison and the evaluation gate of an experiment
(server/evaluation.py runs the cases through the graph). A set is JSON Lines: one question per line, or one
conversation (`{"id", "turns": [question, ...]}`) whose turns run in order in one thread, each scored on its own.
A question may bring the conversation before it (`history`: [{role, content}]).
"""

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rouge_score.rouge_scorer import RougeScorer

from concierge.state.human import interrupt_kind

HIT_K = 5
FIGURE_KINDS = ("price", "stock", "slot")
UNANSWERED_KINDS = ("unanswerable", "handoff")
UNSCORED_KINDS = ("statement",)
"""A turn that tells the agent something ("I'm a Gold member.") and asks nothing: run, never scored."""


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    expected_sources: list[dict[str, str]]
    answer: str = ""
    must_contain: list[str] = field(default_factory=list)
    """Figures the answer must state; "a|b" accepts either spelling."""
    split: str = ""
    """"dev" (rules were tuned while looking at it) or "holdout" (kept out of tuning); empty for sets without."""
    documents_per_item: bool = False
    """Each document is about one catalog item (a product manual): citing another one cites another item."""
    items: list[str] = field(default_factory=list)
    """Catalog ids of the items the question is about: citing their catalog entries is never another item."""
    history: list[dict[str, str]] = field(default_factory=list)
    """The conversation before the question, [{role, content}] oldest first: sent with it in one input."""
    pages: list[str] = field(default_factory=list)
    """Documents that are the items' own pages though not named by their ids ("moreau-finch-colette" of the item
    `MF-COLETTE`): citing them is never another item either."""
    category: str = ""
    quality: int | None = None
    """How much the case is worth as an example (a reviewed correction's 1-5)."""


@dataclass(frozen=True)
class Conversation:
    id: str
    turns: list[Question]
    split: str = ""


@dataclass
class Outcome:
    id: str
    kind: str
    question: str
    answer: str
    hit: bool | None
    cited: int
    cited_valid: int
    rouge_l: float | None
    declined: bool
    handed_off: bool
    exact: bool | None
    latency_ms: float
    turn: int = 0
    """0 for a single question or a conversation's first turn; 1, 2... for follow-ups."""
    correct: bool | None = None
    wrong_item: bool = False
    standalone: str = ""
    split: str = ""
    cost_usd: float = 0.0


def _question(row: dict[str, Any], split: str = "") -> Question:
    known = {f for f in Question.__dataclass_fields__}
    return Question(**{"split": split, **{k: v for k, v in row.items() if k in known}})


def load_set(path: Path) -> list[Conversation]:
    """Questions and conversations, in file order; a single question is a conversation of one turn."""
    return parse_rows([json.loads(line) for line in path.read_text().splitlines() if line.strip()])


def parse_rows(rows: list[dict[str, Any]]) -> list[Conversation]:
    """Cases as stored (questions and conversations) as the conversations a run goes through."""
    out = []
    for row in rows:
        if "turns" in row:
            split = row.get("split", "")
            turns = [
                _question({"id": f"{row['id']}.{i}", **t, **_shared(row)}, split) for i, t in enumerate(row["turns"])
            ]
            out.append(Conversation(row["id"], turns, split))
        elif "question" in row:
            out.append(Conversation(row["id"], [_question(row)], row.get("split", "")))
    return out


def _shared(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("documents_per_item",) if k in row}


def load_questions(path: Path) -> list[Question]:
    """The single questions of a set (conversations' turns included, flattened)."""
    return [t for c in load_set(path) for t in c.turns]


def matches(source: dict[str, Any], expected: dict[str, str]) -> bool:
    """Does a context source or citation stand for an expected source? Documents match by title and section."""
    if source["source"] != expected["source"]:
        return False
    if expected["source"] == "documents":
        return (
            source["title"].lower() == expected["title"].lower()
            and expected["section"].lower() in source["locator"].lower()
        )
    return source["id"] == expected["id"]


def contains(answer: str, figure: str) -> bool:
    """The answer states the figure, in one of its spellings ("20F|20°F"); a figure joined to its unit by a
    hyphen ("a 90-minute trial") states it as the spaced spelling does ("90 min")."""
    low = _UNIT_HYPHEN.sub(" ", answer.lower())
    return any(_UNIT_HYPHEN.sub(" ", alt.strip().lower()) in low for alt in figure.split("|"))


_UNIT_HYPHEN = re.compile(r"(?<=\d)-(?=[^\W\d_])")


def cites_another_item(q: Question, citations: list[dict[str, Any]]) -> bool:
    """An answer citing a catalog product, or (in a set of per-item documents) a document, that is not among the
    turn's expected sources: a fact of one item given for another."""
    if not q.expected_sources:
        return False
    products = {e["id"] for e in q.expected_sources if e["source"] == "catalog"} | set(q.items)
    titles = {e["title"].lower() for e in q.expected_sources if e["source"] == "documents"}
    # an expected item's own page (named, in a set of per-item documents, by the item's key) is that item's
    titles |= {i.rsplit(":", 1)[-1].lower() for i in q.items} | {p.lower() for p in q.pages}
    for c in citations:
        if c["source"] == "catalog" and c["id"].startswith("catalog:product:") and c["id"] not in products:
            # a listing cites its first product; another product of the expected ones is not "another item"
            return True
        if q.documents_per_item and c["source"] == "documents" and c["title"].lower() not in titles:
            return True
    return False


def score(q: Question, out: dict[str, Any], latency_ms: float, rouge: RougeScorer, turn: int = 0) -> Outcome:
    interrupts = out.get("__interrupt__", [])
    handed_off = bool(interrupts) and interrupt_kind(interrupts[0].value) == "handoff"
    generation = out.get("generation")
    answer = "" if handed_off and not generation else out["messages"][-1].content
    declined = generation is not None and not generation["grounded"]
    sources = out["context"]["sources"] if "context" in out and not handed_off else []
    citations = out.get("citations", [])
    expected = q.expected_sources
    answerable = q.kind not in UNANSWERED_KINDS + UNSCORED_KINDS
    judged = answerable and bool(expected)  # a question set without expected sources cannot judge citations
    wrong = judged and cites_another_item(q, citations)
    stated = all(contains(answer, f) for f in q.must_contain)
    if q.kind in UNSCORED_KINDS:
        correct = None
    elif q.kind == "unanswerable":
        correct = declined
    elif q.kind == "handoff":
        correct = handed_off
    else:
        correct = not declined and not handed_off and stated and not wrong if (q.must_contain or expected) else None
    return Outcome(
        id=q.id,
        kind=q.kind,
        question=q.question,
        answer=answer,
        hit=any(matches(s, e) for s in sources[:HIT_K] for e in expected) if answerable and expected else None,
        cited=len(citations) if judged else 0,
        cited_valid=sum(any(matches(c, e) for e in expected) for c in citations) if judged else 0,
        rouge_l=rouge.score(q.answer, answer)["rougeL"].fmeasure if answerable and q.answer else None,
        declined=declined,
        handed_off=handed_off,
        exact=stated if q.kind in FIGURE_KINDS else None,
        latency_ms=round(latency_ms, 1),
        turn=turn,
        correct=correct,
        wrong_item=wrong,
        standalone=str((out.get("analysis") or {}).get("question", "")),
        split=q.split,
        cost_usd=float((generation or {}).get("cost_total_usd", (generation or {}).get("cost_usd", 0.0)) or 0.0),
    )


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 3) if values else float("nan")


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    def share(pred: Any, pool: list[Outcome]) -> float:
        return _mean([1.0 if pred(o) else 0.0 for o in pool])

    scored = [o for o in outcomes if o.kind not in UNSCORED_KINDS]
    latencies = sorted(o.latency_ms for o in outcomes)
    cited = sum(o.cited for o in scored)
    facts = [o for o in scored if o.correct is not None and o.kind not in UNANSWERED_KINDS]
    summary: dict[str, float] = {
        "questions": len(scored),
        f"hit_at_{HIT_K}": share(lambda o: o.hit, [o for o in scored if o.hit is not None]),
        "citation_precision": round(sum(o.cited_valid for o in scored) / cited, 3) if cited else float("nan"),
        "rouge_l": _mean([o.rouge_l for o in scored if o.rouge_l is not None]),
        "declined_unanswerable": share(lambda o: o.declined, [o for o in scored if o.kind == "unanswerable"]),
        "declined_answerable": share(lambda o: o.declined, [o for o in scored if o.kind not in UNANSWERED_KINDS]),
        "handoff_rate": share(lambda o: o.handed_off, scored),
        "handoff_recall": share(lambda o: o.handed_off, [o for o in scored if o.kind == "handoff"]),
        "exact_figure": share(lambda o: o.exact, [o for o in scored if o.exact is not None]),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else float("nan"),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 1) if latencies else float("nan"),
    }
    if any(o.correct is not None and o.kind not in UNANSWERED_KINDS and o.kind != "handoff" for o in scored):
        followups = [o for o in scored if o.turn > 0 and o.correct is not None]
        summary["facts_correct"] = share(lambda o: o.correct, facts)
        summary["followups"] = len(followups)
        summary["followup_correct"] = share(lambda o: o.correct, followups)
        summary["wrong_item"] = sum(o.wrong_item for o in scored)
        for split in sorted({o.split for o in scored if o.split}):
            pool = [o for o in scored if o.split == split and o.correct is not None]
            summary[f"{split}_correct"] = share(lambda o: o.correct, pool)
    return summary


def table(outcomes: list[Outcome]) -> str:
    def mark(value: bool | None) -> str:
        return "-" if value is None else ("yes" if value else "NO")

    rows = [
        f"{'id':<7} {'kind':<12} {'hit@5':>5} {'cites':>7} {'exact':>5} {'correct':>7} {'declined':>8} "
        f"{'handoff':>7} {'ms':>7}"
    ]
    for o in outcomes:
        cites = f"{o.cited_valid}/{o.cited}" if o.cited else "-"
        rows.append(
            f"{o.id:<7} {o.kind:<12} {mark(o.hit):>5} {cites:>7} {mark(o.exact):>5} {mark(o.correct):>7} "
            f"{mark(o.declined):>8} {mark(o.handed_off):>7} {o.latency_ms:>7.1f}"
        )
    return "\n".join(rows)
