"""Browser tests: Playwright driving Debian's Chromium (never Playwright's own browser download) against the real
app on 127.0.0.1, one browser and one server per module. Each page is screenshot under
`$CONCIERGE_SCREENSHOTS` (default `build/screenshots/`) and checked with axe-core (the copy that the
`axe-playwright-python` package ships): no serious or critical violation."""

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pytest

from concierge.tools.demo.seed import DEMO_KEYS_FILE
from concierge.tools.settings import Settings
from tests.conftest import PATIENT_BUDGETS, LiveServer

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

CHROMIUM = os.environ.get("CONCIERGE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("CONCIERGE_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)
LOTS = "100000/minute"


@pytest.fixture(scope="module")
def browser(seeded_dir: Path) -> Iterator["playwright_sync.Browser"]:
    """One Chromium per module: Playwright's sync API keeps an event loop running in this thread while it is open,
    so it must be closed before other modules' asyncio tests run (and the session's seeding happens before it)."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it as root)")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@dataclass
class Site:
    """The app on a loopback port, with the demo tenant's keys."""

    server: LiveServer
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def site(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(seeded_dir, data)
    settings = Settings(
        data_dir=data,
        rate_limit_key=LOTS,
        rate_limit_tenant=LOTS,
        rate_limit_publishable=LOTS,
        source_timeouts=PATIENT_BUDGETS,
    )
    server = LiveServer(settings).start()
    yield Site(server, json.loads((data / DEMO_KEYS_FILE).read_text()))
    server.stop()


def screenshot(page: "playwright_sync.Page", name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE = (files("axe_playwright_python") / "axe.min.js").read_text()


def assert_accessible(page: "playwright_sync.Page", what: str) -> None:
    """axe-core over the page (open shadow roots included): no serious or critical violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{what}: accessibility violations:\n" + "\n".join(bad)
