"""Staff view of the clinic's appointments over a range of days, and the clinic's hours and providers
the booking tools use (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from core import contacts
from core.deps import SessionDep, SettingsDep
from core.errors import Conflict
from core.models import Contact
from domains.healthcare import schedule
from domains.healthcare import service as healthcare
from domains.healthcare.models import Appointment, AppointmentStatus, Patient
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
    return [_out(a, p, callers.get(p.user_id)) for a, p in rows]


def _out(appointment: Appointment, patient: Patient, contact: Contact | None) -> AppointmentOut:
    return AppointmentOut(
        id=appointment.id,
        starts_at=appointment.starts_at,
        reason=appointment.reason,
        status=appointment.status,
        confirmation_code=appointment.confirmation_code,
        patient=PatientOut.model_validate(patient, from_attributes=True),
        contact_phone=contact.reach if contact is not None else None,
    )


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_appointment(appointment_id: uuid.UUID, session: SessionDep) -> AppointmentOut:
    """Cancel a patient's appointment (its slot is free at once)."""
    appointment = await session.get(Appointment, appointment_id)
    patient = await session.get(Patient, appointment.patient_id) if appointment is not None else None
    if appointment is None or patient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such appointment.")
    if appointment.status != AppointmentStatus.booked:
        raise Conflict(f"That appointment is {appointment.status}, not booked.")
    await healthcare.cancel(session, appointment)
    return _out(appointment, patient, (await contacts.by_owner(session, {patient.user_id})).get(patient.user_id))


class DayHours(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first: str = Field(max_length=5)
    """First appointment start, HH:MM."""
    last: str = Field(max_length=5)
    """Last appointment start, HH:MM."""


class ProviderBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    """Leave out to add a provider."""
    name: str = Field(max_length=120)
    active: bool = True


class ClinicBody(BaseModel):
    """The clinic's hours and providers; a weekday that is null or left out is closed; a provider left
    out of the list is made inactive."""

    model_config = ConfigDict(extra="forbid")

    hours: dict[str, DayHours | None]
    closures: list[str] = Field(default=[], max_length=400)
    slot_minutes: int = 30
    providers: list[ProviderBody] = Field(default=[], max_length=schedule.MAX_PROVIDERS)


async def _clinic(session: SessionDep) -> ClinicBody:
    rules = await schedule.load_rules(session)
    staff = [ProviderBody(id=p.id, name=p.name, active=p.active) for p in await schedule.providers(session)]
    return ClinicBody.model_validate({**rules.as_json(), "providers": staff})


@router.get("/clinic/settings")
async def get_clinic_settings(session: SessionDep) -> ClinicBody:
    return await _clinic(session)


@router.put("/clinic/settings")
async def put_clinic_settings(body: ClinicBody, session: SessionDep) -> ClinicBody:
    """Replace the clinic's hours and providers; the voice agent books by them from its next tool call."""
    hours = {day: (h.model_dump() if h else None) for day, h in body.hours.items()}
    rules = schedule.make_rules(hours, body.closures, body.slot_minutes)
    await schedule.save_providers(session, [p.model_dump() for p in body.providers])
    await schedule.save_rules(session, rules)
    return await _clinic(session)
