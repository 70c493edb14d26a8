"""The LLM fallback chain with the real OpenAI, Anthropic and Gemini clients, against local fake servers."""

from __future__ import annotations

import gc
import logging
import math
import time
from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from sqlmodel import select

from bots.agent.agent import Agent
from bots.llm.providers import AllProvidersFailed, build_chat_models, invoke_with_fallback
from core.config import Settings
from core.runtime import Runtime
from core.tools import ToolContext
from domains.productivity.models import Todo
from tests.bots.cloud_llms import ASK, StandInLocal, create_todo, llm_settings
from tests.fakes.gemini_server import FakeGeminiServer
from tests.fakes.llm_servers import (
    FakeAnthropicServer,
    FakeLLMServer,
    FakeOpenAIServer,
    Script,
)
from tests.processors.callers import register_caller

# --- tool-call round trips --------------------------------------------------------------------------


async def test_openai_tool_call_round_trip(clouds: Settings, openai_server: FakeOpenAIServer) -> None:
    name, model = build_chat_models(clouds, [create_todo], local=StandInLocal())[0]
    assert name == "openai"

    first = await model.ainvoke(ASK)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("create_todo", {"title": "buy milk"})]
    sent = openai_server.requests[0].body
    assert sent["stream"] is False
    assert [t["function"]["name"] for t in sent["tools"]] == ["create_todo"]

    call_id = first.tool_calls[0]["id"]
    assert call_id
    final = await model.ainvoke([*ASK, first, ToolMessage("created todo 'buy milk'", tool_call_id=call_id)])
    assert final.content == "Done, I added buy milk to your list."
    assert not final.tool_calls

    assert len(openai_server.requests) == 2
    history = openai_server.requests[1].body["messages"]
    assert history[-1] == {"role": "tool", "tool_call_id": call_id, "content": "created todo 'buy milk'"}
    echoed_call = history[-2]["tool_calls"][0]
    assert echoed_call["id"] == call_id
    assert echoed_call["function"] == {"name": "create_todo", "arguments": '{"title": "buy milk"}'}


async def test_anthropic_tool_call_round_trip(
    clouds: Settings, anthropic_server: FakeAnthropicServer
) -> None:
    clouds.llm_providers = ["anthropic"]
    name, model = build_chat_models(clouds, [create_todo], local=StandInLocal())[0]
    assert name == "anthropic"

    first = await model.ainvoke(ASK)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("create_todo", {"title": "buy milk"})]
    sent = anthropic_server.requests[0].body
    assert not sent.get("stream")
    assert [t["name"] for t in sent["tools"]] == ["create_todo"]
    assert anthropic_server.requests[0].headers["x-api-key"] == "sk-ant-test"

    call_id = first.tool_calls[0]["id"]
    assert call_id
    final = await model.ainvoke([*ASK, first, ToolMessage("created todo 'buy milk'", tool_call_id=call_id)])
    assert final.text == "Done, I added buy milk to your list."
    assert not final.tool_calls

    assert len(anthropic_server.requests) == 2
    history = anthropic_server.requests[1].body["messages"]
    assert history[-1]["role"] == "user"
    [result] = history[-1]["content"]
    assert result["type"] == "tool_result"
    assert result["tool_use_id"] == call_id
    assert result["content"] == "created todo 'buy milk'"
    assert history[-2]["role"] == "assistant"
    assert {
        "type": "tool_use",
        "id": call_id,
        "name": "create_todo",
        "input": {"title": "buy milk"},
    } in history[-2]["content"]


