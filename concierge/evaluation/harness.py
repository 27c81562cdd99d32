"""`concierge eval`: run a question set through the whole graph and measure answer quality.

A set is JSON Lines: one question per line, or one conversation (`{"id", "turns": [question, ...]}`) whose turns
run in order in one thread, each scored on its own. Each conversation gets a fresh thread on an in-memory
checkpointer (the tenant's data is read, never written). Every run names the evaluation set version it used: a
file is kept as a version of the tenant's set of the same name (a new version only when its cases changed).

Figures: retrieval hit rate at k, citation precision, ROUGE-L against reference answers, the share of
unanswerable questions declined, handoffs, exact figures on catalog questions, latency; and for every turn
whether it was answered correctly (the reference figures stated, nothing cited for another item), follow-up
turns apart, and answers that cite one item for another's fact. Scoring lives in `tools/learning/scoring.py`.
"""

import json
import re
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver

from concierge.evaluation import synthetic
from concierge.graph.graph import build_graph
from concierge.server import evaluation
from concierge.server.deps import AppState
from concierge.state import Context
from concierge.tools.analysis.text import fold
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.vocabulary import Vocabulary
from concierge.tools.db.models import EvalSet, Tenant
from concierge.tools.demo.seed import CONTENT
from concierge.tools.documents.ingest import ingest_file
from concierge.tools.learning import evalsets
from concierge.tools.learning.scoring import (  # noqa: F401  (the harness's names, as before the move)
    FIGURE_KINDS,
    HIT_K,
    UNANSWERED_KINDS,
    UNSCORED_KINDS,
    Conversation,
    Outcome,
    Question,
    cites_another_item,
    contains,
    load_questions,
    load_set,
    matches,
    parse_rows,
    score,
    summarize,
    table,
)
from concierge.tools.settings import Settings
from concierge.tools.support.corrections import eval_questions
from concierge.tools.toolbox import Toolbox

SETS = Path(__file__).resolve().parent / "sets"
CONTOSO_SET = SETS / "contoso_outdoor.jsonl"


async def run_set(app: AppState, context: Context, conversations: list[Conversation]) -> list[Outcome]:
    """Each conversation in its own thread; a turn simply follows the last (which counts as "continued")."""
    return await evaluation.run_set(app.graph, context, conversations)


async def run_questions(app: AppState, context: Context, questions: list[Question]) -> list[Outcome]:
    """Single questions, each in a fresh thread."""
    return await run_set(app, context, [Conversation(q.id, [q], q.split) for q in questions])


CONTOSO_TENANT = "contoso"


async def _load_folder(tools: Toolbox, tenant: Tenant, catalog: Path, documents: list[Path]) -> str:
    """A folder's business as a tenant: created once, its catalog imported and its documents ingested (both
    idempotent, so a second run reuses them). Prints what it loaded; returns the tenant id."""
    async with tools.db.session() as s:
        if await s.get(Tenant, tenant.id) is None:
            s.add(tenant)
            await s.commit()
    report = await import_catalog(tools.db, tenant.id, catalog.read_bytes(), catalog.name)
    tools.catalog.invalidate(tenant.id)
    for document in documents:
        await ingest_file(tools, tenant.id, document, document.name)
    kinds = ", ".join(f"{n} {k}" for k, n in report.accepted_by_kind.items()) or "no rows"
    print(f"{tenant.id}: {kinds} accepted, {len(documents)} documents ingested")
    return tenant.id


async def load_contoso(tools: Toolbox, root: Path) -> None:
    """Make `../shared/data/contoso-outdoor` a tenant: catalog imported, manuals ingested (both idempotent)."""
    tenant = Tenant(
        id=CONTOSO_TENANT,
        name="Contoso Outdoors",
        description="An outdoor gear retailer.",
        timezone="America/Los_Angeles",
        currency="USD",
    )
    await _load_folder(tools, tenant, root / "products.csv", sorted((root / "manuals").glob("*.md")))


async def load_synthetic(tools: Toolbox, key: str, root: Path) -> str:
    """Generate a business (`synthetic.BUSINESSES`) under `root` and make it a tenant: its catalog imported, its
    manuals and policy page ingested (idempotent). Returns the tenant id."""
    business = synthetic.BUSINESSES[key]
    synthetic.build(key, root)
    tenant = Tenant(
        id=f"synthetic-{key}",
        name=business.name,
        description=business.description,
        timezone="UTC",
        currency=business.currency,
    )
    return await _load_folder(tools, tenant, root / "products.csv", sorted((root / "manuals").glob("*.md")))


