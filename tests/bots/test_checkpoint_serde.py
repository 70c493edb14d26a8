"""The SQLite savers' serializer remembers each thread's messages (`bots.agent.serde`): what it writes must be
LangGraph's own bytes, and what it reads back must be what was written."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from bots.agent.agent import Agent
from bots.agent.checkpoint import sqlite_checkpoint_path
from bots.agent.serde import RememberingSerializer
from core import accounts
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


async def test_a_conversation_is_stored_as_langgraph_stores_it(runtime: Runtime) -> None:
    """Every checkpoint and write the agent's turns left is LangGraph's own encoding of what it reads back as,
    and the conversation reads back whole with a plain LangGraph reader."""
    if not runtime.uses_sqlite:
        pytest.skip("the PostgreSQL savers keep LangGraph's serializer")
    async with runtime.sessions() as session, session.begin():
        user = await accounts.register_user(session, email="ada@example.com", password="password123",
                                            first_name="Ada", rounds=4)
    async with Agent.open(runtime) as agent:
        conversation = agent.session(ToolContext.for_user(runtime, user.id), "thread-memo")
        for text in ("add a todo to buy milk", "what are my todos", "delete the buy milk todo", "yes",
                     "what are my todos"):
            await conversation.turn(text)
        state = await agent.graph.aget_state({"configurable": {"thread_id": "thread-memo"}})
    expected = state.values["messages"]
    assert len(expected) >= 14 and all(m.id for m in expected)
    with sqlite3.connect(sqlite_checkpoint_path(runtime.settings)) as db:
        rows = db.execute("SELECT type, checkpoint FROM checkpoints WHERE thread_id = 'thread-memo'"
                          " ORDER BY checkpoint_id").fetchall()
        writes = db.execute("SELECT type, value FROM writes WHERE thread_id = 'thread-memo'").fetchall()
    assert len(rows) >= 25
    for type_, blob in [*rows, *writes]:
        assert PLAIN.dumps_typed(PLAIN.loads_typed((type_, blob))) == (type_, blob)
    last = PLAIN.loads_typed(rows[-1])["channel_values"]["messages"]
    assert [(type(m), m.id, m.content) for m in last] == [(type(m), m.id, m.content) for m in expected]
    assert last == expected

