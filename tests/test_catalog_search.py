"""Catalog search on the seeded demo tenant: fuzzy names and model numbers, filters, enrichment, time ranges."""

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from langgraph.runtime import Runtime

from concierge.nodes.retrieve_catalog import retrieve_catalog
from concierge.state import Context
from concierge.tools.analysis.query import analyze, calendar_days, dates_in, same_day
from concierge.tools.analysis.when import time_windows
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.catalog.search import Catalog, price_ceiling
from concierge.tools.db.engine import AppDatabase
from concierge.tools.toolbox import Toolbox

DUBLIN = ZoneInfo("Europe/Dublin")


@pytest.mark.parametrize(
    ("query", "models", "sku"),
    [
        ("How much is the Kestrel fountain pen?", [], "ST-0001"),
        ("kestrell fountian pen", [], "ST-0001"),
        ("do you have the KF200?", ["KF200"], "ST-0001"),
        ("the kf-200 please", ["KF-200"], "ST-0001"),
        ("model LC3", ["LC3"], "GF-0002"),
        ("lumen clip lights", [], "GF-0002"),
        ("Nuit d'Ambre 100 ml", [], "PF-0002"),
    ],
)
async def test_fuzzy_names_and_model_numbers(tools: Toolbox, query: str, models: list[str], sku: str) -> None:
    hits = await tools.catalog.search_products("demo", query, models, 3)
    assert hits and hits[0].sku == sku, [(h.sku, h.score) for h in hits]


async def test_every_hit_carries_price_and_stock_and_filters_narrow(tools: Toolbox) -> None:
    hits = await tools.catalog.search_products("demo", "ink", [], 10)
    assert {h.sku for h in hits} >= {"ST-0002", "ST-0003"}
    assert all(isinstance(h.price, Decimal) and isinstance(h.stock, int) for h in hits)

    cheap = await tools.catalog.search_products("demo", "ink", [], 10, max_price=Decimal("10"))
    assert [h.sku for h in cheap] == ["ST-0003"]
    tagged = await tools.catalog.search_products("demo", "", [], 10, tags=["Book Light"], browse=True)
    assert [h.sku for h in tagged] == ["GF-0002"]
    perfume = await tools.catalog.search_products("demo", "eau de parfum", [], 10, category="perfume", in_stock=True)
    assert perfume and all(h.category == "perfume" and h.stock > 0 for h in perfume)
    assert "PF-0004" not in {h.sku for h in perfume}, "out of stock"
    assert await tools.catalog.search_products("demo", "zeppelin", [], 5) == []


async def test_enrichment_flags(tools: Toolbox) -> None:
    [pen] = await tools.catalog.search_products("demo", "", ["KF-200"], 1)
    assert pen.needs_enrichment and pen.enrichment_reason == "branded_model"
    [book] = await tools.catalog.search_products("demo", "Small Hours in Kilmara", [], 1)
    assert book.enrichment_reason == "thin_description", "25-character description"
    [orchard] = await tools.catalog.search_products("demo", "The Salt Orchard", [], 1)
    assert not orchard.needs_enrichment and orchard.as_dict()["enrichment_reason"] is None


async def test_changes_from_another_process_reach_the_index(tools: Toolbox) -> None:
    catalog = Catalog(tools.db, refresh_s=0.2)
    assert (await catalog.search_products("demo", "kestrel pen", [], 1))[0].price == Decimal("48.00")
    other = AppDatabase(tools.settings.app_db_url)  # as the CLI would: its own engine, no shared memory
    try:
        csv = b"sku,name,price,brand,model_number\nST-0001,Kestrel Fountain Pen,52,Kestrel,KF-200\n"
        await import_catalog(other, "demo", csv + b"ZZ-1,Zeppelin Kite,30,,\n", "update.csv")
    finally:
        await other.dispose()
    await asyncio.sleep(0.25)  # past refresh_s: the next search checks the stored catalog version
    assert (await catalog.search_products("demo", "kestrel pen", [], 1))[0].price == Decimal("52.00")
    assert (await catalog.search_products("demo", "zepelin kite", [], 1))[0].sku == "ZZ-1"


async def test_changes_in_process_apply_at_once(tools: Toolbox) -> None:
    assert await tools.catalog.search_products("demo", "zeppelin", [], 1) == []
    await import_catalog(tools.db, "demo", b"sku,name,price\nZZ-1,Zeppelin Kite,30\n", "kite.csv")
    tools.catalog.invalidate("demo")  # what the import route does
    assert (await tools.catalog.search_products("demo", "zeppelin", [], 1))[0].sku == "ZZ-1"


async def test_turns_arriving_together_share_one_index_build(tools: Toolbox) -> None:
    catalog = Catalog(tools.db)
    built = await asyncio.gather(*(catalog.index("demo") for _ in range(5)))
    assert all(idx is built[0] for idx in built), "built once, not once a turn"
    first = asyncio.ensure_future(catalog.index("other-tenant"))
    await asyncio.sleep(0)
    first.cancel()  # a turn out of time leaves the catalog usable for the next
    assert (await catalog.index("other-tenant")).entries == []


