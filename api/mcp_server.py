"""The MCP server: every tool in the registry, and `ask_assistant` (the whole assistant in words),
for one caller per request.

Both doors share it: `convonet mcp --user EMAIL` over stdio (one fixed user) and streamable
HTTP under `/mcp` (the bearer token's user, see `api.routes.mcp`). The door supplies an
`Identity` that names the caller of the request being handled; tool arguments never do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.context import RequestContext
from pydantic import ValidationError

from api.assistant import SayIn, ask, validation_sentence
from bots.agent.agent import Agent
from core import monitor
from core.errors import DomainError
from core.models import User
from core.runtime import Runtime
from core.tools import ToolContext, ToolSpec, run_tool
from domains.registry import all_tools

SERVER_NAME = "convonet"

# Who is calling, read from the request being handled (request.request is the Starlette
# request over HTTP and None over stdio).
Identity = Callable[[RequestContext[Any, Any, Any]], uuid.UUID]

# The process's one agent, for `ask_assistant` (the app's, over HTTP; opened with the server, over stdio).
AgentSource = Callable[[], Awaitable[Agent]]

ASK_ASSISTANT = "ask_assistant"
ASK_ASSISTANT_DESCRIPTION = (
    "Say something to the Convonet assistant in plain words, as a caller would on the phone, and get its "
    'reply: "add a todo to water the tomato plants", "what\'s on my calendar tomorrow", "book a table for two '
    'at seven". It understands the request, runs the right tools for the user itself and says what it did. '
    "Use it when you have the user's own words rather than a tool's exact arguments.\n\n"
    "The result has `reply` (what the assistant says), `tool_calls` (what it ran), `domain`, `thread_id` and "
    '`end_call`. When it asks a question or asks to confirm ("Say yes to confirm"), answer with another call '
    "passing the same `thread_id`; leave `thread_id` out to start a new conversation."
)


def ask_assistant_definition() -> types.Tool:
    schema = SayIn.model_json_schema()
    schema.pop("title", None)
    schema.pop("description", None)
    return types.Tool(
        name=ASK_ASSISTANT,
        description=ASK_ASSISTANT_DESCRIPTION,
        inputSchema=schema,
        annotations=types.ToolAnnotations(readOnlyHint=False),
    )


def fixed_identity(user_id: uuid.UUID) -> Identity:
    """Every request is this user's (stdio: the process was started for one account)."""
    return lambda _request: user_id


def tool_definition(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        description=spec.description,
        inputSchema=spec.input_schema(),
        annotations=types.ToolAnnotations(readOnlyHint=not spec.mutates),
    )


def _text_result(payload: Any, *, is_error: bool) -> types.CallToolResult:
    # default=str: results may carry dates or ids that the tool left as objects.
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], isError=is_error)


def build_server(runtime: Runtime, identity: Identity, agent: AgentSource) -> Server[Any, Any]:
    """An MCP server offering `domains.registry.all_tools()` and `ask_assistant`, run against `runtime`."""
    specs = {spec.name: spec for spec in all_tools()}
    definitions = [tool_definition(spec) for spec in specs.values()] + [ask_assistant_definition()]
    server: Server[Any, Any] = Server(
        SERVER_NAME, instructions="Convonet's tools: todos, teams, reminders, calendar and more."
    )

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return definitions

    # run_tool validates arguments itself and answers with a sentence; the SDK's jsonschema
    # check would answer differently from the agent's door, so it is turned off.
    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
        if name == ASK_ASSISTANT:
            return await ask_assistant(identity(server.request_context), arguments)
        spec = specs.get(name)
        if spec is None:
            return _text_result({"error": f"There is no tool called {name!r}."}, is_error=True)
        ctx = ToolContext.for_user(runtime, identity(server.request_context), channel="mcp")
        ctx.listeners.append(monitor.tool_listener(runtime.store, ctx.channel))  # shown on the Agent Monitor
        result = await run_tool(spec, ctx, arguments)
        return _text_result(result.for_model(), is_error=not result.ok)

    async def ask_assistant(user_id: uuid.UUID, arguments: dict[str, Any]) -> types.CallToolResult:
        try:
            said = SayIn.model_validate(arguments)
        except ValidationError as exc:
            return _text_result({"error": validation_sentence(exc)}, is_error=True)
        async with runtime.sessions() as session:
            user = await session.get(User, user_id)
        if user is None or not user.is_active:
            return _text_result({"error": "This account is no longer active."}, is_error=True)
        try:
            reply = await ask(await agent(), user, said, channel="mcp")
        except DomainError as exc:
            return _text_result({"error": exc.message}, is_error=True)
        return _text_result(reply.model_dump(mode="json"), is_error=False)

    return server


async def serve_stdio(runtime: Runtime, user_id: uuid.UUID) -> None:
    """Answer MCP requests on stdin/stdout as `user_id` until the client hangs up."""
    async with Agent.open(runtime) as opened:

        async def agent() -> Agent:
            return opened

        server = build_server(runtime, fixed_identity(user_id), agent)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
