"""Where a thread's checkpoints live: PostgreSQL, shared by every replica, whenever the app database is PostgreSQL;
a SQLite file otherwise (the embedded default, no server needed).

Also what the run queue needs from checkpoints beyond LangGraph's own interface: where a thread stands before a
run, and removing everything a rolled-back run wrote after that point.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from sqlalchemy.engine import make_url

from concierge.tools.settings import Settings

MIGRATION_LOCK = 0x63686B70  # "chkp": one replica sets the checkpoint tables up, the others wait
MIGRATION_POLL_S = 0.2
"""How often a replica waiting for another's checkpoint migrations tries the lock again."""


def postgres_conninfo(url: str) -> str:
    """The app's SQLAlchemy URL (`postgresql+asyncpg://...`) as a libpq connection string for psycopg."""
    parsed = make_url(url).set(drivername="postgresql", query={})
    return parsed.render_as_string(hide_password=False)


def _pool_kwargs(schema: str | None) -> dict[str, Any]:
    from psycopg.rows import dict_row

    kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    if schema:
        kwargs["options"] = f"-c search_path={schema}"
    return kwargs


def _pooled_saver(pool: Any) -> BaseCheckpointSaver:
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    saver = AsyncPostgresSaver(pool)
    # The saver serialises every call on one lock, which only a single shared connection needs: with a pool each
    # call takes a connection of its own, so concurrent runs need not queue behind one another.
    saver.lock = contextlib.nullcontext()  # type: ignore[assignment]
    return saver


async def _try_lock(conn: Any) -> bool:
    cur = await conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (MIGRATION_LOCK,))
    return bool((await cur.fetchone())["ok"])


async def setup_postgres(saver: BaseCheckpointSaver, conninfo: str, schema: str | None) -> None:
    """Create or upgrade the checkpoint tables, one replica at a time (their migrations are not concurrent-safe).

    The lock is tried, not waited for: the migrations build indexes `CONCURRENTLY`, which waits for every open
    transaction in the database, and a replica blocked in `pg_advisory_lock` is one. Two replicas starting together
    then waited for each other forever (the holder's index build for the waiter's statement, the waiter for the
    holder's lock)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, **_pool_kwargs(schema)) as conn:
        while not await _try_lock(conn):
            await asyncio.sleep(MIGRATION_POLL_S)
        try:
            await saver.setup()  # type: ignore[attr-defined]
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


@asynccontextmanager
async def open_checkpointer(where: Settings | Path, *, setup: bool = True) -> AsyncIterator[BaseCheckpointSaver]:
    """The checkpointer for `where`: settings (PostgreSQL or SQLite as configured) or a SQLite file's path.

    `setup` creates or upgrades the checkpoint tables; a server started without migrating skips it on
    PostgreSQL (`concierge migrate` did it). SQLite files are always set up: there is no deploy step for them.
    """
    if isinstance(where, Settings) and where.uses_postgres:
        from psycopg_pool import AsyncConnectionPool

        conninfo = postgres_conninfo(where.app_db_url)
        pool = AsyncConnectionPool(
            conninfo,
            min_size=1,
            max_size=max(where.checkpoint_pool_size, 1),
            kwargs=_pool_kwargs(where.database_schema),
            open=False,
        )
        await pool.open(wait=True)
        try:
            saver = _pooled_saver(pool)
            if setup:
                await setup_postgres(saver, conninfo, where.database_schema)
            yield saver
        finally:
            await pool.close()
        return
    path = where.checkpoint_path if isinstance(where, Settings) else where
    path.parent.mkdir(parents=True, exist_ok=True)
    async with SqliteCheckpointer.from_conn_string(str(path)) as saver:
        await saver.setup()
        # WAL with `synchronous=NORMAL`: a commit no longer waits for the disk, a crashed process loses nothing
        # committed (only a power cut can take the last few), and a turn's eight checkpoints stop costing a sync each.
        await saver.conn.execute("PRAGMA synchronous=NORMAL")
        yield saver


class SqliteCheckpointer(AsyncSqliteSaver):
    """LangGraph's SQLite saver, with each write and read made in one trip to its connection's thread: LangGraph's
    sync saver's own methods, run there. The async saver takes three to six trips (cursor, execute, fetch, commit,
    close) a call, each a handoff between threads; a turn makes about twenty calls, under the one lock every run of
    the replica shares, so under load the trips, not the writes, were what runs waited for."""

    def __init__(self, conn: Any, *, serde: Any = None) -> None:
        super().__init__(conn, serde=serde)
        self._sync: SqliteSaver | None = None

    def _here(self) -> SqliteSaver:
        """The sync saver on the same connection, used only in the connection's thread (aiosqlite's `_execute`)."""
        if self._sync is None:
            self._sync = SqliteSaver(self.conn._conn, serde=self.serde)
            self._sync.is_setup = True  # tables made (and migrated) by the async saver's `setup`
        return self._sync

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        await self.setup()
        async with self.lock:
            return await self.conn._execute(self._here().get_tuple, config)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        await self.setup()
        async with self.lock:
            return await self.conn._execute(self._here().put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await self.setup()
        async with self.lock:
            await self.conn._execute(self._here().put_writes, config, writes, task_id, task_path)


async def migrate_checkpoints(settings: Settings) -> str:
    """The deploy step's half for checkpoints; returns where they live."""
    async with open_checkpointer(settings, setup=True):
        pass
    return "postgresql" if settings.uses_postgres else str(settings.checkpoint_path)


