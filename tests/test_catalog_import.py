"""Catalog import through the API and the CLI: per-row reports, upserts, file-level errors that lose nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from concierge.tools.catalog.importer import import_catalog, parse_file
from concierge.tools.db.models import Product, Slot, Tenant
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from tests.conftest import LiveServer

CONTOSO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "contoso-outdoor" / "products.csv"
CONCIERGE = Path(sys.executable).parent / "concierge"

BAD_CSV = """sku,name,price,category,brand,model_number,stock,tags
T-1,Ridge Tent,199.00,Tents,Alpine,RT-2,4,camping;tents
T-2,,50,Tents,,,1,
T-3,Cheap Tent,-5,Tents,,,1,
T-4,Odd Tent,abc,Tents,,,1,
T-5,Vast Tent,350,Tents,Alpine,VT-9,-2,
T-6,Lantern,12.5,Lights,Glow,,7,light
T-7,Gold Tent,99999999999,Tents,,,1,
T-8,Many Tents,10,Tents,,,99999999999,
"""


def mixed_json() -> dict:
    return {
        "products": [
            {"sku": "L-1", "name": "Lamp", "price": 10, "stock": 2},
            {"sku": "L-2", "name": "Shade", "price": "x"},
        ],
        "services": [
            {"code": "fit", "name": "Boot fitting", "duration": 30, "price": 0},
            {"code": "bad", "name": "Broken", "duration_minutes": 0, "price": 5},
        ],
        "slots": [
            {"service": "fit", "start": "2026-12-05T10:00", "capacity": 2},
            {"service": "fit", "start": "5th of December at ten"},
            {"service": "fit", "start": "2026-12-05T11:00", "capacity": 1, "booked": 3},
            {"service": "nope", "start": "2026-12-05T12:00"},
        ],
    }


async def _new_tenant(tools: Toolbox, tenant_id: str, tz: str = "Europe/Dublin") -> None:
    async with tools.db.session() as s:
        s.add(Tenant(id=tenant_id, name=tenant_id.title(), timezone=tz, currency="USD"))
        await s.commit()


async def _count(tools: Toolbox, model: type, tenant_id: str) -> int:
    async with tools.db.session() as s:
        return await s.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))


async def test_bad_rows_are_reported_and_good_rows_kept_then_reimport_updates(tools: Toolbox) -> None:
    await _new_tenant(tools, "camp")
    report = await import_catalog(tools.db, "camp", BAD_CSV.encode(), "stock.csv")
    assert (report.accepted, report.created, report.updated) == (2, 2, 0)
    reasons = {r.row: r.reason for r in report.rejected}
    assert reasons == {
        3: "name: missing",
        4: "price: must not be negative",
        5: "price: not a number: 'abc'",
        6: "stock: Input should be greater than or equal to 0",
        8: "price: must be under 10000000000",
        9: "stock: Input should be less than or equal to 2147483647",
    }
    assert await _count(tools, Product, "camp") == 2

    # A price list without a stock column updates prices and keeps the stock.
    again = await import_catalog(tools.db, "camp", b"sku,name,price\nT-1,Ridge Tent,189\n", "prices.csv")
    assert (again.created, again.updated, again.rejected) == (0, 1, [])
    hits = await tools.catalog.search_products("camp", "ridge tent", [], 5)
    assert hits[0].sku == "T-1" and str(hits[0].price) == "189.00" and hits[0].stock == 4
    assert hits[0].currency == "USD" and hits[0].tags == ["camping", "tents"]
    assert await _count(tools, Product, "camp") == 2


async def test_json_with_products_services_and_slots(tools: Toolbox) -> None:
    await _new_tenant(tools, "shop")
    report = await import_catalog(tools.db, "shop", json.dumps(mixed_json()).encode(), "all.json")
    assert report.accepted == 3 and report.by_kind == {"products": 2, "services": 2, "slots": 4}
    reasons = [(r.kind, r.row, r.reason) for r in report.rejected]
    assert ("products", 2, "price: not a number: 'x'") in reasons
    assert ("services", 2, "duration_minutes: Input should be greater than 0") in reasons
    assert any(k == "slots" and row == 2 and "malformed date" in why for k, row, why in reasons)
    assert ("slots", 3, "booked (3) exceeds capacity (1)") in reasons
    assert ("slots", 4, "service: no service with code 'nope'") in reasons

    async with tools.db.session() as s:
        slot = await s.scalar(select(Slot).where(Slot.tenant_id == "shop"))
    assert slot.start.isoformat() == "2026-12-05T10:00:00+00:00", "naive times are the tenant's (Dublin is UTC)"
    assert (slot.end - slot.start).total_seconds() == 30 * 60, "end defaults to start + the service's duration"
    again = await import_catalog(tools.db, "shop", json.dumps(mixed_json()).encode(), "all.json")
    assert again.created == 0 and again.updated == 3
    assert await _count(tools, Slot, "shop") == 1


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "x.csv", "empty"),
        (b"{not json", "x.json", "malformed JSON"),
        (b'{"items": []}', "x.json", "products, services or slots"),
        (b"label,cost\nA,1\n", "x.csv", "name"),  # "title" is a name (an alias)
        (b"\xff\xfe\x00", "x.csv", "UTF-8"),
    ],
)
def test_unreadable_files_are_refused_whole(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_file(data, name)


def test_api_import_multipart_json_and_errors(live_server: LiveServer) -> None:
    with live_server.client(timeout=30) as client:
        r = client.post("/catalog/import", files={"file": ("tents.csv", BAD_CSV.encode(), "text/csv")})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["tenant_id"] == "demo" and body["accepted"] == 2 and body["rejected_count"] == 6
        assert body["rejected"][0] == {"kind": "products", "row": 3, "key": "T-2", "reason": "name: missing"}

        r = client.get("/catalog/products", params={"q": "ridge tnet"})
        assert [p["sku"] for p in r.json()["products"]][:1] == ["T-1"], "a typo still finds it"
        listed = client.get("/catalog/products", params={"category": "Tents"}).json()["products"]
        assert [p["sku"] for p in listed] == ["T-1"]

        r = client.post("/catalog/import", json=mixed_json(), headers={"X-Tenant-ID": "demo"})
        assert r.status_code == 200 and r.json()["accepted"] == 3
        slots = client.get("/catalog/slots", params={"service": "fit", "start": "2026-12-01T00:00"}).json()["slots"]
        assert slots == [
            {
                "service": "fit",
                "start": "2026-12-05T10:00:00+00:00",
                "end": "2026-12-05T10:30:00+00:00",
                "capacity": 2,
                "booked": 0,
            }
        ]
        assert any(sv["code"] == "fit" for sv in client.get("/catalog/services").json()["services"])

        before = client.get("/catalog/products", params={"limit": 500}).json()["products"]
        r = client.post("/catalog/import", content=b"{oops", headers={"Content-Type": "application/json"})
        assert r.status_code == 422 and "malformed JSON" in r.json()["detail"]
        r = client.post("/catalog/import", content=b"x", headers={"Content-Type": "application/xml"})
        assert r.status_code == 415
        r = client.post("/catalog/import", files={"other": ("a.csv", b"name,price\n")})
        assert r.status_code == 422 and "`file`" in r.json()["detail"]
        r = client.post("/catalog/import", json=[], headers={"X-Tenant-ID": "nobody"})
        assert r.status_code == 200 and r.json()["tenant_id"] == "demo", "the key decides the tenant, not a header"
        assert client.get("/catalog/products", params={"limit": 500}).json()["products"] == before
        assert client.get("/ok").status_code == 200


def test_contoso_products_import_from_the_cli(settings: Settings) -> None:
    if not CONTOSO.is_file():
        pytest.skip(f"shared test data absent: {CONTOSO}")
    env = {**os.environ, "CONCIERGE_DATA_DIR": str(settings.data_dir), "LANGSMITH_TRACING": "false"}
    cmd = [str(CONCIERGE), "catalog", "import", str(CONTOSO), "--tenant", "contoso", "--create", "--currency", "USD"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "accepted=20 created=20 updated=0 rejected=0" in first.stdout
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "accepted=20 created=0 updated=20 rejected=0" in second.stdout

    missing = subprocess.run(
        [str(CONCIERGE), "catalog", "import", str(CONTOSO), "--tenant", "ghost"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1 and "tenant 'ghost' not found" in missing.stderr


async def test_contoso_products_are_searchable(tools: Toolbox) -> None:
    if not CONTOSO.is_file():
        pytest.skip(f"shared test data absent: {CONTOSO}")
    await _new_tenant(tools, "contoso", "America/Los_Angeles")
    report = await import_catalog(tools.db, "contoso", CONTOSO.read_bytes(), CONTOSO.name)
    assert report.accepted == 20 and not report.rejected
    hits = await tools.catalog.search_products("contoso", "How much is the Trailmaster X4 tent?", [], 3)
    assert hits[0].name == "TrailMaster X4 Tent" and str(hits[0].price) == "250.00"
    assert hits[0].brand == "OutdoorLiving" and hits[0].stock is None, "the file gives no stock: unknown, not 0"
