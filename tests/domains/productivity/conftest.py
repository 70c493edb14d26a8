"""Tool-test fixtures: users and their tool contexts on the parametrized backends."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core import accounts
from core.runtime import Runtime
from core.tools import ToolContext, ToolResult, run_tool
from domains.registry import tools_by_name

FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # a Monday

Call = Callable[..., Awaitable[ToolResult]]


@pytest.fixture
def make_ctx(runtime: Runtime) -> Callable[..., Awaitable[ToolContext]]:
    async def make(name: str, **kwargs: Any) -> ToolContext:
        async with runtime.sessions() as session, session.begin():
            user = await accounts.register_user(
                session, email=f"{name}@example.com", password="password123", first_name=name.title(), rounds=4
            )
        return ToolContext.for_user(runtime, user.id, clock=lambda: FIXED_NOW, **kwargs)

    return make


async def call(ctx: ToolContext, tool_name: str, /, **arguments: Any) -> ToolResult:
    return await run_tool(tools_by_name()[tool_name], ctx, arguments)


def ok(result: ToolResult) -> Any:
    assert result.ok, result.error
    return result.content


def fails(result: ToolResult, *words: str) -> str:
    assert not result.ok, result.content
    assert result.error
    for word in words:
        assert word.lower() in result.error.lower(), result.error
    return result.error
