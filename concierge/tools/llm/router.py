"""The router's policy: a tier from complexity and prompt size, then the chain of models to walk.

Complexity is `query.complexity(features)`, a weighted sum in [0, 1] of documented features (length, number of
questions, reasoning cues, entities, conversation depth); the prompt size is counted with tiktoken. Default
policy, every threshold and model configurable per tenant (`Context`):

- prompt over `long_context_above` tokens (100k) -> long_context (Gemini Pro class)
- complexity under `simple_below` (0.3) -> fast (Gemini Flash class)
- complexity over `complex_above` (0.7) -> reasoning (OpenAI o-series class)
- otherwise -> balanced (GPT-4o class)

The chain is the tier's model, then its fallbacks, keeping only configured providers, and always ends with the
local answerer. A tenant whose daily budget is spent gets the cheapest chain instead.
"""

from collections.abc import Callable

from concierge.state import Context
from concierge.state.records import RouteDecision
from concierge.tools.llm.providers import LOCAL_MODEL, MODELS, TIER_FALLBACKS, TIER_MODELS, model_info


def tier_for(score: float, prompt_tokens: int, ctx: Context) -> str:
    if prompt_tokens > ctx.long_context_above:
        return "long_context"
    if score < ctx.simple_below:
        return "fast"
    return "reasoning" if score > ctx.complex_above else "balanced"


def decide(
    score: float,
    features: dict[str, float],
    prompt_tokens: int,
    ctx: Context,
    available: Callable[[str], bool],
    over_budget: bool = False,
) -> RouteDecision:
    """The route for one turn. `available(name)` says whether a model's provider is configured."""
    tier = tier_for(score, prompt_tokens, ctx)
    if over_budget:
        # The cheapest configured remote model that can read the prompt, then the free local answerer.
        # Candidates: the price table, plus the tenant's own models (a self-hosted one is free).
        known = [*MODELS, *ctx.models, *ctx.tier_models.values()]
        fits = [n for n in dict.fromkeys(known) if n != LOCAL_MODEL and model_info(n).context_window >= prompt_tokens]
        cheapest = sorted((n for n in fits if available(n)), key=lambda n: (model_info(n).price_out, n))
        chain = [*cheapest[:1], LOCAL_MODEL]
        reason = "daily budget spent: cheapest chain"
    elif ctx.models:
        chain = list(dict.fromkeys([m for m in ctx.models if available(m)] + [LOCAL_MODEL]))
        reason = "tenant's model list"
    else:
        first = ctx.tier_models.get(tier, TIER_MODELS[tier])
        wanted = [first, *TIER_FALLBACKS[tier]]
        chain = list(dict.fromkeys([m for m in wanted if available(m) and m != LOCAL_MODEL] + [LOCAL_MODEL]))
        reason = f"complexity {score:.2f}, {prompt_tokens} prompt tokens: {tier}"
    return RouteDecision(
        complexity=score,
        features=features,
        context_tokens=prompt_tokens,
        context_tokens_limit=ctx.long_context_above,
        tier=tier,
        chain=chain,
        budget_exceeded=over_budget,
        reason=reason,
    )
