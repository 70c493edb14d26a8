"""The MCP server: every tool in the registry, for one caller per request.

Both doors share it: `convonet mcp --user EMAIL` over stdio (one fixed user) and streamable
HTTP under `/mcp` (the bearer token's user, see `api.routes.mcp`). The door supplies an
`Identity` that names the caller of the request being handled; tool arguments never do.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.context import RequestContext

from core.runtime import Runtime
from core.tools import ToolContext, ToolSpec, run_tool
from domains.registry import all_tools

SERVER_NAME = "convonet"

# Who is calling, read from the request being handled (request.request is the Starlette
# request over HTTP and None over stdio).
Identity = Callable[[RequestContext[Any, Any, Any]], uuid.UUID]


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


def build_server(runtime: Runtime, identity: Identity) -> Server[Any, Any]:
    """An MCP server offering `domains.registry.all_tools()`, run against `runtime`."""
    specs = {spec.name: spec for spec in all_tools()}
    definitions = [tool_definition(spec) for spec in specs.values()]
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
        spec = specs.get(name)
        if spec is None:
            return _text_result({"error": f"There is no tool called {name!r}."}, is_error=True)
        ctx = ToolContext.for_user(runtime, identity(server.request_context), channel="mcp")
        result = await run_tool(spec, ctx, arguments)
        return _text_result(result.for_model(), is_error=not result.ok)

    return server


async def serve_stdio(runtime: Runtime, user_id: uuid.UUID) -> None:
    """Answer MCP requests on stdin/stdout as `user_id` until the client hangs up."""
    server = build_server(runtime, fixed_identity(user_id))
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
