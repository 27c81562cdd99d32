"""Shared fixtures: a demo tenant seeded once per session (with its keys), copied into each test's data directory."""

import asyncio
import json
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from concierge.server.app import create_app
from concierge.state import Context
from concierge.tools.auth.keys import SCOPES, create_key
from concierge.tools.auth.tenants import create_tenant
from concierge.tools.demo.seed import DEMO_KEYS_FILE, seed_demo
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests import processes
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


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind() -> Iterator[None]:
    """Tests leave nothing behind: a child process or a loopback server still running when the last test is done
    is an error of the run (and is stopped then). Set up first, so torn down after every other fixture."""
    processes.become_subreaper()  # orphans of what tests start (a wrapper's child) stay our descendants
    yield
    left = processes.leftovers() if processes.PROC.is_dir() else []
    servers = sorted(ThreadedServer.running, key=repr)
    processes.kill(left)
    for server in servers:
        server.stop()
    lines = [f"process {p.pid}: {p.command[:200]}" for p in left] + [f"server {s!r}" for s in servers]
    assert not lines, "still running after the suite (a fixture did not stop them; killed now):\n" + "\n".join(lines)


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


# The 250 ms default budgets of the local sources are a production figure; on a loaded CI machine a test that is not
# about budgets would lose its catalog or documents to them now and then. Tests of the budgets set their own.
PATIENT_BUDGETS = {"documents": 5.0, "catalog": 5.0}
PATIENT_ENV = {"CONCIERGE_SOURCE_TIMEOUTS": json.dumps(PATIENT_BUDGETS)}
"""The same for a `concierge` or `langgraph dev` process the test starts."""


@pytest.fixture
def settings(seeded_dir: Path, tmp_path: Path) -> Settings:
    """A private copy of the seeded data directory: tests may write to it freely."""
    data = tmp_path / "data"
    shutil.copytree(seeded_dir, data)
    return Settings(data_dir=data, source_timeouts=PATIENT_BUDGETS)


@pytest.fixture
def demo_keys(settings: Settings) -> dict[str, str]:
    """The demo tenant's keys that seeding made: `secret` (every scope) and `publishable`."""
    return json.loads((settings.data_dir / DEMO_KEYS_FILE).read_text())


@pytest.fixture
def auth(demo_keys: dict[str, str]) -> dict[str, str]:
    """Headers that act as the demo tenant's staff, with every scope."""
    return {"X-Api-Key": demo_keys["secret"]}


async def add_tenant(tools: Toolbox, tenant_id: str, scopes: list[str] | None = None, **fields) -> str:
    """Create a tenant and a secret key for it (every scope by default); returns the key."""
    await create_tenant(tools.db, tools.secrets, tenant_id, "test", **fields)
    _, key = await create_key(tools.db, tenant_id, "secret", scopes or list(SCOPES), "test", "test")
    return key


def add_tenant_sync(conf: Settings, tenant_id: str, scopes: list[str] | None = None, **fields) -> str:
    """`add_tenant` for a test without an event loop, on the data directory of `conf`."""

    async def run() -> str:
        tools = await Toolbox.from_settings(conf).open()
        try:
            return await add_tenant(tools, tenant_id, scopes, **fields)
        finally:
            await tools.close()

    return asyncio.run(run())


@pytest.fixture
async def tools(settings: Settings) -> AsyncIterator[Toolbox]:
    toolbox = await Toolbox.from_settings(settings).open()
    yield toolbox
    await toolbox.close()


@pytest.fixture
def context(tools: Toolbox) -> Context:
    return Context(
        tenant_id="demo",
        business_name="Inkwell & Oak",
        timezone="Europe/Dublin",
        tools=tools,
        source_timeouts=PATIENT_BUDGETS,
    )


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

    def client(self, key: str | None = None, **kwargs) -> httpx.Client:
        """An HTTP client on this server acting with `key` (default: the demo's secret key, every scope)."""
        key = key or json.loads((self.settings.data_dir / DEMO_KEYS_FILE).read_text())["secret"]
        return httpx.Client(base_url=self.url, headers={"X-Api-Key": key, **kwargs.pop("headers", {})}, **kwargs)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings).start()
    yield server
    server.stop()
