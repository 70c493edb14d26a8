"""Hanok Table's seating rules: opening hours, half-hour slots, covers per slot, party sizes.

Seatings run every 30 minutes from 17:00 to 21:00 local time (the kitchen closes at 22:00). A slot
seats at most 40 covers (guests); a party is 1 to 12. Capacity is checked after the write, inside
the same transaction and under a per-slot lock, so two callers can't both take the last seats.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Conflict, Invalid
from core.timeutil import utcnow
from domains.restaurant.models import Reservation, ReservationStatus

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


def check_party(party_size: int) -> int:
    if party_size < 1:
        raise Invalid("A party needs at least one guest.")
    if party_size > MAX_PARTY:
        raise Invalid(f"We book parties of up to {MAX_PARTY} here; please call us for large groups.")
    return party_size


def seating_problem(at: time) -> str | None:
    """Why `at` is not one of our seating times, or None when it is one."""
    if at.second or at.microsecond or at.minute not in (0, 30):
        return "We seat every half hour, on the hour or at half past."
    if not OPENS <= at <= LAST_SEATING:
        return f"We seat from {OPENS:%H:%M} until our last seating at {LAST_SEATING:%H:%M}."
    return None


def check_window(starts: datetime, now: datetime) -> None:
    if starts <= now:
        raise Invalid("That time has already passed; pick a time from now on.")
    if starts > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid(f"We take reservations up to {MAX_DAYS_AHEAD} days ahead.")


def local_start(day: date, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def slot_start(day: date, at: time, zone: tzinfo, now: datetime) -> datetime:
    """The aware UTC start of the seating, or Invalid saying why there is none."""
    problem = seating_problem(at)
    if problem:
        raise Invalid(problem)
    starts = local_start(day, at, zone)
    check_window(starts, now)
    return starts


def day_slots(day: date, zone: tzinfo) -> list[datetime]:
    first = datetime.combine(day, OPENS).replace(tzinfo=zone)
    count = int((datetime.combine(day, LAST_SEATING) - datetime.combine(day, OPENS)) / SLOT) + 1
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


async def seats_left(session: AsyncSession, starts_at: datetime, exclude: uuid.UUID | None = None) -> int:
    booked = await covers_by_slot(session, starts_at, starts_at, exclude)
    return CAPACITY - booked.get(starts_at, 0)


async def nearest_open(
    session: AsyncSession,
    wanted: datetime,
    party_size: int,
    zone: tzinfo,
    now: datetime,
    count: int = 3,
    exclude: uuid.UUID | None = None,
) -> list[datetime]:
    """The `count` seatings closest to `wanted` (that day or the week after) with room for the party."""
    first = wanted.astimezone(zone).date()
    horizon = now + timedelta(days=MAX_DAYS_AHEAD)
    days = (first + timedelta(days=i) for i in range(8))
    candidates = [s for d in days for s in day_slots(d, zone) if now < s <= horizon]
    if not candidates:
        return []
    booked = await covers_by_slot(session, candidates[0], candidates[-1], exclude)
    fits = [s for s in candidates if s != wanted and booked.get(s, 0) + party_size <= CAPACITY]
    return sorted(sorted(fits, key=lambda s: abs(s - wanted))[:count])


async def _lock_slot(session: AsyncSession, starts_at: datetime) -> None:
    """Serialize bookings of one seating until the transaction ends. SQLite needs nothing: it
    admits one writer at a time, and the capacity check runs after this transaction's write."""
    if session.get_bind().dialect.name == "postgresql":
        minute = int(starts_at.timestamp() // 60)
        await session.exec(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, minute)))


async def _ensure_capacity(session: AsyncSession, reservation: Reservation, zone: tzinfo, now: datetime) -> None:
    left = await seats_left(session, reservation.starts_at)
    if left >= 0:
        return
    near = await nearest_open(
        session, reservation.starts_at, reservation.party_size, zone, now, exclude=reservation.id
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
) -> Reservation:
    await _lock_slot(session, starts_at)
    reservation = Reservation(
        user_id=user_id,
        starts_at=starts_at,
        party_size=check_party(party_size),
        name=clean_name(name),
        special_requests=clean_requests(special_requests),
        confirmation_code=await _new_code(session),
    )
    session.add(reservation)
    await session.flush()
    await _ensure_capacity(session, reservation, zone, now)
    return reservation


async def change(
    session: AsyncSession, reservation: Reservation, starts_at: datetime, party_size: int, zone: tzinfo, now: datetime
) -> Reservation:
    await _lock_slot(session, starts_at)
    reservation.starts_at, reservation.party_size = starts_at, check_party(party_size)
    reservation.updated_at = utcnow()
    session.add(reservation)
    await session.flush()
    await _ensure_capacity(session, reservation, zone, now)
    return reservation


async def cancel(session: AsyncSession, reservation: Reservation) -> Reservation:
    reservation.status = ReservationStatus.cancelled.value
    reservation.cancelled_at = reservation.updated_at = utcnow()
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
