"""Every tool handle a node may ask for, opened once per process and passed in the runtime context."""

from dataclasses import dataclass
from functools import lru_cache

from langgraph.runtime import Runtime

from concierge.state import Context
from concierge.tools.appdb import AppDatabase
from concierge.tools.catalog import Catalog
from concierge.tools.docindex import DocumentIndex, SqliteKeywordIndex
from concierge.tools.llm.providers import ProviderRegistry
from concierge.tools.settings import Settings, get_settings
from concierge.tools.web import WebSearch


@dataclass
class Toolbox:
    settings: Settings
    db: AppDatabase
    documents: DocumentIndex
    catalog: Catalog
    models: ProviderRegistry
    web: WebSearch | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "Toolbox":
        settings.ensure_dirs()
        db = AppDatabase(settings.app_db_url)
        return cls(
            settings=settings,
            db=db,
            documents=SqliteKeywordIndex(settings.index_path),
            catalog=Catalog(db),
            models=ProviderRegistry(),
        )

    async def open(self) -> "Toolbox":
        await self.db.create_schema()
        return self

    async def close(self) -> None:
        await self.db.dispose()


@lru_cache
def default_toolbox() -> Toolbox:
    """For runs that bring no toolbox, such as `langgraph dev`: built from the environment."""
    return Toolbox.from_settings(get_settings())


def toolbox(runtime: Runtime[Context]) -> Toolbox:
    ctx = runtime.context
    return ctx.tools if ctx is not None and ctx.tools is not None else default_toolbox()


def context_of(runtime: Runtime[Context]) -> Context:
    """The run's context; a run started without one (LangGraph passes None) gets the defaults."""
    return runtime.context if runtime.context is not None else Context()
