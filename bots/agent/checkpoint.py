"""The checkpointer that keeps each thread's conversation: SQLite beside the SQLite database,
PostgreSQL in the PostgreSQL database. A conversation survives a process restart.

LangGraph's savers hold one lock around every read and write (the PostgreSQL one too, over a pool), so
a process's calls took turns at the database: at 20 cloud calls a turn's checkpoint read waited 157 ms
(p50, 1 s p95) and the agent's turn took 0.9 s instead of 20 ms. `ShardedCheckpointer` spreads the
threads over `CHECKPOINT_SHARDS` savers on the same database (each its own lock; SQLite: its own
connection, PostgreSQL: the shared pool), a thread always on the same one. Each saver's serializer remembers
its threads' messages (`bots.agent.serde`), so a turn encodes and decodes only its new ones. A SQLite saver is LangGraph's
synchronous one on a thread of its own (`ThreadedSqliteSaver`): each read or write is one hop to that
thread and back, where the aiosqlite saver made 3-5 (cursor, execute, fetch, close, commit), each a turn
of the event loop; at 20 offline calls on a busy loop those hops were half of the agent's turn.
"""

from __future__ import annotations

import asyncio
import copy
import sqlite3
import zlib
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
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
from sqlalchemy.engine import make_url

from bots.agent.serde import RememberingSerializer
from core.config import Settings
from core.db import is_sqlite


def sqlite_checkpoint_path(settings: Settings) -> Path:
    database = make_url(settings.effective_database_url).database or str(settings.data_dir / "convonet.db")
    main = Path(database)
    return main.with_name(main.stem + "-checkpoints.db")


def postgres_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


CHECKPOINT_SHARDS = 8
"""Savers per process, each with its own lock: how many calls' checkpoint reads and writes run at once."""


class ShardedCheckpointer(BaseCheckpointSaver[Any]):
    """One checkpointer over several savers of the same database: each thread's reads and writes go to
    the saver its id hashes to, so one call's turn no longer waits for every other call's."""

    def __init__(self, shards: Sequence[BaseCheckpointSaver[Any]]) -> None:
        if not shards:
            raise ValueError("a sharded checkpointer needs at least one saver")
        super().__init__(serde=shards[0].serde)
        self.shards = list(shards)

    def shard(self, thread_id: str) -> BaseCheckpointSaver[Any]:
        return self.shards[zlib.crc32(thread_id.encode()) % len(self.shards)]

    def _for(self, config: RunnableConfig) -> BaseCheckpointSaver[Any]:
        return self.shard(str(config.get("configurable", {}).get("thread_id", "")))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._for(config).aget_tuple(config)

    async def alist(self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
                    before: RunnableConfig | None = None, limit: int | None = None) -> AsyncIterator[CheckpointTuple]:
        saver = self._for(config) if config is not None else self.shards[0]  # all on the same tables
        async for item in saver.alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        return await self._for(config).aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        await self._for(config).aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.shard(thread_id).adelete_thread(thread_id)

    def get_next_version(self, current: Any, channel: None) -> Any:
        return self.shards[0].get_next_version(current, channel)

    def with_allowlist(self, extra_allowlist: Collection[tuple[str, ...]]) -> BaseCheckpointSaver[Any]:
        """LangGraph's strict msgpack (`LANGGRAPH_STRICT_MSGPACK`): compiling the graph adds its state's types
        to the checkpointer's allowlist. Every shard gets them (LangGraph's own `with_allowlist` would give
        this object a new serializer and leave the shards, who do the reading, as they were)."""
        shards = [shard.with_allowlist(extra_allowlist) for shard in self.shards]
        if all(new is old for new, old in zip(shards, self.shards, strict=True)):
            return self
        return ShardedCheckpointer(shards)