async def test_gemini_tool_call_round_trip(clouds: Settings, gemini_server: FakeGeminiServer) -> None:
    clouds.llm_providers = ["google"]
    name, model = build_chat_models(clouds, [create_todo], local=StandInLocal())[0]
    assert name == "google"

    first = await model.ainvoke(ASK)
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("create_todo", {"title": "buy milk"})]
    sent = gemini_server.requests[0]
    assert sent.path == f"/v1beta/models/{clouds.gemini_model}:generateContent"
    assert sent.query == {}
    assert sent.headers["x-goog-api-key"] == "g-test"
    # The client's own deadline is the turn budget (the SDK sends it along in whole seconds).
    assert sent.headers["x-server-timeout"] == str(math.ceil(clouds.turn_timeout_seconds))
    [declared] = sent.body["tools"]
    assert [f["name"] for f in declared["functionDeclarations"]] == ["create_todo"]
    assert sent.body["contents"] == [{"role": "user", "parts": [{"text": "add buy milk to my todo list"}]}]

    call_id = first.tool_calls[0]["id"]
    assert call_id  # Gemini sends no id; the client makes one up for LangChain's tool message
    final = await model.ainvoke([*ASK, first, ToolMessage("created todo 'buy milk'", tool_call_id=call_id)])
    assert final.text == "Done, I added buy milk to your list."
    assert not final.tool_calls

    assert len(gemini_server.requests) == 2
    history = gemini_server.requests[1].body["contents"]
    assert history[-2] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "create_todo", "args": {"title": "buy milk"}}}],
    }
    assert history[-1] == {
        "role": "user",
        "parts": [
            {"functionResponse": {"name": "create_todo", "response": {"output": "created todo 'buy milk'"}}}
        ],
    }


async def test_the_gemini_backend_comes_from_settings_not_the_environment(
    clouds: Settings, gemini_server: FakeGeminiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """google-genai switches to Vertex AI when GOOGLE_GENAI_USE_VERTEXAI is set; secrets and endpoints
    come only from settings, so the Gemini model built from them ignores it."""
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    clouds.llm_providers = ["google"]
    name, reply = await invoke_with_fallback(build_chat_models(clouds, [create_todo], local=StandInLocal()), ASK,
                                             per_model_timeout=5)
    assert name == "google" and reply.tool_calls[0]["args"] == {"title": "buy milk"}
    assert gemini_server.requests[0].headers["x-goog-api-key"] == "g-test"


# --- fallback -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("failing", "backup"), [("openai", "anthropic"), ("google", "openai")])
async def test_provider_error_hands_the_turn_to_the_next(
    failing: str,
    backup: str,
    clouds: Settings,
    servers: dict[str, FakeLLMServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clouds.llm_providers = [failing, backup]
    servers[failing].mode = "error"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())

    with caplog.at_level(logging.WARNING, logger="bots.llm.providers"):
        name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=5)

    assert name == backup
    assert reply.tool_calls[0]["args"] == {"title": "buy milk"}
    # A 500 is retryable for every SDK: one request means no client-side retries eating the budget.
    assert len(servers[failing].requests) == 1
    assert len(servers[backup].requests) == 1
    assert f"LLM {failing} failed" in caplog.text
    assert "fake upstream failure" in caplog.text  # the provider's error body was read, not a crash


@pytest.mark.parametrize(("stalled", "backup"), [("anthropic", "openai"), ("google", "anthropic")])
async def test_provider_stall_hands_the_turn_on_within_the_budget(
    stalled: str,
    backup: str,
    clouds: Settings,
    servers: dict[str, FakeLLMServer],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clouds.llm_providers = [stalled, backup]
    servers[stalled].mode = "stall"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())
    # A full garbage collection in this import-heavy process takes 0.2-0.4 s: have it now, not in
    # the half second the stalled provider's client has to send its request.
    gc.collect()

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bots.llm.providers"):
        name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)
    elapsed = time.monotonic() - started

    assert name == backup
    assert reply.tool_calls[0]["name"] == "create_todo"
    assert len(servers[stalled].requests) == 1
    assert len(servers[backup].requests) == 1
    assert elapsed < 0.5 + 2.0, f"the stalled provider held the turn for {elapsed:.1f}s"
    assert f"LLM {stalled} gave no answer within 0.5s" in caplog.text


async def test_local_answers_when_every_cloud_provider_is_down(
    clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    servers["openai"].mode = "error"
    servers["anthropic"].mode = "stall"
    servers["google"].mode = "error"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())

    name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert (name, reply.content) == ("local", "local answer")


async def test_all_failing_raises_a_clear_error(clouds: Settings, servers: dict[str, FakeLLMServer]) -> None:
    servers["openai"].mode = "error"
    servers["anthropic"].mode = "stall"
    servers["google"].mode = "stall"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal(fail=True))

    with pytest.raises(AllProvidersFailed) as caught:
        await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert [name for name, _ in caught.value.failures] == ["openai", "anthropic", "google", "local"]
    assert isinstance(caught.value.failures[1][1], TimeoutError)
    assert isinstance(caught.value.failures[2][1], TimeoutError)
    assert "no LLM provider answered" in str(caught.value)
    assert "local model broke" in str(caught.value)


