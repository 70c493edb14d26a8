"""The checkpoint savers' serializer remembers each thread's messages (`bots.agent.serde`): what it writes must be
LangGraph's own bytes (a stock LangGraph saver reads it, and we read what one wrote), and what it reads back
must be what was written. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    empty_checkpoint,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, MessagesState, StateGraph
from psycopg.rows import dict_row
from sqlalchemy import text

from bots.agent.agent import Agent
from bots.agent.checkpoint import open_checkpointer, postgres_conninfo, sqlite_checkpoint_path
from bots.agent.serde import RememberingSerializer
from core import accounts
from core.config import Settings
from core.runtime import Runtime
from core.tools import ToolContext

PLAIN = JsonPlusSerializer()


def _state(messages: list[Any]) -> dict[str, Any]:
    return {"v": 4, "id": "cp", "channel_values": {"messages": messages, "domain": "productivity"}}


def test_a_message_whose_id_changed_is_written_with_its_new_id() -> None:
    memo = RememberingSerializer()
    said = HumanMessage("add a todo to buy milk", id="first")
    with memo.for_thread("t", whole=True):
        assert memo.dumps_typed(_state([said])) == PLAIN.dumps_typed(_state([said]))
    said.id = "second"
    with memo.for_thread("t", whole=True):
        assert memo.dumps_typed(_state([said])) == PLAIN.dumps_typed(_state([said]))
        assert PLAIN.loads_typed(memo.dumps_typed(_state([said])))["channel_values"]["messages"][0].id == "second"


def test_reading_back_gives_what_the_bytes_decode_to_and_the_same_objects_for_the_same_bytes() -> None:
    memo = RememberingSerializer()
    pending = {"kind": "confirm", "tool": "delete_todo", "choices": ("t1", "t2")}  # a tuple reads back as a list
    call = AIMessage("", id="a1", tool_calls=[{"name": "get_todos", "args": {}, "id": "c1", "type": "tool_call"}])
    history = [HumanMessage("what are my todos", id="h1"), call, ToolMessage("[]", tool_call_id="c1", id="t1"),
               AIMessage("Which one?", id="a2", additional_kwargs={"convonet_pending": pending})]
    with memo.for_thread("t", whole=True):
        written = memo.dumps_typed(_state(history))
    assert written == PLAIN.dumps_typed(_state(history))
    with memo.for_thread("t"):
        read = memo.loads_typed(written)["channel_values"]["messages"]
        again = memo.loads_typed(written)["channel_values"]["messages"]
    plain = PLAIN.loads_typed(written)["channel_values"]["messages"]
    assert read == plain and read[3].additional_kwargs["convonet_pending"]["choices"] == ["t1", "t2"]
    assert all(a is b for a, b in zip(read, again, strict=True))  # decoded once
    assert all(a is not b for a, b in zip(read, history, strict=True))  # never the objects written
    with memo.for_thread("t", whole=True):  # what was read back is written without encoding it again
        assert memo.dumps_typed(_state([*read, HumanMessage("thanks", id="h2")])) == PLAIN.dumps_typed(
            _state([*history, HumanMessage("thanks", id="h2")]))
    with memo.for_thread("another thread"):  # another thread's reader builds its own
        assert all(a is not b for a, b in zip(memo.loads_typed(written)["channel_values"]["messages"], read,
                                               strict=True))
    with memo.for_thread("t", whole=True):  # a checkpoint without the first messages: they are forgotten
        memo.dumps_typed(_state(read[2:]))
    with memo.for_thread("t"):
        last = memo.loads_typed(written)["channel_values"]["messages"]
    assert last == plain and last[0] is not read[0] and last[2] is read[2]


def test_it_remembers_a_bounded_number_of_threads() -> None:
    memo = RememberingSerializer(threads=2)
    message = HumanMessage("hello", id="h1")
    for thread in ("a", "b", "c"):
        with memo.for_thread(thread, whole=True):
            memo.dumps_typed(_state([message]))
    assert list(memo._memos) == ["b", "c"]
    memo.forget("b")
    assert list(memo._memos) == ["c"]


@asynccontextmanager
async def stock_saver(runtime: Runtime) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """LangGraph's own saver with its own serializer, on the database the agent's checkpointer writes to."""
    if runtime.uses_sqlite:
        with sqlite3.connect(sqlite_checkpoint_path(runtime.settings), check_same_thread=False) as db:
            yield AsyncSqliteSaverOnThread(SqliteSaver(db, serde=JsonPlusSerializer()))
        return
    async with await psycopg.AsyncConnection.connect(
            postgres_conninfo(runtime.settings.effective_database_url), autocommit=True, prepare_threshold=0,
            row_factory=dict_row) as conn:
        yield AsyncPostgresSaver(conn, serde=JsonPlusSerializer())


class AsyncSqliteSaverOnThread(BaseCheckpointSaver[str]):
    """The stock synchronous SQLite saver, called through `asyncio.to_thread` (its aiosqlite sibling needs a
    connection of its own kind)."""

    def __init__(self, saver: SqliteSaver) -> None:
        super().__init__(serde=saver.serde)
        self.saver = saver

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await asyncio.to_thread(self.saver.get_tuple, config)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        return await asyncio.to_thread(self.saver.put, config, checkpoint, metadata, new_versions)


async def _stored(runtime: Runtime, thread: str) -> tuple[int, list[tuple[str, bytes]]]:
    """How many checkpoints `thread` has, and every encoded value stored for it (checkpoints or channel values,
    and pending writes), as (type, bytes)."""
    if runtime.uses_sqlite:
        with sqlite3.connect(sqlite_checkpoint_path(runtime.settings)) as db:
            rows = db.execute("SELECT type, checkpoint FROM checkpoints WHERE thread_id = ?", (thread,)).fetchall()
            writes = db.execute("SELECT type, value FROM writes WHERE thread_id = ?", (thread,)).fetchall()
        return len(rows), [*rows, *writes]
    async with runtime.engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM checkpoints WHERE thread_id = :t"),
                                    {"t": thread})).scalar_one()
        blobs = (await conn.execute(text("SELECT type, blob FROM checkpoint_blobs WHERE thread_id = :t"
                                         " AND blob IS NOT NULL"), {"t": thread})).all()
        writes = (await conn.execute(text("SELECT type, blob FROM checkpoint_writes WHERE thread_id = :t"),
                                     {"t": thread})).all()
    return count, [(type_, bytes(blob)) for type_, blob in [*blobs, *writes]]


def _config(thread: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}


async def test_a_conversation_is_stored_as_langgraph_stores_it(runtime: Runtime) -> None:
    """Every checkpoint and write the agent's turns left is LangGraph's own encoding of what it reads back as;
    LangGraph's own saver reads the conversation back whole, and a conversation it wrote goes on with ours."""
    async with runtime.sessions() as session, session.begin():
        user = await accounts.register_user(session, email="ada@example.com", password="password123",
                                            first_name="Ada", rounds=4)
    thread, theirs = f"thread-memo-{uuid.uuid4().hex}", f"thread-stock-{uuid.uuid4().hex}"
    ctx = ToolContext.for_user(runtime, user.id)
    async with Agent.open(runtime) as agent:
        conversation = agent.session(ctx, thread)
        for text_ in ("add a todo to buy milk", "what are my todos", "delete the buy milk todo", "yes",
                      "add a todo to call the bank"):
            await conversation.turn(text_)
        expected = (await agent.graph.aget_state(_config(thread))).values["messages"]
        assert len(expected) >= 14 and all(m.id for m in expected)
        checkpoints, stored = await _stored(runtime, thread)
        assert checkpoints >= 25 and len(stored) >= 25
        for type_, blob in stored:
            assert PLAIN.dumps_typed(PLAIN.loads_typed((type_, blob))) == (type_, blob)

        async with stock_saver(runtime) as stock:
            found = await stock.aget_tuple(_config(thread))
            assert found is not None
            read = found.checkpoint["channel_values"]["messages"]
            assert [(type(m), m.id, m.content) for m in read] == [(type(m), m.id, m.content) for m in expected]
            assert read == expected
            await stock.aput(_config(theirs), found.checkpoint, found.metadata, found.checkpoint["channel_versions"])

        reply = await agent.session(ctx, theirs).turn("what are my todos")
        assert "call the bank" in reply.reply
        going_on = (await agent.graph.aget_state(_config(theirs))).values["messages"]
        assert going_on[:len(expected)] == expected and len(going_on) > len(expected)


@pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)
async def test_postgresql_decodes_a_thread_once_and_writes_langgraphs_bytes(runtime: Runtime) -> None:
    """The PostgreSQL savers remember each thread's messages as the SQLite ones do: reading a thread again gives
    the messages already decoded, and the rows hold LangGraph's own bytes."""
    thread = f"thread-pg-{uuid.uuid4().hex}"
    history = [HumanMessage("what are my todos", id="h1"), AIMessage("You have none.", id="a1")]
    async with open_checkpointer(runtime.settings) as saver:
        version = saver.get_next_version(None, None)
        checkpoint = {**empty_checkpoint(), "id": "cp-1", "channel_values": {"messages": history},
                      "channel_versions": {"messages": version}}
        await saver.aput(_config(thread), checkpoint, {}, {"messages": version})  # type: ignore[arg-type]
        first = await saver.aget_tuple(_config(thread))
        again = await saver.aget_tuple(_config(thread))
        assert first is not None and again is not None
        read = first.checkpoint["channel_values"]["messages"]
        assert read == history and all(a is not b for a, b in zip(read, history, strict=True))
        assert all(a is b for a, b in zip(read, again.checkpoint["channel_values"]["messages"], strict=True))

        said = [*read, HumanMessage("thanks", id="h2")]
        version = saver.get_next_version(version, None)
        checkpoint = {**empty_checkpoint(), "id": "cp-2", "channel_values": {"messages": said},
                      "channel_versions": {"messages": version}}
        await saver.aput({"configurable": {**_config(thread)["configurable"], "checkpoint_id": "cp-1"}},
                         checkpoint, {}, {"messages": version})  # type: ignore[arg-type]
        latest = await saver.aget_tuple(_config(thread))
        assert latest is not None
        assert latest.checkpoint["channel_values"]["messages"][:2] == read
        assert all(a is b for a, b in zip(latest.checkpoint["channel_values"]["messages"], read, strict=False))
    _, stored = await _stored(runtime, thread)
    assert sorted(stored) == sorted([PLAIN.dumps_typed(history), PLAIN.dumps_typed([*history, said[2]])])


