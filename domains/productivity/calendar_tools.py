"""Calendar tools. The local calendar is the truth; with Google credentials configured, every
change is mirrored to Google in the background so a turn never waits on it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_email
from core.config import Settings
from core.db import transaction
from core.errors import Invalid
from core.models import User
from core.timeutil import utcnow
from core.tools import ToolContext, tool
from domains.common import local_day_bounds, parse_date, parse_datetime, parse_moved, pick_one
from domains.productivity.models import CalendarEvent
from domains.productivity.views import event_view

if TYPE_CHECKING:
    from domains.productivity.google_calendar import GoogleCalendarMirror

log = logging.getLogger(__name__)
EventRef = Annotated[str, Field(description="The event's id, or words from its title.")]
When = Annotated[str, Field(description="ISO date-time in the caller's local time, e.g. 2026-11-23T14:00.")]
NOT_CONNECTED = "Google Calendar is not connected, so your Convonet calendar is the only copy."


def _build_mirror(settings: Settings) -> GoogleCalendarMirror | None:
    from domains.productivity.google_calendar import GoogleCalendarMirror

    return GoogleCalendarMirror.from_settings(settings)


def mirror_for(ctx: ToolContext) -> GoogleCalendarMirror | None:
    """The Google mirror when credentials are configured (one per runtime, made on first use)."""
    return ctx.clients.get(_build_mirror, ctx.settings)


async def _push(ctx: ToolContext, mirror: GoogleCalendarMirror, event_id: uuid.UUID) -> None:
    async with ctx.sessions() as session:
        event = await session.get(CalendarEvent, event_id)
    if event is None:
        return
    google_id = await mirror.upsert(event)
    if google_id != event.google_event_id:
        async with transaction(ctx.sessions) as session:
            stored = await session.get(CalendarEvent, event_id)
            if stored is not None:
                stored.google_event_id = google_id
                session.add(stored)


def _mirror_later(ctx: ToolContext, event_id: uuid.UUID) -> None:
    mirror = mirror_for(ctx)
    if mirror is not None:
        ctx.background.spawn(_push(ctx, mirror, event_id), name=f"gcal-upsert-{event_id}")


async def _mine(session: AsyncSession, ctx: ToolContext) -> list[CalendarEvent]:
    stmt = select(CalendarEvent).where(CalendarEvent.user_id == ctx.user_id).order_by(col(CalendarEvent.start_time))
    return list((await session.exec(stmt)).all())


async def _find(session: AsyncSession, ctx: ToolContext, ref: str) -> CalendarEvent:
    return pick_one(ref, await _mine(session, ctx), lambda e: e.title, lambda e: e.id, "event")


def _span(start: datetime, end: datetime | None) -> tuple[datetime, datetime]:
    end = end or start + timedelta(hours=1)
    if end <= start:
        raise Invalid("An event has to end after it starts.")
    return start, end


@tool("productivity")
async def create_calendar_event(
    ctx: ToolContext,
    title: Annotated[str, Field(min_length=1, max_length=500)],
    start: When,
    end: Annotated[str | None, Field(description="End, ISO date-time; default one hour after start.")] = None,
    description: Annotated[str | None, Field(max_length=10_000)] = None,
    location: Annotated[str | None, Field(max_length=255)] = None,
) -> dict[str, Any]:
    """Put an event on the caller's calendar."""
    begins, ends = _span(parse_datetime(ctx, start, "start time"), parse_datetime(ctx, end, "end time") if end else None)
    async with transaction(ctx.sessions) as session:
        event = CalendarEvent(
            user_id=ctx.user_id, title=title.strip(), start_time=begins, end_time=ends,
            description=description, location=location,
        )
        session.add(event)
        await session.flush()
        view = event_view(ctx, event)
    _mirror_later(ctx, event.id)
    return {"created": view}


@tool("productivity", mutates=False)
async def get_calendar_events(
    ctx: ToolContext,
    start_date: Annotated[str | None, Field(description="First day, ISO date; default today.")] = None,
    end_date: Annotated[str | None, Field(description="Last day, ISO date (inclusive); default a week later.")] = None,
) -> dict[str, Any]:
    """List the caller's events between two days (inclusive)."""
    first = parse_date(start_date) if start_date else ctx.now_local().date()
    last = parse_date(end_date) if end_date else first + timedelta(days=6)
    if last < first:
        raise Invalid("The end date is before the start date.")
    window_start, window_end = local_day_bounds(ctx, first, (last - first).days + 1)
    async with ctx.sessions() as session:
        stmt = (
            select(CalendarEvent)
            .where(CalendarEvent.user_id == ctx.user_id)
            .where(col(CalendarEvent.start_time) < window_end, col(CalendarEvent.end_time) > window_start)
            .order_by(col(CalendarEvent.start_time))
        )
        found = list((await session.exec(stmt)).all())
    return {"events": [event_view(ctx, e) for e in found], "from": first.isoformat(), "to": last.isoformat()}


