"""Outside MCP servers for the agent: our own `convonet mcp` stands in for one; broken ones
are skipped within the time limit instead of blocking start-up; each server keeps one session
(for stdio, one process) for all calls, reopened when it dies, closed with the tools."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.tools import BaseTool

from bots.agent.agent import Agent
from bots.external_tools import open_external_tools
from core.config import Settings
from core.runtime import Runtime
from domains.registry import all_tools
from tests.api.test_mcp import convonet_command, create_user, server_env
from tests.conftest import make_settings


@pytest.fixture
async def outside_server(tmp_path: Path, sqlite_template: Path) -> dict[str, object]:
    """A stdio connection to `convonet mcp --user ada@example.com` over its own SQLite file."""
    db = tmp_path / "outside.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite+aiosqlite:///{db}"
    await create_user(tmp_path, url, "ada@example.com")
    command, prefix = convonet_command()
    return {
        "transport": "stdio",
        "command": command,
        "args": [*prefix, "mcp", "--user", "ada@example.com"],
        "env": server_env(tmp_path, url),
        "cwd": str(tmp_path),
    }


def settings_with(tmp_path: Path, servers: dict[str, dict[str, object]], **overrides: object) -> Settings:
    return make_settings(
        tmp_path, f"sqlite+aiosqlite:///{tmp_path}/unused.db", None, mcp_servers=servers, **overrides
    )


@asynccontextmanager
async def tools_of(tmp_path: Path, server: dict[str, object], **overrides: object) -> AsyncIterator[dict[str, BaseTool]]:
    async with open_external_tools(settings_with(tmp_path, {"outside": server}, **overrides)) as tools:
        yield {t.name: t for t in tools}


def text(result: Any) -> str:
    """The text of a tool's result (the adapter gives content blocks; errors come back the same way)."""
    if isinstance(result, str):
        return result
    return "".join(block["text"] for block in result if block.get("type") == "text")


async def call(tool: BaseTool, **args: object) -> str:
    return text(await tool.ainvoke(args))


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie not yet reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


