"""Stand-ins for remote services that fail, hang or break: the kinds of failure our code must survive.

They implement the same interfaces as the real services (a LangChain chat model, a `DocumentIndex`),
so the code under test runs unchanged.
"""

import asyncio
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult

from concierge.tools.documents.chunking import Chunk
from concierge.tools.documents.sqlite_index import DocumentHit


class BrokenChatModel(BaseChatModel):
    """A provider whose every call fails, like a remote API answering 500."""

    message: str = "provider exploded"

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        raise ConnectionError(self.message)


class HangingIndex:
    """A document index that never answers within any budget."""

    async def add(self, tenant_id: str, document_id: str, title: str, chunks: list[Chunk], on_progress=None) -> None:
        return None

    async def delete(self, tenant_id: str, document_id: str) -> None:
        return None

    async def count(self, tenant_id: str, document_id: str | None = None) -> int:
        return 0

    async def search(self, tenant_id: str, query: str, limit: int, options: Any = None) -> list[DocumentHit]:
        await asyncio.sleep(3600)
        return []


class FailingIndex(HangingIndex):
    async def search(self, tenant_id: str, query: str, limit: int, options: Any = None) -> list[DocumentHit]:
        raise OSError("index file is unreadable")
