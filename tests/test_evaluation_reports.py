"""`GET /evaluation/reports`: the reports `concierge eval` wrote for the key's tenant, and no one else's."""

import json

from concierge.tools.settings import Settings
from tests.conftest import LiveServer, add_tenant_sync


def _write(settings: Settings, name: str, summary: dict) -> None:
    folder = settings.data_dir / "eval"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"summary": summary, "outcomes": [{"id": "q1", "hit": True}]}))


def test_reports_are_the_tenants_own_newest_first(settings: Settings) -> None:
    rival = add_tenant_sync(settings, "rival")
    _write(settings, "demo-20261130T101500Z", {"questions": 40, "hit_at_5": 0.9})
    _write(settings, "demo-20261201T090000Z", {"questions": 40, "hit_at_5": 1.0})
    _write(settings, "rival-20261201T100000Z", {"questions": 3})
    _write(settings, "demo-notes", {"questions": 1})  # not a name `concierge eval` writes
    (settings.data_dir / "eval" / "demo-20261202T000000Z.json").write_text("{broken")
    server = LiveServer(settings).start()
    try:
        with server.client() as c:
            listed = c.get("/evaluation/reports").json()
            assert [r["name"] for r in listed] == ["demo-20261201T090000Z", "demo-20261130T101500Z"]
            assert listed[0]["summary"]["hit_at_5"] == 1.0 and listed[0]["created_at"].startswith("2026-12-01T09:00")
            latest = c.get("/evaluation/reports/latest")
            assert latest.status_code == 404, "the newest file is unreadable: said so, not another report"
            one = c.get("/evaluation/reports/demo-20261130T101500Z").json()
            assert one["outcomes"] == [{"id": "q1", "hit": True}] and one["summary"]["hit_at_5"] == 0.9
            for name in ("rival-20261201T100000Z", "demo-notes", "..%2Fdemo-keys", "nope"):
                assert c.get(f"/evaluation/reports/{name}").status_code == 404, name
        with server.client(rival) as c:
            assert [r["name"] for r in c.get("/evaluation/reports").json()] == ["rival-20261201T100000Z"]
            assert c.get("/evaluation/reports/latest").json()["summary"] == {"questions": 3}
    finally:
        server.stop()
