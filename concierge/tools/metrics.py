"""Prometheus metrics of this process, in one registry the server exposes at `/metrics`.

Tools count what they see as it happens (provider calls, retrieval); the server counts runs and samples the
shared state (queue depth, provider health) when scraped.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)
_LATENCY = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30)

RUNS_STARTED = Counter("concierge_runs_started", "Runs this replica started executing.", registry=REGISTRY)
RUNS_FINISHED = Counter(
    "concierge_runs_finished", "Runs this replica finished, by status.", ["status"], registry=REGISTRY
)
TURN_SECONDS = Histogram(
    "concierge_turn_seconds",
    "Time a run took from its start on a replica to its end, by kind (a question, or a resume).",
    ["kind"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
TTFT_SECONDS = Histogram(
    "concierge_time_to_first_token_seconds",
    "Time from a provider call to its first streamed token, by provider.",
    ["provider"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
TOKENS = Counter("concierge_tokens", "Tokens used, by provider and direction.", ["provider", "kind"], registry=REGISTRY)
COST_USD = Counter(
    "concierge_cost_usd", "What generation cost, by provider, in US dollars.", ["provider"], registry=REGISTRY
)
PROVIDER_CALLS = Counter(
    "concierge_provider_calls", "Calls to providers, by model and outcome.", ["model", "ok"], registry=REGISTRY
)
PROVIDER_HEALTHY = Gauge(
    "concierge_provider_healthy", "1 when a provider/model is healthy, 0 when its circuit is open.", ["model"],
    registry=REGISTRY,
)  # fmt: skip
RETRIEVAL_SECONDS = Histogram(
    "concierge_retrieval_seconds",
    "Time each retrieval source took, by source and outcome.",
    ["source", "status"],
    buckets=_LATENCY,
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("concierge_run_queue_depth", "Runs waiting in the queue, all replicas.", registry=REGISTRY)
RUNS_RUNNING = Gauge("concierge_runs_running", "Runs executing, all replicas.", registry=REGISTRY)
RUNS_ACTIVE = Gauge("concierge_runs_active", "Runs executing on this replica.", registry=REGISTRY)
