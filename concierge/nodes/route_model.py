"""Choose the chain of providers `generate` will walk, from the question's complexity, the prompt's size in
tokens and the tenant's policy and budget (see `tools/llm/router.py`)."""

from langchain_core.messages import SystemMessage
from langgraph.runtime import Runtime

from concierge.state import Context, State
from concierge.state.conversation import HISTORY_MESSAGES
from concierge.tools.analysis.query import complexity, complexity_features
from concierge.tools.llm.router import decide
from concierge.tools.tokens import count_tokens
from concierge.tools.toolbox import context_of, toolbox

PROMPT_OVERHEAD_TOKENS = 250
"""The system prompt around the context: instructions, business name, what the agent may do."""


def prompt_tokens(state: State) -> int:
    """The prompt `generate` will send, counted with tiktoken: context, recent history, instructions."""
    history = [m for m in state.get("messages", []) if not isinstance(m, SystemMessage)][-HISTORY_MESSAGES:]
    return state["context"]["tokens"] + sum(count_tokens(m.text) for m in history) + PROMPT_OVERHEAD_TOKENS


async def route_model(state: State, runtime: Runtime[Context]) -> dict:
    ctx = context_of(runtime)
    tools = await toolbox(runtime)
    analysis = state["analysis"]
    features = complexity_features(analysis["question"], analysis["entities"], state.get("turn", 1) - 1)
    over_budget = False
    if ctx.daily_budget_usd is not None:
        spent = await tools.usage.spent(ctx.tenant_id)
        if spent >= ctx.daily_budget_usd:
            over_budget = True
            await tools.usage.alert_budget(ctx.tenant_id, spent, ctx.daily_budget_usd)
    route = decide(
        complexity(features),
        features,
        prompt_tokens(state),
        ctx,
        lambda name: tools.models.available(name, ctx.providers),
        over_budget=over_budget,
        prices=tools.models.prices,
    )
    return {"route": route}
