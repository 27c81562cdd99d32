"""The records a turn leaves in state.

Plain TypedDicts, so they checkpoint as JSON-like data and reach HTTP clients unchanged.
"""

from typing import Any, Literal, NotRequired, TypedDict

SourceName = Literal["documents", "catalog", "web"]
QueryType = Literal["product", "service", "appointment", "policy", "general"]


class Entities(TypedDict):
    """What the question names, so retrieval can search for it precisely."""

    products: list[str]
    model_numbers: list[str]
    dates: list[str]


class Focus(TypedDict):
    """The catalog item the conversation is about: named by the customer, or given by the last answer."""

    kind: Literal["product", "service"]
    id: str
    """The item's retrieved id: `catalog:product:<sku>` or `catalog:service:<code>`."""
    name: str
    turn: int
    """The turn that set it."""
    origin: Literal["named", "answer"]
    """Named in a customer's message, or the item an answer gave (the cheapest stove, say)."""
    options: NotRequired[list[str]]
    """Option values of the item the customer chose ("16GB", "Red"): a later "how much is it?" asks for that
    version, until the customer names the item afresh or chooses other values."""


class CustomerFacts(TypedDict, total=False):
    """What the customer said about themselves that changes answers."""

    membership: str
    """Membership tier as said ("Gold"), or "None"."""
    party_size: int


class QueryAnalysis(TypedDict):
    """What `analyze_query` understood of the latest customer message."""

    question: str
    """The question on its own: the message with its references resolved from the conversation and the
    customer's relevant facts added. Every later node acts on this one."""
    intent: str
    query_type: QueryType
    entities: Entities
    keywords: list[str]
    sources: list[SourceName]
    complexity: float
    wants_human: bool
    out_of_scope: str | None
    """The `agent_cannot_do` entry the request runs into; such requests go to a human."""
    original: NotRequired[str]
    """The message as the customer typed it."""
    rewritten_by: NotRequired[Literal["none", "rules", "model"]]
    """Who made `question` from `original`: nobody (it stood alone), the rules, or a model."""
    focus: NotRequired["Focus | None"]
    """The item the question is about, which retrieval puts first."""
    items: NotRequired[list["Focus"]]
    """Every catalog item the question names (two for a comparison), the focus among them."""
    recent: NotRequired[list["Focus"]]
    """The items of the latest turns, newest first: what "which one is cheaper?" compares after "and the Pro?"."""
    topic: NotRequired[str | None]
    """What a question about no catalog item was about ("coffee subscription"): what a later "it" means."""


class RetrievedItem(TypedDict):
    """One piece of evidence from one source."""

    id: str
    """Stable within a turn: `documents:<chunk>`, `catalog:product:<sku>`, `web:<url>`."""
    source: SourceName
    title: str
    text: str
    score: float
    metadata: dict[str, Any]


class SourceError(TypedDict):
    """A source that failed or ran out of time; the turn goes on without it."""

    source: SourceName
    kind: Literal["timeout", "error"]
    message: str
    elapsed_ms: float


class ContextSource(TypedDict):
    """An item as numbered in the synthesized context: `[n]` in the prompt."""

    n: int
    id: str
    source: SourceName
    title: str
    locator: str
    """Where in the source: a page, a section, "our catalog", a site."""


class SynthesizedContext(TypedDict):
    """The evidence the model sees, already merged, ranked and trimmed to a token budget."""

    text: str
    sources: list[ContextSource]
    tokens: int
    dropped: int
    conflicts: list[str]


class RouteDecision(TypedDict):
    """Which providers `generate` tries, in order, and why."""

    complexity: float
    features: dict[str, float]
    context_tokens: int
    tier: str
    chain: list[str]
    """Model names as `provider/model`; the local answerer is always last."""
    context_tokens_limit: NotRequired[int]
    """The tenant's long-context threshold the decision compared `context_tokens` with."""
    budget_exceeded: NotRequired[bool]
    """The tenant's daily budget was spent: the cheapest chain was chosen instead."""
    reason: NotRequired[str]


class Attempt(TypedDict):
    """One call to one model, or a model skipped without a call (`skipped`)."""

    provider: str
    model: str
    ok: bool
    error: NotRequired[str]
    error_kind: NotRequired[str]
    """rate_limit, server, timeout, context_length, connection, auth, invalid, empty, other, circuit_open."""
    latency_ms: float
    ttft_ms: NotRequired[float | None]
    retry: NotRequired[int]
    """0 for the first call to this model in the turn, 1 for its first retry, ..."""
    skipped: NotRequired[bool]
    streamed: NotRequired[int]
    """Chunks already streamed to the client when the call failed (then discarded)."""


class GenerationRecord(TypedDict):
    """What answering cost, from whom, and how many tries it took."""

    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    ttft_ms: float
    attempts: list[Attempt]
    grounded: bool
    """False when the answer says the context does not hold it."""
    failed_over_from: NotRequired[str | None]
    """The model that failed last before this one answered, if any."""
    cost_total_usd: NotRequired[float]
    """Cost of every call of the turn, failed ones included."""


class Citation(TypedDict):
    n: int
    id: str
    source: SourceName
    title: str
    locator: str


class Feedback(TypedDict):
    """A rating on one answer; `continued` means the customer just asked something else."""

    turn: int
    kind: Literal["explicit", "continued"]
    rating: int | str | None
    """As given: 1-5, "helpful" / "not_helpful", "up" / "down"; None when continued."""
    comment: str
    score: NotRequired[float | None]
    """The rating on one scale: 0 (worst) to 1 (best)."""
    helpful: NotRequired[bool | None]


HandoffReason = Literal["asked_for_human", "cannot_do", "not_helpful", "unanswered", "follow_up"]
HandoffStatus = Literal["waiting", "claimed", "answered", "held", "ignored", "resolved"]


class Handoff(TypedDict):
    """A conversation passed to a human agent, and what the agent replied."""

    turn: int
    reason: HandoffReason
    draft: str
    sources: list[Citation]
    status: HandoffStatus
    """`answered`: the bot takes over again; `held`: the agent keeps the conversation; `ignored`: no reply."""
    handoff_id: NotRequired[str | None]
    priority: NotRequired[str]
    agent: NotRequired[str | None]
    reply: NotRequired[str]


class HumanHold(TypedDict):
    """An open handoff on the thread at the start of a turn: the customer's message goes to a person."""

    handoff_id: str
    status: HandoffStatus
    agent: str | None
    reason: HandoffReason
