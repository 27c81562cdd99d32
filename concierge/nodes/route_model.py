"""Choose the chain of providers `generate` will walk, from the question's complexity and context size."""

from langgraph.runtime import Runtime

from concierge.state import Context, State
from concierge.state.records import RouteDecision
from concierge.tools.llm.providers import LOCAL_MODEL, TIER_MODELS
from concierge.tools.query import complexity, complexity_features
from concierge.tools.toolbox import context_of, toolbox

LONG_CONTEXT_TOKENS = 100_000


def tier_for(score: float, context_tokens: int, ctx: Context) -> str:
    if context_tokens > LONG_CONTEXT_TOKENS:
        return "long_context"
    if score < ctx.simple_below:
        return "fast"
    return "reasoning" if score > ctx.complex_above else "balanced"


async def route_model(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    models = (await toolbox(runtime)).models
    analysis = state["analysis"]
    features = complexity_features(analysis["question"], analysis["entities"], state.get("turn", 1) - 1)
    score = complexity(features)
    tokens = state["context"]["tokens"]
    tier = tier_for(score, tokens, ctx)
    wanted = ctx.models or [TIER_MODELS[tier]]
    chain = list(dict.fromkeys([m for m in wanted if models.available(m)] + [LOCAL_MODEL]))
    return {"route": RouteDecision(complexity=score, features=features, context_tokens=tokens, tier=tier, chain=chain)}
