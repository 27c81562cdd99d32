"""Shared fixtures: a demo tenant seeded once per session, copied into each test's own data directory."""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from concierge.server.app import create_app
from concierge.state import Context
from concierge.tools.demo.seed import seed_demo
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.loopback import ThreadedServer

# Tests never reach a real provider or LangSmith: a developer's own keys must not leak into a run.
for _var in (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "GOOGLE_API_KEY",
    "GEMINI_API_KEY",
    "CONCIERGE_OPENAI_API_KEY",
    "CONCIERGE_GOOGLE_API_KEY",
    "CONCIERGE_COMPATIBLE_PROVIDERS",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
):
    os.environ.pop(_var, None)
os.environ["LANGSMITH_TRACING"] = "false"
os.environ["LANGCHAIN_TRACING_V2"] = "false"


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seeded")

    async def seed() -> None:
        tools = await Toolbox.from_settings(Settings(data_dir=root)).open()
        try:
            await seed_demo(tools)
        finally:
            await tools.close()

    asyncio.run(seed())
    return root


@pytest.fixture
def settings(seeded_dir: Path, tmp_path: Path) -> Settings:
    """A private copy of the seeded data directory: tests may write to it freely."""
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    return Settings(data_dir=data)


@pytest.fixture
async def tools(settings: Settings) -> AsyncIterator[Toolbox]:
    toolbox = await Toolbox.from_settings(settings).open()
    yield toolbox
    await toolbox.close()


@pytest.fixture
def context(tools: Toolbox) -> Context:
    return Context(tenant_id="demo", business_name="Inkwell & Oak", timezone="Europe/Dublin", tools=tools)


class LiveServer:
    """The real app under uvicorn on a loopback port, in a thread; stop() and start() again on the same files."""

    def __init__(self, settings: Settings, tools: Toolbox | None = None) -> None:
        self.settings, self.tools = settings, tools
        self.url = ""
        self._server: ThreadedServer | None = None

    def start(self) -> "LiveServer":
        self._server = ThreadedServer(create_app(self.settings, self.tools), "concierge")
        self.url = self._server.start()
        return self

    def stop(self) -> None:
        assert self._server
        self._server.stop()


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()
