"""The router's policy: a tier from complexity and prompt size, then the chain of models to walk.

Complexity is `query.complexity(features)`, a weighted sum in [0, 1] of documented features (length, number of
questions, reasoning cues, entities, conversation depth); the prompt size is counted with tiktoken. Default
policy, every threshold and model configurable per tenant (`Context`):

- prompt over `long_context_above` tokens (100k) -> long_context (Gemini Pro class)
- complexity under `simple_below` (0.3) -> fast (Gemini Flash class)
- complexity over `complex_above` (0.7) -> reasoning (OpenAI o-series class)
- otherwise -> balanced (GPT-4o class)

The chain is the tier's model, then its fallbacks, keeping only configured providers whose models have a price
(the table's, the deployment's or the tenant's `prices`: a model nobody priced never runs), and always ends with
the local answerer. A tenant whose daily budget is spent gets the cheapest priced chain instead.
"""

from collections.abc import Callable

from concierge.state import Context
from concierge.state.records import RouteDecision
from concierge.tools.llm.providers import LOCAL_MODEL, MODELS, TIER_FALLBACKS, TIER_MODELS, price_of


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
    prices: dict[str, dict[str, float]] | None = None,
) -> RouteDecision:
    """The route for one turn. `available(name)` says whether a model's provider is configured; `prices` are the
    deployment's and tenant's prices of models missing from the table (a model without a price is left out)."""
    prices = {**(prices or {}), **ctx.prices}
    tier = tier_for(score, prompt_tokens, ctx)

    def usable(name: str) -> bool:
        return name != LOCAL_MODEL and price_of(name, prices) is not None and available(name)

    if over_budget:
        # The cheapest priced, configured remote model that can read the prompt, then the free local answerer.
        # Candidates: the price table, plus the tenant's own models when the tenant priced them.
        known = [*MODELS, *ctx.models, *ctx.tier_models.values()]
        fits = [n for n in dict.fromkeys(known) if usable(n) and price_of(n, prices).context_window >= prompt_tokens]
        cheapest = sorted(fits, key=lambda n: (price_of(n, prices).price_out, price_of(n, prices).price_in, n))
        chain = [*cheapest[:1], LOCAL_MODEL]
        reason = "daily budget spent: cheapest chain"
    elif ctx.models:
        chain = list(dict.fromkeys([m for m in ctx.models if usable(m)] + [LOCAL_MODEL]))
        reason = "tenant's model list"
    else:
        first = ctx.tier_models.get(tier, TIER_MODELS[tier])
        wanted = [first, *TIER_FALLBACKS[tier]]
        chain = list(dict.fromkeys([m for m in wanted if usable(m)] + [LOCAL_MODEL]))
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