@tool("productivity")
async def update_calendar_event(
    ctx: ToolContext,
    event: EventRef,
    title: Annotated[str | None, Field(max_length=500)] = None,
    start: Annotated[str | None, Field(
        description="New start, ISO date-time, local; a clock time alone (HH:MM) keeps the event's day.")] = None,
    end: Annotated[str | None, Field(
        description="New end, ISO date-time, local; a clock time alone (HH:MM) on the event's day.")] = None,
    description: Annotated[str | None, Field(max_length=10_000)] = None,
    location: Annotated[str | None, Field(max_length=255)] = None,
) -> dict[str, Any]:
    """Change an event's title, time, description or location. Moving the start keeps its length."""
    async with transaction(ctx.sessions) as session:
        found = await _find(session, ctx, event)
        if title is not None:
            found.title = title.strip()
        if start is not None:
            length = found.end_time - found.start_time
            found.start_time = parse_moved(ctx, start, found.start_time, "start time")
            found.end_time = found.start_time + length
        if end is not None:
            found.end_time = parse_moved(ctx, end, found.start_time, "end time")
        _span(found.start_time, found.end_time)
        if description is not None:
            found.description = description
        if location is not None:
            found.location = location
        found.updated_at = utcnow()
        session.add(found)
        await session.flush()
        view = event_view(ctx, found)
    _mirror_later(ctx, found.id)
    return {"updated": view}


@tool("productivity")
async def delete_calendar_event(ctx: ToolContext, event: EventRef) -> dict[str, Any]:
    """Remove an event from the caller's calendar. Confirm with the caller first."""
    async with transaction(ctx.sessions) as session:
        found = await _find(session, ctx, event)
        view, google_id = event_view(ctx, found), found.google_event_id
        await session.delete(found)
    mirror = mirror_for(ctx)
    if mirror is not None and google_id:
        ctx.background.spawn(mirror.delete(google_id), name=f"gcal-delete-{google_id}")
    return {"deleted": view}


async def _owns_calendar(session: AsyncSession, ctx: ToolContext) -> bool:
    owner = ctx.settings.google_calendar_owner
    if not owner:
        return False
    user = await session.get(User, ctx.user_id)
    return user is not None and user.email == normalize_email(owner)


@tool("productivity")
async def sync_google_calendar_events(ctx: ToolContext) -> dict[str, Any]:
    """Bring the caller's calendar and Google Calendar in line for the next 30 days: the caller's own
    events only (the Google calendar may hold other users' events too)."""
    from domains.productivity.google_calendar import CalendarUnavailable

    mirror = mirror_for(ctx)
    if mirror is None:
        return {"connected": False, "message": NOT_CONNECTED}
    now = ctx.clock()
    async with ctx.sessions() as session:
        owns_calendar = await _owns_calendar(session, ctx)
    try:
        # The calendar's owner also takes the events made in Google (no Convonet owner); nobody
        # else is even sent another user's events.
        window = (now - timedelta(days=1), now + timedelta(days=30))
        if owns_calendar:
            remote = [e for e in await mirror.list_events(*window) if e.owner in (None, str(ctx.user_id))]
        else:
            remote = await mirror.list_events(*window, owner=ctx.user_id)
    except CalendarUnavailable as exc:
        raise Invalid(f"I couldn't reach Google Calendar: {exc}") from None
    imported = pushed = 0
    async with transaction(ctx.sessions) as session:
        local = await _mine(session, ctx)
        known = {e.google_event_id for e in local if e.google_event_id}
        for item in remote:
            if item.id not in known:
                session.add(
                    CalendarEvent(
                        user_id=ctx.user_id, title=item.title, description=item.description, location=item.location,
                        start_time=item.start, end_time=item.end, google_event_id=item.id,
                    )
                )
                imported += 1
        unsynced = [e.id for e in local if not e.google_event_id and e.end_time >= now]
    for event_id in unsynced:
        await _push(ctx, mirror, event_id)
        pushed += 1
    return {"connected": True, "imported": imported, "pushed": pushed}


@tool("productivity", mutates=False)
async def test_google_calendar(ctx: ToolContext) -> dict[str, Any]:
    """Check whether Google Calendar is connected."""
    from domains.productivity.google_calendar import CalendarUnavailable

    mirror = mirror_for(ctx)
    if mirror is None:
        return {"connected": False, "message": NOT_CONNECTED}
    try:
        return await mirror.test()
    except CalendarUnavailable as exc:
        return {"connected": False, "message": f"Google Calendar is configured but not answering: {exc}"}


TOOLS = [
    create_calendar_event,
    get_calendar_events,
    update_calendar_event,
    delete_calendar_event,
    sync_google_calendar_events,
    test_google_calendar,
]
