"""GoogleCalendarMirror when things go wrong: OAuth refreshes and refusals, server errors, stalls, an
unreachable server, a rejected event."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

from domains.productivity.google_calendar import (
    CalendarUnavailable,
    GoogleCalendarMirror,
)
from tests.domains.productivity.google_helpers import (
    T0,
    calendar_settings,
    make_event,
    write_credentials,
)
from tests.fakes.google_calendar import FakeGoogleCalendar

# --- OAuth -------------------------------------------------------------------------------------------


async def test_refresh_token_flow(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    await mirror.test()
    await mirror.upsert(make_event())

    (token_request,) = fake.token_requests()  # refreshed once, then reused
    assert token_request.method == "POST"
    assert token_request.body["grant_type"] == "refresh_token"
    assert token_request.body["refresh_token"] == fake.refresh_token
    assert token_request.body["client_id"] == fake.client_id
    (token,) = fake.issued_tokens
    api = fake.api_requests()
    assert len(api) == 2
    assert all(r.authorization == f"Bearer {token}" for r in api)


async def test_a_revoked_access_token_is_refreshed(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    await mirror.test()
    fake.revoke_tokens()
    await mirror.test()
    assert len(fake.token_requests()) == 2
    first, second = fake.issued_tokens
    assert [r.authorization for r in fake.api_requests()] == [
        f"Bearer {first}",
        f"Bearer {first}",  # → 401
        f"Bearer {second}",
    ]


async def test_concurrent_calls_refresh_once(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    ids = await asyncio.gather(*(mirror.upsert(make_event(f"e{i}")) for i in range(8)))
    assert len(set(ids)) == 8
    assert len(fake.token_requests()) == 1
    assert len(fake.events) == 8


async def test_a_refused_refresh_token(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    creds = write_credentials(tmp_path / "google.json", fake, refresh_token="revoked")
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=fake.url
    )
    mirror = GoogleCalendarMirror.from_settings(settings)
    assert mirror is not None
    with pytest.raises(CalendarUnavailable, match="credentials") as caught:
        await mirror.test()
    assert "invalid_grant" in str(caught.value)
    assert fake.api_requests() == []


# --- failures ----------------------------------------------------------------------------------------


async def test_server_error_becomes_calendar_unavailable(
    fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror
) -> None:
    fake.fail(500)
    with pytest.raises(CalendarUnavailable, match="500") as caught:
        await mirror.upsert(make_event())
    assert caught.value.status == 500
    assert len(caught.value.message) < 200
    with pytest.raises(CalendarUnavailable, match="500"):
        await mirror.delete("abcdef")
    with pytest.raises(CalendarUnavailable, match="500"):
        await mirror.list_events(T0, T0 + timedelta(hours=1))
    with pytest.raises(CalendarUnavailable, match="500"):
        await mirror.test()

    fake.clear_faults()
    assert (await mirror.test())["connected"] is True  # and it recovers


async def test_a_stalled_server_times_out(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=fake.url
    )
    mirror = GoogleCalendarMirror.from_settings(settings, timeout=0.5)
    assert mirror is not None
    fake.stall(10, times=1)
    began = time.monotonic()
    with pytest.raises(CalendarUnavailable, match=r"did not answer within 0\.5 s"):
        await mirror.upsert(make_event())
    assert time.monotonic() - began < 2
    assert (await mirror.test())["connected"] is True


async def test_a_stalled_token_endpoint_times_out(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    creds = write_credentials(tmp_path / "google.json", fake)
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=fake.url
    )
    mirror = GoogleCalendarMirror.from_settings(settings, timeout=0.5)
    assert mirror is not None
    fake.stall(10, path="/token")
    began = time.monotonic()
    with pytest.raises(CalendarUnavailable, match="did not answer"):
        await mirror.test()
    assert time.monotonic() - began < 2


async def test_an_unreachable_server(fake: FakeGoogleCalendar, tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    creds = write_credentials(tmp_path / "google.json", fake, token_uri=f"{dead}/token")
    settings = calendar_settings(
        tmp_path, google_calendar_credentials_file=creds, google_calendar_base_url=dead
    )
    mirror = GoogleCalendarMirror.from_settings(settings, timeout=1)
    assert mirror is not None
    with pytest.raises(CalendarUnavailable, match="Cannot reach Google Calendar"):
        await mirror.test()


async def test_a_rejected_event_is_reported(fake: FakeGoogleCalendar, mirror: GoogleCalendarMirror) -> None:
    with pytest.raises(CalendarUnavailable, match="400: The specified time range is empty"):
        await mirror.upsert(make_event(hours=-1))