def test_price_ceiling() -> None:
    assert price_ceiling("any pens under 50 euros?") == Decimal("50")
    assert price_ceiling("a gift for less than €12,50") == Decimal("12.50")
    assert price_ceiling("how much is the pen?") is None


SATURDAY_10AM = datetime(2026, 11, 21, 10, 0, tzinfo=DUBLIN)


def _hours(windows: list[tuple[datetime, datetime]]) -> list[tuple[str, int, int]]:
    return [(a.date().isoformat(), a.hour, b.hour if b.date() == a.date() else 24) for a, b in windows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("anything tomorrow afternoon?", [("2026-11-22", 12, 17)]),
        ("next Saturday", [("2026-11-28", 0, 24)]),
        ("this afternoon", [("2026-11-21", 12, 17)]),
        ("this morning", [("2026-11-21", 10, 12)]),
        ("after 3pm on Friday", [("2026-11-27", 15, 24)]),
        ("between 2 and 4pm on Friday", [("2026-11-27", 14, 16)]),
        ("5 December in the morning", [("2026-12-05", 6, 12)]),
        ("December 3rd before noon", [("2026-12-03", 0, 12)]),
        ("in 3 days", [("2026-11-24", 0, 24)]),
        ("how much is the pen?", []),
        ("pens from 10 euros", []),
    ],
)
def test_time_windows_in_the_tenant_zone(text: str, expected: list) -> None:
    assert _hours(time_windows(text, SATURDAY_10AM)) == expected


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("any places left on the 13th of February?", {(2, 13)}),
        ("is there space on jan 21?", {(1, 21)}),
        ("Thu 28 January 2027: 12.00, 6 places left.", {(1, 28)}),
        ("can I still get a spot on the 28th?", {(None, 28)}),
        ("When: every Thursday, 19:00 to 21:30", set()),
    ],
)
def test_calendar_days_need_no_year(text: str, days: set) -> None:
    assert calendar_days(text)[0] == days


def test_a_day_without_its_month_is_that_day_of_any_month() -> None:
    assert same_day({(None, 28)}, {(1, 28)}) and same_day({(1, 28)}, {(1, 28), (2, 4)})
    assert not same_day({(2, 28)}, {(1, 28)}) and not same_day({(1, 21)}, {(1, 28)})


def test_time_windows_follow_the_zone_and_roll_over() -> None:
    late = datetime(2026, 11, 21, 20, 0, tzinfo=ZoneInfo("America/New_York"))
    [(start, end)] = time_windows("anything in the afternoon?", late)
    assert start.tzinfo == ZoneInfo("America/New_York") and (start.day, start.hour, end.hour) == (22, 12, 17)
    assert dates_in("next week", SATURDAY_10AM.date())[0] == "2026-11-23"
    assert len(dates_in("next week", SATURDAY_10AM.date())) == 7


async def test_retrieve_catalog_gives_only_slots_in_the_named_part_of_the_day(context: Context) -> None:
    now = datetime.now(DUBLIN)
    question = "Any perfume consultation slots next Saturday afternoon?"
    task = {"analysis": analyze(question, today=now.date(), depth=0, available=["documents", "catalog"])}
    update = await retrieve_catalog(task, Runtime(context=context))
    service = next(i for i in update["retrieved"] if i["metadata"].get("kind") == "service")
    assert service["title"] == "Perfume consultation"
    starts = [datetime.fromisoformat(s["start"]) for s in service["metadata"]["slots"]]
    saturday = now.date() + timedelta(days=(5 - now.weekday()) % 7 or 7)
    assert [(s.date(), s.hour) for s in starts] == [(saturday, 13), (saturday, 15)]
    assert "13:00" in service["text"] and "11:00" not in service["text"]


def test_the_benchmark_prints_its_figures_last() -> None:
    import subprocess
    import sys
    from pathlib import Path

    concierge = Path(sys.executable).parent / "concierge"
    out = subprocess.run(
        [str(concierge), "bench", "catalog", "--products", "400", "--queries", "40"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    figures = dict(pair.split("=", 1) for pair in out.stdout.strip().splitlines()[-1].split())
    assert figures["products"] == "400" and float(figures["p95_ms"]) > 0 and "peer_p95_ms" in figures


async def test_a_day_without_free_slots_offers_the_next_free_ones(tools) -> None:
    from datetime import date, timedelta

    monday = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 or 7)
    [club] = await tools.catalog.search_services("demo", "book club", [monday], "Europe/Dublin", 5)
    assert club.code == "SRV-BOOKCLUB" and club.slots == []
    assert club.next_free and all(s.start.strftime("%A %H:%M") == "Saturday 10:30" for s in club.next_free)
    assert club.next_free[0].start.date() > monday
