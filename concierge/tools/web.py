"""Web search behind one interface; off unless a provider is configured."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WebResult:
    url: str
    title: str
    snippet: str
    site: str
    score: float


class WebSearch(Protocol):
    """A web search provider (Google Custom Search, Tavily) as `retrieve_web` sees it."""

    async def search(self, query: str, limit: int) -> list[WebResult]: ...
