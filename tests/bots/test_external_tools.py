"""Outside MCP servers for the agent: our own `convonet mcp` stands in for one; broken ones
are skipped within the time limit instead of blocking start-up."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from bots.external_tools import load_external_tools
from core.config import Settings
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


def settings_with(tmp_path: Path, servers: dict[str, dict[str, object]]) -> Settings:
    return make_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/unused.db", None, mcp_servers=servers)


async def test_no_servers_configured(tmp_path: Path) -> None:
    assert await load_external_tools(settings_with(tmp_path, {})) == []


async def test_loads_and_calls_an_outside_server(tmp_path: Path, outside_server: dict[str, object]) -> None:
    tools = await load_external_tools(settings_with(tmp_path, {"convonet": outside_server}))
    assert sorted(t.name for t in tools) == sorted(spec.name for spec in all_tools())

    by_name = {t.name: t for t in tools}
    created = await by_name["create_todo"].ainvoke({"title": "Water the plants"})
    assert "Water the plants" in str(created)
    listed = await by_name["get_todos"].ainvoke({})
    assert "Water the plants" in str(listed)


async def test_broken_servers_are_skipped(tmp_path: Path, outside_server: dict[str, object]) -> None:
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
        "convonet": outside_server,
        "convonet-again": outside_server,  # same tool names: the first server's are kept
    }
    started = time.perf_counter()
    tools = await load_external_tools(settings_with(tmp_path, servers), time_limit=5)
    elapsed = time.perf_counter() - started
    assert sorted(t.name for t in tools) == sorted(spec.name for spec in all_tools())
    assert elapsed < 15  # the silent server was cut off, not waited for
