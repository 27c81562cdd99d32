"""The runtime context: who the conversation is for and how that tenant wants its agent to behave.

Passed as `context=` on every run (the server fills it from the tenant's settings), never checkpointed.
"""

from dataclasses import dataclass, field
from typing import Any, Literal

AttributionStyle = Literal["inline", "endnote", "none"]
PromptVariant = Literal["standard", "concise", "detailed"]
CUSTOMER_FIELDS = frozenset({"locale", "timezone", "customer_id", "customer_name", "membership_tier"})
"""What a run's `context` may carry: facts about the customer. Everything else is the tenant's configuration,
set through the admin API only (it changes cost, guardrails or sources)."""


@dataclass(kw_only=True)
class Context:
    """Per-run configuration of the agent for one tenant."""

    tenant_id: str = field(
        default="demo",
        metadata={"description": "The business this conversation belongs to; scopes every lookup."},
    )
    business_name: str = field(
        default="",
        metadata={"description": "How the agent names the business to its customers."},
    )
    business_description: str = field(
        default="",
        metadata={"description": "One or two sentences on what the business does, for the prompt."},
    )
    timezone: str = field(
        default="UTC",
        metadata={
            "description": "IANA time zone used to read dates like 'tomorrow afternoon': the tenant's, or the "
            "customer's when a run carries it."
        },
    )
    locale: str = field(
        default="",
        metadata={"description": "The customer's locale (BCP 47, e.g. `en-IE`); a fact a run may carry."},
    )
    customer_id: str | None = field(
        default=None,
        metadata={"description": "The business's own id for the customer; a fact a run may carry."},
    )
    customer_name: str | None = field(
        default=None,
        metadata={"description": "How the customer is called; a fact a run may carry."},
    )
    membership_tier: str | None = field(
        default=None,
        metadata={"description": "The customer's membership or loyalty tier; a fact a run may carry."},
    )
    sources: list[str] = field(
        default_factory=lambda: ["documents", "catalog", "web"],
        metadata={"description": "Sources the agent may consult: documents, catalog, web."},
    )
    max_results: int = field(
        default=5,
        metadata={"description": "How many items each source returns at most."},
    )
    source_timeout_s: float = field(
        default=2.0,
        metadata={"description": "Time budget of each retrieval source, in seconds."},
    )
    source_timeouts: dict[str, float] = field(
        default_factory=lambda: {"documents": 0.25, "catalog": 0.25},
        metadata={
            "description": "Time budget of named sources, in seconds, over `source_timeout_s`. Local sources "
            "get 250 ms by default so a turn's retrieval stays under 300 ms; the web keeps the general budget."
        },
    )
    fusion: Literal["weighted", "rrf"] = field(
        default="weighted",
        metadata={"description": "How document search fuses keyword and semantic rankings: weighted scores or RRF."},
    )
    semantic_weight: float = field(
        default=0.7,
        metadata={"description": "Weighted fusion: the semantic share (0..1); keyword search gets the rest."},
    )
    context_tokens: int = field(
        default=3000,
        metadata={"description": "Token budget of the synthesized context given to the model."},
    )
    prompt_variant: PromptVariant = field(
        default="standard",
        metadata={
            "description": "Which wording of the instructions the model gets: `standard`, `concise` (short "
            "answers) or `detailed` (every relevant detail the sources hold)."
        },
    )
    policy_version: int = field(
        default=0,
        metadata={
            "description": "The tenant's policy version that set this run's configuration (0: the tenant's settings "
            "alone); recorded with the run, its provider calls and its retrieval log. Set by the server only."
        },
    )
    attribution_style: AttributionStyle = field(
        default="inline",
        metadata={"description": "Citations as inline [n] markers, as endnotes, or none."},
    )
    models: list[str] = field(
        default_factory=list,
        metadata={
            "description": "Routing policy: `provider/model` names to try before the local answerer, "
            "in order. Empty means the router's default for the question's complexity."
        },
    )
    simple_below: float = field(
        default=0.3,
        metadata={"description": "Complexity under which the router picks the fast, cheap model."},
    )
    complex_above: float = field(
        default=0.7,
        metadata={"description": "Complexity over which the router picks the reasoning model."},
    )
    long_context_above: int = field(
        default=100_000,
        metadata={"description": "Prompt tokens (tiktoken) over which the router picks the long-context model."},
    )
    tier_models: dict[str, str] = field(
        default_factory=dict,
        metadata={
            "description": "The tenant's model for a router tier (`fast`, `balanced`, `reasoning`, "
            "`long_context`), as `provider/model`; unnamed tiers keep the defaults."
        },
    )
    generation_timeout_s: float = field(
        default=30.0,
        metadata={"description": "Time one provider call may take before the next provider is tried, in seconds."},
    )
    daily_budget_usd: float | None = field(
        default=None,
        metadata={
            "description": "Daily spend on providers; once reached, the router picks the cheapest chain and "
            "raises an alert. Set in the tenant's settings only."
        },
    )
    providers: dict[str, Any] = field(
        default_factory=dict,
        metadata={
            "description": "The tenant's own provider keys: {name: {api_key, base_url, kind}}; they add to or "
            "replace the deployment's. Set in the tenant's settings only."
        },
    )
    prices: dict[str, dict[str, float]] = field(
        default_factory=dict,
        metadata={
            "description": "Prices of models missing from the price table, USD per million tokens: "
            '{"ollama/llama3.2": {"input": 0, "output": 0, "context_window": 8192}}. A model without a price is '
            "never used. Set in the tenant's settings only."
        },
    )
    handoff_when_unanswered: bool = field(
        default=False,
        metadata={"description": "Pass the conversation to a human when no grounded answer exists."},
    )
    feedback_enabled: bool = field(
        default=True,
        metadata={"description": "Pause after each answer for the customer's rating; off, answers end the run."},
    )
    record: bool = field(
        default=True,
        metadata={
            "description": "Keep this conversation in the tenant's records: answers and ratings for analytics, "
            "handoffs in the human agents' queue. Evaluation runs turn it off."
        },
    )
    agent_can_do: list[str] = field(
        default_factory=list,
        metadata={"description": "What the agent is there for; told to the model."},
    )
    agent_cannot_do: list[str] = field(
        default_factory=list,
        metadata={"description": "What the agent must not do; such requests go to a human."},
    )
    tools: Any = field(
        default=None,
        metadata={
            "description": "The tool handles nodes call (indexes, catalog, web, providers). "
            "Set in process by the server and tests; built from the environment when absent."
        },
    )
