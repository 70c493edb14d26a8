"""When the clinic sees patients, and who sees them: opening hours by weekday, closures, the length
of an appointment and the providers, as staff set them (`ClinicSettings`, `Provider`).

Until staff change them: Monday to Friday, appointments start every 30 minutes from 08:00 to
16:30 local time, and with no providers the clinic sees one patient per slot. With providers, a
slot holds one patient per active provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Invalid, NotFound
from core.timeutil import utcnow
from domains.healthcare.models import ClinicSettings, Provider

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_HOURS = (time(8, 0), time(16, 30))
SLOT_CHOICES = (10, 15, 20, 30, 45, 60)
MAX_DAYS_AHEAD = 180
MAX_PROVIDERS = 50


@dataclass(frozen=True)
class ClinicRules:
    """By weekday, Monday first: the first appointment start and the latest one (slots run every
    `slot_minutes` from the first up to it), or None when closed."""

    hours: tuple[tuple[time, time] | None, ...] = (WEEKDAY_HOURS,) * 5 + (None, None)
    closures: frozenset[date] = field(default_factory=frozenset)
    slot_minutes: int = 30

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def day_hours(self, day: date) -> tuple[time, time] | None:
        return None if day in self.closures else self.hours[day.weekday()]

    def open_days(self) -> str:
        """The weekdays the clinic opens, in words: "Monday to Friday", "Monday, Wednesday and Friday"."""
        names = [WEEKDAYS[i].title() for i, h in enumerate(self.hours) if h is not None]
        indexes = [i for i, h in enumerate(self.hours) if h is not None]
        if not names:
            return "no day of the week"
        if len(names) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
            return f"{names[0]} to {names[-1]}"
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def as_json(self) -> dict[str, Any]:
        return {
            "hours": {name: ({"first": f"{h[0]:%H:%M}", "last": f"{h[1]:%H:%M}"} if h else None)
                      for name, h in zip(WEEKDAYS, self.hours, strict=True)},
            "closures": sorted(d.isoformat() for d in self.closures),
            "slot_minutes": self.slot_minutes,
        }


DEFAULT_RULES = ClinicRules()


def _clock(value: Any, what: str) -> time:
    try:
        at = time.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{what}: {value!r} is not a time such as 08:30.") from None
    if at.second or at.microsecond:
        raise Invalid(f"{what}: give hours and minutes only.")
    return at


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def make_rules(hours: Mapping[str, Any], closures: Iterable[str], slot_minutes: int) -> ClinicRules:
    """Rules from what staff typed (weekday names, HH:MM times, ISO dates); Invalid saying what is wrong."""
    if slot_minutes not in SLOT_CHOICES:
        raise Invalid(f"An appointment lasts {', '.join(map(str, SLOT_CHOICES))} minutes.")
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise Invalid(f"No such weekday: {', '.join(sorted(unknown))}.")
    by_day: list[tuple[time, time] | None] = []
    for name in WEEKDAYS:
        spec = hours.get(name)
        if spec is None:
            by_day.append(None)
            continue
        if not isinstance(spec, Mapping):
            raise Invalid(f"{name}: give the first and last appointment, or nothing when closed.")
        first = _clock(spec.get("first"), f"{name} first appointment")
        last = _clock(spec.get("last"), f"{name} last appointment")
        if last < first:
            raise Invalid(f"{name}: the last appointment is before the first.")
        by_day.append((first, last))
    days = set()
    for text in closures:
        try:
            days.add(date.fromisoformat(str(text)))
        except ValueError:
            raise Invalid(f"{text!r} is not a date such as 2026-12-25.") from None
    return ClinicRules(tuple(by_day), frozenset(days), slot_minutes)


async def load_rules(session: AsyncSession) -> ClinicRules:
    """The hours staff set, or the defaults."""
    row = await session.get(ClinicSettings, 1)
    if row is None:
        return DEFAULT_RULES
    return make_rules(row.hours, row.closures, row.slot_minutes)


async def save_rules(session: AsyncSession, rules: ClinicRules) -> ClinicRules:
    data = rules.as_json()
    row = await session.get(ClinicSettings, 1) or ClinicSettings(id=1, slot_minutes=rules.slot_minutes)
    row.hours, row.closures = data["hours"], data["closures"]
    row.slot_minutes, row.updated_at = rules.slot_minutes, utcnow()
    session.add(row)
    await session.flush()
    return rules


def slot_start(day: date, at: time, zone: tzinfo, now: datetime, rules: ClinicRules = DEFAULT_RULES) -> datetime:
    """The aware start of a bookable slot, or Invalid saying why it isn't one."""
    hours = rules.day_hours(day)
    if hours is None:
        why = "we're closed that day" if day in rules.closures else f"{day:%A} is closed"
        raise Invalid(f"The clinic is open {rules.open_days()}; {why} ({day.isoformat()}).")
    first, last = hours
    if at.second or at.microsecond or (_minutes(at) - _minutes(first)) % rules.slot_minutes:
        if rules.slot_minutes == 30 and first.minute in (0, 30):
            raise Invalid("Appointments start on the hour or the half hour, such as 9:00 or 9:30.")
        raise Invalid(f"Appointments start every {rules.slot_minutes} minutes from {first:%H:%M}.")
    if not first <= at <= last:
        raise Invalid(f"On {day:%A}s appointments run from {first:%H:%M} to {last:%H:%M}.")
    starts = datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)
    if starts <= now:
        raise Invalid("That time has already passed; pick a time from now on.")
    if starts > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid(f"Appointments can be booked up to {MAX_DAYS_AHEAD} days ahead.")
    return starts


