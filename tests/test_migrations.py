"""Alembic migrations: models and revisions agree, old databases are adopted, and the same code runs on PostgreSQL.

PostgreSQL tests use the real server at CONCIERGE_TEST_POSTGRES_URL (default 127.0.0.1:5432, database `test`),
each in a schema of its own that is dropped afterwards; they skip with the reason when the server is unreachable.
"""

import os
import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, inspect, select, text

from concierge.graph.graph import build_graph
from concierge.state import Context
from concierge.tools.catalog.importer import import_catalog
from concierge.tools.db.engine import AppDatabase
from concierge.tools.db.migrate import current_revision, head, upgrade
from concierge.tools.db.models import Product, ProductVariant, Tenant, metadata
from concierge.tools.db.retrieval_log import entries
from concierge.tools.demo.seed import seed_demo
from concierge.tools.settings import Settings
from concierge.tools.toolbox import Toolbox
from concierge.tools.web.cache import CachedWebSearch
from tests.conftest import PATIENT_BUDGETS
from tests.postgres import pg_schema
from tests.test_catalog_import import BAD_CSV

PG_URL = os.environ.get("CONCIERGE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _drift(conn) -> list:
    return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)


async def test_models_and_migrations_agree(tmp_path: Path) -> None:
    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}")
    try:
        await upgrade(db.engine)
        await upgrade(db.engine)  # again: already at head, nothing to do
        async with db.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head()
            drift = await conn.run_sync(_drift)
        assert drift == [], (
            "tables or columns without a migration: write one with "
            "`.venv/bin/alembic -c alembic.ini revision --autogenerate -m '...'` (see concierge/tools/db/migrations)"
        )
    finally:
        await db.dispose()


async def test_a_database_made_by_create_all_is_adopted_without_loss(tmp_path: Path) -> None:
    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite'}")
    try:
        # The foundation's tables exactly as create_all made them: revision 0001, without Alembic's own table.
        await upgrade(db.engine, "0001")
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP TABLE alembic_version"))
        async with db.session() as s:
            s.add(Tenant(id="old", name="Old Shop"))
            await s.commit()
        await upgrade(db.engine)
        async with db.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head()
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert {"catalog_versions", "web_cache", "retrieval_log"} <= tables
            assert await conn.run_sync(_drift) == []
        async with db.session() as s:
            assert (await s.get(Tenant, "old")).name == "Old Shop"
    finally:
        await db.dispose()


@pytest.fixture
async def pg_settings(tmp_path: Path) -> AsyncIterator[Settings]:
    asyncpg = pytest.importorskip("asyncpg")
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(dsn, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {exc}")
    schema = f"concierge_test_{uuid.uuid4().hex[:12]}"
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(data_dir=tmp_path / "data", database_url=PG_URL, database_schema=schema)
    finally:
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def test_the_same_code_on_postgresql(pg_settings: Settings) -> None:
    tools = await Toolbox.from_settings(pg_settings).open()
    try:
        assert tools.db.engine.dialect.name == "postgresql"
        async with tools.db.engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head()
            assert await conn.run_sync(_drift) == []
            where = await conn.scalar(text("SELECT current_schema()"))
            assert where == pg_settings.database_schema, "tables live in this run's own schema"

        report = await seed_demo(tools, today=date(2026, 11, 21))
        assert report["products"] == 22 and report["new_slots"] > 0
        again = await seed_demo(tools, today=date(2026, 11, 21))
        assert again["new_slots"] == 0, "idempotent on PostgreSQL too"

        imported = await import_catalog(tools.db, "demo", BAD_CSV.encode(), "tents.csv")
        assert imported.accepted == 2 and len(imported.rejected) == 6, imported.rejected
        reimported = await import_catalog(tools.db, "demo", BAD_CSV.encode(), "tents.csv")
        assert reimported.updated == 2 and reimported.created == 0
        async with tools.db.session() as s:
            assert await s.scalar(select(func.count()).select_from(Product).where(Product.tenant_id == "demo")) == 24
        tools.catalog.invalidate("demo")
        [tent] = await tools.catalog.search_products("demo", "ridge tnet", [], 1)
        assert tent.sku == "T-1" and tent.price == Decimal("199.00") and tent.stock == 4

        class Canned:
            name = "canned"

            async def search(self, query: str, limit: int) -> list:
                from concierge.tools.web.search import WebResult

                return [WebResult("https://a.example/kf-200", "Kestrel KF-200", "KF-200 facts", "a.example", 1.0)]

        web = CachedWebSearch(Canned(), tools.db)
        assert (await web.lookup("kestrel kf-200", 3)).origin == "live"
        cached = await web.lookup("kestrel kf-200", 3)
        assert cached.origin == "cache" and cached.results[0].url == "https://a.example/kf-200"

        graph = build_graph(InMemorySaver())
        context = Context(tenant_id="demo", timezone="Europe/Dublin", tools=tools, source_timeouts=PATIENT_BUDGETS)
        config = {"configurable": {"thread_id": "pg-1"}}
        await graph.ainvoke(
            {"messages": [HumanMessage("How much is the Kestrel fountain pen?")]}, config, context=context
        )
        state = await graph.aget_state(config)
        assert "48.00 EUR" in state.values["messages"][-1].content
        logged = await entries(tools.db, "demo", "pg-1")
        assert {e["source"] for e in logged} == {"documents", "catalog"} and all(e["status"] == "ok" for e in logged)
    finally:
        await tools.close()


async def test_replicas_starting_together_migrate_once(pg_settings: Settings) -> None:
    import asyncio

    replicas = [AppDatabase(PG_URL, pg_settings.database_schema) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(db.engine) for db in replicas))
        async with replicas[0].engine.connect() as conn:
            assert await conn.run_sync(current_revision) == head()
    finally:
        for db in replicas:
            await db.dispose()


