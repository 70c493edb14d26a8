"""Reminder, calendar and transfer tools."""

from __future__ import annotations

from tests.domains.productivity.conftest import call, fails, ok


async def test_reminders(make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("rita")
    other = await make_ctx("rob")
    created = ok(await call(ctx, "create_reminder", message="take the pills", remind_at="2026-11-24T08:00"))
    assert created["created"]["remind_at"] == "2026-11-24T08:00"
    assert ok(await call(ctx, "get_reminders"))["count"] == 1
    ok(await call(ctx, "update_reminder", reminder="pills", remind_at="2026-11-24T09:30"))
    assert ok(await call(ctx, "get_reminders"))["reminders"][0]["remind_at"] == "2026-11-24T09:30"
    # "push my pills reminder to four": a clock time alone keeps the reminder's day
    ok(await call(ctx, "update_reminder", reminder="pills", remind_at="16:00"))
    assert ok(await call(ctx, "get_reminders"))["reminders"][0]["remind_at"] == "2026-11-24T16:00"
    fails(await call(ctx, "update_reminder", reminder="pills", remind_at="25:00"), "reminder time")
    fails(await call(ctx, "create_reminder", message="too late", remind_at="2026-11-01T08:00"), "passed")
    fails(await call(ctx, "create_reminder", message="x", remind_at="tomorrowish"), "reminder time")
    fails(await call(other, "delete_reminder", reminder="pills"), "couldn't find")
    fails(await call(other, "update_reminder", reminder="pills", message="mine now"), "couldn't find")
    assert ok(await call(other, "get_reminders"))["count"] == 0
    ok(await call(ctx, "delete_reminder", reminder="take the pills"))
    assert ok(await call(ctx, "get_reminders"))["count"] == 0


async def test_calendar_without_google(make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("carl")
    other = await make_ctx("cora")
    created = ok(await call(ctx, "create_calendar_event", title="Dentist", start="2026-11-25T10:00", location="Main St"))
    assert created["created"]["end"] == "2026-11-25T11:00"
    ok(await call(ctx, "create_calendar_event", title="Standup", start="2026-11-28T09:00", end="2026-11-28T09:15"))
    week = ok(await call(ctx, "get_calendar_events"))
    assert [e["title"] for e in week["events"]] == ["Dentist", "Standup"]
    day = ok(await call(ctx, "get_calendar_events", start_date="2026-11-25", end_date="2026-11-25"))
    assert [e["title"] for e in day["events"]] == ["Dentist"]
    moved = ok(await call(ctx, "update_calendar_event", event="dentist", start="2026-11-26T14:00"))
    assert (moved["updated"]["start"], moved["updated"]["end"]) == ("2026-11-26T14:00", "2026-11-26T15:00")
    # "push the dentist to four thirty", "... end at six": a clock time alone keeps the event's day
    moved = ok(await call(ctx, "update_calendar_event", event="dentist", start="16:30"))
    assert (moved["updated"]["start"], moved["updated"]["end"]) == ("2026-11-26T16:30", "2026-11-26T17:30")
    moved = ok(await call(ctx, "update_calendar_event", event="dentist", end="18:00"))
    assert moved["updated"]["end"] == "2026-11-26T18:00"
    fails(await call(ctx, "create_calendar_event", title="x", start="2026-11-25T10:00", end="2026-11-25T09:00"), "end after")
    fails(await call(ctx, "get_calendar_events", start_date="2026-02-30"), "date")
    fails(await call(other, "delete_calendar_event", event="dentist"), "couldn't find")
    assert ok(await call(other, "get_calendar_events"))["events"] == []
    ok(await call(ctx, "delete_calendar_event", event="dentist"))
    status = ok(await call(ctx, "test_google_calendar"))
    assert status["connected"] is False and "not connected" in status["message"]
    assert ok(await call(ctx, "sync_google_calendar_events"))["connected"] is False


async def test_transfer_tools(make_ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = await make_ctx("tess", call_sid="CA123", channel="phone")
    departments = ok(await call(ctx, "get_available_departments"))["departments"]
    assert {"name": "support", "extension": "2001"} in departments
    result = ok(await call(ctx, "transfer_to_agent", department="Billing", reason="refund"))
    assert result == {"transferring": True, "department": "billing", "extension": "2003"}
    assert ctx.transfer is not None
    assert (ctx.transfer.department, ctx.transfer.extension, ctx.transfer.reason) == ("billing", "2003", "refund")
    assert (ctx.transfer.call_sid, ctx.transfer.channel, ctx.transfer.user_id) == ("CA123", "phone", str(ctx.user_id))
    fails(await call(ctx, "transfer_to_agent", department="astrology"), "no astrology department")
