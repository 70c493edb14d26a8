"""Hanok Table's seating rules: opening hours, half-hour slots, covers per slot, party sizes.

Seatings run every 30 minutes between each weekday's first and last seating, local time; closures
are whole days. A slot seats at most `capacity` covers (guests); a party is 1 to `max_party`. Staff
set these (`Rules`, stored in `restaurant_settings`); until they do, seatings run from 17:00 to
21:00 every day, 40 covers a slot, parties up to 12. Capacity is checked after the write, inside
the same transaction and under a per-slot lock, so two callers can't both take the last seats.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Conflict, Invalid
from core.timeutil import ensure_aware, utcnow
from domains.domain import Booking
from domains.restaurant.models import Reservation, ReservationStatus, RestaurantSettings

RESTAURANT = "Hanok Table"
OPENS = time(17, 0)
LAST_SEATING = time(21, 0)
CLOSES = time(22, 0)
SLOT = timedelta(minutes=30)
CAPACITY = 40
MAX_PARTY = 12
MAX_DAYS_AHEAD = 180
MAX_REQUESTS = 500
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read aloud
_LOCK_NAMESPACE = 0x48544142  # "HTAB": keeps these advisory locks apart from any others


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_CAPACITY = 1000


@dataclass(frozen=True)
class Rules:
    """When and how many Hanok Table seats."""

    hours: tuple[tuple[time, time] | None, ...] = ((OPENS, LAST_SEATING),) * 7
    """By weekday, Monday first: the first and last seating, or None when closed that weekday."""
    closures: frozenset[date] = field(default_factory=frozenset)
    capacity: int = CAPACITY
    max_party: int = MAX_PARTY

    def seatings(self, day: date) -> tuple[time, time] | None:
        """The day's first and last seating; None when the restaurant is closed that day."""
        return None if day in self.closures else self.hours[day.weekday()]

    def as_json(self) -> dict[str, Any]:
        return {
            "hours": {name: ({"first": f"{h[0]:%H:%M}", "last": f"{h[1]:%H:%M}"} if h else None)
                      for name, h in zip(WEEKDAYS, self.hours, strict=True)},
            "closures": sorted(d.isoformat() for d in self.closures),
            "capacity": self.capacity,
            "max_party": self.max_party,
        }


DEFAULT_RULES = Rules()


def _seating_time(value: Any, what: str) -> time:
    try:
        at = time.fromisoformat(str(value))
    except ValueError:
        raise Invalid(f"{what}: {value!r} is not a time such as 17:30.") from None
    if at.second or at.microsecond or at.minute not in (0, 30):
        raise Invalid(f"{what}: seatings are on the hour or at half past.")
    return at


def make_rules(hours: Mapping[str, Any], closures: Iterable[str], capacity: int, max_party: int) -> Rules:
    """Rules from what staff typed (weekday names, HH:MM times, ISO dates); Invalid saying what is wrong."""
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
            raise Invalid(f"{name}: give the first and last seating, or nothing when closed.")
        first = _seating_time(spec.get("first"), f"{name} first seating")
        last = _seating_time(spec.get("last"), f"{name} last seating")
        if last < first:
            raise Invalid(f"{name}: the last seating is before the first.")
        by_day.append((first, last))
    days = set()
    for text in closures:
        try:
            days.add(date.fromisoformat(str(text)))
        except ValueError:
            raise Invalid(f"{text!r} is not a date such as 2026-12-25.") from None
    if not 1 <= capacity <= MAX_CAPACITY:
        raise Invalid(f"The capacity per seating is 1 to {MAX_CAPACITY} guests.")
    if not 1 <= max_party <= capacity:
        raise Invalid("The largest party is at least 1 and at most the capacity per seating.")
    return Rules(tuple(by_day), frozenset(days), capacity, max_party)


async def load_rules(session: AsyncSession) -> Rules:
    """The rules staff set, or the defaults."""
    row = await session.get(RestaurantSettings, 1)
    if row is None:
        return DEFAULT_RULES
    return make_rules(row.hours, row.closures, row.capacity, row.max_party)


async def save_rules(session: AsyncSession, rules: Rules) -> Rules:
    data = rules.as_json()
    row = await session.get(RestaurantSettings, 1)
    if row is None:
        row = RestaurantSettings(id=1, capacity=rules.capacity, max_party=rules.max_party)
    row.hours, row.closures = data["hours"], data["closures"]
    row.capacity, row.max_party, row.updated_at = rules.capacity, rules.max_party, utcnow()
    session.add(row)
    await session.flush()
    return rules