@dataclass(frozen=True)
class Position:
    """Where a thread's checkpoints stood before a run: its latest checkpoint and the writes pending on it."""

    checkpoint_id: str | None
    write_tasks: frozenset[str]


async def position(saver: BaseCheckpointSaver, thread_id: str) -> Position:
    """Read from the tables directly: every run starts with this, and loading the checkpoint itself (every channel
    deserialised) would cost more than the run's bookkeeping."""
    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock:  # one trip to the connection's thread
            return await saver.conn._execute(_sqlite_position, saver.conn._conn, thread_id)
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor() as cur:
            await cur.execute(
                "SELECT checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = '' "
                "ORDER BY checkpoint_id DESC LIMIT 1",
                (thread_id,),
            )
            row = await cur.fetchone()
            if row is None:
                return Position(None, frozenset())
            await cur.execute(
                "SELECT DISTINCT task_id FROM checkpoint_writes "
                "WHERE thread_id = %s AND checkpoint_ns = '' AND checkpoint_id = %s",
                (thread_id, row["checkpoint_id"]),
            )
            tasks = frozenset(r["task_id"] for r in await cur.fetchall())
        return Position(row["checkpoint_id"], tasks)
    saved = await saver.aget_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    if saved is None:
        return Position(None, frozenset())
    checkpoint_id = saved.config["configurable"]["checkpoint_id"]
    return Position(checkpoint_id, frozenset(task_id for task_id, _, _ in saved.pending_writes or ()))


def _sqlite_position(conn: Any, thread_id: str) -> Position:
    row = conn.execute(
        "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '' "
        "ORDER BY checkpoint_id DESC LIMIT 1",
        (thread_id,),
    ).fetchone()
    if row is None:
        return Position(None, frozenset())
    tasks = conn.execute(
        "SELECT DISTINCT task_id FROM writes WHERE thread_id = ? AND checkpoint_ns = '' AND checkpoint_id = ?",
        (thread_id, row[0]),
    ).fetchall()
    return Position(row[0], frozenset(r[0] for r in tasks))


