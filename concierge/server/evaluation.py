"""Running evaluation cases through the whole graph: for `concierge eval`, the policy comparison and the evaluation
gate of an experiment.

Each conversation runs in a fresh thread on an in-memory checkpointer with `record=False`: the tenant's data is
read, never written, and the questions never reach its analytics or its human agents' queue.
"""

import math
import time
import uuid
from dataclasses import replace
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from rouge_score.rouge_scorer import RougeScorer

from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.state import Context
from concierge.tools.learning.compare import report
from concierge.tools.learning.experiments import gate as passes
from concierge.tools.learning.scoring import Conversation, Outcome, parse_rows, score, summarize


async def run_set(graph: Any, context: Context, conversations: list[Conversation]) -> list[Outcome]:
    """Each conversation in its own thread; a turn simply follows the last (which counts as "continued"). A case's
    `history` goes in with its question, as the conversation so far."""
    rouge = RougeScorer(["rougeL"], use_stemmer=True)
    outcomes = []
    for conversation in conversations:
        config = {"configurable": {"thread_id": f"eval-{uuid.uuid4()}"}}
        for i, q in enumerate(conversation.turns):
            history = [{"role": m["role"], "content": m["content"]} for m in q.history] if i == 0 else []
            started = time.perf_counter()
            out = await graph.ainvoke(
                {"messages": [*history, {"role": "user", "content": q.question}]}, config, context=context
            )
            outcomes.append(score(q, out, (time.perf_counter() - started) * 1000, rouge, turn=i))
    return outcomes


async def evaluate_policy(
    app: AppState, tenant_id: str, conversations: list[Conversation], policy_version: int | None = None
) -> tuple[dict[str, Any], list[Outcome]]:
    """The cases under one policy version of the tenant (None: the one its turns use now); summary and outcomes.

    The summary adds what the comparison weighs beside quality: `cost_usd` (total of the set) and `handoffs`."""
    context = replace(await app.tenant_context(tenant_id, policy_version=policy_version), record=False)
    graph = build_graph(InMemorySaver())
    # Built once before timing, as a running server has them: the catalog index, the tenant's vectors in memory.
    await app.tools.catalog.index(tenant_id)
    await app.tools.documents.search(tenant_id, "opening hours", 1)
    outcomes = await run_set(graph, context, conversations)
    # NaN (a figure the set cannot give) is null here: these figures go out as JSON and into the database.
    summary: dict[str, Any] = {
        k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summarize(outcomes).items()
    }
    summary["cost_usd"] = round(sum(o.cost_usd for o in outcomes), 6)
    summary["handoffs"] = sum(o.handed_off for o in outcomes)
    summary["declines"] = sum(o.declined for o in outcomes)
    summary["policy_version"] = context.policy_version
    return summary, outcomes


async def compare_policies(
    app: AppState, tenant_id: str, a: int, b: int, name: str, version: int | None = None
) -> dict[str, Any]:
    """Policies `a` (the current one, say) and `b` through the same version of the tenant's set `name`: the
    comparison report (`tools.learning.compare.report`). PolicyNotFound / EvalSetNotFound for unknown ones."""
    await app.tools.policies.settings_of(tenant_id, a)
    await app.tools.policies.settings_of(tenant_id, b)
    row = await app.tools.evalsets.get(tenant_id, name, version)
    conversations = parse_rows(row.cases)
    summary_a, _ = await evaluate_policy(app, tenant_id, conversations, a)
    summary_b, _ = await evaluate_policy(app, tenant_id, conversations, b)
    eval_set = {"name": row.name, "version": row.version, "cases": len(row.cases)}
    return report(a, b, summary_a, summary_b, eval_set)


async def gate(
    app: AppState, tenant_id: str, version: int, name: str, set_version: int | None, metric: str, threshold: float
) -> dict[str, Any]:
    """The evaluation gate of an experiment: the treatment's figures on the set, and whether `metric` reaches
    `threshold`."""
    row = await app.tools.evalsets.get(tenant_id, name, set_version)
    summary, _ = await evaluate_policy(app, tenant_id, parse_rows(row.cases), version)
    value = summary.get(metric)
    return {
        "set": row.name,
        "set_version": row.version,
        "metric": metric,
        "threshold": threshold,
        "value": value,
        "passed": passes(summary, metric, threshold),
        "summary": summary,
    }
