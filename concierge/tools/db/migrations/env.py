"""Alembic environment for the app database.

In process, `concierge.tools.db.migrate` hands in a connection (`config.attributes["connection"]`); from the
command line (`alembic -c alembic.ini ...`) the URL comes from `-x url=...`, `sqlalchemy.url` or the
`CONCIERGE_DATABASE_URL` / `CONCIERGE_DATA_DIR` settings, through the same async drivers the app uses.
"""

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from concierge.tools.db.models import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    from concierge.tools.settings import Settings

    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or (Settings().app_db_url)
    )


async def _run_online(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(run_migrations)
    await engine.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
elif context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online(_url()))
