"""Fixtures the domain tool tests share: callers (a user and their tool context) on every backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from core import accounts
from core.runtime import Runtime
from core.tools import ToolContext

# Monday 2026-11-23, 09:00 in Chicago: evening seatings there fall on the next UTC day, which
# is where day-boundary mistakes show.
FIXED_NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
ZONE = "America/Chicago"

MakeCaller = Callable[..., Awaitable[ToolContext]]


@pytest.fixture
def caller(runtime: Runtime) -> MakeCaller:
    """`await caller("alice")`: a registered user named Alice and her ToolContext, clock fixed."""
    settings = runtime.settings.model_copy(update={"timezone": ZONE})

    async def make(name: str, **kwargs: Any) -> ToolContext:
        async with runtime.sessions() as session, session.begin():
            user = await accounts.register_user(
                session, email=f"{name}@example.com", password="password123", first_name=name.title(), rounds=4
            )
        ctx = ToolContext.for_user(runtime, user.id, clock=lambda: FIXED_NOW, **kwargs)
        ctx.settings = settings
        return ctx

    return make
