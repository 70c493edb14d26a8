"""References resolved against the caller's own records, through the whole agent on the embedded database:
the offline model lists the records a request may name before it acts (`bots.llm.lookup`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import pytest

from bots.agent.agent import Agent, AgentSession
from core import accounts
from core.grammar.registry import REFERENCE_NOW
from core.runtime import Runtime
from core.tools import ToolContext, ToolEvent
from tests.domains.tool_calls import call, ok

NOW = REFERENCE_NOW.replace(tzinfo=UTC)  # Monday 2026-11-23 10:00


@pytest.fixture
async def ctx(runtime: Runtime) -> ToolContext:
    async with runtime.sessions() as session, session.begin():
        user = await accounts.register_user(session, email="ada@example.com", password="password123", rounds=4)
    return ToolContext.for_user(runtime, user.id, clock=lambda: NOW)


@pytest.fixture
async def session(runtime: Runtime, ctx: ToolContext) -> AsyncIterator[AgentSession]:
    async with Agent.open(runtime) as agent:
        yield agent.session(ctx, "thread-lookup")


def _acts(calls: list[ToolEvent]) -> list[tuple[str, dict[str, Any]]]:
    return [(c.name, c.arguments) for c in calls if not c.name.startswith(("get_", "list_"))]


async def test_an_event_named_as_if_it_were_a_reminder_is_moved_on_the_calendar(
    session: AgentSession, ctx: ToolContext
) -> None:
    event = ok(await call(ctx, "create_calendar_event", title="budget review", start="2026-11-26T14:00"))
    ok(await call(ctx, "create_reminder", message="water the ferns", remind_at="2026-11-25T09:00"))
    result = await session.turn("move the budget review to friday at ten am")
    [(tool, args)] = _acts(result.tool_calls)
    assert tool == "update_calendar_event"
    assert args["event"] == event["created"]["id"]
    assert args["start"].startswith("2026-11-27T10:00")
    listed = ok(await call(ctx, "get_calendar_events", start_date="2026-11-27", end_date="2026-11-27"))
    assert [e["title"] for e in listed["events"]] == ["budget review"]


async def test_the_one_appointment_is_cancelled_after_reading_its_details(session: AgentSession, ctx: ToolContext) -> None:
    ok(await call(ctx, "register_patient", first_name="Ada", last_name="Byron", date_of_birth="1990-12-10"))
    ok(await call(ctx, "book_appointment", date="2026-11-27", time="10:00", reason="a checkup"))
    asked = await session.turn("i need to cancel my doctor appointment")
    assert _acts(asked.tool_calls) == []
    assert "friday" in asked.reply.lower() and "checkup" in asked.reply.lower(), asked.reply
    done = await session.turn("yes")
    [(tool, _args)] = _acts(done.tool_calls)
    assert tool == "cancel_appointment"
    assert ok(await call(ctx, "list_appointments"))["appointments"] == []


async def _which(session: AgentSession, ctx: ToolContext) -> list[str]:
    ok(await call(ctx, "create_todo", title="buy milk"))
    ok(await call(ctx, "create_todo", title="buy oat milk"))
    asked = await session.turn("delete the milk todo")
    assert asked.reply.startswith("Which one: "), asked.reply
    named = asked.reply.removeprefix("Which one: ").removesuffix("?").split(" or ")
    assert sorted(named) == ["buy milk", "buy oat milk"]
    return named


async def test_two_matching_todos_are_told_apart_by_name(session: AgentSession, ctx: ToolContext) -> None:
    await _which(session, ctx)
    confirm = await session.turn("just buy milk")
    assert confirm.reply == "Delete the todo buy milk? Say yes to confirm."
    await session.turn("yes")
    assert [t["title"] for t in ok(await call(ctx, "get_todos"))["todos"]] == ["buy oat milk"]


async def test_two_matching_todos_are_told_apart_by_their_place(session: AgentSession, ctx: ToolContext) -> None:
    named = await _which(session, ctx)
    confirm = await session.turn("the second one")
    assert confirm.reply == f"Delete the todo {named[1]}? Say yes to confirm."
    await session.turn("yes")
    assert [t["title"] for t in ok(await call(ctx, "get_todos"))["todos"]] == [named[0]]


async def test_a_booked_visit_is_read_back_with_its_confirmation_code(session: AgentSession, ctx: ToolContext) -> None:
    ok(await call(ctx, "register_patient", first_name="Ada", last_name="Byron", date_of_birth="1990-12-10"))
    booked = await session.turn("book me a doctor's appointment on friday at ten am for a checkup")
    [(tool, _args)] = _acts(booked.tool_calls)
    assert tool == "book_appointment"
    code = booked.tool_calls[-1].result["confirmation_code"]
    assert code and "confirmation code" in booked.reply.lower(), booked.reply


async def test_a_name_the_recogniser_misheard_is_offered_by_its_sound(session: AgentSession, ctx: ToolContext) -> None:
    """"hauling forth" is what the recogniser wrote for Hollingsworth: no record has those words, one
    sounds like them; the caller is asked before anything changes."""
    ok(await call(ctx, "create_reservation", date="2026-11-27", time="19:00", party_size=4, name="Hollingsworth"))
    ok(await call(ctx, "create_reservation", date="2026-11-28", time="20:00", party_size=2, name="Delgado"))
    asked = await session.turn("change the hauling forth party to ten people")
    assert _acts(asked.tool_calls) == []
    assert asked.reply.startswith("Did you mean ") and "Hollingsworth" in asked.reply, asked.reply
    done = await session.turn("yes")
    [(tool, args)] = _acts(done.tool_calls)
    assert tool == "change_reservation" and args["party_size"] == 10
    sizes = {r["name"]: r["party_size"] for r in ok(await call(ctx, "list_reservations"))["reservations"]}
    assert sizes == {"Hollingsworth": 10, "Delgado": 2}


async def test_no_is_an_answer_to_did_you_mean(session: AgentSession, ctx: ToolContext) -> None:
    ok(await call(ctx, "create_todo", title="garage sale"))
    ok(await call(ctx, "create_todo", title="buy milk"))
    asked = await session.turn("scrap the garage sail task altogether")
    assert asked.reply == "Did you mean garage sale?", asked.reply
    await session.turn("no")
    assert sorted(t["title"] for t in ok(await call(ctx, "get_todos"))["todos"]) == ["buy milk", "garage sale"]


async def test_a_name_like_none_of_the_records_is_not_offered(session: AgentSession, ctx: ToolContext) -> None:
    ok(await call(ctx, "create_reservation", date="2026-11-27", time="19:00", party_size=4, name="Hollingsworth"))
    ok(await call(ctx, "create_reservation", date="2026-11-28", time="20:00", party_size=2, name="Delgado"))
    asked = await session.turn("cancel the booking under pemberton")
    assert "Did you mean" not in asked.reply, asked.reply
    assert len(ok(await call(ctx, "list_reservations"))["reservations"]) == 2


async def test_a_misheard_name_of_a_kin_record_is_offered_with_its_own_tool(session: AgentSession, ctx: ToolContext) -> None:
    """"the team think" (team sync, a calendar event) said as if it were a reminder: the event is offered."""
    event = ok(await call(ctx, "create_calendar_event", title="team sync", start="2026-11-26T14:00"))
    ok(await call(ctx, "create_reminder", message="water the ferns", remind_at="2026-11-25T09:00"))
    asked = await session.turn("move the team think reminder to friday at ten am")
    assert asked.reply.startswith("Did you mean ") and "team sync" in asked.reply, asked.reply
    done = await session.turn("yes")
    [(tool, args)] = _acts(done.tool_calls)
    assert tool == "update_calendar_event" and args["event"] == event["created"]["id"]
    assert args["start"].startswith("2026-11-27T10:00")