async def _stock_by_location_added(db: AppDatabase) -> None:
    """A catalog stored before stock per location (revision 0012) keeps its rows on upgrade, with no figures per
    location (NULL, not a JSON null), and a Square export with two locations then stores them."""
    await upgrade(db.engine, "0012")
    async with db.session() as s:
        s.add(Tenant(id="old", name="Old Shop", currency="USD"))
        await s.commit()
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO products (tenant_id, sku, name, description, category, tags, price, currency, stock) "
                "VALUES ('old', 'tent', 'Ridge Tent', '', 'Tents', '[]', 199.00, 'USD', 4)"
            )
        )
        product_id = await conn.scalar(text("SELECT id FROM products WHERE sku = 'tent'"))
        await conn.execute(
            text(
                "INSERT INTO product_variants (tenant_id, product_id, sku, options, price, currency, stock, position) "
                f"VALUES ('old', {product_id}, 'T-G', '{{\"Colour\": \"Green\"}}', 199.00, 'USD', 4, 0)"
            )
        )
    await upgrade(db.engine)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(current_revision) == head()
        assert await conn.run_sync(_drift) == []
        for table in ("products", "product_variants"):
            columns = await conn.run_sync(lambda c, t=table: {x["name"] for x in inspect(c).get_columns(t)})
            assert "stock_by_location" in columns, table
            nulls = await conn.scalar(text(f"SELECT COUNT(*) FROM {table} WHERE stock_by_location IS NULL"))
            assert nulls == 1, f"{table}: the stored row, with no figures per location"
    async with db.session() as s:
        tent = await s.scalar(select(Product).where(Product.tenant_id == "old", Product.sku == "tent"))
        assert (tent.name, tent.stock, tent.stock_by_location) == ("Ridge Tent", 4, None)

    square = (
        "Reference Handle,Item Name,Variation Name,SKU,Price,Option Name 1,Option Value 1,"
        "Current Quantity Main Street,Current Quantity Harbour\n"
        "#tent,Ridge Tent,Green,T-G,199.00,Colour,Green,1,3\n"
    )
    report = await import_catalog(db, "old", square.encode(), "items.csv")
    assert (report.updated, report.variants.updated) == (1, 1), report.as_dict()
    async with db.session() as s:
        tent = await s.scalar(select(Product).where(Product.tenant_id == "old", Product.sku == "tent"))
        assert (tent.stock, tent.stock_by_location) == (4, {"Main Street": 1, "Harbour": 3})
        variant = await s.scalar(select(ProductVariant).where(ProductVariant.product_id == tent.id))
        assert (variant.stock, variant.stock_by_location) == (4, {"Main Street": 1, "Harbour": 3})


async def test_stock_by_location_is_added_to_a_stored_catalog(tmp_path: Path) -> None:
    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite'}")
    try:
        await _stock_by_location_added(db)
    finally:
        await db.dispose()


async def test_stock_by_location_is_added_to_a_stored_catalog_on_postgresql() -> None:
    async with pg_schema() as schema:
        db = AppDatabase(PG_URL, schema)
        try:
            await _stock_by_location_added(db)
        finally:
            await db.dispose()
