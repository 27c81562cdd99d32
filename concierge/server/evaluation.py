"""Running evaluation cases through the whole graph: for `concierge eval`, the policy comparison and the evaluation
gate of an experiment.

Each conversation runs in a fresh thread on an in-memory checkpointer with `record=False`: the tenant's data is
read, never written, and the questions never reach its analytics or its human agents' queue.
"""

import time
import uuid
from dataclasses import replace
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from rouge_score.rouge_scorer import RougeScorer

from concierge.graph.graph import build_graph
from concierge.server.deps import AppState
from concierge.state import Context
from concierge.tools.learning.scoring import Conversation, Outcome, score, summarize


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
) -> tuple[dict[str, float], list[Outcome]]:
    """The cases under one policy version of the tenant (None: the one its turns use now); summary and outcomes.

    The summary adds what the comparison weighs beside quality: `cost_usd` (total of the set) and `handoffs`."""
    context = replace(await app.tenant_context(tenant_id, policy_version=policy_version or None), record=False)
    if policy_version == 0:
        context = replace(await app.tenant_context(tenant_id, policy_version=0), record=False)
    graph = build_graph(InMemorySaver())
    # Built once before timing, as a running server has them: the catalog index, the tenant's vectors in memory.
    await app.tools.catalog.index(tenant_id)
    await app.tools.documents.search(tenant_id, "opening hours", 1)
    outcomes = await run_set(graph, context, conversations)
    summary = summarize(outcomes)
    summary["cost_usd"] = round(sum(o.cost_usd for o in outcomes), 6)
    summary["handoffs"] = sum(o.handed_off for o in outcomes)
    summary["declines"] = sum(o.declined for o in outcomes)
    summary["policy_version"] = context.policy_version
    return summary, outcomes
