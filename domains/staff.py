"""What every domain's staff routes share: a range of whole local days as a query, and a local time of day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Query, status
from pydantic import AfterValidator


def day_range(start: date | None, end: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """Whole local days `start`..`end` (both included) as UTC instants, end exclusive."""
    if start and end and end < start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The end date is before the start date.")
    tz = ZoneInfo(zone)

    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

    return (at_midnight(start) if start else None, at_midnight(end + timedelta(days=1)) if end else None)


StartDay = Annotated[date | None, Query(description="First day, in the business's time zone.")]
EndDay = Annotated[date | None, Query(description="Last day (included), in the business's time zone.")]


def _local(at: time) -> time:
    if at.tzinfo is not None:
        raise ValueError("give the business's local time, such as 19:30, with no time zone")
    return at


LocalTime = Annotated[time, AfterValidator(_local)]
"""A wall-clock time in the business's time zone (one with a zone or offset is refused: 422)."""
