"""Settings from the environment, read in one place."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob the deployment has. Each field is the environment variable `CONCIERGE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CONCIERGE_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".concierge"),
        description="Directory for everything the app stores: databases, checkpoints, files, caches.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the app database; default a SQLite file in the data directory.",
    )
    database_schema: str | None = Field(
        default=None,
        description="PostgreSQL schema holding the app's tables (its `search_path`); default the user's default.",
    )
    default_tenant: str = Field(default="demo", description="Tenant used when a request names none.")
    host: str = Field(default="127.0.0.1", description="Address `concierge serve` binds to.")
    port: int = Field(default=8000, description="Port `concierge serve` listens on.")
    source_timeout_s: float = Field(
        default=2.0, description="Default time budget of each retrieval source, in seconds."
    )
    embedding_model: str = Field(
        default="local/all-MiniLM-L6-v2",
        description="Embedding model as provider/model: local/all-MiniLM-L6-v2 (ONNX, no network), "
        "openai/text-embedding-3-small or -large, google/gemini-embedding-001. Stored with every chunk.",
    )
    embedding_api_key: str | None = Field(
        default=None,
        description="API key of a remote embedding model; default the provider's own variable "
        "(OPENAI_API_KEY, GOOGLE_API_KEY).",
    )
    embedding_base_url: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible embedding endpoint (default OpenAI's)."
    )
    elasticsearch_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_ELASTICSEARCH_URL", "ELASTICSEARCH_URL"),
        description="Elasticsearch URL; when set, documents are indexed there instead of the embedded index.",
    )
    elasticsearch_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_ELASTICSEARCH_API_KEY", "ELASTICSEARCH_API_KEY"),
        description="Elasticsearch API key (or use user and password).",
    )
    elasticsearch_username: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_ELASTICSEARCH_USERNAME", "ELASTICSEARCH_USERNAME"),
        description="Elasticsearch user for basic authentication.",
    )
    elasticsearch_password: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_ELASTICSEARCH_PASSWORD", "ELASTICSEARCH_PASSWORD"),
        description="Elasticsearch password for basic authentication.",
    )
    elasticsearch_index: str = Field(default="concierge-chunks", description="Elasticsearch index holding chunks.")
    elasticsearch_server_rrf: bool = Field(
        default=False,
        description="Let Elasticsearch fuse hybrid results with its RRF retriever (needs a licence that has it); "
        "default: fuse in the application.",
    )
    max_upload_mb: float = Field(default=10.0, description="Largest document upload accepted, in megabytes.")
    max_import_mb: float = Field(default=50.0, description="Largest catalog import accepted, in megabytes.")
    max_body_kb: float = Field(
        default=1024.0, description="Largest body of any other request (threads, runs, admin), in kilobytes."
    )

    # Trust: keys, secrets at rest, rate limits.
    secret_key: str | None = Field(
        default=None,
        description="Encrypts tenants' provider keys and signs thread tokens; comma-separated to rotate (the first "
        "encrypts). Default: generated into the data directory (secret.key, 0600) on first start.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_REDIS_URL", "REDIS_URL"),
        description="Redis shared by every replica: request rate limits, the stream event log, provider health and "
        "the web search rate. Default: in memory per process, the event log in the app database.",
    )
    rate_limit_key: str = Field(default="600/minute", description="Requests one secret key may make.")
    rate_limit_publishable: str = Field(
        default="60/minute", description="Requests one publishable key may make from one client address."
    )
    rate_limit_tenant: str = Field(default="1200/minute", description="Requests a tenant's keys may make together.")
    model_prices: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Prices of models missing from the price table, USD per million tokens, as JSON: "
        '{"ollama/llama3.2": {"input": 0, "output": 0, "context_window": 8192}}. An unpriced model is never used.',
    )

    # Routed generation: providers, failover and provider health.
    openai_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="OpenAI key; without one OpenAI models are left out of every chain.",
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="Another endpoint for the `openai` provider (a gateway); default OpenAI's.",
    )
    google_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_GOOGLE_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY"),
        description="Gemini API key; without one Gemini models are left out of every chain.",
    )
    google_base_url: str | None = Field(
        default=None, description="Another endpoint for the Gemini API (a gateway); default Google's."
    )
    compatible_providers: dict[str, Any] = Field(
        default_factory=dict,
        description='OpenAI-compatible servers as JSON: {"ollama": {"base_url": "http://127.0.0.1:11434/v1"}}.',
    )
    generation_timeout_s: float = Field(default=30.0, description="Time one provider call may take, in seconds.")
    generation_retries: int = Field(default=2, description="Retries of one provider on 429 and 5xx before the next.")
    retry_max_wait_s: float = Field(
        default=10.0, description="Longest Retry-After honoured; a longer one fails over to the next provider at once."
    )
    health_window_s: float = Field(default=3600.0, description="Sliding window of provider health, in seconds.")
    health_failure_rate: float = Field(default=0.5, description="Failure share over which a provider is unhealthy.")
    health_min_calls: int = Field(default=4, description="Calls in the window before the failure share counts.")
    health_cooldown_s: float = Field(default=60.0, description="How long an unhealthy provider is skipped.")
    source_timeouts: dict[str, float] = Field(
        default={"documents": 0.25, "catalog": 0.25},
        description='Per-source time budgets over `source_timeout_s`, as JSON: {"documents": 0.25, "web": 1.5}.',
    )
    catalog_refresh_s: float = Field(
        default=0.25,
        description="How often, at most, catalog search checks for changes made by another process, in seconds.",
    )

    web_provider: str | None = Field(
        default=None,
        description="Web search provider: google, tavily or off. Default: whichever has a key (Google first).",
    )
    google_search_api_key: str | None = Field(default=None, description="Google Custom Search JSON API key.")
    google_cse_id: str | None = Field(default=None, description="Google Programmable Search Engine id (`cx`).")
    google_endpoint: str = Field(
        default="https://www.googleapis.com/customsearch/v1", description="Google Custom Search endpoint."
    )
    tavily_api_key: str | None = Field(default=None, description="Tavily API key.")
    tavily_endpoint: str = Field(default="https://api.tavily.com/search", description="Tavily search endpoint.")
    web_timeout_s: float = Field(default=1.5, description="Longest wait for the web provider, in seconds.")
    web_cache_ttl_s: float = Field(default=86400, description="How long a cached web answer stays fresh, in seconds.")
    web_rate_per_minute: float = Field(default=60, description="Provider calls allowed per minute, process-wide.")
    web_blocked_sites: str = Field(default="", description="Comma-separated sites whose results are dropped.")

    # People: feedback, handoffs, corrections.
    public_url: str | None = Field(
        default=None,
        description="The server's address as customers reach it (e.g. https://chat.example.com), for the signed "
        "feedback URLs a run's `feedback_keys` asks for; default the address the request came to.",
    )
    feedback_url_ttl_s: float = Field(
        default=3 * 3600, description="How long a signed feedback URL (a run's `feedback_keys`) accepts a rating."
    )
    abandoned_after_s: float = Field(
        default=1800,
        description="An answer followed by nothing (no message, rating or action) for this long counts as abandoned.",
    )
    # Learning without breaking: experiments, the rollback watch, alerts.
    learning_check_s: float = Field(
        default=60,
        description="How often the server steps experiments, watches new policies for a rollback and checks alerts "
        "(0: never by itself; the routes and `concierge experiments evaluate` still do).",
    )
    learning_window_s: float = Field(
        default=3600, description="The window of live figures a rollback or an alert looks at, in seconds."
    )
    learning_min_samples: int = Field(
        default=20, description="Turns (or ratings, or provider calls) a figure needs before it counts."
    )
    alert_webhook_timeout_s: float = Field(default=5.0, description="How long an alert webhook may take.")
    # Replicas: checkpoints, the run queue, shared state, observability.
    files_path: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_FILES_DIR", "CONCIERGE_FILES_PATH"),
        description="Where uploaded files are stored; point every replica at one shared volume. "
        "Default `files/` in the data directory.",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Upgrade the app database and the checkpoint tables when the server starts. Turn off when "
        "`concierge migrate` runs as a deploy step, so replicas start without touching the schema.",
    )
    checkpoint_pool_size: int = Field(
        default=20, description="Connections in the PostgreSQL checkpoint pool of each replica."
    )
    redis_prefix: str = Field(default="concierge:", description="Prefix of every Redis key Concierge writes.")
    run_concurrency: int = Field(default=64, description="Runs one replica executes at once; more wait queued.")
    run_poll_s: float = Field(
        default=0.5,
        description="How often a replica looks for runs queued elsewhere and for cancellations, in seconds.",
    )
    run_lease_s: float = Field(
        default=30.0,
        description="A running run whose replica has not reported for this long is marked failed (it died).",
    )
    run_timeout_s: float | None = Field(
        default=None, description="Longest a run may take before it is stopped with status `timeout`; none by default."
    )
    stream_poll_s: float = Field(
        default=0.1, description="How often a stream of a run executing on another replica reads the event log."
    )
    event_retention_s: float = Field(
        default=3600.0, description="How long the events of a finished run stay in the log for rejoining streams."
    )
    handoff_watch_s: float = Field(
        default=1.0,
        gt=0,
        description="How often the agents' console stream reads a tenant's handoff queue whatever happens: changes "
        "reach it at once from its own replica, and from others by a nudge (Redis pub/sub or PostgreSQL NOTIFY); "
        "this catches what a lost nudge, or SQLite (no nudges), leaves.",
    )
    sse_heartbeat_s: float = Field(
        default=5.0, description="Seconds between `: heartbeat` comments on a quiet event stream."
    )
    log_format: str = Field(default="json", description="Server logs: `json` (one object a line) or `console`.")
    log_level: str = Field(default="INFO", description="Lowest level logged by the server.")
    langsmith_tracing: bool = Field(
        default=False,
        validation_alias=AliasChoices("CONCIERGE_LANGSMITH_TRACING", "LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"),
        description="Trace every run to LangSmith (the run id is the trace id).",
    )
    langsmith_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_LANGSMITH_ENDPOINT", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"),
        description="LangSmith API URL; default LangSmith's own.",
    )
    langsmith_api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_LANGSMITH_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY"),
        description="LangSmith API key.",
    )
    langsmith_project: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CONCIERGE_LANGSMITH_PROJECT", "LANGSMITH_PROJECT", "LANGCHAIN_PROJECT"),
        description="LangSmith project runs are traced to; default LangSmith's default project.",
    )

    @property
    def app_db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'app.sqlite'}"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "index.sqlite"

    @property
    def embedding_cache_path(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def files_dir(self) -> Path:
        return self.files_path or self.data_dir / "files"

    @property
    def uses_postgres(self) -> bool:
        return self.app_db_url.startswith("postgresql")

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
