"""GoogleCalendarMirror against the fake Calendar v3 server: nothing here may reach Google."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings
from core.runtime import Runtime
from domains.productivity.google_calendar import (
    CalendarUnavailable,
    GoogleCalendarMirror,
    GoogleEvent,
    api_endpoint,
    load_credentials,
)
from domains.productivity.models import CalendarEvent
from tests.conftest import Backend, make_settings
from tests.domains.productivity.conftest import call, ok
from tests.domains.productivity.google_helpers import (
    EVENTS,
    T0,
    calendar_settings,
    make_event,
    write_credentials,
)
from tests.fakes.google_calendar import FakeGoogleCalendar

# --- configuration ---------------------------------------------------------------------------------


def test_from_settings_is_none_without_a_credentials_file(tmp_path: Path) -> None:
    assert GoogleCalendarMirror.from_settings(calendar_settings(tmp_path)) is None


async def test_an_unusable_credentials_file_makes_every_call_fail(
    fake: FakeGoogleCalendar, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"client_id": "x"}))  # no refresh_token / client_secret
    for path in (tmp_path / "missing.json", bad):
        settings = calendar_settings(
            tmp_path, google_calendar_credentials_file=path, google_calendar_base_url=fake.url
        )
        mirror = GoogleCalendarMirror.from_settings(settings)
        assert mirror is not None  # configured: callers must hear why it fails
        with pytest.raises(CalendarUnavailable, match="credentials file"):
            await mirror.test()
        with pytest.raises(CalendarUnavailable, match="credentials file"):
            await mirror.upsert(make_event())
    with pytest.raises(CalendarUnavailable, match="missing fields"):
        load_credentials(bad)
    assert fake.requests == []


def test_building_the_mirror_makes_no_request(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    assert fake.requests == []  # static discovery document; no token fetched yet
    assert mirror.endpoint == f"{fake.url}/calendar/v3/"


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://h:1", "http://h:1/calendar/v3/"),
        ("http://h:1/", "http://h:1/calendar/v3/"),
        ("http://h:1/calendar/v3", "http://h:1/calendar/v3/"),
        ("http://h:1/calendar/v3/", "http://h:1/calendar/v3/"),
        ("https://proxy.example/google/", "https://proxy.example/google/calendar/v3/"),
    ],
)
def test_api_endpoint_appends_the_service_path(base: str, expected: str) -> None:
    assert api_endpoint(base) == expected


async def test_a_base_url_with_the_service_path_works_too(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=fake.url + "/calendar/v3"
    )
    mirror = GoogleCalendarMirror.from_settings(settings)
    assert mirror is not None
    assert (await mirror.test())["connected"] is True


# --- upsert / delete -------------------------------------------------------------------------------


async def test_upsert_inserts_then_updates_keeping_the_id(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    event = make_event("Dentist", description="Bring the form", location="Main St 1")
    google_id = await mirror.upsert(event)

    assert google_id == event.id.hex  # our id, so a retried insert cannot duplicate
    (insert,) = fake.api_requests("POST")
    assert insert.path == EVENTS
    assert insert.body == {
        "id": event.id.hex,
        "summary": "Dentist",
        "description": "Bring the form",
        "location": "Main St 1",
        "start": {"dateTime": "2026-11-23T15:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-23T16:00:00Z", "timeZone": "UTC"},
        "extendedProperties": {"private": {"convonet_user": str(event.user_id)}},  # whose it is
    }

    event.google_event_id = google_id
    event.title = "Dentist (moved)"
    event.description = None
    event.start_time = T0 + timedelta(days=1)
    event.end_time = T0 + timedelta(days=1, hours=1)
    assert await mirror.upsert(event) == google_id

    (update,) = fake.api_requests("PUT")
    assert update.path == f"{EVENTS}/{google_id}"
    assert update.body["summary"] == "Dentist (moved)"
    assert "description" not in update.body  # PUT replaces: the description is cleared
    assert update.body["start"] == {"dateTime": "2026-11-24T15:00:00Z", "timeZone": "UTC"}
    stored = fake.events[("primary", google_id)]
    assert stored["summary"] == "Dentist (moved)"
    assert "description" not in stored
    assert len(fake.events) == 1


async def test_a_repeated_insert_becomes_an_update(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    """An insert whose answer was lost (timeout) and is retried must not duplicate the event."""
    event = make_event("Standup")
    first = await mirror.upsert(event)
    event.title = "Standup v2"
    second = await mirror.upsert(event)  # google_event_id never saved locally
    assert first == second
    assert [r.method for r in fake.api_requests()] == ["POST", "POST", "PUT"]
    assert len(fake.events) == 1
    assert fake.events[("primary", first)]["summary"] == "Standup v2"


async def test_upsert_reinserts_an_event_deleted_on_google(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    event = make_event("Gym")
    event.google_event_id = await mirror.upsert(event)
    await mirror.delete(event.google_event_id)  # deleted on Google's side

    new_id = await mirror.upsert(event)
    assert new_id != event.google_event_id  # the old id stays reserved by its tombstone
    assert fake.events[("primary", new_id)]["summary"] == "Gym"
    assert fake.events[("primary", new_id)]["status"] == "confirmed"
    # PUT old id → 410; its own id is the same one, so straight to a plain insert
    assert [r.method for r in fake.api_requests()][-2:] == ["PUT", "POST"]
    assert "id" not in fake.api_requests("POST")[-1].body


async def test_upsert_with_an_unknown_google_id_inserts(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    event = make_event("Lunch", google_event_id="someoneelsesid")
    google_id = await mirror.upsert(event)
    assert google_id == event.id.hex
    assert [r.method for r in fake.api_requests()] == ["PUT", "POST"]


async def test_delete(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    google_id = await mirror.upsert(make_event())
    await mirror.delete(google_id)
    assert fake.api_requests("DELETE")[-1].path == f"{EVENTS}/{google_id}"
    assert fake.events[("primary", google_id)]["status"] == "cancelled"
    assert await mirror.list_events(T0 - timedelta(days=1), T0 + timedelta(days=1)) == []


async def test_deleting_a_missing_or_deleted_event_succeeds(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    await mirror.delete("neverexisted")  # 404
    google_id = await mirror.upsert(make_event())
    await mirror.delete(google_id)
    await mirror.delete(google_id)  # 410
    statuses = [r.path for r in fake.api_requests("DELETE")]
    assert statuses == [f"{EVENTS}/neverexisted", f"{EVENTS}/{google_id}", f"{EVENTS}/{google_id}"]


async def test_calendar_ids_are_escaped(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    fake.calendars["team cal@group.calendar.google.com"] = {"summary": "Team"}
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path,
        google_calendar_credentials_file=creds,
        google_calendar_base_url=fake.url,
        google_calendar_id="team cal@group.calendar.google.com",
    )
    mirror = GoogleCalendarMirror.from_settings(settings)
    assert mirror is not None
    google_id = await mirror.upsert(make_event())
    assert ("team cal@group.calendar.google.com", google_id) in fake.events
    assert await mirror.test() == {"connected": True, "calendar": "Team"}


# --- list ------------------------------------------------------------------------------------------


async def test_list_events_filters_by_window(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    inside = make_event("Inside", T0 + timedelta(hours=2))
    overlapping = make_event("Overlapping", T0 - timedelta(minutes=30))  # 14:30-15:30
    ends_at_start = make_event("Ends at start", T0 - timedelta(hours=1))  # 14:00-15:00
    starts_at_end = make_event("Starts at end", T0 + timedelta(hours=6))
    tomorrow = make_event("Tomorrow", T0 + timedelta(days=1))
    for event in (tomorrow, inside, ends_at_start, overlapping, starts_at_end):
        await mirror.upsert(event)
    fake.add_event(id="seededallday", summary="Holiday", start=date(2026, 11, 23), end=date(2026, 11, 24))
    fake.add_event(
        id="seededoffset",
        summary="In Berlin",
        start={"dateTime": "2026-11-23T17:00:00+01:00", "timeZone": "Europe/Berlin"},
        end={"dateTime": "2026-11-23T18:00:00+01:00", "timeZone": "Europe/Berlin"},
    )

    found = await mirror.list_events(T0, T0 + timedelta(hours=6))

    assert [e.title for e in found] == ["Holiday", "Overlapping", "In Berlin", "Inside"]
    query = fake.api_requests("GET")[-1].query
    assert query["timeMin"] == "2026-11-23T15:00:00Z"
    assert query["timeMax"] == "2026-11-23T21:00:00Z"
    assert query["singleEvents"] == "true"
    berlin = found[2]
    assert berlin == GoogleEvent(
        id="seededoffset",
        title="In Berlin",
        description=None,
        location=None,
        start=datetime(2026, 11, 23, 16, 0, tzinfo=UTC),
        end=datetime(2026, 11, 23, 17, 0, tzinfo=UTC),
    )
    assert berlin.start.utcoffset() == timedelta(0)
    assert found[0].start == datetime(2026, 11, 23, tzinfo=UTC)  # all-day: UTC midnights
    assert found[3].id == inside.id.hex
    with pytest.raises(AttributeError):
        found[0].title = "changed"  # type: ignore[misc]


async def test_list_events_follows_pages(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    for i in range(300):
        fake.add_event(summary=f"e{i}", start=T0 + timedelta(minutes=i), end=T0 + timedelta(minutes=i + 1))
    found = await mirror.list_events(T0, T0 + timedelta(days=1))
    assert len(found) == 300
    assert [r.query.get("pageToken") for r in fake.api_requests("GET")] == [None, "250"]


async def test_list_events_with_an_empty_window_asks_nothing(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    assert await mirror.list_events(T0, T0) == []
    assert fake.requests == []


# --- test() ------------------------------------------------------------------------------------------


async def test_test_reports_the_calendar(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    assert await mirror.test() == {"connected": True, "calendar": "convonet@example.com"}
    assert fake.api_requests()[-1].path == "/calendar/v3/calendars/primary"


async def test_test_with_only_the_events_scope(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    fake.fail(403, method="GET", path="/calendar/v3/calendars/primary")
    assert await mirror.test() == {"connected": True, "calendar": "primary"}
    assert fake.api_requests()[-1].path == EVENTS


async def test_test_of_a_missing_calendar(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path,
        google_calendar_credentials_file=creds,
        google_calendar_base_url=fake.url,
        google_calendar_id="nope",
    )
    mirror = GoogleCalendarMirror.from_settings(settings)
    assert mirror is not None
    with pytest.raises(CalendarUnavailable, match="404") as caught:
        await mirror.test()
    assert caught.value.status == 404


# --- the calendar tools, mirrored through the fake ---------------------------------------------------


@pytest.fixture
def settings(backend: Backend, tmp_path: Path, fake: FakeGoogleCalendar) -> Settings:
    """The shared `settings` fixture, plus Google credentials pointing at the fake."""
    creds = write_credentials(tmp_path / "google.json", fake)
    return make_settings(
        tmp_path,
        backend.database_url,
        backend.redis_url,
        google_calendar_credentials_file=creds,
        google_calendar_base_url=fake.url,
        google_calendar_owner="Gina@example.com",
    )


async def test_calendar_tools_mirror_to_google(
    make_ctx: Any, runtime: Runtime, fake: FakeGoogleCalendar
) -> None:
    ctx = await make_ctx("gina")
    created = ok(await call(ctx, "create_calendar_event", title="Dentist", start="2026-11-25T10:00"))
    await runtime.background.drain()
    event_id = uuid.UUID(created["created"]["id"])
    async with runtime.sessions() as session:
        stored = await session.get(CalendarEvent, event_id)
    assert stored is not None and stored.google_event_id == event_id.hex
    assert fake.events[("primary", event_id.hex)]["summary"] == "Dentist"

    ok(await call(ctx, "update_calendar_event", event="dentist", title="Dentist (moved)"))
    await runtime.background.drain()
    assert fake.events[("primary", event_id.hex)]["summary"] == "Dentist (moved)"
    assert len(fake.events) == 1

    fake.add_event(summary="From Google", start=T0 + timedelta(days=2), end=T0 + timedelta(days=2, hours=1))
    synced = ok(await call(ctx, "sync_google_calendar_events"))
    assert synced == {"connected": True, "imported": 1, "pushed": 0}
    titles = [e["title"] for e in ok(await call(ctx, "get_calendar_events"))["events"]]
    assert titles == ["Dentist (moved)", "From Google"]

    status = ok(await call(ctx, "test_google_calendar"))
    assert status == {"connected": True, "calendar": "convonet@example.com"}

    ok(await call(ctx, "delete_calendar_event", event="Dentist (moved)"))
    await runtime.background.drain()
    assert fake.events[("primary", event_id.hex)]["status"] == "cancelled"
    assert all(
        r.authorization and r.authorization.startswith("Bearer fake-access") for r in fake.api_requests()
    )


async def test_each_user_reads_back_only_their_own_events(
    make_ctx: Any, runtime: Runtime, fake: FakeGoogleCalendar
) -> None:
    """One Google calendar, several users: nobody imports (and so can change) another user's event,
    and events made in Google go only to the calendar's owner (GOOGLE_CALENDAR_OWNER)."""
    gina, hal = await make_ctx("gina"), await make_ctx("hal")
    ok(await call(gina, "create_calendar_event", title="Biopsy results", start="2026-11-25T10:00"))
    ok(await call(hal, "create_calendar_event", title="Team lunch", start="2026-11-26T12:00"))
    await runtime.background.drain()
    fake.add_event(summary="Made in Google", start=T0 + timedelta(days=2), end=T0 + timedelta(days=2, hours=1))
    assert len(fake.events) == 3
    assert ok(await call(hal, "sync_google_calendar_events"))["imported"] == 0
    assert [e["title"] for e in ok(await call(hal, "get_calendar_events"))["events"]] == ["Team lunch"]
    owner_sync = ok(await call(gina, "sync_google_calendar_events"))
    assert owner_sync["imported"] == 1  # the Google-made event; not Hal's lunch
    assert [e["title"] for e in ok(await call(gina, "get_calendar_events"))["events"]] == [
        "Biopsy results", "Made in Google"]
    listed = [r for r in fake.api_requests() if r.method == "GET" and r.path.endswith("/events")]
    assert any(r.query.get("privateExtendedProperty") == f"convonet_user={hal.user_id}" for r in listed)


async def test_one_mirror_per_runtime(make_ctx: Any) -> None:
    from domains.productivity.calendar_tools import mirror_for

    gina, gus = await make_ctx("gina"), await make_ctx("gus")
    mirror = mirror_for(gina)
    assert isinstance(mirror, GoogleCalendarMirror)
    assert mirror_for(gus) is mirror
