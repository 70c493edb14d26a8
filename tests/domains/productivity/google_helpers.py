"""Shared by the Google Calendar tests: the fake's credentials and settings, and events to mirror."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.config import Settings
from domains.productivity.models import CalendarEvent
from tests.conftest import PG_URL, REDIS_URL
from tests.fakes.google_calendar import FakeGoogleCalendar

T0 = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
EVENTS = "/calendar/v3/calendars/primary/events"
# Loopback, plus the database/Redis hosts the backend tests may use (never Google's).
ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"} | {
    urllib.parse.urlsplit(url).hostname or "" for url in (PG_URL, REDIS_URL) if url
}


def write_credentials(path: Path, fake: FakeGoogleCalendar, **overrides: object) -> Path:
    path.write_text(json.dumps(fake.authorized_user_info(**overrides)))
    return path


def calendar_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "jwt_secret": "test-secret-" + "x" * 40,
        "data_dir": tmp_path,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def make_event(
    title: str = "Dentist", start: datetime = T0, hours: float = 1, **kwargs: Any
) -> CalendarEvent:
    return CalendarEvent(
        user_id=uuid.uuid4(), title=title, start_time=start, end_time=start + timedelta(hours=hours), **kwargs
    )
