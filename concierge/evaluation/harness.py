"""`concierge eval`: run a question set through the whole graph and measure answer quality.

Each question runs in a fresh thread on an in-memory checkpointer (the tenant's data is read, never written).
Figures: retrieval hit rate at k, citation precision, ROUGE-L against reference answers, the share of
unanswerable questions declined, handoffs, exact figures on catalog questions, latency.
"""

import json
import statistics
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from rouge_score.rouge_scorer import RougeScorer

from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.state import Context
from concierge.state.human import interrupt_kind
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.db.models import Tenant
from concierge.tools.demo.seed import CONTENT
from concierge.tools.documents.ingest import ingest_file
from concierge.tools.settings import Settings
from concierge.tools.support.corrections import eval_questions
from concierge.tools.toolbox import Toolbox

HIT_K = 5
FIGURE_KINDS = ("price", "stock", "slot")
UNANSWERED_KINDS = ("unanswerable", "handoff")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    expected_sources: list[dict[str, str]]
    answer: str = ""
    must_contain: list[str] = field(default_factory=list)


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


def load_questions(path: Path) -> list[Question]:
    lines = path.read_text().splitlines()
    return [Question(**json.loads(line)) for line in lines if line.strip()]


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


def score(q: Question, out: dict[str, Any], latency_ms: float, rouge: RougeScorer) -> Outcome:
    interrupts = out.get("__interrupt__", [])
    handed_off = bool(interrupts) and interrupt_kind(interrupts[0].value) == "handoff"
    generation = out.get("generation")
    answer = "" if handed_off and not generation else out["messages"][-1].content
    declined = generation is not None and not generation["grounded"]
    sources = out["context"]["sources"] if "context" in out and not handed_off else []
    citations = out.get("citations", [])
    expected = q.expected_sources
    answerable = q.kind not in UNANSWERED_KINDS
    judged = answerable and bool(expected)  # a question set without expected sources cannot judge citations
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
        exact=all(f.lower() in answer.lower() for f in q.must_contain) if q.kind in FIGURE_KINDS else None,
        latency_ms=round(latency_ms, 1),
    )


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 3) if values else float("nan")


def summarize(outcomes: list[Outcome]) -> dict[str, float]:
    def share(pred: Any, pool: list[Outcome]) -> float:
        return _mean([1.0 if pred(o) else 0.0 for o in pool])

    latencies = sorted(o.latency_ms for o in outcomes)
    cited = sum(o.cited for o in outcomes)
    return {
        "questions": len(outcomes),
        f"hit_at_{HIT_K}": share(lambda o: o.hit, [o for o in outcomes if o.hit is not None]),
        "citation_precision": round(sum(o.cited_valid for o in outcomes) / cited, 3) if cited else float("nan"),
        "rouge_l": _mean([o.rouge_l for o in outcomes if o.rouge_l is not None]),
        "declined_unanswerable": share(lambda o: o.declined, [o for o in outcomes if o.kind == "unanswerable"]),
        "declined_answerable": share(lambda o: o.declined, [o for o in outcomes if o.kind not in UNANSWERED_KINDS]),
        "handoff_rate": share(lambda o: o.handed_off, outcomes),
        "handoff_recall": share(lambda o: o.handed_off, [o for o in outcomes if o.kind == "handoff"]),
        "exact_figure": share(lambda o: o.exact, [o for o in outcomes if o.exact is not None]),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else float("nan"),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 1) if latencies else float("nan"),
    }


