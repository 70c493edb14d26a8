"""Tools from outside MCP servers (the MCP_SERVERS setting), for the agent beside our own.

Each server is asked for its tools separately and within a time limit, so one that is
missing, broken or slow is logged and left out instead of holding up start-up.

A server that answers keeps one MCP session for the life of the process (`open_external_tools`
is a context manager; leaving it closes them): every call of its tools, from every phone call
at once, goes over that session (a ClientSession multiplexes requests by id), instead of
langchain-mcp-adapters' default of a new session per call (for stdio, a new server process per
call). A session that has died (the server process exited, the HTTP connection dropped, the
server forgot the session) is replaced once within the call. A call that still cannot be
made, or that the server refuses, comes back to the agent as a one-sentence tool error rather
than an exception.

Each session is opened and closed by a task of its own, because the MCP transports (anyio task
groups) must be left by the task that entered them, and a reconnect happens in whichever call
found the session dead while the close happens at shutdown.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
import httpx
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection
from langchain_mcp_adapters.tools import convert_mcp_tool_to_langchain_tool
from mcp import ClientSession
from mcp.shared.exceptions import McpError
from mcp.shared.session import ProgressFnT
from mcp.types import CONNECTION_CLOSED, CallToolResult, TextContent
from mcp.types import Tool as MCPTool

from core.config import Settings
from core.tools import ToolContext, report_tool_call

log = logging.getLogger(__name__)

LOAD_TIME_LIMIT_SECONDS = 10.0
CLOSE_TIME_LIMIT_SECONDS = 5.0

# What streamable HTTP reports when the server no longer knows our session (HTTP 404): the
# request was refused unrun, so it is safe to send again on a new session.
_SESSION_TERMINATED = (32600, "Session terminated")
# Failures that mean a request never left this process (the session had already ended, or the
# connection could not be made), so sending it again on a new session cannot run it twice.
_NEVER_SENT = (anyio.ClosedResourceError, anyio.BrokenResourceError, httpx.ConnectError)


class _Dropped(Exception):
    """The session ended while a call was waiting for its answer."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__(_describe(cause) if cause else "connection closed")
        self.cause = cause


@dataclass
class _Connection:
    """One session to a server, owned by `task` from opening to closing."""

    ready: asyncio.Future[ClientSession]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    error: BaseException | None = None  # why the session ended, when it ended on its own


