"""Staff view of the restaurant's reservations over a range of days, and the seating rules (opening
hours, closures, covers per seating, largest party) the booking tools use (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import date as date_
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from core import contacts
from core.deps import SessionDep, SettingsDep
from core.errors import Conflict
from core.models import Contact
from core.timeutil import utcnow
from domains.restaurant import service as restaurant
from domains.restaurant.models import Reservation, ReservationStatus
from domains.staff import EndDay, LocalTime, StartDay, day_range

router = APIRouter(tags=["staff"])


class ReservationOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    party_size: int
    name: str
    special_requests: str | None
    status: str
    confirmation_code: str
    contact_phone: str | None = None
    """Who booked it on a public line (`core.models.Contact`); None for an account holder's booking."""
    contact_name: str | None = None


async def _with_contact(session: SessionDep, reservation: Reservation) -> ReservationOut:
    return _out(reservation, (await contacts.by_owner(session, {reservation.user_id})).get(reservation.user_id))


async def _reservation(session: SessionDep, reservation_id: uuid.UUID) -> Reservation:
    found = await session.get(Reservation, reservation_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such reservation.")
    return found


@router.post("/reservations/{reservation_id}/cancel")
async def cancel_reservation(reservation_id: uuid.UUID, session: SessionDep) -> ReservationOut:
    """Cancel a guest's reservation (it frees its seats at once)."""
    reservation = await _reservation(session, reservation_id)
    if reservation.status != ReservationStatus.confirmed:
        raise Conflict(f"That reservation is {reservation.status}, not confirmed.")
    return await _with_contact(session, await restaurant.cancel(session, reservation))


@router.post("/reservations/{reservation_id}/no-show")
async def mark_no_show(reservation_id: uuid.UUID, session: SessionDep) -> ReservationOut:
    """The guests never came (once the seating has begun)."""
    reservation = await _reservation(session, reservation_id)
    return await _with_contact(session, await restaurant.mark_no_show(session, reservation, utcnow()))


class ReservationIn(BaseModel):
    """A reservation staff take (on the phone, at the door): for the guest with that number, made a contact."""

    model_config = ConfigDict(extra="forbid")

    date: date_
    time: LocalTime
    party_size: int = Field(ge=1, le=restaurant.MAX_CAPACITY)
    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    special_requests: str | None = Field(default=None, max_length=restaurant.MAX_REQUESTS)


class ReservationChange(BaseModel):
    """What changes; leave out what stays."""

    model_config = ConfigDict(extra="forbid")

    date: date_ | None = None
    time: LocalTime | None = None
    party_size: int | None = Field(default=None, ge=1, le=restaurant.MAX_CAPACITY)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    special_requests: str | None = Field(default=None, max_length=restaurant.MAX_REQUESTS)


@router.post("/reservations", status_code=status.HTTP_201_CREATED)
async def create_reservation(body: ReservationIn, session: SessionDep, settings: SettingsDep) -> ReservationOut:
    """Book a table for a guest by the seating rules (hours, capacity, party size), as the voice agent would."""
    zone, now = ZoneInfo(settings.timezone), utcnow()
    rules = await restaurant.load_rules(session)
    restaurant.check_party(body.party_size, rules)
    starts = restaurant.slot_start(body.date, body.time, zone, now, rules)
    guest = await contacts.for_staff(session, body.phone, body.name, now)
    made = await restaurant.create(
        session, guest.user_id, starts, body.party_size, body.name, body.special_requests, zone, now, rules
    )
    return _out(made, guest)


@router.patch("/reservations/{reservation_id}")
async def change_reservation(
    reservation_id: uuid.UUID, body: ReservationChange, session: SessionDep, settings: SettingsDep
) -> ReservationOut:
    """Move a confirmed reservation, change its party, name or requests (capacity is checked again)."""
    reservation = await _reservation(session, reservation_id)
    if reservation.status != ReservationStatus.confirmed:
        raise Conflict(f"That reservation is {reservation.status}, not confirmed.")
    zone, now = ZoneInfo(settings.timezone), utcnow()
    rules = await restaurant.load_rules(session)
    local = reservation.starts_at.astimezone(zone)
    if body.name is not None:
        reservation.name = restaurant.clean_name(body.name)
    if "special_requests" in body.model_fields_set:
        reservation.special_requests = restaurant.clean_requests(body.special_requests)
    starts = reservation.starts_at
    if body.date is not None or body.time is not None:
        starts = restaurant.slot_start(body.date or local.date(), body.time or local.time(), zone, now, rules)
    await restaurant.change(session, reservation, starts, body.party_size or reservation.party_size, zone, now, rules)
    return await _with_contact(session, reservation)


class Seatings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str = Field(max_length=5)
    """First seating, HH:MM on the hour or half hour."""
    last: str = Field(max_length=5)
    """Last seating, HH:MM."""


class RulesBody(BaseModel):
    """Hanok Table's seating rules; a weekday that is null or left out is closed."""

    model_config = ConfigDict(extra="forbid")

    hours: dict[str, Seatings | None]
    closures: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=400)
    """ISO dates (YYYY-MM-DD)."""
    capacity: int
    max_party: int


def _body(rules: restaurant.Rules) -> RulesBody:
    return RulesBody.model_validate(rules.as_json())


@router.get("/restaurant/settings")
async def get_settings(session: SessionDep) -> RulesBody:
    return _body(await restaurant.load_rules(session))


@router.put("/restaurant/settings")
async def put_settings(body: RulesBody, session: SessionDep) -> RulesBody:
    """Replace the seating rules; the voice agent uses them from its next tool call."""
    hours = {day: (s.model_dump() if s else None) for day, s in body.hours.items()}
    rules = restaurant.make_rules(hours, body.closures, body.capacity, body.max_party)
    return _body(await restaurant.save_rules(session, rules))


@router.get("/reservations")
async def list_reservations(
    session: SessionDep,
    settings: SettingsDep,
    start: StartDay = None,
    end: EndDay = None,
    include_cancelled: bool = False,
) -> list[ReservationOut]:
    since, until = day_range(start, end, settings.timezone)
    found = await restaurant.list_all_reservations(session, since, until, include_cancelled=include_cancelled)
    by_owner = await contacts.by_owner(session, {r.user_id for r in found})
    return [_out(r, by_owner.get(r.user_id)) for r in found]


def _out(reservation: Reservation, contact: Contact | None) -> ReservationOut:
    extra = {"contact_phone": contact.reach, "contact_name": contact.name} if contact else {}
    return ReservationOut.model_validate({**reservation.model_dump(), **extra})
