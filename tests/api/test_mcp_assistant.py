"""`ask_assistant` on the MCP server: a sentence through MCP reaches the same understanding as
`POST /api/assistant/say`, over streamable HTTP and over `convonet mcp --user` (stdio)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from core.runtime import Runtime
from tests.api.test_mcp import convonet_command, create_user, live_server, mcp_session, payload, server_env
from tests.helpers import register

FIELDS = {"reply", "tool_calls", "domain", "thread_id", "end_call"}


def understanding(reply: dict[str, Any]) -> tuple[str, str, list[tuple[str, dict[str, Any], bool]]]:
    """What a turn understood and did, without the parts that differ per run (ids, timings)."""
    return reply["reply"], reply["domain"], [(c["name"], c["arguments"], c["ok"]) for c in reply["tool_calls"]]


async def ask(session: ClientSession, text: str, thread_id: str | None = None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"text": text} if thread_id is None else {"text": text, "thread_id": thread_id}
    result = await session.call_tool("ask_assistant", arguments)
    assert not result.isError, result.content
    reply: dict[str, Any] = payload(result)
    assert set(reply) == FIELDS
    return reply


async def test_http_ask_assistant_understands_as_the_rest_door_does(runtime: Runtime) -> None:
    async with live_server(runtime) as base_url, httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        alice, bob = await register(api), await register(api)
        created = await api.post("/api/todos/", json={"title": "water the tomato plants"}, headers=alice.auth)
        assert created.status_code == 201, created.text

        async with mcp_session(base_url, alice.access) as session:
            tool = next(t for t in (await session.list_tools()).tools if t.name == "ask_assistant")
            assert tool.description and tool.description.startswith("Say something to the Convonet assistant")
            assert tool.inputSchema["required"] == ["text"]
            assert set(tool.inputSchema["properties"]) == {"text", "thread_id"}

            by_mcp = await ask(session, "what's on my todo list")
            by_rest = await api.post(
                "/api/assistant/say", json={"text": "what's on my todo list"}, headers=alice.auth
            )
            assert by_rest.status_code == 200, by_rest.text
            assert understanding(by_mcp) == understanding(by_rest.json())
            assert [c["name"] for c in by_mcp["tool_calls"]] == ["get_todos"]
            assert "water the tomato plants" in by_mcp["reply"]

            # a follow-up in the same thread: asked to confirm, then confirmed
            thread = (await ask(session, "delete the tomato todo"))["thread_id"]
            done = await ask(session, "yes", thread)
            assert [(c["name"], c["ok"]) for c in done["tool_calls"]] == [("delete_todo", True)]
            assert (await api.get("/api/todos/", headers=alice.auth)).json() == []

            for arguments, words in (({"text": "  "}, "empty"), ({}, "text"), ({"text": "x" * 2001}, "2000")):
                bad = await session.call_tool("ask_assistant", arguments)
                assert bad.isError and words in payload(bad)["error"], (arguments, bad.content)

        async with mcp_session(base_url, bob.access) as session:
            # Bob's words act on Bob's todos, and Alice's thread is not his to continue
            assert "no todos" in (await ask(session, "what's on my todo list"))["reply"]
            foreign = await session.call_tool("ask_assistant", {"text": "yes", "thread_id": thread})
            assert foreign.isError and "thread_id" in payload(foreign)["error"]


async def test_stdio_ask_assistant(tmp_path: Path, sqlite_template: Path) -> None:
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
        added = await ask(session, "add a todo to water the tomato plants")
        assert [(c["name"], c["arguments"]) for c in added["tool_calls"]] == [
            ("create_todo", {"title": "water the tomato plants"})
        ]
        todos = payload(await session.call_tool("get_todos", {}))
        assert [t["title"] for t in todos["todos"]] == ["water the tomato plants"]
        listed = await ask(session, "what's on my todo list", added["thread_id"])
        assert listed["thread_id"] == added["thread_id"]
        assert "water the tomato plants" in listed["reply"]
