"""The LangGraph agent end to end with the offline intent model: tools, memory across restarts,
timeouts, broken threads and provider fallback."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from sqlmodel import select

from bots.agent.agent import APOLOGY, Agent, AgentSession
from core import accounts
from core.config import Settings
from core.metrics import Metrics
from core.monitor import TurnRecord
from core.runtime import Runtime
from core.tools import ToolContext
from domains.productivity.models import Todo
from tests.fakes.llm_servers import FakeOpenAIServer, Script


async def _user(runtime: Runtime, email: str = "ada@example.com") -> Any:
    async with runtime.sessions() as session, session.begin():
        return await accounts.register_user(session, email=email, password="password123", first_name="Ada", rounds=4)


async def _titles(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return sorted(t.title for t in (await session.exec(select(Todo))).all())


@pytest.fixture
async def session(runtime: Runtime) -> AsyncIterator[AgentSession]:
    user = await _user(runtime)
    async with Agent.open(runtime) as agent:
        yield agent.session(ToolContext.for_user(runtime, user.id), "thread-test")


async def test_turn_calls_the_tool_and_speaks_the_result(session: AgentSession, runtime: Runtime) -> None:
    result = await session.turn("create a todo to buy milk")
    assert [c.name for c in result.tool_calls] == ["create_todo"]
    assert result.tool_calls[0].arguments["title"] == "buy milk"
    assert result.domain == "productivity"
    assert "buy milk" in result.reply.lower()
    assert "*" not in result.reply and "#" not in result.reply
    assert await _titles(runtime) == ["buy milk"]
    listing = await session.turn("what are my todos")
    assert [c.name for c in listing.tool_calls] == ["get_todos"]
    assert "buy milk" in listing.reply.lower()
    assert listing.timings["total_ms"] > 0 and listing.timings["llm"][0]["provider"] == "local"


async def test_a_turn_as_json_lists_each_tool_call_as_before(session: AgentSession) -> None:
    """`convonet say` and the assistant API print a turn's tool calls with these keys, in this order."""
    result = await session.turn("create a todo to buy milk")
    [call] = json.loads(json.dumps(result.as_json(), default=str))["tool_calls"]
    assert list(call) == ["name", "arguments", "ok", "error", "elapsed_ms", "result"]
    assert (call["name"], call["arguments"], call["ok"], call["error"]) == ("create_todo", {"title": "buy milk"}, True, None)
    assert call["elapsed_ms"] == round(result.tool_calls[0].elapsed_ms, 2)
    assert call["result"] == result.tool_calls[0].result and "buy milk" in json.dumps(call["result"])


async def test_routes_to_each_domain(session: AgentSession) -> None:
    for text, domain, tool in (
        ("book a table for two tomorrow at seven pm", "restaurant", "create_reservation"),
        ("start a mortgage application", "mortgage", "start_mortgage_application"),
        ("I want to talk to a person", "transfer", "transfer_to_agent"),
    ):
        result = await session.turn(text)
        assert (result.domain, [c.name for c in result.tool_calls]) == (domain, [tool]), result.reply
    assert result.transfer is not None and result.transfer.department == "support"
    assert result.as_json()["transfer"]["department"] == "support"


async def test_conversation_survives_a_restart(settings: Settings, runtime: Runtime) -> None:
    user = await _user(runtime)
    async with Agent.open(runtime) as agent:
        first = await agent.session(ToolContext.for_user(runtime, user.id), "thread-restart").turn("create a todo")
        assert first.tool_calls == [] and "?" in first.reply  # it asks what the todo should say
    # a new process: new runtime, new agent, same thread id
    second_runtime = Runtime.build(settings)
    try:
        async with Agent.open(second_runtime) as agent:
            session = agent.session(ToolContext.for_user(second_runtime, user.id), "thread-restart")
            answer = await session.turn("call the plumber")
        assert [c.name for c in answer.tool_calls] == ["create_todo"]
        assert await _titles(second_runtime) == ["call the plumber"]
    finally:
        await second_runtime.close()


async def test_broken_tool_sequence_resets_the_thread(session: AgentSession) -> None:
    config = {"configurable": {"thread_id": session.thread_id}}
    dangling = AIMessage("", tool_calls=[{"name": "get_todos", "args": {}, "id": "call_lost", "type": "tool_call"}])
    await session.agent.graph.aupdate_state(config, {"messages": [dangling]}, as_node="assistant")
    old = session.thread_id
    result = await session.turn("what are my todos")
    assert result.reset is True and session.thread_id != old
    assert [c.name for c in result.tool_calls] == ["get_todos"]