BUSINESSES = SETS / "businesses"
"""Businesses written by hand as shops publish them (`concierge eval --business NAME`): each a folder of
`business.json` (name, description, currency, timezone), `products.csv` (as the shop exports it), `docs/` (a page
per product and a policies page) and `questions.jsonl`."""


def business_folder(name_or_path: str) -> Path:
    """A folder named on the command line: one of ours by name, or any folder holding a business."""
    folder = BUSINESSES / name_or_path if (BUSINESSES / name_or_path).is_dir() else Path(name_or_path)
    if not (folder / "products.csv").is_file() or not (folder / "questions.jsonl").is_file():
        raise ValueError(f"{name_or_path}: no business there (a folder with products.csv, docs/ and questions.jsonl)")
    return folder


async def load_business(tools: Toolbox, root: Path) -> str:
    """A business folder as the tenant `business-<folder name>` (see `BUSINESSES`). Returns the tenant id."""
    about = json.loads((root / "business.json").read_text()) if (root / "business.json").is_file() else {}
    tenant = Tenant(
        id="business-" + re.sub(r"[^a-z0-9_-]", "-", root.name.lower()),
        name=about.get("name", root.name),
        description=about.get("description", ""),
        timezone=about.get("timezone", "UTC"),
        currency=about.get("currency", "USD"),
    )
    documents = sorted(p for p in (root / "docs").glob("*") if p.suffix.lower() in (".md", ".txt", ".pdf"))
    return await _load_folder(tools, tenant, root / "products.csv", documents)


def own_pages(words: Vocabulary, docs: Path) -> dict[str, str]:
    """Each catalog item's own page in a business folder, by the writers' convention: the file named by the
    item's name ("Moreau & Finch Colette" -> moreau-finch-colette.md), or by its start ("clearday-1-day" of
    "ClearDay 1-Day Contact Lenses") when no other page is. Only names and file names: no answering code decides."""
    stems = {p.stem.lower() for p in docs.glob("*")} if docs.is_dir() else set()
    out = {}
    for item in words.items:
        name = fold(item.name).lower()
        # "Frame Adjustment & Repair" is frame-adjustment-and-repair.md or frame-adjustment-repair.md
        slugs = {re.sub(r"[^a-z0-9]+", "-", n).strip("-") for n in (name, name.replace("&", " and "))}
        starts = sorted({s for s in stems for slug in slugs if s == slug or slug.startswith(s + "-")})
        if len(starts) == 1:
            out[item.item_id] = starts[0]
    return out


def with_pages(conversations: list[Conversation], pages: dict[str, str]) -> list[Conversation]:
    """The conversations with each turn's items' own pages (see `own_pages`) for the scorer."""
    return [
        replace(c, turns=[replace(t, pages=[pages[i] for i in t.items if i in pages]) for t in c.turns])
        for c in conversations
    ]


def contoso_customer_questions(root: Path) -> list[Conversation]:
    """The 12 customer questions shipped with the data (no references: only answer-side figures apply)."""
    rows = [json.loads(line) for line in (root / "test_questions" / "evaluators_data.jsonl").read_text().splitlines()]
    return [
        Conversation(
            f"e{i:02d}", [Question(id=f"e{i:02d}", question=r["question"], kind=r["intent"], expected_sources=[])]
        )
        for i, r in enumerate(rows, 1)
        if r.get("question")
    ]


async def load_corrections(tools: Toolbox, tenant_id: str, version: int | None) -> list[Conversation]:
    """A numbered evaluation set of approved corrections (the newest by default): the agents' replies as references."""
    number, corrections = await tools.corrections.eval_set(tenant_id, version)
    if not corrections:
        raise ValueError(
            f"tenant {tenant_id!r} has no approved corrections yet (approve some with the corrections API)"
        )
    print(f"corrections: evaluation set version {number}, {len(corrections)} questions")
    return [Conversation(q["id"], [Question(**q)]) for q in eval_questions(corrections, number)]


async def _keep_file(tools: Toolbox, tenant_id: str, path: Path) -> EvalSet:
    """A question file as a version of the tenant's set of its name (the team's name for a team set): a new version
    only when its cases changed, so the figures of every run name the exact cases."""
    team = {p.resolve(): name for name, p in evalsets.team_sets().items()}
    name = team.get(path.resolve()) or re.sub(r"[^a-z0-9_.-]", "-", path.stem.lower())[:100] or "questions"
    rows = evalsets.parse_jsonl(path.read_text())
    origin = f"team:{path.name}" if path.resolve() in team else f"import:{path.name}"
    row, _ = await tools.evalsets.save(tenant_id, name, rows, origin=origin, actor="cli:eval")
    return row


