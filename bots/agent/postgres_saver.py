"""LangGraph's PostgreSQL saver with the serializer that remembers each conversation's messages
(`bots.agent.serde`): a turn encodes and decodes only its new messages, where the stock saver encoded the whole
history at each step that added one and decoded it at each read. The rows are the stock saver's, byte for byte:
either saver reads what the other wrote."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
)
from langgraph.checkpoint.postgres import _ainternal
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from bots.agent.serde import RememberingSerializer


class RememberingPostgresSaver(AsyncPostgresSaver):
    """`AsyncPostgresSaver` whose reads and writes of a thread remember that thread's messages. It encodes on
    `asyncio.to_thread` and decodes on the event loop, both within the call, so the memo follows the call's
    context (`RememberingSerializer.for_thread`). `alist` (history, not a turn's path) reads as LangGraph does."""

    def __init__(self, conn: _ainternal.Conn, serde: RememberingSerializer | None = None) -> None:
        super().__init__(conn, serde=serde or RememberingSerializer())

    @property
    def memo(self) -> RememberingSerializer:
        # `with_allowlist` (strict msgpack) gives a clone another serializer: the memo is always the current one
        return cast(RememberingSerializer, self.serde)

    def _remembering(self, config: RunnableConfig, *, whole: bool = False) -> AbstractContextManager[None]:
        thread_id = config.get("configurable", {}).get("thread_id")
        if thread_id is None:
            return nullcontext()
        return self.memo.for_thread(str(thread_id), whole=whole)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        # the thread's latest checkpoint is its whole state (a turn starts by reading it): what it does not hold
        # is forgotten. A write is never whole: it holds only the channels that changed (the step that writes
        # the input holds the new message, not the conversation).
        latest = not get_checkpoint_id(config) and not config["configurable"].get("checkpoint_ns")
        with self._remembering(config, whole=latest):
            return await super().aget_tuple(config)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        with self._remembering(config):
            return await super().aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        with self._remembering(config):
            await super().aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.memo.forget(str(thread_id))
        await super().adelete_thread(thread_id)