async def test_a_broken_threads_dangling_call_is_never_carried_out(session: AgentSession, runtime: Runtime) -> None:
    config = {"configurable": {"thread_id": session.thread_id}}
    dangling = AIMessage("", tool_calls=[{"name": "create_todo", "args": {"title": "ghost"}, "id": "call_lost",
                                          "type": "tool_call"}])
    await session.agent.graph.aupdate_state(config, {"messages": [dangling]}, as_node="assistant")
    result = await session.turn("add a todo to buy milk")
    assert result.reset is True and [c.name for c in result.tool_calls] == ["create_todo"]
    assert await _titles(runtime) == ["buy milk"]
    assert len((await session.agent.graph.aget_state({"configurable": {"thread_id": session.thread_id}})
                ).values["messages"]) == 4  # the fresh thread holds this turn only


async def test_stalled_provider_times_out_resets_and_apologises(runtime: Runtime, settings: Settings) -> None:
    user = await _user(runtime)
    async with FakeOpenAIServer(mode="stall") as fake:
        slow = settings.model_copy(
            update={"llm_providers": ["openai"], "openai_api_key": "sk-test", "openai_base_url": fake.base_url,
                    "llm_timeout_seconds": 5.0, "turn_timeout_seconds": 0.5}
        )
        runtime.settings = slow
        async with Agent.open(runtime) as agent:
            session = agent.session(ToolContext.for_user(runtime, user.id), "thread-slow")
            result = await session.turn("create a todo to buy milk")
    assert result.reply == APOLOGY
    assert result.reset is True and session.thread_id != "thread-slow"
    assert await _titles(runtime) == []


async def test_failing_provider_hands_the_turn_to_the_next(runtime: Runtime, settings: Settings) -> None:
    user = await _user(runtime)
    async with FakeOpenAIServer(Script(), mode="error") as fake:
        runtime.settings = settings.model_copy(
            update={"llm_providers": ["openai", "local"], "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        async with Agent.open(runtime) as agent:
            result = await agent.session(ToolContext.for_user(runtime, user.id)).turn("create a todo to water the plants")
        assert fake.requests, "the OpenAI client was tried first"
    assert result.timings["llm"][0]["provider"] == "local"
    assert result.timings["llm"][0]["failover_from"] == "openai"  # what the failover metric counts
    assert await _titles(runtime) == ["water the plants"]
    metrics = Metrics()
    metrics.turn(TurnRecord(turn=1, channel="phone", completed=True, agent_timings=result.timings))
    labels = {"kind": "llm", "from_provider": "openai", "to_provider": "local"}
    assert metrics.registry.get_sample_value("convonet_provider_failovers_total", labels) == len(result.timings["llm"])


async def test_openai_provider_round_trip_through_the_graph(runtime: Runtime, settings: Settings) -> None:
    user = await _user(runtime)
    async with FakeOpenAIServer(Script(tool_args={"title": "buy milk"}, final_text="Added buy milk.")) as fake:
        runtime.settings = settings.model_copy(
            update={"llm_providers": ["openai"], "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        async with Agent.open(runtime) as agent:
            result = await agent.session(ToolContext.for_user(runtime, user.id)).turn("add buy milk to my list")
    assert result.reply == "Added buy milk."
    assert [c["provider"] for c in result.timings["llm"]] == ["openai", "openai"]
    assert await _titles(runtime) == ["buy milk"]


async def test_two_sentences_at_once_on_one_thread_are_answered_in_turn(runtime: Runtime) -> None:
    user = await _user(runtime, "twice@example.com")
    thread = f"thread-twice-{uuid.uuid4().hex}"  # the PostgreSQL checkpoints outlive a run on the same server
    async with Agent.open(runtime) as agent:
        first = agent.session(ToolContext.for_user(runtime, user.id), thread)
        second = agent.session(ToolContext.for_user(runtime, user.id), thread)  # a second tab
        results = await asyncio.gather(first.turn("add a todo to buy milk"), second.turn("add a todo to call mom"))
        assert not any(r.reset for r in results)
        state = await agent.graph.aget_state({"configurable": {"thread_id": thread}})
    said = [m.content for m in state.values["messages"] if isinstance(m, HumanMessage)]
    assert sorted(said) == ["add a todo to buy milk", "add a todo to call mom"]  # neither overwrote the other
    assert await _titles(runtime) == ["buy milk", "call mom"]


async def test_the_sentence_is_routed_off_the_event_loop(session: AgentSession, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a sentence is model inference (milliseconds of CPU): never on the loop that carries the calls' audio."""
    import threading

    import bots.agent.graph as graph

    threads: list[int] = []
    real = graph.route

    def watched(*args: Any) -> str:
        threads.append(threading.get_ident())
        return real(*args)

    monkeypatch.setattr(graph, "route", watched)
    result = await session.turn("create a todo to buy milk")
    assert result.domain == "productivity"
    assert threads and threading.get_ident() not in threads
