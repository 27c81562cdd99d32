"""Stand-ins for remote services that fail, hang or break: the kinds of failure our code must survive.

They implement the same interfaces as the real services (a LangChain chat model, a `DocumentIndex`),
so the code under test runs unchanged.
"""

import asyncio
import threading
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

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


class GatedAnswerer(BaseChatModel):
    """A provider still thinking: each call waits until the test opens `gate`, then streams its words slowly.

    `started` is set when a call begins, so a test knows a run has reached generation.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    gate: threading.Event = Field(default_factory=threading.Event)
    started: threading.Event = Field(default_factory=threading.Event)
    text: str = "The Kestrel Fountain Pen costs 48.00 EUR [1]."
    word_delay_s: float = 0.01

    @property
    def _llm_type(self) -> str:
        return "gated"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        self.started.set()
        self.gate.wait()
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.text))])

    async def _astream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        self.started.set()
        while not self.gate.is_set():
            await asyncio.sleep(0.01)
        for word in self.text.split(" "):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
            if run_manager is not None:
                await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
            await asyncio.sleep(self.word_delay_s)