def day_slots(day: date, zone: tzinfo, rules: ClinicRules = DEFAULT_RULES) -> list[datetime]:
    hours = rules.day_hours(day)
    if hours is None:
        return []
    first, last = hours
    start = datetime.combine(day, first).replace(tzinfo=zone)
    count = (_minutes(last) - _minutes(first)) // rules.slot_minutes + 1
    return [(start + i * rules.slot).astimezone(UTC) for i in range(count)]


# --- providers ------------------------------------------------------------------------------------


def clean_provider_name(name: str) -> str:
    text = " ".join(name.split())
    if not text or len(text) > 120:
        raise Invalid("A provider needs a name of at most 120 characters.")
    return text


async def providers(session: AsyncSession, *, active_only: bool = False) -> list[Provider]:
    stmt = select(Provider).order_by(col(Provider.id))
    if active_only:
        stmt = stmt.where(col(Provider.active).is_(True))
    return list((await session.exec(stmt)).all())


async def save_providers(session: AsyncSession, wanted: Sequence[Mapping[str, Any]]) -> list[Provider]:
    """Make the providers what staff listed: an entry with an id changes that provider, one without
    adds a provider; a provider left out is made inactive (its appointments stay)."""
    if len(wanted) > MAX_PROVIDERS:
        raise Invalid(f"The clinic can list at most {MAX_PROVIDERS} providers.")
    existing = {p.id: p for p in await providers(session)}
    seen: set[int] = set()
    names: set[str] = set()
    for entry in wanted:
        name = clean_provider_name(str(entry.get("name") or ""))
        active = bool(entry.get("active", True))
        if active and name.lower() in names:
            raise Invalid(f"Two active providers are both called {name}.")
        if active:
            names.add(name.lower())
        provider_id = entry.get("id")
        if provider_id is None:
            session.add(Provider(name=name, active=active))
            continue
        provider = existing.get(int(provider_id))
        if provider is None:
            raise NotFound(f"There is no provider {provider_id}.")
        seen.add(provider.id or 0)
        provider.name, provider.active, provider.updated_at = name, active, utcnow()
        session.add(provider)
    for provider_id, provider in existing.items():
        if provider_id not in seen and provider.active:
            provider.active, provider.updated_at = False, utcnow()
            session.add(provider)
    await session.flush()
    return await providers(session)


def provider_named(ref: str, choices: Sequence[Provider]) -> Provider:
    """The active provider a caller means ("doctor lee", "Lee"); NotFound listing them when none or several match."""
    words = {w for w in ref.lower().replace(".", " ").split() if w not in {"dr", "doctor", "nurse", "with", "the"}}
    matches = [p for p in choices if words and words <= set(p.name.lower().replace(".", " ").split())]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(p.name for p in choices) or "no one by name"
    raise NotFound(f"I couldn't tell which provider {ref!r} means. The clinic's providers are: {listing}.")
