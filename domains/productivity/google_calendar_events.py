"""Google Calendar v3 events on the wire: our events as its resources, its resources as `GoogleEvent`."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from domains.productivity.models import CalendarEvent

API_PATH = "/calendar/v3"


@dataclass(frozen=True, slots=True)
class GoogleEvent:
    """One event as Google holds it. Times are aware UTC; an all-day event spans UTC midnights."""

    id: str
    title: str
    description: str | None
    location: str | None
    start: datetime
    end: datetime
    owner: str | None = None
    """The Convonet user the event was written for (`OWNER_PROPERTY`); None for events made in Google."""


# Every event we write names its Convonet user in a private extended property: one Google calendar
# may hold many users' events, and each user may only ever read back (and so change) their own.
OWNER_PROPERTY = "convonet_user"


def api_endpoint(base_url: str) -> str:
    """`https://host[/prefix]` → `https://host[/prefix]/calendar/v3/` (left alone if already there)."""
    parts = urllib.parse.urlsplit(base_url.strip())
    path = parts.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path + "/", "", ""))


def rfc3339(value: datetime) -> str:
    """An aware (or naive = UTC) datetime as RFC 3339 in UTC: `2026-11-23T14:00:00Z`."""
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_body(event: CalendarEvent) -> dict[str, Any]:
    """The Calendar v3 resource for one of our events (timed, in UTC)."""
    body: dict[str, Any] = {
        "summary": event.title,
        "start": {"dateTime": rfc3339(event.start_time), "timeZone": "UTC"},
        "end": {"dateTime": rfc3339(event.end_time), "timeZone": "UTC"},
        "extendedProperties": {"private": {OWNER_PROPERTY: str(event.user_id)}},
    }
    if event.description:
        body["description"] = event.description
    if event.location:
        body["location"] = event.location
    return body


def client_event_id(event: CalendarEvent) -> str | None:
    """A Google event id derived from ours: hex digits are valid base32hex, 32 of them fit 5..1024."""
    return event.id.hex if event.id is not None else None


def _parse_when(value: dict[str, Any]) -> datetime:
    if "dateTime" in value:
        parsed = datetime.fromisoformat(str(value["dateTime"]))
        if parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return datetime.combine(date.fromisoformat(str(value["date"])), time.min, tzinfo=UTC)


def parse_event(item: dict[str, Any]) -> GoogleEvent:
    return GoogleEvent(
        id=str(item["id"]),
        title=str(item.get("summary") or ""),
        description=item.get("description") or None,
        location=item.get("location") or None,
        start=_parse_when(item["start"]),
        end=_parse_when(item["end"]),
        owner=((item.get("extendedProperties") or {}).get("private") or {}).get(OWNER_PROPERTY),
    )