async def test_a_turn_encodes_and_builds_only_its_new_messages(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """On a long conversation a turn's checkpoint writes encode, and its read builds, the turn's own few
    messages, not the conversation (LangGraph's serializer: every message at each write and each read)."""

    def reply(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(f"heard {len(state['messages'])}", id=f"a{len(state['messages'])}")]}

    builder = StateGraph(MessagesState)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    config: RunnableConfig = {"configurable": {"thread_id": f"thread-long-{uuid.uuid4().hex}"}}
    async with open_checkpointer(settings) as saver:
        graph = builder.compile(checkpointer=saver)
        for i in range(30):
            await graph.ainvoke({"messages": [HumanMessage(f"say {i}", id=f"h{i}")]}, config)
        dumped, built = [], []
        model_dump, init = BaseMessage.model_dump, BaseMessage.__init__

        def counting_dump(self: BaseMessage, *args: Any, **kwargs: Any) -> Any:
            dumped.append(self.id)
            return model_dump(self, *args, **kwargs)

        def counting_init(self: BaseMessage, *args: Any, **kwargs: Any) -> None:
            built.append(kwargs.get("id"))
            init(self, *args, **kwargs)

        monkeypatch.setattr(BaseMessage, "model_dump", counting_dump)
        monkeypatch.setattr(BaseMessage, "__init__", counting_init)
        state = await graph.ainvoke({"messages": [HumanMessage("say more", id="h-last")]}, config)
        monkeypatch.undo()
    assert len(state["messages"]) == 62
    assert set(dumped) <= {"h-last", "a61"} and set(built) <= {"h-last", "a61"}, (len(dumped), len(built))
