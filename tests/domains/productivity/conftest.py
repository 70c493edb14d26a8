"""Tool-test fixtures: users and their tool contexts on the parametrized backends; for the Google Calendar
tests the fake Calendar v3 server and a mirror pointed at it, and no network but loopback."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core import accounts
from core.runtime import Runtime
from core.tools import ToolContext, ToolResult, run_tool
from domains.productivity.google_calendar import GoogleCalendarMirror
from domains.registry import tools_by_name
from tests.domains.productivity.google_helpers import ALLOWED_HOSTS, calendar_settings, write_credentials
from tests.fakes.google_calendar import FakeGoogleCalendar

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


# --- Google Calendar: only loopback, and the fake Calendar v3 server ------------------------------
@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: refuse name lookups other than loopback (and the test services), ignore proxies."""
    real = socket.getaddrinfo

    def only_loopback(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in ALLOWED_HOSTS:
            raise OSError(f"test tried to reach {name!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", only_loopback)
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def fake() -> Iterator[FakeGoogleCalendar]:
    with FakeGoogleCalendar() as server:
        yield server


@pytest.fixture
def mirror(fake: FakeGoogleCalendar, tmp_path: Path) -> GoogleCalendarMirror:
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=fake.url
    )
    made = GoogleCalendarMirror.from_settings(settings, timeout=2.0)
    assert made is not None
    return made