class ServerLink:
    """The long-lived session to one outside server, reopened when it dies.

    Its `call_tool` stands in for `ClientSession.call_tool` in the adapter's tools, so each
    call uses whichever session is current.
    """

    def __init__(self, client: MultiServerMCPClient, name: str, *, connect_limit: float, call_limit: float) -> None:
        self.client = client
        self.name = name
        self.connect_limit = connect_limit
        self.call_limit = call_limit
        self.repeatable: set[str] = set()  # tools the server marks read-only or idempotent
        self._conn: _Connection | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    # --- the session --------------------------------------------------------------------------

    def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        conn = _Connection(ready=loop.create_future())
        conn.ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # never "unretrieved"
        # A fresh context: the session outlives the call that happened to (re)open it.
        conn.task = loop.create_task(self._own(conn), name=f"mcp-session-{self.name}", context=contextvars.Context())
        self._tasks.add(conn.task)
        conn.task.add_done_callback(self._tasks.discard)
        self._conn = conn
        return conn

    async def _own(self, conn: _Connection) -> None:
        """Open the session, hold it until asked to stop (or until it dies), then close it."""
        try:
            async with AsyncExitStack() as stack:
                async with asyncio.timeout(self.connect_limit):
                    session = await stack.enter_async_context(self.client.session(self.name))
                conn.ready.set_result(session)
                await conn.stop.wait()
        except Exception as exc:  # a failed open, or the transport failing under the session
            conn.error = exc
            if not conn.ready.done():
                conn.ready.set_exception(exc)
            elif not conn.stop.is_set():
                log.warning("MCP server %r: session ended: %s", self.name, _describe(exc))
        finally:
            if not conn.ready.done():
                conn.ready.set_exception(ConnectionError(f"the session to {self.name} was closed"))
            if self._conn is conn:
                self._conn = None

    def _retire(self, conn: _Connection) -> None:
        """Stop using `conn` (its task closes it in the background); the next call opens another."""
        if self._conn is conn:
            self._conn = None
        conn.stop.set()

    async def session(self) -> ClientSession:
        """The current session, opening one if there is none."""
        return (await self._current())[1]

    async def _current(self) -> tuple[_Connection, ClientSession]:
        if self._closed:
            raise ConnectionError(f"the tools of {self.name} have been closed")
        conn = self._conn or self._open()
        return conn, await asyncio.shield(conn.ready)

    async def aclose(self) -> None:
        self._closed = True
        if self._conn is not None:
            self._retire(self._conn)
        tasks = set(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIME_LIMIT_SECONDS)
        for task in pending:  # still opening, or its server ignores the close
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_TIME_LIMIT_SECONDS)
            log.warning("MCP server %r: session did not close within %.0fs; cancelled it", self.name, CLOSE_TIME_LIMIT_SECONDS)

    # --- calls --------------------------------------------------------------------------------

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        read_timeout_seconds: object = None,
        progress_callback: ProgressFnT | None = None,
        **_: object,
    ) -> CallToolResult:
        """`ClientSession.call_tool` over the current session; failures come back as tool errors."""
        try:
            async with asyncio.timeout(self.call_limit):
                return await self._call(name, arguments, progress_callback)
        except TimeoutError:
            return _failure(f"The {self.name} service did not answer {name} within {self.call_limit:.0f} seconds.")

    async def _call(self, name: str, arguments: dict[str, Any] | None, progress: ProgressFnT | None) -> CallToolResult:
        for attempt in (1, 2):
            try:
                conn, session = await self._current()
            except Exception as exc:
                log.warning("MCP server %r: cannot connect for %s: %s", self.name, name, _describe(exc))
                return _failure(f"The {self.name} service is unavailable right now, so {name} was not done.")
            try:
                return await self._over(conn, session, name, arguments, progress)
            except McpError as exc:
                error = exc.error
                if (error.code, error.message) == _SESSION_TERMINATED:
                    cause: BaseException = exc
                    sent = False
                elif error.code == CONNECTION_CLOSED:  # the session's reader stopped under the call
                    cause = exc
                    sent = not (conn.task is not None and conn.task.done() and _never_sent(conn.error))
                else:  # the server answered, with an error: the session is fine
                    return _failure(f"The {self.name} service could not do {name}: {error.message}")
            except _Dropped as exc:
                cause, sent = exc, not _never_sent(exc.cause)
            except _NEVER_SENT as exc:
                cause, sent = exc, False
            except Exception as exc:
                if conn.task is not None and not conn.task.done():  # e.g. a result that fails its schema
                    log.warning("MCP server %r: %s failed: %s", self.name, name, _describe(exc))
                    return _failure(f"The {self.name} service could not do {name}: {exc}")
                cause, sent = exc, True  # the session is gone too: assume the worst
            self._retire(conn)
            log.warning(
                "MCP server %r: session lost during %s (%s); %s",
                self.name,
                name,
                _describe(cause),
                "opening a new one" if attempt == 1 else "giving up on this call",
            )
            if sent and name not in self.repeatable:
                # It may have run before the connection went; running it again could do it twice.
                # The next call opens a new session.
                return _failure(
                    f"The connection to the {self.name} service dropped during {name}, "
                    "so it may or may not have been done."
                )
        return _failure(f"The {self.name} service is unavailable right now, so {name} was not done.")

    async def _over(
        self,
        conn: _Connection,
        session: ClientSession,
        name: str,
        arguments: dict[str, Any] | None,
        progress: ProgressFnT | None,
    ) -> CallToolResult:
        """The call on `session`, given up as `_Dropped` if the session's task ends meanwhile (a
        transport that fails under the session can leave the request waiting for ever)."""
        call = asyncio.ensure_future(session.call_tool(name, arguments, progress_callback=progress))
        waits: set[asyncio.Future[Any]] = {call} if conn.task is None else {call, conn.task}
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not call.done():
                call.cancel()
                await asyncio.wait({call})
        if call.cancelled():
            raise _Dropped(conn.error)
        return call.result()


OUTSIDE_DOMAIN = "outside"
"""The domain an outside server's tool calls are reported under (the Agent Monitor's tool table)."""


