"""Time helpers. Every stored datetime is timezone-aware UTC (SQLModel's UTCDateTime insists)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_aware(value: datetime | None, zone: tzinfo = UTC) -> datetime | None:
    """Attach `zone` to a naive datetime (a caller's local wall-clock time); convert aware ones to UTC."""
    if value is None:
        return None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)
