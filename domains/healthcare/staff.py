"""Staff view of the clinic's appointments over a range of days, and the clinic's hours and providers
the booking tools use (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from datetime import date as date_
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from core import contacts, redaction
from core.deps import SessionDep, SettingsDep, StaffUser
from core.errors import Conflict
from core.models import Contact, User
from core.timeutil import utcnow
from domains.healthcare import schedule
from domains.healthcare import service as healthcare
from domains.healthcare.models import Appointment, AppointmentStatus, Patient, Provider
from domains.staff import EndDay, LocalTime, StartDay, day_range

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
    provider: str | None = None
    """Who sees the patient; None when the clinic lists no providers."""
    contact_phone: str | None = None
    """The number of a patient who booked on a public line (a contact): caller ID, else the one they gave."""
    reason_withheld: bool = False
    """The reason is health details and the reader lacks the clinical role: `reason` says it is withheld
    (`core.redaction`); a change that leaves `reason` out keeps it."""


async def _names(session: SessionDep) -> dict[int, str]:
    return {p.id or 0: p.name for p in await schedule.providers(session)}


@router.get("/appointments")
async def list_appointments(
    session: SessionDep,
    settings: SettingsDep,
    viewer: StaffUser,
    start: StartDay = None,
    end: EndDay = None,
    include_cancelled: bool = False,
) -> list[AppointmentOut]:
    since, until = day_range(start, end, settings.timezone)
    rows = await healthcare.list_all_appointments(session, since, until, include_cancelled=include_cancelled)
    callers = await contacts.by_owner(session, {p.user_id for _, p in rows})
    names = await _names(session)
    return [_out(a, p, callers.get(p.user_id), names, viewer) for a, p in rows]


def _out(appointment: Appointment, patient: Patient, contact: Contact | None, names: dict[int, str],
         viewer: User) -> AppointmentOut:
    """The appointment as `viewer` reads it: its reason (the clinic's, so health details) withheld unless
    they have the clinical role."""
    withheld = not viewer.is_clinical and bool(appointment.reason)
    return AppointmentOut(
        id=appointment.id,
        starts_at=appointment.starts_at,
        reason=redaction.withheld(appointment.reason) if withheld else appointment.reason,
        reason_withheld=withheld,
        status=appointment.status,
        confirmation_code=appointment.confirmation_code,
        patient=PatientOut.model_validate(patient, from_attributes=True),
        provider=names.get(appointment.provider_id),
        contact_phone=contact.reach if contact is not None else None,
    )


async def _full(session: SessionDep, appointment: Appointment, patient: Patient, viewer: User) -> AppointmentOut:
    caller = (await contacts.by_owner(session, {patient.user_id})).get(patient.user_id)
    return _out(appointment, patient, caller, await _names(session), viewer)


async def _booked(session: SessionDep, appointment_id: uuid.UUID) -> tuple[Appointment, Patient]:
    appointment = await session.get(Appointment, appointment_id)
    patient = await session.get(Patient, appointment.patient_id) if appointment is not None else None
    if appointment is None or patient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such appointment.")
    if appointment.status != AppointmentStatus.booked:
        raise Conflict(f"That appointment is {appointment.status}, not booked.")
    return appointment, patient


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_appointment(appointment_id: uuid.UUID, session: SessionDep, viewer: StaffUser) -> AppointmentOut:
    """Cancel a patient's appointment (its slot is free at once)."""
    appointment, patient = await _booked(session, appointment_id)
    await healthcare.cancel(session, appointment)
    return await _full(session, appointment, patient, viewer)


class AppointmentIn(BaseModel):
    """An appointment staff book (a patient on the phone, at the desk): for the patient of the contact
    with that number, registered as a patient if new."""

    model_config = ConfigDict(extra="forbid")

    date: date_
    time: LocalTime
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    date_of_birth: date_ | None = None
    reason: str | None = Field(default=None, max_length=500)
    provider_id: int | None = None
    """One provider in particular; leave out for whoever is free."""


class AppointmentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date_ | None = None
    time: LocalTime | None = None
    reason: str | None = Field(default=None, max_length=500)
    provider_id: int | None = None


async def _on_duty(session: SessionDep, provider_id: int | None) -> list[Provider]:
    active = await schedule.providers(session, active_only=True)
    if provider_id is None:
        return active
    chosen = [p for p in active if p.id == provider_id]
    if not chosen:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such provider seeing patients.")
    return chosen


@router.post("/appointments", status_code=status.HTTP_201_CREATED)
async def create_appointment(
    body: AppointmentIn, session: SessionDep, settings: SettingsDep, viewer: StaffUser
) -> AppointmentOut:
    """Book an appointment by the clinic's hours and providers, as the voice agent would."""
    zone, now = ZoneInfo(settings.timezone), utcnow()
    rules = await schedule.load_rules(session)
    starts = schedule.slot_start(body.date, body.time, zone, now, rules)
    on_duty = await _on_duty(session, body.provider_id)
    person = await contacts.for_staff(session, body.phone, f"{body.first_name} {body.last_name}", now)
    patient = await healthcare.get_patient(session, person.user_id)
    if patient is None:
        patient, _ = await healthcare.register_patient(
            session, person.user_id, now.astimezone(zone).date(), first_name=body.first_name,
            last_name=body.last_name, date_of_birth=body.date_of_birth, phone=person.phone,
        )
    appointment = await healthcare.book(session, patient, starts, body.reason, on_duty)
    return await _full(session, appointment, patient, viewer)


@router.patch("/appointments/{appointment_id}")
async def change_appointment(
    appointment_id: uuid.UUID, body: AppointmentChange, session: SessionDep, settings: SettingsDep, viewer: StaffUser
) -> AppointmentOut:
    """Move a booked appointment, change its reason or its provider. A reason that is the withheld
    placeholder (a form sent back as it was shown) keeps the one on file."""
    appointment, patient = await _booked(session, appointment_id)
    zone, now = ZoneInfo(settings.timezone), utcnow()
    if "reason" in body.model_fields_set and body.reason != redaction.WITHHELD:
        appointment.reason = " ".join((body.reason or "").split()) or None
    if body.date is not None or body.time is not None or body.provider_id is not None:
        local = appointment.starts_at.astimezone(zone)
        rules = await schedule.load_rules(session)
        starts = schedule.slot_start(body.date or local.date(), body.time or local.time(), zone, now, rules)
        await healthcare.move(session, appointment, starts, await _on_duty(session, body.provider_id))
    session.add(appointment)
    await session.flush()
    return await _full(session, appointment, patient, viewer)


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
    closures: list[Annotated[str, Field(max_length=40)]] = Field(default=[], max_length=400)
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
