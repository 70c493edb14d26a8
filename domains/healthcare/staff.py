"""Staff view of the clinic's appointments over a range of days (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from core import contacts
from core.deps import SessionDep, SettingsDep
from domains.healthcare import service as healthcare
from domains.staff import EndDay, StartDay, day_range

router = APIRouter(tags=["staff"])


class PatientOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    date_of_birth: date | None
    insurance_provider: str | None


class AppointmentOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    reason: str | None
    status: str
    confirmation_code: str | None
    patient: PatientOut
    contact_phone: str | None = None
    """The number of a patient who booked on a public line (a contact): caller ID, else the one they gave."""


@router.get("/appointments")
async def list_appointments(
    session: SessionDep,
    settings: SettingsDep,
    start: StartDay = None,
    end: EndDay = None,
    include_cancelled: bool = False,
) -> list[AppointmentOut]:
    since, until = day_range(start, end, settings.timezone)
    rows = await healthcare.list_all_appointments(session, since, until, include_cancelled=include_cancelled)
    callers = await contacts.by_owner(session, {p.user_id for _, p in rows})
    return [
        AppointmentOut(
            id=a.id,
            starts_at=a.starts_at,
            reason=a.reason,
            status=a.status,
            confirmation_code=a.confirmation_code,
            patient=PatientOut.model_validate(p, from_attributes=True),
            contact_phone=c.reach if (c := callers.get(p.user_id)) is not None else None,
        )
        for a, p in rows
    ]