async def call_outside_tool(tool: BaseTool, ctx: ToolContext, arguments: dict[str, Any],
                            call_id: str = "call") -> tuple[str, bool]:
    """Run one outside tool for the agent: its result as text for the model (content blocks joined,
    not their Python repr) and whether it worked. A refusal or failure (the server's own error, or one
    of the sentences above) comes back as text for the model to explain, never as an exception. Either
    way the call is reported like one of ours (`report_tool_call`), so the turn record and the Agent
    Monitor show it with its arguments, result and time."""
    started_at, t0 = ctx.clock(), time.perf_counter()
    try:
        message = await tool.ainvoke({"type": "tool_call", "name": tool.name, "args": arguments, "id": call_id or "call"})
    except Exception as exc:  # a failing server is the model's to explain, never the caller's turn to lose
        error = f"The {tool.name} service failed: {_describe(exc)}"
        await report_tool_call(ctx, tool.name, OUTSIDE_DOMAIN, arguments, started_at, t0, None, error)
        return json.dumps({"error": error}), False
    failed = isinstance(message, ToolMessage) and message.status == "error"
    text = result_text(message.content if isinstance(message, ToolMessage) else message)
    await report_tool_call(ctx, tool.name, OUTSIDE_DOMAIN, arguments, started_at, t0,
                           None if failed else text, text if failed else None)
    return text, not failed


def result_text(result: Any) -> str:
    """An MCP tool's result as the model should read it: text blocks joined; anything else as JSON."""
    if isinstance(result, str):
        return result
    if isinstance(result, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in result):
        return "\n".join(str(b.get("text", "")) for b in result)
    return json.dumps(result, default=str)


def _never_sent(exc: BaseException | None) -> bool:
    """True when every underlying failure is one that stops a request before it leaves."""
    if isinstance(exc, BaseExceptionGroup):
        return all(_never_sent(inner) for inner in exc.exceptions)
    return isinstance(exc, _NEVER_SENT)


def _failure(sentence: str) -> CallToolResult:
    """A tool error the adapter hands to the agent as the tool's result (not an exception)."""
    return CallToolResult(content=[TextContent(type="text", text=sentence)], isError=True)


def _describe(exc: BaseException) -> str:
    """The innermost messages of an exception (anyio wraps transport errors in groups)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"


async def _list_tools(session: ClientSession) -> list[MCPTool]:
    tools: list[MCPTool] = []
    cursor: str | None = None
    while True:
        page = await session.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.nextCursor
        if not cursor:
            return tools


async def _load_one(link: ServerLink, time_limit: float) -> list[BaseTool]:
    name = link.name
    try:
        session = await link.session()  # within link.connect_limit
        async with asyncio.timeout(time_limit):
            listed = await _list_tools(session)
    except TimeoutError:
        log.warning("MCP server %r did not list its tools within %.0fs; skipping it", name, time_limit)
        await link.aclose()
        return []
    # Whatever an outside server or its transport raises (a missing command, a refused
    # connection, a bad config entry, a protocol error), the agent starts without it.
    except Exception as exc:
        log.warning("MCP server %r failed to start; skipping it: %s", name, _describe(exc))
        await link.aclose()
        return []
    link.repeatable = {
        t.name for t in listed if t.annotations and (t.annotations.readOnlyHint or t.annotations.idempotentHint)
    }
    # The adapter's tools call `session.call_tool`; the link stands in for the session.
    tools = [convert_mcp_tool_to_langchain_tool(cast(ClientSession, link), t, server_name=name) for t in listed]
    log.info("MCP server %r: %d tools (%s)", name, len(tools), ", ".join(t.name for t in tools))
    return tools


@asynccontextmanager
async def open_external_tools(
    settings: Settings, *, time_limit: float = LOAD_TIME_LIMIT_SECONDS
) -> AsyncIterator[list[BaseTool]]:
    """LangChain tools of every configured outside MCP server that answers in time ([] when
    none), usable until the context is left, which closes their sessions."""
    if not settings.mcp_servers:
        yield []
        return
    connections = cast(dict[str, Connection], settings.mcp_servers)
    client = MultiServerMCPClient(connections)
    links = [
        ServerLink(client, name, connect_limit=time_limit, call_limit=settings.tool_timeout_seconds)
        for name in connections
    ]
    try:
        loaded: list[list[BaseTool]] = await asyncio.gather(*(_load_one(link, time_limit) for link in links))
        tools: list[BaseTool] = []
        seen: dict[str, str] = {}
        idle: list[ServerLink] = []
        for link, server_tools in zip(links, loaded, strict=True):
            kept = len(tools)
            for tool in server_tools:
                if tool.name in seen:
                    log.warning(
                        "MCP server %r: tool %r is already offered by %r; skipping it",
                        link.name,
                        tool.name,
                        seen[tool.name],
                    )
                    continue
                seen[tool.name] = link.name
                tools.append(tool)
            if len(tools) == kept:
                idle.append(link)
        await asyncio.gather(*(link.aclose() for link in idle))  # nothing of theirs is used
        yield tools
    finally:
        await asyncio.gather(*(link.aclose() for link in links))