async def until(condition: Callable[[], bool], within: float = 10) -> None:
    for _ in range(int(within / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not so within {within} s")


# --- loading ------------------------------------------------------------------------------------


async def test_no_servers_configured(tmp_path: Path) -> None:
    async with open_external_tools(settings_with(tmp_path, {})) as tools:
        assert tools == []


async def test_loads_and_calls_an_outside_server(tmp_path: Path, outside_server: dict[str, object]) -> None:
    # `convonet mcp` loads the whole app; on a loaded machine that takes well over the default 10 s
    async with open_external_tools(settings_with(tmp_path, {"convonet": outside_server}), time_limit=60) as tools:
        assert sorted(t.name for t in tools) == sorted([*(spec.name for spec in all_tools()), "ask_assistant"])

        by_name = {t.name: t for t in tools}
        created = await by_name["create_todo"].ainvoke({"title": "Water the plants"})
        assert "Water the plants" in str(created)
        listed = await by_name["get_todos"].ainvoke({})
        assert "Water the plants" in str(listed)


async def test_broken_servers_are_skipped(tmp_path: Path, pid_script: Path) -> None:
    """The good server here (`outside_servers.PID_SERVER` over HTTP) is up before loading starts, so the time
    limit that cuts the silent server off can be short without a loaded machine failing the test (a good
    server's start-up inside the limit is `test_loads_and_calls_an_outside_server`'s)."""
    port = free_port()
    pid_server: dict[str, object] = {"transport": "streamable_http", "url": f"http://127.0.0.1:{port}/mcp"}
    servers: dict[str, dict[str, object]] = {
        "missing": {"transport": "stdio", "command": str(tmp_path / "no-such-program"), "args": []},
        "exits": {"transport": "stdio", "command": sys.executable, "args": ["-c", "raise SystemExit(3)"]},
        "silent": {
            "transport": "stdio",
            "command": sys.executable,
            "args": ["-c", "import time; time.sleep(60)"],
        },
        "refused": {"transport": "streamable_http", "url": "http://127.0.0.1:9/mcp"},
        "no-transport": {"command": "true"},
        "pid": pid_server,
        "pid-again": pid_server,  # same tool names: the first server's are kept
    }
    async with http_pid_server(pid_script, port) as server_pid:
        started = time.perf_counter()
        async with open_external_tools(settings_with(tmp_path, servers), time_limit=3) as tools:
            elapsed = time.perf_counter() - started
            assert sorted(t.name for t in tools) == ["nap", "pid", "span"]
            assert elapsed < 20  # the silent server was cut off, not waited for its 60 s
            assert int(await call(next(t for t in tools if t.name == "pid"))) == server_pid


# --- one session per server -----------------------------------------------------------------------


async def test_calls_share_one_server_process(
    tmp_path: Path, pid_server: dict[str, object], pid_script: Path
) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        first = int(await call(tools["pid"]))
        assert first != os.getpid() and alive(first)
        assert [int(await call(tools["pid"])) for _ in range(3)] == [first] * 3
        assert int(await call(tools["nap"], seconds=0)) == first
        assert server_children(pid_script) == [first]  # one process for all of them


async def test_concurrent_calls_share_the_session(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        first = int(await call(tools["pid"]))
        answers = await asyncio.gather(*(call(tools["nap"], seconds=0.3) for _ in range(8)))
        assert answers == [str(first)] * 8
        spans = [tuple(map(float, str(a).split())) for a in
                 await asyncio.gather(*(call(tools["span"], seconds=0.5) for _ in range(8)))]
        assert max(start for start, _ in spans) < min(end for _, end in spans)  # all 8 were running at once


async def test_killed_server_is_restarted_on_the_next_call(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        first = int(await call(tools["pid"]))
        os.kill(first, signal.SIGKILL)
        await until(lambda: not alive(first))
        await asyncio.sleep(0.2)  # a crash between calls, as it happens: the session has seen it end
        # `nap` is not repeatable, but the request cannot have reached the dead process, so it is
        # sent on a new session (a new process) within the same call
        second = int(await call(tools["nap"], seconds=0))
        assert second != first and alive(second)
        assert int(await call(tools["pid"])) == second

        # killed again, straight before the call: the request may go into the dying process's
        # pipe; `pid` is read-only, so it is repeated on a new session either way
        os.kill(second, signal.SIGKILL)
        third = int(await call(tools["pid"]))
        assert third not in (first, second) and alive(third)


async def test_server_dying_during_a_call(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        first = int(await call(tools["pid"]))

        # `nap` might have done its work before the process went: not repeated, the agent is told
        napping = asyncio.create_task(call(tools["nap"], seconds=30))
        await asyncio.sleep(0.5)
        os.kill(first, signal.SIGKILL)
        answer = await napping
        assert answer == "The connection to the outside service dropped during nap, so it may or may not have been done."
        second = int(await call(tools["pid"]))  # and the next call has a new session
        assert second != first

        # `pid` is read-only: repeated on a new session within the same call
        reading = asyncio.create_task(call(tools["pid"], seconds=1))
        await asyncio.sleep(0.5)
        os.kill(second, signal.SIGKILL)
        third = int(await reading)
        assert third not in (first, second)


async def test_server_that_stays_down_gives_a_sentence(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        first = int(await call(tools["pid"]))
        (tmp_path / "DOWN").touch()  # restarts now exit at once
        os.kill(first, signal.SIGKILL)
        answer = await call(tools["pid"])
        assert answer == "The outside service is unavailable right now, so pid was not done."
        (tmp_path / "DOWN").unlink()
        assert int(await call(tools["pid"])) != first  # and it comes back when the server does


async def test_slow_call_gives_a_sentence(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server, tool_timeout_seconds=1) as tools:
        first = int(await call(tools["pid"]))
        assert await call(tools["nap"], seconds=5) == "The outside service did not answer nap within 1 seconds."
        assert int(await call(tools["pid"])) == first  # a slow tool is not a dead session


async def test_closing_ends_the_server_process(tmp_path: Path, pid_server: dict[str, object]) -> None:
    async with tools_of(tmp_path, pid_server) as tools:
        pid = int(await call(tools["pid"]))
        assert alive(pid)
    assert not alive(pid)
    assert await call(tools["pid"]) == "The outside service is unavailable right now, so pid was not done."


def server_children(script: Path) -> list[int]:
    """The live processes this test process started from `script`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == os.getpid() and str(script).encode() in cmdline:
            found.append(int(stat.parent.name))
    return found


async def test_the_agent_holds_the_sessions_while_open(
    tmp_path: Path, sqlite_template: Path, pid_server: dict[str, object], pid_script: Path
) -> None:
    db = tmp_path / "agent.db"
    shutil.copy(sqlite_template, db)
    runtime = Runtime.build(
        make_settings(tmp_path, f"sqlite+aiosqlite:///{db}", None, mcp_servers={"outside": pid_server})
    )
    try:
        async with Agent.open(runtime):
            assert len(server_children(pid_script)) == 1  # opened with the agent, before any call
        assert server_children(pid_script) == []  # and closed with it
    finally:
        await runtime.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def http_pid_server(script: Path, port: int) -> AsyncIterator[int]:
    """The PID server over streamable HTTP on `port`, as a process of its own; yields its PID."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(script), str(script.parent / "DOWN"), str(port), stderr=asyncio.subprocess.DEVNULL
    )
    try:
        async with asyncio.timeout(30), httpx.AsyncClient() as http:
            while True:
                try:
                    await http.get(f"http://127.0.0.1:{port}/mcp")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield process.pid
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def test_http_server_restart_is_reconnected(tmp_path: Path, pid_script: Path) -> None:
    port = free_port()
    server: dict[str, object] = {"transport": "streamable_http", "url": f"http://127.0.0.1:{port}/mcp"}
    async with http_pid_server(pid_script, port) as first_pid, tools_of(tmp_path, server) as tools:
        assert [int(await call(tools["pid"])) for _ in range(2)] == [first_pid] * 2
        os.kill(first_pid, signal.SIGKILL)
        async with http_pid_server(pid_script, port) as second_pid:
            # the new server does not know the old session: refused unrun, so sent on a new one
            assert int(await call(tools["nap"], seconds=0)) == second_pid
            assert int(await call(tools["pid"])) == second_pid
