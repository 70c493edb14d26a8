"""Reminder tools: a message at a time, for the caller alone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import transaction
from core.errors import Invalid
from core.tools import ToolContext, tool
from domains.common import parse_datetime, parse_moved, pick_one
from domains.productivity.models import Importance, Reminder
from domains.productivity.views import reminder_view

ReminderRef = Annotated[str, Field(description="The reminder's id, or words from its message.")]
WhenArg = Annotated[str, Field(description="When to remind: ISO date-time in the caller's local time.")]
ImportanceArg = Annotated[Literal["low", "medium", "high"], Field(description="How much it matters.")]


async def _mine(session: AsyncSession, ctx: ToolContext, include_done: bool = True) -> list[Reminder]:
    stmt = select(Reminder).where(Reminder.user_id == ctx.user_id)
    if not include_done:
        stmt = stmt.where(col(Reminder.is_done).is_(False))
    return list((await session.exec(stmt.order_by(col(Reminder.remind_at)))).all())


async def _find(session: AsyncSession, ctx: ToolContext, ref: str) -> Reminder:
    return pick_one(ref, await _mine(session, ctx), lambda r: r.message, lambda r: r.id, "reminder")


def _future(ctx: ToolContext, when: str, current: datetime | None = None) -> Any:
    moment = parse_datetime(ctx, when, "reminder time") if current is None else parse_moved(ctx, when, current, "reminder time")
    if moment <= ctx.clock():
        raise Invalid("That time has already passed; when should I remind you?")
    return moment


@tool("productivity")
async def create_reminder(
    ctx: ToolContext,
    message: Annotated[str, Field(description="What to be reminded of.", min_length=1, max_length=500)],
    remind_at: WhenArg,
    importance: ImportanceArg = "medium",
    deliver_by: Annotated[Literal["notice", "call"], Field(
        description="\"call\" when the caller asked to be called with it (\"call me at seven to remind me…\")."
    )] = "notice",
) -> dict[str, Any]:
    """Set a reminder for the caller at a future time; at that time it shows on their open pages and,
    when they have a phone number, comes as a text message, or as a phone call that speaks it when they
    asked to be called."""
    moment = _future(ctx, remind_at)
    async with transaction(ctx.sessions) as session:
        same = (await session.exec(select(Reminder).where(
            Reminder.user_id == ctx.user_id, Reminder.message == message.strip(), Reminder.remind_at == moment,
            col(Reminder.fired_at).is_(None),
        ))).first()
        if same is not None:  # said twice in one breath (or a retried call): one reminder, fired once
            return {"created": reminder_view(ctx, same), "already_set": True}
        reminder = Reminder(user_id=ctx.user_id, message=message.strip(), remind_at=moment,
                            importance=Importance(importance).value, by_call=deliver_by == "call")
        session.add(reminder)
        await session.flush()
        return {"created": reminder_view(ctx, reminder)}


@tool("productivity", mutates=False)
async def get_reminders(
    ctx: ToolContext, include_done: Annotated[bool, Field(description="Also list past/done reminders.")] = False
) -> dict[str, Any]:
    """List the caller's reminders, soonest first."""
    async with ctx.sessions() as session:
        found = await _mine(session, ctx, include_done)
        return {"reminders": [reminder_view(ctx, r) for r in found], "count": len(found)}


@tool("productivity")
async def update_reminder(
    ctx: ToolContext,
    reminder: ReminderRef,
    message: Annotated[str | None, Field(max_length=500)] = None,
    remind_at: Annotated[str | None, Field(
        description="New time, ISO date-time, local; a clock time alone (HH:MM) keeps the reminder's day.")] = None,
    importance: ImportanceArg | None = None,
) -> dict[str, Any]:
    """Change a reminder's message, time or importance; a new time sets it to fire again."""
    if message is None and remind_at is None and importance is None:
        raise Invalid("Tell me the new message, time or importance.")
    async with transaction(ctx.sessions) as session:
        found = await _find(session, ctx, reminder)
        moment = _future(ctx, remind_at, found.remind_at) if remind_at else None
        if message is not None:
            found.message = message.strip()
        if importance is not None:
            found.importance = Importance(importance).value
        if moment is not None:
            found.remind_at = moment
            found.is_done = False
            found.fired_at = None
            found.fired_late = False
        session.add(found)
        await session.flush()
        return {"updated": reminder_view(ctx, found)}


@tool("productivity")
async def delete_reminder(ctx: ToolContext, reminder: ReminderRef) -> dict[str, Any]:
    """Delete one of the caller's reminders."""
    async with transaction(ctx.sessions) as session:
        found = await _find(session, ctx, reminder)
        view = reminder_view(ctx, found)
        await session.delete(found)
        return {"deleted": view}


TOOLS = [create_reminder, get_reminders, update_reminder, delete_reminder]
