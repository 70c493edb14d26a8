"""Helpers every domain's tools share: reading dates the model passes, showing them back, finding
a thing the caller named by id or by words."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from core.errors import Invalid, NotFound
from core.tools import ToolContext

T = TypeVar("T")


def parse_date(value: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise Invalid(f"{value!r} is not a {what} I understand; use the form 2026-11-23.") from None


def parse_time(value: str, what: str = "time") -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{value!r} is not a {what} I understand; use the form 14:30.") from None


def parse_datetime(ctx: ToolContext, value: str, what: str = "date and time") -> datetime:
    """An aware UTC datetime from an ISO string; a naive one is the caller's local time."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{value!r} is not a {what} I understand; use the form 2026-11-23T14:00.") from None
    if len(text) <= 10:  # a bare date: 9 in the morning
        parsed = parsed.replace(hour=9)
    if parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=ctx.zone)
    return parsed.astimezone(UTC)


_CLOCK_ONLY = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


def parse_moved(ctx: ToolContext, value: str, current: datetime, what: str = "time") -> datetime:
    """A record's new moment: an ISO date-time as `parse_datetime` reads it, or a clock time alone
    ("20:00") on the record's own local day ("push dinner with the okonkwos to eight": the dinner keeps
    its day)."""
    text = value.strip()
    if not _CLOCK_ONLY.fullmatch(text):
        return parse_datetime(ctx, text, what)
    clock = parse_time(text, what)
    if current.utcoffset() is None:
        current = current.replace(tzinfo=UTC)
    day = current.astimezone(ctx.zone).date()
    return datetime.combine(day, clock).replace(tzinfo=ctx.zone).astimezone(UTC)


def local_iso(ctx: ToolContext, value: datetime | None) -> str | None:
    """A stored datetime as the caller's local wall-clock time (what the model should say)."""
    if value is None:
        return None
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ctx.zone).replace(tzinfo=None).isoformat(timespec="minutes")


def local_day_bounds(ctx: ToolContext, day: date, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min).replace(tzinfo=ctx.zone).astimezone(UTC)
    return start, start + timedelta(days=days)


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def pick_one(ref: str, items: Sequence[T], label: Callable[[T], str], ident: Callable[[T], uuid.UUID], kind: str) -> T:
    """The one item `ref` names: by id, exact label, words contained in the label, or all its words."""
    wanted = as_uuid(ref)
    if wanted is not None:
        for item in items:
            if ident(item) == wanted:
                return item
        raise NotFound(f"I couldn't find that {kind}.")
    words = " ".join(ref.lower().split())
    if not words:
        raise Invalid(f"Which {kind}?")
    for matcher in (
        lambda text: text == words,
        lambda text: words in text,
        lambda text: set(words.split()) <= set(text.split()),
    ):
        found = [item for item in items if matcher(" ".join(label(item).lower().split()))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(label(i) for i in found[:5])
            raise Invalid(f"Several {kind}s match {ref}: {names}. Which one?")
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    raise NotFound(f"I couldn't find {article} {kind} called {ref}.")
