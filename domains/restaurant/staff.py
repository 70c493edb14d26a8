"""Staff view of the restaurant's reservations over a range of days, and the seating rules (opening
hours, closures, covers per seating, largest party) the booking tools use (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from core import contacts
from core.deps import SessionDep, SettingsDep
from domains.restaurant import service as restaurant
from domains.staff import EndDay, StartDay, day_range

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


class Seatings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str
    """First seating, HH:MM on the hour or half hour."""
    last: str
    """Last seating, HH:MM."""


class RulesBody(BaseModel):
    """Hanok Table's seating rules; a weekday that is null or left out is closed."""

    model_config = ConfigDict(extra="forbid")

    hours: dict[str, Seatings | None]
    closures: list[str] = []
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
    out = []
    for r in found:
        contact = by_owner.get(r.user_id)
        extra = {"contact_phone": contact.reach, "contact_name": contact.name} if contact else {}
        out.append(ReservationOut.model_validate({**r.model_dump(), **extra}))
    return out