async def run_questions(app: AppState, context: Context, questions: list[Question]) -> list[Outcome]:
    rouge = RougeScorer(["rougeL"], use_stemmer=True)
    outcomes = []
    for q in questions:
        config = {"configurable": {"thread_id": f"eval-{uuid.uuid4()}"}}
        started = time.perf_counter()
        out = await app.graph.ainvoke({"messages": [{"role": "user", "content": q.question}]}, config, context=context)
        outcomes.append(score(q, out, (time.perf_counter() - started) * 1000, rouge))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    def mark(value: bool | None) -> str:
        return "-" if value is None else ("yes" if value else "NO")

    rows = [f"{'id':<5} {'kind':<12} {'hit@5':>5} {'cites':>7} {'exact':>5} {'declined':>8} {'handoff':>7} {'ms':>7}"]
    for o in outcomes:
        cites = f"{o.cited_valid}/{o.cited}" if o.cited else "-"
        rows.append(
            f"{o.id:<5} {o.kind:<12} {mark(o.hit):>5} {cites:>7} {mark(o.exact):>5} "
            f"{mark(o.declined):>8} {mark(o.handed_off):>7} {o.latency_ms:>7.1f}"
        )
    return "\n".join(rows)


CONTOSO_TENANT = "contoso"


async def load_contoso(tools: Toolbox, root: Path) -> list[Question]:
    """Make `../shared/data/contoso-outdoor` a tenant (catalog imported, manuals ingested; both idempotent) and
    return its questions. They come without reference answers or sources, so only answer-side figures apply."""
    async with tools.db.session() as s:
        if await s.get(Tenant, CONTOSO_TENANT) is None:
            s.add(
                Tenant(
                    id=CONTOSO_TENANT,
                    name="Contoso Outdoors",
                    description="An outdoor gear retailer.",
                    timezone="America/Los_Angeles",
                    currency="USD",
                )
            )
            await s.commit()
    report = await import_catalog(tools.db, CONTOSO_TENANT, (root / "products.csv").read_bytes(), "products.csv")
    manuals = sorted((root / "manuals").glob("*.md"))
    for manual in manuals:
        await ingest_file(tools, CONTOSO_TENANT, manual, manual.name)
    print(f"contoso: {report.as_dict()['accepted']} products accepted, {len(manuals)} manuals ingested")
    rows = [json.loads(line) for line in (root / "test_questions" / "evaluators_data.jsonl").read_text().splitlines()]
    return [
        Question(id=f"c{i:02d}", question=r["question"], kind=r["intent"], expected_sources=[])
        for i, r in enumerate(rows, 1)
        if r.get("question")
    ]


async def load_corrections(tools: Toolbox, tenant_id: str, version: int | None) -> list[Question]:
    """A numbered evaluation set of approved corrections (the newest by default): the agents' replies as references."""
    number, corrections = await tools.corrections.eval_set(tenant_id, version)
    if not corrections:
        raise ValueError(
            f"tenant {tenant_id!r} has no approved corrections yet (approve some with the corrections API)"
        )
    print(f"corrections: evaluation set version {number}, {len(corrections)} questions")
    return [Question(**q) for q in eval_questions(corrections, number)]


async def evaluate(
    settings: Settings,
    tenant_id: str,
    questions_path: Path | None,
    json_out: Path | None,
    contoso: Path | None = None,
    corrections: bool = False,
    version: int | None = None,
) -> None:
    tools = await Toolbox.from_settings(settings).open()
    try:
        if contoso is not None:
            tenant_id, questions = CONTOSO_TENANT, await load_contoso(tools, contoso)
        elif corrections:
            questions = await load_corrections(tools, tenant_id, version)
        else:
            questions = load_questions(questions_path or Path(str(CONTENT / "questions.jsonl")))
        app = AppState(tools=tools, graph=build_graph(InMemorySaver()))
        # Evaluation questions are not customers: keep them out of the tenant's analytics and human queue.
        context = replace(await app.tenant_context(tenant_id), record=False)
        outcomes = await run_questions(app, context, questions)
    finally:
        await tools.close()
    summary = summarize(outcomes)
    print(table(outcomes))
    misses = [
        o for o in outcomes if o.hit is False or o.exact is False or (o.kind == "unanswerable" and not o.declined)
    ]
    for o in misses:
        print(f"\n{o.id} ({o.kind}) {o.question}\n  -> {o.answer[:300]}")
    json_out = json_out or settings.data_dir / "eval" / f"{tenant_id}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps({"summary": summary, "outcomes": [asdict(o) for o in outcomes]}, indent=2))
    print(f"\nwrote {json_out}")
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
