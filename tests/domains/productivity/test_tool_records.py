"""What a tool call's record (the monitor, live feeds, call records) keeps: capped text, whole data."""

from __future__ import annotations

import uuid
from typing import Any

from core.runtime import Runtime
from core.tools import RECORD_TEXT_CHARS, ToolEvent
from domains.productivity.models import Todo
from tests.domains.productivity.conftest import call, ok


async def test_long_arguments_are_cut_in_the_record_but_stored_whole(make_ctx: Any, runtime: Runtime) -> None:
    ctx = await make_ctx("rita")
    seen: list[ToolEvent] = []

    async def listen(event: ToolEvent) -> None:
        seen.append(event)

    ctx.listeners.append(listen)
    description = "symptoms: " + "x" * 9_000  # under the field's 10,000, far over the record's 500
    created = ok(await call(ctx, "create_todo", title="Call the clinic", description=description))
    (event,) = seen
    assert len(event.arguments["description"]) == RECORD_TEXT_CHARS + 1  # cut, with an ellipsis
    assert event.arguments["title"] == "Call the clinic"
    assert len(str(event.result)) < 5_000
    async with runtime.sessions() as session:
        stored = await session.get(Todo, uuid.UUID(created["created"]["id"]))
    assert stored is not None and stored.description == description  # the tool saw it whole
