"""Settings from the environment, read in one place."""

from functools import lru_cache
from pathlib import Path

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
        return self.data_dir / "files"

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files_dir.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
