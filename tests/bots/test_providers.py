"""The LLM fallback chain with the real OpenAI and Anthropic clients, against local fake servers."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool

from bots.llm.providers import AllProvidersFailed, build_chat_models, invoke_with_fallback
from core.config import Settings
from tests.fakes.llm_servers import FakeAnthropicServer, FakeOpenAIServer

ASK = [HumanMessage("add buy milk to my todo list")]


@tool
async def create_todo(title: str) -> str:
    """Add a todo with this title to the caller's list."""
    return f"created todo {title!r}"


class StandInLocal(BaseChatModel):
    """Stands in for the offline intent model so these tests don't depend on its grammar."""

    reply: str = "local answer"
    fail: bool = False

    @property
    def _llm_type(self) -> str:
        return "stand-in-local"

    def bind_tools(self, tools: Any, **kwargs: Any) -> StandInLocal:  # type: ignore[override]
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.fail:
            raise RuntimeError("local model broke")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop)


def llm_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"environment": "development", "data_dir": tmp_path, "_env_file": None}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAIServer]:
    async with FakeOpenAIServer() as server:
        yield server


@pytest.fixture
async def anthropic_server() -> AsyncIterator[FakeAnthropicServer]:
    async with FakeAnthropicServer() as server:
        yield server


@pytest.fixture
def both(tmp_path: Path, openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer) -> Settings:
    """Both cloud providers configured against the fakes, OpenAI first."""
    return llm_settings(
        tmp_path,
        llm_providers=["openai", "anthropic"],
        openai_api_key="sk-test",
        openai_base_url=openai_server.base_url,
        anthropic_api_key="sk-ant-test",
        anthropic_base_url=anthropic_server.base_url,
    )


# --- tool-call round trips --------------------------------------------------------------------------


async def test_openai_tool_call_round_trip(both: Settings, openai_server: FakeOpenAIServer) -> None:
    name, model = build_chat_models(both, [create_todo], local=StandInLocal())[0]
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


async def test_anthropic_tool_call_round_trip(both: Settings, anthropic_server: FakeAnthropicServer) -> None:
    both.llm_providers = ["anthropic"]
    name, model = build_chat_models(both, [create_todo], local=StandInLocal())[0]
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


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_streamed_tool_call_round_trip(
    provider: str,
    both: Settings,
    openai_server: FakeOpenAIServer,
    anthropic_server: FakeAnthropicServer,
) -> None:
    """LangGraph's message streaming makes the clients ask for SSE; the tool call must survive it."""
    both.llm_providers = [provider]
    server = openai_server if provider == "openai" else anthropic_server
    _, model = build_chat_models(both, [create_todo], local=StandInLocal())[0]

    first: AIMessageChunk | None = None
    async for chunk in model.astream(ASK):
        assert isinstance(chunk, AIMessageChunk)
        first = chunk if first is None else first + chunk
    assert first is not None
    assert server.requests[0].body["stream"] is True
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("create_todo", {"title": "buy milk"})]

    reply = ToolMessage("created todo 'buy milk'", tool_call_id=first.tool_calls[0]["id"])
    text = ""
    async for chunk in model.astream([*ASK, first, reply]):
        text += chunk.text
    assert text == "Done, I added buy milk to your list."


# --- fallback -----------------------------------------------------------------------------------


async def test_openai_error_hands_the_turn_to_anthropic(
    both: Settings,
    openai_server: FakeOpenAIServer,
    anthropic_server: FakeAnthropicServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    openai_server.mode = "error"
    models = build_chat_models(both, [create_todo], local=StandInLocal())

    with caplog.at_level(logging.WARNING, logger="bots.llm.providers"):
        name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=5)

    assert name == "anthropic"
    assert reply.tool_calls[0]["args"] == {"title": "buy milk"}
    assert len(openai_server.requests) == 1  # no client-side retries eating the budget
    assert len(anthropic_server.requests) == 1
    assert "LLM openai failed" in caplog.text


async def test_anthropic_stall_hands_the_turn_on_within_the_budget(
    both: Settings,
    openai_server: FakeOpenAIServer,
    anthropic_server: FakeAnthropicServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    both.llm_providers = ["anthropic", "openai"]
    anthropic_server.mode = "stall"
    models = build_chat_models(both, [create_todo], local=StandInLocal())

    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bots.llm.providers"):
        name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)
    elapsed = time.monotonic() - started

    assert name == "openai"
    assert reply.tool_calls[0]["name"] == "create_todo"
    assert len(anthropic_server.requests) == 1
    assert elapsed < 0.5 + 2.0, f"the stalled provider held the turn for {elapsed:.1f}s"
    assert "LLM anthropic gave no answer within 0.5s" in caplog.text


async def test_local_answers_when_every_cloud_provider_is_down(
    both: Settings, openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer
) -> None:
    openai_server.mode = "error"
    anthropic_server.mode = "stall"
    models = build_chat_models(both, [create_todo], local=StandInLocal())

    name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert (name, reply.content) == ("local", "local answer")


async def test_all_failing_raises_a_clear_error(
    both: Settings, openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer
) -> None:
    openai_server.mode = "error"
    anthropic_server.mode = "stall"
    models = build_chat_models(both, [create_todo], local=StandInLocal(fail=True))

    with pytest.raises(AllProvidersFailed) as caught:
        await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert [name for name, _ in caught.value.failures] == ["openai", "anthropic", "local"]
    assert isinstance(caught.value.failures[1][1], TimeoutError)
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
    both: Settings, openai_server: FakeOpenAIServer, anthropic_server: FakeAnthropicServer
) -> None:
    pytest.importorskip("bots.llm.local")
    openai_server.mode = "error"
    anthropic_server.mode = "stall"
    models = build_chat_models(both, [create_todo])

    name, reply = await invoke_with_fallback(models, ASK, per_model_timeout=0.5)

    assert name == "local"
    assert [(c["name"], c["args"]) for c in reply.tool_calls] == [("create_todo", {"title": "buy milk"})]
