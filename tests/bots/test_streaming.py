"""A cloud model's reply streamed piece by piece, with the real clients against the fake servers."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessageChunk, ToolMessage

from bots.llm.providers import ReplyCutOff, build_chat_models, stream_with_fallback
from core.config import Settings
from tests.bots.cloud_llms import AFTER_TOOL, ASK, StandInLocal, asked_for_a_stream, create_todo
from tests.fakes.llm_servers import FakeLLMServer


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
async def test_streamed_tool_call_round_trip(
    provider: str, clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    """LangGraph's message streaming makes the clients ask for SSE; the tool call must survive it."""
    clouds.llm_providers = [provider]
    server = servers[provider]
    _, model = build_chat_models(clouds, [create_todo], local=StandInLocal())[0]

    first: AIMessageChunk | None = None
    async for chunk in model.astream(ASK):
        assert isinstance(chunk, AIMessageChunk)
        first = chunk if first is None else first + chunk
    assert first is not None
    assert asked_for_a_stream(server.requests[0])
    assert [(c["name"], c["args"]) for c in first.tool_calls] == [("create_todo", {"title": "buy milk"})]

    reply = ToolMessage("created todo 'buy milk'", tool_call_id=first.tool_calls[0]["id"])
    text = ""
    async for chunk in model.astream([*ASK, first, reply]):
        text += chunk.text
    assert text == "Done, I added buy milk to your list."
    assert len(server.requests) == 2 and asked_for_a_stream(server.requests[1])


# --- streaming the reply --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
async def test_a_streamed_reply_is_passed_on_piece_by_piece(
    provider: str, clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    """The text goes to `on_text` while the model is still generating (the fake paces its events);
    the tool call comes back whole, and so does the final message."""
    clouds.llm_providers = [provider]
    server = servers[provider]
    server.event_delay = 0.02
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())
    pieces: list[str] = []
    written_at_first_piece: list[int] = []

    async def on_text(text: str) -> None:
        if not pieces:
            written_at_first_piece.append(server.events_written)
        pieces.append(text)

    name, call = await stream_with_fallback(models, ASK, per_model_timeout=5, on_text=on_text)
    assert name == provider and [(c["name"], c["args"]) for c in call.tool_calls] == [("create_todo", {"title": "buy milk"})]
    assert pieces == []  # a tool call carries no text here
    result = ToolMessage("created todo 'buy milk'", tool_call_id=call.tool_calls[0]["id"])
    before = server.events_written
    name, reply = await stream_with_fallback(models, [*ASK, call, result], per_model_timeout=5, on_text=on_text)
    total = server.events_written - before
    assert "".join(pieces) == reply.text == "Done, I added buy milk to your list."
    assert len(pieces) >= 4 and not reply.tool_calls
    assert written_at_first_piece[0] - before < total  # the first words came before the last event was sent
    assert all(asked_for_a_stream(r) for r in server.requests)


async def test_a_stream_that_fails_before_any_text_hands_the_turn_on(
    clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    clouds.llm_providers = ["openai", "anthropic"]
    servers["openai"].mode = "error"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())
    pieces: list[str] = []

    async def on_text(text: str) -> None:
        pieces.append(text)

    name, reply = await stream_with_fallback(models, AFTER_TOOL, per_model_timeout=5, on_text=on_text)
    assert name == "anthropic" and "".join(pieces) == reply.text == "Done, I added buy milk to your list."
    assert len(servers["openai"].requests) == 1


async def test_a_stream_cut_off_mid_reply_is_not_started_over_by_another_model(
    clouds: Settings, servers: dict[str, FakeLLMServer]
) -> None:
    """Half the reply was spoken: the next provider must not say it all again; the turn fails instead
    (the caller hears an apology)."""
    clouds.llm_providers = ["openai", "anthropic"]
    servers["openai"].mode = "cut"
    models = build_chat_models(clouds, [create_todo], local=StandInLocal())
    pieces: list[str] = []

    async def on_text(text: str) -> None:
        pieces.append(text)

    with pytest.raises(ReplyCutOff, match="openai failed in the middle of its reply"):
        await stream_with_fallback(models, AFTER_TOOL, per_model_timeout=5, on_text=on_text)
    assert pieces and "".join(pieces) != "Done, I added buy milk to your list."
    assert servers["anthropic"].requests == []


async def test_the_offline_model_answers_a_stream_in_one_piece(clouds: Settings) -> None:
    pytest.importorskip("bots.llm.local")
    clouds.llm_providers = []
    models = build_chat_models(clouds, [create_todo])
    pieces: list[str] = []

    async def on_text(text: str) -> None:
        pieces.append(text)

    name, reply = await stream_with_fallback(models, ASK, per_model_timeout=5, on_text=on_text)
    assert name == "local" and [(c["name"], c["args"]) for c in reply.tool_calls] == [("create_todo", {"title": "buy milk"})]
    assert pieces == []


