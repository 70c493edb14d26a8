"""An outside MCP server's tool called by the model during a turn: the model reads the tool's text, and
the call is recorded like one of ours (the turn's tool calls, the Agent Monitor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bots.agent.agent import Agent
from bots.external_tools import OUTSIDE_DOMAIN, open_external_tools, result_text
from core.config import Settings
from core.runtime import Runtime
from core.tools import ToolContext, ToolEvent
from tests.conftest import make_settings
from tests.fakes.llm_servers import FakeOpenAIServer, Script
from tests.processors.callers import register_caller


async def outside_turn(runtime: Runtime, settings: Settings, tmp_path: Path, server: dict[str, object],
                       args: dict[str, Any]) -> tuple[Any, list[ToolEvent], FakeOpenAIServer]:
    user = await register_caller(runtime)
    outside = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/unused.db", None, mcp_servers={"outside": server})
    async with (open_external_tools(outside) as tools,
                FakeOpenAIServer(Script(tool_name="pid", tool_args=args, final_text="It is running.")) as fake):
        runtime.settings = settings.model_copy(
            update={"llm_providers": ["openai"], "openai_api_key": "sk-test", "openai_base_url": fake.base_url})
        async with Agent.open(runtime, external=tools) as agent:
            ctx = ToolContext.for_user(runtime, user.id)
            seen: list[ToolEvent] = []

            async def listen(event: ToolEvent) -> None:
                seen.append(event)

            ctx.listeners.append(listen)
            result = await agent.session(ctx).turn("what is the outside server's process id")
    return result, seen, fake


async def test_an_outside_tool_call_is_recorded_and_its_text_reaches_the_model(
        runtime: Runtime, settings: Settings, tmp_path: Path, pid_server: dict[str, object]) -> None:
    result, seen, fake = await outside_turn(runtime, settings, tmp_path, pid_server, {})
    assert result.reply == "It is running."
    [call] = result.tool_calls
    assert (call.name, call.arguments, call.ok) == ("pid", {}, True)
    assert call.result.isdigit() and call.elapsed_ms > 0  # the server's process id, as text
    [event] = seen
    assert (event.name, event.domain, event.result) == ("pid", OUTSIDE_DOMAIN, call.result)
    tool_message = fake.requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == call.result  # not a list's repr


async def test_a_failing_outside_tool_is_recorded_as_an_error_and_the_turn_goes_on(
        runtime: Runtime, settings: Settings, tmp_path: Path, pid_server: dict[str, object]) -> None:
    """The outside server refuses the arguments: the model reads the server's reason, the call is an error."""
    result, seen, fake = await outside_turn(runtime, settings, tmp_path, pid_server, {"seconds": "not a number"})
    assert result.reply == "It is running."  # the model was told, and answered
    [call] = result.tool_calls
    assert call.name == "pid" and not call.ok and call.error and "seconds" in call.error and call.result is None
    assert not seen[0].ok and seen[0].error == call.error
    assert fake.requests[1].body["messages"][-1]["content"] == call.error


def test_result_text_joins_text_blocks_and_keeps_the_rest_as_json() -> None:
    assert result_text("4242") == "4242"
    assert result_text([{"type": "text", "text": "a", "id": "x"}, {"type": "text", "text": "b"}]) == "a\nb"
    assert result_text([{"type": "image", "url": "http://x/y.png"}]) == '[{"type": "image", "url": "http://x/y.png"}]'
