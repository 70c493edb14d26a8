"""Tool-call latency through each door (in-process, MCP stdio, MCP HTTP) and one agent turn with the
offline intent model. Goal: in-process p50 ≤ 2 ms on SQLite. And an outside MCP server's tool call over
stdio, a session per call against the one session the agent keeps."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import cast

import httpx
import pytest
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from langchain_mcp_adapters.sessions import Connection
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from bots.agent.agent import Agent
from bots.external_tools import open_external_tools
from core import accounts
from core.runtime import Runtime
from core.tools import ToolContext, run_tool
from domains.registry import tools_by_name
from tests.api.test_mcp import convonet_command, create_user, live_server, mcp_session, server_env
from tests.benchmarks.conftest import FULL, report, size, summary
from tests.bots.outside_servers import PID_SERVER
from tests.conftest import make_settings
from tests.fakes.llm_servers import FakeOpenAIServer, Script
from tests.helpers import register


async def _timed(coro_factory, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        await coro_factory(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_bench_tool_doors_and_agent_turn(runtime: Runtime, tmp_path: Path, sqlite_template: Path) -> None:
    n = size(200, 5)
    specs = tools_by_name()
    async with runtime.sessions() as session, session.begin():
        user = await accounts.register_user(session, email="bench@example.com", password="password123", rounds=4)
    ctx = ToolContext.for_user(runtime, user.id)

    async def in_process(i: int) -> None:
        assert (await run_tool(specs["create_todo"], ctx, {"title": f"bench {i}"})).ok

    async def in_process_read(_i: int) -> None:
        assert (await run_tool(specs["get_todos"], ctx, {"completed": False})).ok

    await in_process(-1)  # warm
    table = [("in-process create_todo (SQLite)", summary(await _timed(in_process, n)))]
    table.append(("in-process get_todos (SQLite)", summary(await _timed(in_process_read, n))))

    # MCP over stdio: `convonet mcp --user` against a copy of the migrated SQLite file
    db = tmp_path / "stdio.db"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    await create_user(tmp_path, url, "stdio@example.com")
    command, prefix = convonet_command()
    params = StdioServerParameters(
        command=command, args=[*prefix, "mcp", "--user", "stdio@example.com"], env=server_env(tmp_path, url)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as mcp:
        await mcp.initialize()

        async def over_stdio(i: int) -> None:
            assert not (await mcp.call_tool("create_todo", {"title": f"stdio {i}"})).isError

        await over_stdio(-1)
        table.append(("MCP stdio create_todo (SQLite)", summary(await _timed(over_stdio, n))))

    # MCP over streamable HTTP on a live uvicorn server
    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        account = await register(api, "httpbench")
        async with mcp_session(base_url, account.access) as mcp_http:

            async def over_http(i: int) -> None:
                assert not (await mcp_http.call_tool("create_todo", {"title": f"http {i}"})).isError

            await over_http(-1)
            table.append(("MCP HTTP create_todo (SQLite)", summary(await _timed(over_http, n))))

    async with Agent.open(runtime) as agent:
        session = agent.session(ToolContext.for_user(runtime, user.id), "bench-thread")
        phrases = ["create a todo to buy milk", "what are my todos", "book a table for two tomorrow at seven pm"]

        async def agent_turn(i: int) -> None:
            result = await session.turn(phrases[i % len(phrases)])
            assert result.tool_calls, result.reply

        await agent_turn(0)
        table.append(("agent turn, local model (route+LLM+tool)", summary(await _timed(agent_turn, size(60, 3)))))

    # A cloud model's turn streamed (OpenAI's client against the fake, one word per event every 30 ms)
    reply = ("Done, I added buy milk to your list for tomorrow morning, and it is the third thing on it now, "
             "right after calling the bank and picking up the dry cleaning.")
    async with FakeOpenAIServer(Script(final_text=reply), event_delay=WORD_MS / 1000) as fake:
        runtime.settings = runtime.settings.model_copy(update={
            "llm_providers": ["openai"], "openai_api_key": "sk-bench", "openai_base_url": fake.base_url})
        async with Agent.open(runtime) as agent:
            session = agent.session(ToolContext.for_user(runtime, user.id), "bench-cloud")
            first: list[float] = []
            whole: list[float] = []
            for _ in range(size(20, 2)):
                t0 = time.perf_counter()
                heard: list[float] = []

                async def on_text(_piece: str, heard: list[float] = heard) -> None:
                    heard.append(time.perf_counter())

                result = await session.turn("add buy milk to my list", on_text)
                whole.append((time.perf_counter() - t0) * 1000)
                assert result.reply == reply and heard
                first.append((heard[0] - t0) * 1000)
    table.append((f"cloud agent turn, streamed: first text ({WORD_MS} ms/word fake)", summary(first)))
    table.append(("cloud agent turn: whole reply (what the voice waited for unstreamed)", summary(whole)))
    report("tools", table, {"conditions": "SQLite file, in-process store, one client, sequential calls; cloud "
                                          f"turn: tool call then a {len(reply.split())}-word reply from the fake "
                                          f"OpenAI server, one word every {WORD_MS} ms"})


WORD_MS = 30
"""How fast the fake cloud model 'generates': one word per 30 ms, about 45 tokens a second."""


async def _answered(tool: BaseTool) -> None:
    result = await tool.ainvoke({})
    assert "service" not in str(result), result  # none of the failure sentences


async def test_bench_outside_tools_over_stdio(tmp_path: Path, sqlite_template: Path) -> None:
    """An outside MCP server's tool over stdio: a new session (a new process) for every call, the adapter's
    default, against the one session `open_external_tools` keeps. The small FastMCP server in every run;
    `convonet mcp` (the whole app starting, seconds a session) in full runs."""
    script = tmp_path / "pid_server.py"
    script.write_text(PID_SERVER)
    cases = [("small FastMCP server, pid", {"transport": "stdio", "command": sys.executable,
                                           "args": [str(script), str(tmp_path / "DOWN")]}, "pid")]
    if FULL:
        db = tmp_path / "outside.db"
        shutil.copyfile(sqlite_template, db)
        url = f"sqlite+aiosqlite:///{db}"
        await create_user(tmp_path, url, "ada@example.com")
        command, prefix = convonet_command()
        cases.append(("`convonet mcp`, get_todos", {"transport": "stdio", "command": command,
                                                   "args": [*prefix, "mcp", "--user", "ada@example.com"],
                                                   "env": server_env(tmp_path, url), "cwd": str(tmp_path)},
                      "get_todos"))
    calls = size(2, 1)
    table = []
    for label, server, name in cases:
        per_call = await MultiServerMCPClient({"outside": cast(Connection, server)}).get_tools(server_name="outside")
        fresh = next(t for t in per_call if t.name == name)
        before = await _timed(lambda _i, tool=fresh: _answered(tool), calls)
        settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/unused.db", None,
                                 mcp_servers={"outside": server})
        async with open_external_tools(settings, time_limit=60) as loaded:
            kept = next(t for t in loaded if t.name == name)
            await _answered(kept)  # the first call after loading: both ends warm, as in the per-call case
            after = await _timed(lambda _i, tool=kept: _answered(tool), calls * 4)
        table += [(f"stdio {label}: a session per call", summary(before)),
                  (f"stdio {label}: one session", summary(after))]
    report("outside-tools", table, {"conditions": "stdio MCP servers started by the test, sequential calls"})
