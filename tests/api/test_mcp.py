"""The MCP server through both doors, with the official MCP client: `convonet mcp --user` over
stdio, and streamable HTTP at `/mcp` on a live uvicorn server with bearer-token auth."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from api.app import create_app
from core import accounts
from core.runtime import Runtime
from domains.registry import all_tools
from tests.conftest import TEST_SECRET, make_settings
from tests.helpers import Account, register, well_inside_a_window
from tests.voice import speech_models

LATENCY_CALLS = 50

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    },
}


def convonet_command() -> tuple[str, list[str]]:
    """The installed `convonet` script beside this interpreter, else `python -m api.cli`."""
    script = shutil.which("convonet", path=str(Path(sys.executable).parent))
    return (script, []) if script else (sys.executable, ["-m", "api.cli"])


def server_env(tmp: Path, database_url: str) -> dict[str, str]:
    return {
        **get_default_environment(),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "JWT_SECRET": TEST_SECRET,
        "DATA_DIR": str(tmp),
        "LOG_LEVEL": "WARNING",
    }


async def create_user(tmp: Path, database_url: str, email: str) -> None:
    runtime = Runtime.build(make_settings(tmp, database_url, None))
    try:
        async with runtime.sessions() as session, session.begin():
            await accounts.register_user(session, email=email, password="pw-secret-123", rounds=4)
    finally:
        await runtime.close()


def payload(result: CallToolResult) -> Any:
    assert len(result.content) == 1 and isinstance(result.content[0], TextContent)
    return json.loads(result.content[0].text)


async def check_round_trip(session: ClientSession, title: str) -> None:
    """The list/create/get round trip both doors must pass."""
    listed = await session.list_tools()
    assert [t.name for t in listed.tools] == [spec.name for spec in all_tools()] + ["ask_assistant"]
    create = next(t for t in listed.tools if t.name == "create_todo")
    assert "title" in create.inputSchema["required"]
    assert create.inputSchema["properties"]["title"]["type"] == "string"
    assert create.description

    created = await session.call_tool("create_todo", {"title": title, "priority": "high"})
    assert not created.isError, created.content
    assert payload(created)["created"]["title"] == title

    todos = await session.call_tool("get_todos", {})
    assert not todos.isError
    assert title in [t["title"] for t in payload(todos)["todos"]]


def report_latency(
    capsys: pytest.CaptureFixture[str], door: str, samples: list[float], conditions: str
) -> None:
    samples.sort()
    with capsys.disabled():
        print(
            f"\nMCP create_todo over {door}: p50 {statistics.median(samples):.1f} ms, "
            f"p90 {samples[int(len(samples) * 0.9)]:.1f} ms over {len(samples)} calls ({conditions})"
        )


async def timed_creates(session: ClientSession) -> list[float]:
    samples = []
    for i in range(LATENCY_CALLS):
        t0 = time.perf_counter()
        result = await session.call_tool("create_todo", {"title": f"latency {i}"})
        samples.append((time.perf_counter() - t0) * 1000)
        assert not result.isError
    return samples


# --- stdio ------------------------------------------------------------------------------------


async def test_stdio_round_trip(
    tmp_path: Path, sqlite_template: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "convonet.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    await create_user(tmp_path, url, "ada@example.com")
    command, prefix = convonet_command()
    params = StdioServerParameters(
        command=command,
        args=[*prefix, "mcp", "--user", "ada@example.com"],
        env=server_env(tmp_path, url),
        cwd=tmp_path,
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await check_round_trip(session, "Call the plumber")

        bad = await session.call_tool("create_todo", {"priority": "extreme"})
        assert bad.isError
        error = payload(bad)["error"]
        assert "title" in error and error.endswith(".")

        unknown = await session.call_tool("launch_rocket", {})
        assert unknown.isError and "launch_rocket" in payload(unknown)["error"]

        samples = await timed_creates(session)
    report_latency(capsys, "stdio", samples, "SQLite file, one client, sequential calls")


async def test_stdio_unknown_user_exits_with_message(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "convonet.db"
    shutil.copy(sqlite_template, db)
    command, prefix = convonet_command()
    process = await asyncio.create_subprocess_exec(
        command,
        *prefix,
        "mcp",
        "--user",
        "nobody@example.com",
        env=server_env(tmp_path, f"sqlite+aiosqlite:///{db}"),
        cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert stdout == b""
    assert b"no active user with email 'nobody@example.com'" in stderr


# --- streamable HTTP ----------------------------------------------------------------------------


@asynccontextmanager
async def live_server(runtime: Runtime) -> AsyncIterator[str]:
    """The real app on uvicorn at 127.0.0.1:<free port>, lifespan included; yields its base URL."""
    app = create_app(runtime=runtime)
    app.state.speech = speech_models(runtime.settings)  # the test process's shared voice and turn models
    config = uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(90):  # the lifespan loads the speech models first
            while not server.started:
                if task.done():
                    task.result()  # start-up failed: raise why
                await asyncio.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def mcp_session(base_url: str, token: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
        streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


async def test_http_round_trip_and_isolation(runtime: Runtime, capsys: pytest.CaptureFixture[str]) -> None:
    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        alice, bob = await register(api), await register(api)

        async with mcp_session(base_url, alice.access) as session:
            await check_round_trip(session, "Renew passport")
            bad = await session.call_tool("create_todo", {"title": ""})
            assert bad.isError and "title" in payload(bad)["error"]
            samples = await timed_creates(session)

        async with mcp_session(base_url, bob.access) as session:
            todos = payload(await session.call_tool("get_todos", {}))
            assert todos == {"todos": [], "count": 0}
            other = await session.call_tool("complete_todo", {"todo": "Renew passport"})
            assert other.isError

        # what MCP did is what the REST API shows: Alice's todos, made as Alice
        listed = (await api.get("/api/todos/", headers=alice.auth)).json()
        assert "Renew passport" in [t["title"] for t in listed]
        assert not any(t["completed"] for t in listed)
        assert (await api.get("/api/todos/", headers=bob.auth)).json() == []
    backend = "SQLite + memory store" if runtime.uses_sqlite else "PostgreSQL + Redis"
    report_latency(capsys, "HTTP", samples, f"{backend}, uvicorn on loopback, one client, sequential calls")


async def test_http_requires_an_access_token(runtime: Runtime) -> None:
    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        me: Account = await register(api)
        headers = {"Accept": "application/json, text/event-stream"}
        for auth in ({}, {"Authorization": f"Bearer {me.refresh}"}, {"Authorization": "Bearer not-a-jwt"}):
            response = await api.post("/mcp", json=INITIALIZE, headers={**headers, **auth})
            assert response.status_code == 401, (auth, response.text)
            assert response.headers["www-authenticate"] == "Bearer"

        response = await api.post("/mcp", json=INITIALIZE, headers={**headers, **me.auth})
        assert response.status_code == 200
        assert response.json()["result"]["serverInfo"]["name"] == "convonet"


async def test_http_wrong_tokens_are_throttled_per_address(runtime: Runtime) -> None:
    await well_inside_a_window()  # the sign-up and every attempt in one minute of the per-minute count
    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        me: Account = await register(api)  # one sign-in attempt of the address's allowance
        headers = {"Accept": "application/json, text/event-stream", "Authorization": "Bearer not-a-jwt"}
        statuses = [(await api.post("/mcp", json=INITIALIZE, headers=headers)).status_code
                    for _ in range(runtime.settings.auth_attempts_per_minute)]
        assert statuses[:-1] == [401] * (len(statuses) - 1)
        refused = await api.post("/mcp", json=INITIALIZE, headers=headers)
        assert statuses[-1] == refused.status_code == 429
        assert int(refused.headers["Retry-After"]) <= 60
        # a good token from the same address still works: only failures are counted
        ok = await api.post("/mcp", json=INITIALIZE, headers={**headers, **me.auth})
        assert ok.status_code == 200


async def test_http_tool_calls_show_on_the_agent_monitor(runtime: Runtime) -> None:
    from core import monitor

    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        me: Account = await register(api)
        async with mcp_session(base_url, me.access) as session:
            created = await session.call_tool("create_todo", {"title": "Seen on the monitor"})
            assert not created.isError
    records = [r for r in await monitor.recent(runtime.store) if isinstance(r, monitor.ToolRecord)]
    assert [(r.name, r.channel, r.user_id) for r in records] == [("create_todo", "mcp", me.id)]
