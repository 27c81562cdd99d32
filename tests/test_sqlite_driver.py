"""The SQLite driver adapter: one trip to aiosqlite's thread a statement, and the DBAPI answers SQLAlchemy reads
(rows, row counts, last row ids, errors) as the stock adapter gives them."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from concierge.tools.db.engine import AppDatabase


async def test_statements_answer_as_the_stock_driver_in_one_trip_each(tmp_path: Path) -> None:
    db = AppDatabase(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite'}")
    try:
        async with db.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            trips = 0
            execute = raw._execute

            async def counted(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
                nonlocal trips
                trips += 1
                return await execute(fn, *args, **kwargs)

            raw._execute = counted
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT UNIQUE)"))
            inserted = await conn.execute(text("INSERT INTO t (x) VALUES (:x)"), [{"x": "a"}, {"x": "b"}])
            assert inserted.rowcount == 2
            one = await conn.execute(text("INSERT INTO t (x) VALUES ('c')"))
            assert one.lastrowid == 3
            updated = await conn.execute(text("UPDATE t SET x = x || '!' WHERE id < 3"))
            assert updated.rowcount == 2
            rows = await conn.execute(text("SELECT id, x FROM t ORDER BY id"))
            assert list(rows.keys()) == ["id", "x"] and rows.all() == [(1, "a!"), (2, "b!"), (3, "c")]
            await conn.commit()
            statements = trips
            assert statements == 6, "one trip a statement, one for the commit"
            await conn.execute(text("SELECT 1"))
            await conn.rollback()  # nothing was written since the commit: no trip
            assert trips == statements + 1
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO t (x) VALUES ('c')"))
    finally:
        await db.dispose()