def check_party(party_size: int, rules: Rules = DEFAULT_RULES) -> int:
    if party_size < 1:
        raise Invalid("A party needs at least one guest.")
    if party_size > rules.max_party:
        raise Invalid(f"We book parties of up to {rules.max_party} here; please call us for large groups.")
    return party_size


def seating_problem(day: date, at: time, rules: Rules = DEFAULT_RULES) -> str | None:
    """Why `at` on `day` is not one of our seatings, or None when it is one."""
    hours = rules.seatings(day)
    if hours is None:
        return f"We're closed on {day:%A} {day.isoformat()}."
    if at.second or at.microsecond or at.minute not in (0, 30):
        return "We seat every half hour, on the hour or at half past."
    first, last = hours
    if not first <= at <= last:
        return f"On {day:%A}s we seat from {first:%H:%M} until our last seating at {last:%H:%M}."
    return None


def check_window(starts: datetime, now: datetime) -> None:
    if starts <= now:
        raise Invalid("That time has already passed; pick a time from now on.")
    if starts > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid(f"We take reservations up to {MAX_DAYS_AHEAD} days ahead.")


def local_start(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def slot_start(day: date, at: time, zone: tzinfo, now: datetime, rules: Rules = DEFAULT_RULES) -> datetime:
    """The aware UTC start of the seating, or Invalid saying why there is none."""
    problem = seating_problem(day, at, rules)
    if problem:
        raise Invalid(problem)
    starts = local_start(day, at, zone)
    check_window(starts, now)
    return starts


def day_slots(day: date, zone: tzinfo, rules: Rules = DEFAULT_RULES) -> list[datetime]:
    hours = rules.seatings(day)
    if hours is None:
        return []
    opens, last = hours
    first = datetime.combine(day, opens).replace(tzinfo=zone)
    count = int((datetime.combine(day, last) - datetime.combine(day, opens)) / SLOT) + 1
    return [(first + i * SLOT).astimezone(UTC) for i in range(count)]


async def covers_by_slot(
    session: AsyncSession, start: datetime, end: datetime, exclude: uuid.UUID | None = None
) -> dict[datetime, int]:
    """Guests booked per seating in [start, end], leaving out reservation `exclude`."""
    stmt = select(Reservation.starts_at, func.sum(Reservation.party_size)).where(
        Reservation.status == ReservationStatus.confirmed,
        col(Reservation.starts_at) >= start,
        col(Reservation.starts_at) <= end,
    )
    if exclude is not None:
        stmt = stmt.where(Reservation.id != exclude)
    rows = (await session.exec(stmt.group_by(col(Reservation.starts_at)))).all()
    return {starts: int(total or 0) for starts, total in rows}


async def seats_left(
    session: AsyncSession, starts_at: datetime, exclude: uuid.UUID | None = None, *, capacity: int = CAPACITY
) -> int:
    booked = await covers_by_slot(session, starts_at, starts_at, exclude)
    return capacity - booked.get(starts_at, 0)


async def nearest_open(
    session: AsyncSession,
    wanted: datetime,
    party_size: int,
    zone: tzinfo,
    now: datetime,
    count: int = 3,
    exclude: uuid.UUID | None = None,
    rules: Rules = DEFAULT_RULES,
) -> list[datetime]:
    """The `count` seatings closest to `wanted` (that day or the week after) with room for the party."""
    first = wanted.astimezone(zone).date()
    horizon = now + timedelta(days=MAX_DAYS_AHEAD)
    days = (first + timedelta(days=i) for i in range(8))
    candidates = [s for d in days for s in day_slots(d, zone, rules) if now < s <= horizon]
    if not candidates:
        return []
    booked = await covers_by_slot(session, candidates[0], candidates[-1], exclude)
    fits = [s for s in candidates if s != wanted and booked.get(s, 0) + party_size <= rules.capacity]
    return sorted(sorted(fits, key=lambda s: abs(s - wanted))[:count])


async def _lock_slot(session: AsyncSession, starts_at: datetime) -> None:
    """Serialize bookings of one seating until the transaction ends. SQLite needs nothing: it
    admits one writer at a time, and the capacity check runs after this transaction's write."""
    if session.get_bind().dialect.name == "postgresql":
        minute = int(starts_at.timestamp() // 60)
        await session.exec(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, minute)))


