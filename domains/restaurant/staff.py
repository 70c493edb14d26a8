"""Staff view of the restaurant's reservations over a range of days (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

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
    return [ReservationOut.model_validate(r, from_attributes=True) for r in found]