async def roll_back(saver: BaseCheckpointSaver, thread_id: str, before: Position) -> None:
    """Delete what a run wrote after `before`: later checkpoints (their ids grow with time) and new pending writes.

    Runs on a thread never overlap, so everything after the position is the rolled-back run's.
    """
    if before.checkpoint_id is None:
        await saver.adelete_thread(thread_id)
        return
    kept = sorted(before.write_tasks) or [""]
    if isinstance(saver, AsyncSqliteSaver):
        marks = ",".join("?" * len(kept))
        async with saver.lock:
            await saver.conn.execute(
                "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id > ?", (thread_id, before.checkpoint_id)
            )
            await saver.conn.execute(
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id > ?", (thread_id, before.checkpoint_id)
            )
            await saver.conn.execute(
                f"DELETE FROM writes WHERE thread_id = ? AND checkpoint_id = ? AND task_id NOT IN ({marks})",
                (thread_id, before.checkpoint_id, *kept),
            )
            await saver.conn.commit()
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor() as cur:
            await cur.execute(
                "DELETE FROM checkpoints WHERE thread_id = %s AND checkpoint_id > %s", (thread_id, before.checkpoint_id)
            )
            await cur.execute(
                "DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_id > %s",
                (thread_id, before.checkpoint_id),
            )
            await cur.execute(
                "DELETE FROM checkpoint_writes WHERE thread_id = %s AND checkpoint_id = %s AND NOT task_id = ANY(%s)",
                (thread_id, before.checkpoint_id, kept),
            )
        return
    raise NotImplementedError(f"rollback is not supported with {type(saver).__name__}")


async def copy_thread(saver: BaseCheckpointSaver, source: str, target: str) -> None:
    """Every checkpoint and pending write of `source`, as `target`'s (the Agent Server's `threads.copy`).

    LangGraph's SQLite and PostgreSQL savers do not implement `acopy_thread`, so this copies their rows; a
    checkpoint's metadata names its thread, and names the copy's.
    """
    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock:
            await saver.conn.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, "
                "checkpoint, metadata) SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, "
                "CASE WHEN json_type(CAST(metadata AS TEXT), '$.thread_id') IS NULL THEN metadata "
                "ELSE CAST(json_set(CAST(metadata AS TEXT), '$.thread_id', ?) AS BLOB) END "
                "FROM checkpoints WHERE thread_id = ?",
                (target, target, source),
            )
            await saver.conn.execute(
                "INSERT INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value) "
                "SELECT ?, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, value FROM writes "
                "WHERE thread_id = ?",
                (target, source),
            )
            await saver.conn.commit()
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        async with saver._cursor() as cur:
            await cur.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, "
                "checkpoint, metadata) SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, "
                "checkpoint, CASE WHEN metadata ? 'thread_id' "
                "THEN jsonb_set(metadata, '{thread_id}', to_jsonb(%s::text)) ELSE metadata END "
                "FROM checkpoints WHERE thread_id = %s",
                (target, target, source),
            )
            await cur.execute(
                "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob) "
                "SELECT %s, checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs WHERE thread_id = %s",
                (target, source),
            )
            await cur.execute(
                "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, "
                "channel, type, blob) SELECT %s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, "
                "blob FROM checkpoint_writes WHERE thread_id = %s",
                (target, source),
            )
        return
    await saver.acopy_thread(source, target)


async def keep_latest(saver: BaseCheckpointSaver, thread_id: str) -> None:
    """Drop every checkpoint of the thread but its latest one per namespace, with their writes (`threads.prune`
    with `keep_latest`): the thread keeps its state, not its history."""
    if isinstance(saver, AsyncSqliteSaver):
        async with saver.lock:
            latest = (
                "SELECT checkpoint_ns, MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns"
            )
            for table in ("checkpoints", "writes"):
                await saver.conn.execute(
                    f"DELETE FROM {table} WHERE thread_id = ? AND (checkpoint_ns, checkpoint_id) NOT IN ({latest})",
                    (thread_id, thread_id),
                )
            await saver.conn.commit()
        return
    await saver.aprune([thread_id], strategy="keep_latest")  # PostgreSQL's saver implements it
