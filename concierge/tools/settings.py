"""Settings from the environment, read in one place."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
    google_api_key: str | None = Field(default=None, description="Google Custom Search JSON API key.")
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
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
