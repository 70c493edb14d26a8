"""Tools from outside MCP servers (the MCP_SERVERS setting), for the agent beside our own.

Each server is asked for its tools separately and within a time limit, so one that is
missing, broken or slow is logged and left out instead of holding up start-up. The tools
open a fresh session to their server for every call (langchain-mcp-adapters' default), so
nothing stays connected between calls and there is nothing to close.
"""

from __future__ import annotations

import asyncio
import logging
from typing import cast

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection

from core.config import Settings

log = logging.getLogger(__name__)

LOAD_TIME_LIMIT_SECONDS = 10.0


async def _load_one(client: MultiServerMCPClient, name: str, time_limit: float) -> list[BaseTool]:
    try:
        async with asyncio.timeout(time_limit):
            tools = await client.get_tools(server_name=name)
    except TimeoutError:
        log.warning("MCP server %r did not list its tools within %.0fs; skipping it", name, time_limit)
        return []
    # Whatever an outside server or its transport raises (a missing command, a refused
    # connection, a bad config entry, a protocol error), the agent starts without it.
    except Exception as exc:
        log.warning("MCP server %r failed to start; skipping it: %s", name, _describe(exc))
        return []
    log.info("MCP server %r: %d tools (%s)", name, len(tools), ", ".join(t.name for t in tools))
    return tools


def _describe(exc: BaseException) -> str:
    """The innermost messages of an exception (anyio wraps transport errors in groups)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


async def load_external_tools(
    settings: Settings, *, time_limit: float = LOAD_TIME_LIMIT_SECONDS
) -> list[BaseTool]:
    """LangChain tools of every configured outside MCP server that answers in time; [] when none."""
    if not settings.mcp_servers:
        return []
    connections = cast(dict[str, Connection], settings.mcp_servers)
    client = MultiServerMCPClient(connections)
    loaded: list[list[BaseTool]] = await asyncio.gather(
        *(_load_one(client, name, time_limit) for name in connections)
    )
    tools: list[BaseTool] = []
    seen: dict[str, str] = {}
    for name, server_tools in zip(connections, loaded, strict=True):
        for tool in server_tools:
            if tool.name in seen:
                log.warning(
                    "MCP server %r: tool %r is already offered by %r; skipping it",
                    name,
                    tool.name,
                    seen[tool.name],
                )
                continue
            seen[tool.name] = name
            tools.append(tool)
    return tools