class ThreadedSqliteSaver(BaseCheckpointSaver[str]):
    """LangGraph's synchronous SQLite saver with a connection and a thread of its own: every read or write
    runs whole on that thread, one hop from the event loop and back."""

    def __init__(self, path: Path) -> None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(path, check_same_thread=False)  # only ever used from `self._thread`
        self.memo = RememberingSerializer()
        self.saver = SqliteSaver(conn, serde=self.memo)
        super().__init__(serde=self.saver.serde)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoints")

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def _for_thread(self, config: RunnableConfig | None, fn: Callable[..., Any], *args: Any,
                          whole: bool = False) -> Any:
        """`fn(*args)` on the saver's thread, its serializer remembering the messages of `config`'s thread."""
        thread_id = (config or {}).get("configurable", {}).get("thread_id")
        if thread_id is None:
            return await self._run(fn, *args)

        def remembering() -> Any:
            with self.memo.for_thread(str(thread_id), whole=whole):
                return fn(*args)

        return await self._run(remembering)

    def _open(self) -> None:
        self.saver.conn.execute("PRAGMA journal_mode=WAL")
        self.saver.conn.execute("PRAGMA synchronous=NORMAL")  # no fsync a commit: a crash loses nothing, a power cut the last turns
        self.saver.setup()  # CREATE TABLE IF NOT EXISTS

    async def open(self) -> None:
        await self._run(self._open)

    async def close(self) -> None:
        await self._run(self.saver.conn.close)
        self._thread.shutdown(wait=True)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        found: CheckpointTuple | None = await self._for_thread(config, self.saver.get_tuple, config)
        return found

    async def alist(self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
                    before: RunnableConfig | None = None, limit: int | None = None) -> AsyncIterator[CheckpointTuple]:
        def listed() -> list[CheckpointTuple]:
            return list(self.saver.list(config, filter=filter, before=before, limit=limit))

        for item in await self._for_thread(config, listed):
            yield item

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        saved: RunnableConfig = await self._for_thread(config, self.saver.put, config, checkpoint, metadata,
                                                       new_versions, whole=not config["configurable"].get("checkpoint_ns"))
        return saved

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        await self._for_thread(config, self.saver.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.memo.forget(thread_id)
        await self._run(self.saver.delete_thread, thread_id)

    def get_next_version(self, current: str | None, channel: None) -> str:
        version: str = self.saver.get_next_version(current, channel)
        return version

    def with_allowlist(self, extra_allowlist: Collection[tuple[str, ...]]) -> ThreadedSqliteSaver:
        """The strict-msgpack clone (see `ShardedCheckpointer.with_allowlist`): the saver that reads and writes,
        on the same connection and thread, with the serializer that allows `extra_allowlist` too."""
        memo = self.memo.with_msgpack_allowlist(extra_allowlist)
        if memo is self.memo or not isinstance(memo, RememberingSerializer):
            return self
        clone = copy.copy(self)
        clone.memo, clone.serde = memo, memo
        clone.saver = copy.copy(self.saver)  # its connection and lock, a new serializer
        clone.saver.serde = memo
        return clone


@asynccontextmanager
async def open_checkpointer(settings: Settings, shards: int = CHECKPOINT_SHARDS
                            ) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    url = settings.effective_database_url
    if is_sqlite(url):
        path = sqlite_checkpoint_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        async with AsyncExitStack() as stack:
            savers = []
            for _ in range(shards):  # one connection each; SQLite waits (up to 5 s) for another's write
                saver = ThreadedSqliteSaver(path)
                stack.push_async_callback(saver.close)
                await saver.open()  # one after another: CREATE TABLE IF NOT EXISTS
                savers.append(saver)
            yield ShardedCheckpointer(savers)
        return

    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    from bots.agent.postgres_saver import RememberingPostgresSaver

    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        postgres_conninfo(url),
        min_size=1,
        max_size=settings.database_pool_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=False,
    )
    await pool.open()
    try:
        pg_savers = [RememberingPostgresSaver(pool) for _ in range(shards)]
        await _set_up_one_at_a_time(pg_savers[0], postgres_conninfo(url))  # the tables, once
        yield ShardedCheckpointer(pg_savers)
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