async def _ensure_capacity(
    session: AsyncSession, reservation: Reservation, zone: tzinfo, now: datetime, rules: Rules
) -> None:
    left = await seats_left(session, reservation.starts_at, capacity=rules.capacity)
    if left >= 0:
        return
    near = await nearest_open(
        session, reservation.starts_at, reservation.party_size, zone, now, exclude=reservation.id, rules=rules
    )
    room = left + reservation.party_size
    options = ", ".join(f"{s.astimezone(zone):%A %Y-%m-%d %H:%M}" for s in near)
    raise Conflict(
        f"That seating has room for only {max(room, 0)} more guests. "
        + (f"We can seat {reservation.party_size} at {options}." if near else "Nothing is free that week.")
    )


async def _new_code(session: AsyncSession) -> str:
    for _ in range(10):
        code = "HT-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        taken = await session.exec(select(Reservation.id).where(Reservation.confirmation_code == code))
        if taken.first() is None:
            return code
    raise Conflict("I couldn't make a confirmation code just now; please try again.")


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise Invalid("The reservation needs a name of at most 120 characters.")
    return name


def clean_requests(special_requests: str | None) -> str | None:
    if special_requests is None or not special_requests.strip():
        return None
    if len(special_requests) > MAX_REQUESTS:
        raise Invalid(f"Special requests can be at most {MAX_REQUESTS} characters.")
    return special_requests.strip()


async def create(
    session: AsyncSession,
    user_id: uuid.UUID,
    starts_at: datetime,
    party_size: int,
    name: str,
    special_requests: str | None,
    zone: tzinfo,
    now: datetime,
    rules: Rules = DEFAULT_RULES,
) -> Reservation:
    await _lock_slot(session, starts_at)
    reservation = Reservation(
        user_id=user_id,
        starts_at=starts_at,
        party_size=check_party(party_size, rules),
        name=clean_name(name),
        special_requests=clean_requests(special_requests),
        confirmation_code=await _new_code(session),
    )
    session.add(reservation)
    await session.flush()
    await _ensure_capacity(session, reservation, zone, now, rules)
    return reservation


async def change(
    session: AsyncSession,
    reservation: Reservation,
    starts_at: datetime,
    party_size: int,
    zone: tzinfo,
    now: datetime,
    rules: Rules = DEFAULT_RULES,
) -> Reservation:
    await _lock_slot(session, starts_at)
    reservation.starts_at, reservation.party_size = starts_at, check_party(party_size, rules)
    reservation.updated_at = utcnow()
    session.add(reservation)
    await session.flush()
    await _ensure_capacity(session, reservation, zone, now, rules)
    return reservation


async def cancel(session: AsyncSession, reservation: Reservation) -> Reservation:
    reservation.status = ReservationStatus.cancelled.value
    reservation.cancelled_at = reservation.updated_at = utcnow()
    session.add(reservation)
    await session.flush()
    return reservation


async def mark_no_show(session: AsyncSession, reservation: Reservation, now: datetime) -> Reservation:
    """The guests never came: only a confirmed reservation whose seating has begun."""
    if reservation.status != ReservationStatus.confirmed:
        raise Conflict(f"That reservation is {reservation.status}, not confirmed.")
    if reservation.starts_at > now:
        raise Conflict("That seating has not begun yet.")
    reservation.status = ReservationStatus.no_show.value
    reservation.updated_at = utcnow()
    session.add(reservation)
    await session.flush()
    return reservation


async def upcoming(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[Reservation]:
    stmt = (
        select(Reservation)
        .where(
            Reservation.user_id == user_id,
            Reservation.status == ReservationStatus.confirmed,
            col(Reservation.starts_at) > now,
        )
        .order_by(col(Reservation.starts_at))
    )
    return list((await session.exec(stmt)).all())


async def caller_bookings(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[Booking]:
    """The account's upcoming reservations for the call-center popup (`Domain.bookings`)."""
    return [Booking(RESTAURANT, "reservation", ensure_aware(r.starts_at) or now, f"party of {r.party_size} under {r.name}",
                    r.confirmation_code) for r in await upcoming(session, user_id, now)]


# Staff-facing (dashboards); not tools.


async def list_all_reservations(
    session: AsyncSession, start: datetime | None = None, end: datetime | None = None, include_cancelled: bool = False
) -> list[Reservation]:
    """Every guest's reservations between `start` and `end`, soonest first."""
    stmt = select(Reservation)
    if start is not None:
        stmt = stmt.where(col(Reservation.starts_at) >= start)
    if end is not None:
        stmt = stmt.where(col(Reservation.starts_at) < end)
    if not include_cancelled:
        stmt = stmt.where(Reservation.status == ReservationStatus.confirmed)
    return list((await session.exec(stmt.order_by(col(Reservation.starts_at)))).all())
