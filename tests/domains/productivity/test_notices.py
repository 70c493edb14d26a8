"""Change notices go out after the tool's answer, outside its time limit."""

from __future__ import annotations

import asyncio
import time

from sqlmodel import select

from core import accounts
from core.runtime import Runtime
from core.store import create_store
from core.tools import ToolContext, run_tool
from domains.productivity.models import Todo
from domains.registry import tools_by_name


async def test_a_hung_store_neither_delays_nor_fails_a_saved_todo(runtime: Runtime) -> None:
    """Before, the notice was awaited inside the tool: a hung store ran the tool into its time limit
    and the caller heard "nothing was changed" about a todo that was saved (a retry duplicated it)."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    hung = create_store(f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0", timeout=2.0)
    settings = runtime.settings.model_copy(update={"tool_timeout_seconds": 1.0})
    slow_store = Runtime(settings, runtime.engine, runtime.sessions, hung)
    try:
        async with runtime.sessions() as session, session.begin():
            user = await accounts.register_user(session, email="nia@example.com", password="password123", rounds=4)
        ctx = ToolContext.for_user(slow_store, user.id)
        started = time.monotonic()
        result = await run_tool(tools_by_name()["create_todo"], ctx, {"title": "buy milk"})
        assert result.ok, result.error
        assert time.monotonic() - started < 1.0
        async with runtime.sessions() as session:
            titles = [t.title for t in (await session.exec(select(Todo).where(Todo.creator_id == user.id))).all()]
        assert titles == ["buy milk"]
    finally:
        await slow_store.background.drain()  # the notice gives up at the store's deadline, logged
        await hung.close()
        server.close()