# --- building the list -----------------------------------------------------------------------------


def names(settings: Settings) -> list[str]:
    return [name for name, _ in build_chat_models(settings, [create_todo], local=StandInLocal())]


def test_no_keys_leaves_only_local(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = llm_settings(tmp_path, llm_providers=["anthropic", "openai", "google"])
    with caplog.at_level(logging.INFO, logger="bots.llm.providers"):
        assert names(settings) == ["local"]
    for provider in ("anthropic", "openai", "google"):
        assert f"LLM provider {provider} skipped" in caplog.text


def test_order_is_kept_and_local_closes_the_list_once(tmp_path: Path) -> None:
    keys = {"anthropic_api_key": "a", "openai_api_key": "o", "google_api_key": "g"}
    assert names(
        llm_settings(tmp_path, llm_providers=["google", "local", "openai", "anthropic"], **keys)
    ) == [
        "google",
        "openai",
        "anthropic",
        "local",
    ]
    assert names(llm_settings(tmp_path, llm_providers=["openai", "openai"], **keys)) == ["openai", "local"]
    assert names(llm_settings(tmp_path, llm_providers=["openai", "anthropic"], openai_api_key="o")) == [
        "openai",
        "local",
    ]
    assert names(llm_settings(tmp_path)) == ["local"]


def test_unknown_provider_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mistral"):
        names(llm_settings(tmp_path, llm_providers=["mistral"]))


async def test_offline_intent_model_takes_the_turn_when_the_clouds_are_down(
    clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    pytest.importorskip("bots.llm.local")
    servers["openai"].mode = "error"
    servers["anthropic"].mode = "stall"
    servers["google"].mode = "error"
    models = build_chat_models(clouds, [create_todo])

    name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert name == "local"
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("create_todo", {"title": "buy milk"})]


# --- through the agent, against the database ---------------------------------------------------------


async def test_gemini_round_trip_through_the_agent(runtime: Runtime, settings: Settings) -> None:
    """A whole turn on Gemini alone: the real tool runs against the database and its result goes back."""
    user = await register_caller(runtime)
    script = Script(tool_args={"title": "buy milk"}, final_text="Added buy milk.")
    async with FakeGeminiServer(script) as fake:
        runtime.settings = settings.model_copy(
            update={"llm_providers": ["google"], "google_api_key": "g-test", "google_base_url": fake.base_url}
        )
        async with Agent.open(runtime) as agent:
            result = await agent.session(ToolContext.for_user(runtime, user.id)).turn(
                "add buy milk to my list"
            )

    assert result.reply == "Added buy milk."
    assert [c["provider"] for c in result.timings["llm"]] == ["google", "google"]
    assert [(c.name, c.arguments["title"]) for c in result.tool_calls] == [("create_todo", "buy milk")]
    async with runtime.sessions() as session:
        todos = (await session.exec(select(Todo))).all()
    assert [(t.title, t.creator_id) for t in todos] == [("buy milk", user.id)]

    ask, answer = fake.requests
    assert ask.headers["x-goog-api-key"] == answer.headers["x-goog-api-key"] == "g-test"
    declared = {f["name"] for tools in ask.body["tools"] for f in tools["functionDeclarations"]}
    assert {"create_todo", "get_todos"} <= declared
    assert ask.body["contents"][-1] == {"role": "user", "parts": [{"text": "add buy milk to my list"}]}
    assert "the caller's todos" in str(ask.body["systemInstruction"])  # the prompt, not a user turn
    assert answer.body["contents"][-2] == {
        "role": "model",
        "parts": [{"functionCall": {"name": "create_todo", "args": {"title": "buy milk"}}}],
    }
    [part] = answer.body["contents"][-1]["parts"]
    assert part["functionResponse"]["name"] == "create_todo"
    # The tool's own result (JSON, parsed back into the response object) names the row it stored.
    created = part["functionResponse"]["response"]["created"]
    assert (created["id"], created["title"]) == (str(todos[0].id), "buy milk")