def _is_customer_file(path: Path) -> bool:
    first = next((line for line in path.read_text().splitlines() if line.strip()), "{}")
    return "customerId" in json.loads(first)


async def evaluate(
    settings: Settings,
    tenant_id: str,
    questions_path: Path | None,
    json_out: Path | None,
    contoso: Path | None = None,
    split: str | None = None,
    corrections: bool = False,
    version: int | None = None,
    set_name: str | None = None,
    set_version: int | None = None,
    policy: int | None = None,
    synthetic_key: str | None = None,
    business: Path | None = None,
) -> dict[str, float]:
    """Run a set and print its figures. The set is a version of one of the tenant's evaluation sets (`set_name`),
    or a file, which is kept as a version of the tenant's set of its name first; either way the run names it."""
    tools = await Toolbox.from_settings(settings).open()
    try:
        named = None
        if synthetic_key is None and contoso is None and business is None:
            async with tools.db.session() as s:  # before a question file is kept as one of its sets
                if await s.get(Tenant, tenant_id) is None:
                    raise LookupError(f"tenant {tenant_id!r} not found")
        if set_name:
            row = await tools.evalsets.get(tenant_id, set_name, set_version)
            conversations, named = parse_rows(row.cases), f"{row.name}@{row.version}"
        elif corrections:
            conversations = await load_corrections(tools, tenant_id, version)
            named = f"corrections@{version or 'newest'}"
        elif business is not None:
            tenant_id = await load_business(tools, business)
            pages = own_pages(await tools.catalog.vocabulary(tenant_id), business / "docs")
            conversations = with_pages(load_set(questions_path or business / "questions.jsonl"), pages)
            named = f"business:{business.name}"
        elif synthetic_key is not None:
            root = settings.data_dir / "synthetic" / synthetic_key
            tenant_id = await load_synthetic(tools, synthetic_key, root)
            conversations = load_set(questions_path or root / "questions.jsonl")
            named = f"synthetic:{synthetic_key} (generated from its seed)"
        else:
            if contoso is not None:
                await load_contoso(tools, contoso)
                tenant_id = CONTOSO_TENANT
                path = questions_path or CONTOSO_SET
            else:
                path = questions_path or Path(str(CONTENT / "questions.jsonl"))
            if _is_customer_file(path):
                conversations = contoso_customer_questions(path.parents[1])
            else:
                row = await _keep_file(tools, tenant_id, path)
                conversations, named = parse_rows(row.cases), f"{row.name}@{row.version}"
        if named:
            print(f"evaluation set {named}")
        if split:
            conversations = [c for c in conversations if c.split == split]
        app = AppState(tools=tools, graph=build_graph(InMemorySaver()))
        # Evaluation questions are not customers: keep them out of the tenant's analytics and human queue.
        context = replace(await app.tenant_context(tenant_id, policy_version=policy), record=False)
        print(f"policy version {context.policy_version}")
        # Built once before timing, as a running server has them: the catalog index, the tenant's vectors in memory,
        # the products' spec lines.
        await tools.catalog.index(tenant_id)
        await tools.documents.search(tenant_id, "opening hours", 1)
        if hasattr(tools.documents, "heads"):
            await tools.catalog.specs(tenant_id, tools.documents)  # the products' spec lines, read once
        outcomes = await run_set(app, context, conversations)
    finally:
        await tools.close()
    summary = summarize(outcomes)
    print(table(outcomes))
    misses = [
        o
        for o in outcomes
        if o.hit is False or o.exact is False or o.correct is False or (o.kind == "unanswerable" and not o.declined)
    ]
    hidden = [o for o in misses if o.split.startswith("holdout")]
    for o in (o for o in misses if not o.split.startswith("holdout")):
        rewritten = f"\n  as: {o.standalone}" if o.standalone and o.standalone != o.question else ""
        print(f"\n{o.id} ({o.kind}) {o.question}{rewritten}\n  -> {o.answer[:300]}")
    if hidden:
        # A holdout measures how the rules do on material they were not written from: reading its misses ends that.
        print(f"\n{len(hidden)} holdout misses not shown (their figures are in the summary; see the JSON report)")
    json_out = json_out or settings.data_dir / "eval" / f"{tenant_id}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    report = {"eval_set": named, "policy_version": context.policy_version, "summary": summary}
    json_out.write_text(json.dumps({**report, "outcomes": [asdict(o) for o in outcomes]}, indent=2))
    print(f"\nwrote {json_out}")
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    return summary
