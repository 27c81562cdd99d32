"""Every tool handle a node may ask for, opened once per process and passed in the runtime context."""

import asyncio
from dataclasses import dataclass

from langgraph.runtime import Runtime

from concierge.state import Context
from concierge.tools.appdb import AppDatabase
from concierge.tools.catalog import Catalog
from concierge.tools.docindex import DocumentIndex
from concierge.tools.indexes import make_document_index
from concierge.tools.llm.providers import ProviderRegistry
from concierge.tools.settings import Settings, get_settings
from concierge.tools.tokens import encoding
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
            documents=make_document_index(settings),
            catalog=Catalog(db),
            models=ProviderRegistry(),
        )

    async def open(self) -> "Toolbox":
        """Create missing tables and load what would otherwise block the event loop on first use."""
        await self.db.create_schema()
        await asyncio.to_thread(encoding)
        if (load := getattr(getattr(self.documents, "embedder", None), "load", None)) is not None:
            await asyncio.to_thread(load)  # the local embedding model: ~0.5 s, better here than in a first search
        return self

    async def close(self) -> None:
        await self.db.dispose()
        if (close_index := getattr(self.documents, "close", None)) is not None:
            await close_index()


_default: Toolbox | None = None
_default_lock = asyncio.Lock()


async def default_toolbox() -> Toolbox:
    """For runs that bring no toolbox, such as under `langgraph dev`: built once from the environment.

    Built in a worker thread, since it creates directories and files.
    """
    global _default
    async with _default_lock:
        if _default is None:
            _default = await (await asyncio.to_thread(Toolbox.from_settings, get_settings())).open()
    return _default


async def toolbox(runtime: Runtime[Context]) -> Toolbox:
    ctx = runtime.context
    return ctx.tools if ctx is not None and ctx.tools is not None else await default_toolbox()


def context_of(runtime: Runtime[Context]) -> Context:
    """The run's context; a run started without one (LangGraph passes None) gets the defaults."""
    return runtime.context if runtime.context is not None else Context()
