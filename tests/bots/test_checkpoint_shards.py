"""The checkpointer spreads the calls' threads over several savers of one database, so one call's
checkpoint reads and writes do not wait behind every other call's (LangGraph's savers each hold one lock)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint

from bots.agent.checkpoint import ShardedCheckpointer, ThreadedSqliteSaver, open_checkpointer
from core.config import Settings


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}


async def test_each_thread_reads_back_what_it_wrote_across_a_restart(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    threads = [f"thread-{i}" for i in range(12)]
    async with open_checkpointer(settings) as saver:
        assert isinstance(saver, ShardedCheckpointer)
        assert len({id(saver.shard(t)) for t in threads}) > 1  # the threads are spread
        for i, thread in enumerate(threads):
            await saver.aput(_config(thread), {**empty_checkpoint(), "id": f"cp-{i}"}, {"step": i}, {})
    async with open_checkpointer(settings) as saver:  # new connections, as after a restart
        for i, thread in enumerate(threads):
            found = await saver.aget_tuple(_config(thread))
            assert found is not None and found.checkpoint["id"] == f"cp-{i}"
        await saver.adelete_thread(threads[0])
        assert await saver.aget_tuple(_config(threads[0])) is None
        assert [t.config["configurable"]["thread_id"] async for t in saver.alist(_config(threads[1]))] == [threads[1]]


async def test_a_thread_does_not_wait_for_another_savers_work(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    async with open_checkpointer(settings) as saver:
        assert isinstance(saver, ShardedCheckpointer)
        busy = "thread-busy"
        other = next(t for t in (f"thread-{i}" for i in range(100)) if saver.shard(t) is not saver.shard(busy))
        busy_saver = saver.shard(busy)
        assert isinstance(busy_saver, ThreadedSqliteSaver)
        with busy_saver.saver.lock:  # a slow read or write in flight on one saver
            await asyncio.wait_for(saver.aput(_config(other), empty_checkpoint(), {}, {}), 5)
            assert await asyncio.wait_for(saver.aget_tuple(_config(other)), 5) is not None
            waiting = asyncio.ensure_future(saver.aget_tuple(_config(busy)))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # a thread on the busy saver waits its turn
        assert await asyncio.wait_for(waiting, 5) is None
