"""The checkpointer that keeps each thread's conversation: SQLite beside the SQLite database,
PostgreSQL in the PostgreSQL database. A conversation survives a process restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import make_url

from core.config import Settings
from core.db import is_sqlite


def sqlite_checkpoint_path(settings: Settings) -> Path:
    database = make_url(settings.effective_database_url).database or str(settings.data_dir / "convonet.db")
    main = Path(database)
    return main.with_name(main.stem + "-checkpoints.db")


def postgres_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    url = settings.effective_database_url
    if is_sqlite(url):
        import aiosqlite
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        path = sqlite_checkpoint_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        async with aiosqlite.connect(path) as conn:
            await conn.execute("PRAGMA journal_mode=WAL")
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        postgres_conninfo(url),
        min_size=1,
        max_size=settings.database_pool_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=False,
    )
    await pool.open()
    try:
        saver_pg = AsyncPostgresSaver(pool)
        await _set_up_one_at_a_time(saver_pg, postgres_conninfo(url))
        yield saver_pg
    finally:
        await pool.close()


SETUP_LOCK = 0x636E7663  # PostgreSQL advisory lock key held while the checkpoint tables are set up ("cnvc")


async def _set_up_one_at_a_time(saver: Any, conninfo: str) -> None:
    """`setup()` (creating or migrating LangGraph's tables) under an advisory lock: the workers of
    `convonet serve --workers N` start at once, and two setting up a fresh database together failed
    ("duplicate key value violates unique constraint pg_type_typname_nsp_index"; the worker exited).
    The others poll for the lock rather than block on it: LangGraph's migrations create indexes
    CONCURRENTLY, which wait for every running statement, a blocked `pg_advisory_lock` too (a deadlock)."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as lock:
        while True:
            row = await (await lock.execute("SELECT pg_try_advisory_lock(%s)", (SETUP_LOCK,))).fetchone()
            if row is not None and row[0]:
                break
            await asyncio.sleep(0.1)
        try:
            await saver.setup()
        finally:
            await lock.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
