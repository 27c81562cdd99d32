"""The browser pages over plain HTTP: served without a key, carrying no secret, under a strict CSP; the widget's
own page may use the publishable key from the server's origin, other sites only from the tenant's origins."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from concierge.server.web import PAGES, STATIC
from concierge.tools.demo.seed import DEMO_KEYS_FILE
from concierge.tools.settings import Settings
from tests.conftest import LiveServer


@pytest.fixture(scope="module")
def server(seeded_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("pages") / "data"
    shutil.copytree(seeded_dir, data)
    live = LiveServer(Settings(data_dir=data)).start()
    yield live
    live.stop()


def test_pages_are_open_carry_no_secret_and_forbid_other_scripts(server: LiveServer) -> None:
    for path in PAGES:
        r = httpx.get(server.url + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert "script-src 'self'" in r.headers["content-security-policy"], path
        assert "ck_live_" not in r.text and "ck_pub_" not in r.text.replace("ck_pub_…", "").replace("ck_pub_.+", "")
        assert "https://" not in r.text.replace("https://concierge.example.com", ""), f"{path} loads nothing remote"
    home = httpx.get(server.url + "/operator")
    assert home.status_code == 307 and home.headers["location"] == "/operator/documents"
    assert httpx.get(server.url + "/static/vendor/chart.umd.min.js").status_code == 200
    assert "MIT" in (STATIC / "vendor" / "chart.js.LICENSE.md").read_text()
    spec = httpx.get(server.url + "/openapi.json").json()
    assert not any(p in spec["paths"] for p in [*PAGES, "/widget.js"]), "pages are not API routes"


def test_publishable_key_from_this_servers_own_page_or_an_allowed_origin_only(server: LiveServer) -> None:
    key = json.loads((server.settings.data_dir / DEMO_KEYS_FILE).read_text())["publishable"]
    with httpx.Client(base_url=server.url, headers={"X-Api-Key": key}) as c:
        own = c.post("/threads", json={}, headers={"Origin": server.url})
        assert own.status_code == 200 and own.headers["X-Thread-Token"]
        other = c.post("/threads", json={}, headers={"Origin": "http://127.0.0.1:1"})
        assert other.status_code == 403 and "allowed origins" in other.json()["detail"]
