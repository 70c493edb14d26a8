"""Patients, symptom reports and clinic appointments: the rules behind the healthcare tools.

When the clinic sees patients and who sees them is in `schedule` (staff set it). Times here are
aware datetimes; `zone` is the clinic's (the caller's) zone.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_phone
from core.errors import Conflict, Invalid, NotFound
from core.timeutil import ensure_aware, utcnow
from domains.domain import Booking
from domains.healthcare.models import (
    NO_PROVIDER,
    Appointment,
    AppointmentStatus,
    Patient,
    Provider,
    SymptomRecord,
)
from domains.healthcare.schedule import DEFAULT_RULES, ClinicRules, day_slots

MAX_SYMPTOMS = 2000
CODE_PREFIX = "CL"
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read aloud


async def get_patient(session: AsyncSession, user_id: uuid.UUID) -> Patient | None:
    return (await session.exec(select(Patient).where(Patient.user_id == user_id))).first()


async def require_patient(session: AsyncSession, user_id: uuid.UUID) -> Patient:
    patient = await get_patient(session, user_id)
    if patient is None:
        raise NotFound(
            "You don't have a patient record yet. Tell me your first and last name and date of birth, "
            "and I'll register you first."
        )
    return patient


def _text(value: str, what: str, limit: int) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid(f"I need your {what}.")
    if len(value) > limit:
        raise Invalid(f"The {what} can be at most {limit} characters.")
    return value


def _birth_date(value: date, today: date) -> date:
    if value > today:
        raise Invalid("A date of birth can't be in the future.")
    if value.year < today.year - 130:
        raise Invalid("That date of birth is too long ago; please check the year.")
    return value


def _phone(value: str) -> str:
    phone = normalize_phone(value)
    if not 7 <= len(phone.lstrip("+")) <= 15:
        raise Invalid("That phone number doesn't look right; say all its digits, with the area code.")
    return phone


def _clean(changes: dict[str, Any], today: date) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name in ("first_name", "last_name"):
            clean[name] = _text(value, name.replace("_", " "), 100)
        elif name == "date_of_birth":
            clean[name] = _birth_date(value, today)
        elif name == "phone":
            clean[name] = _phone(value)
        elif name == "insurance_provider":
            clean[name] = _text(value, "insurance provider", 120)
        else:
            raise Invalid(f"A patient record has no {name.replace('_', ' ')}.")
    return clean


async def register_patient(
    session: AsyncSession, user_id: uuid.UUID, today: date, **fields: Any
) -> tuple[Patient, bool]:
    """Create the caller's patient record; the same name again returns the existing one."""
    clean = _clean(fields, today)
    existing = await get_patient(session, user_id)
    if existing is not None:
        same = (existing.first_name.lower(), existing.last_name.lower()) == (
            clean["first_name"].lower(),
            clean["last_name"].lower(),
        )
        if not same:
            raise Conflict(
                f"You're already registered as {existing.first_name} {existing.last_name}; "
                "I can update your details instead."
            )
        return existing, False
    patient = Patient(user_id=user_id, **clean)
    session.add(patient)
    await session.flush()
    return patient, True


async def update_patient(session: AsyncSession, patient: Patient, today: date, changes: dict[str, Any]) -> Patient:
    clean = _clean(changes, today)
    if not clean:
        raise Invalid("Tell me what to change: name, date of birth, phone or insurance provider.")
    for name, value in clean.items():
        setattr(patient, name, value)
    patient.updated_at = utcnow()
    session.add(patient)
    await session.flush()
    return patient


async def record_symptoms(
    session: AsyncSession, user_id: uuid.UUID, symptoms: str, duration: str | None, emergency: bool
) -> SymptomRecord:
    patient = await get_patient(session, user_id)
    record = SymptomRecord(
        user_id=user_id,
        patient_id=patient.id if patient else None,
        symptoms=_text(symptoms, "symptoms", 10 * MAX_SYMPTOMS)[:MAX_SYMPTOMS],
        duration=_text(duration, "duration", 120) if duration and duration.strip() else None,
        emergency=emergency,
    )
    session.add(record)
    await session.flush()
    return record


async def _booked_at(session: AsyncSession, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    stmt = select(Appointment.starts_at, Appointment.provider_id).where(
        Appointment.status == AppointmentStatus.booked,
        col(Appointment.starts_at) >= start,
        col(Appointment.starts_at) <= end,
    )
    return [(at, provider) for at, provider in (await session.exec(stmt)).all()]


def _room(slot: datetime, booked: list[tuple[datetime, int]], staff: list[Provider]) -> bool:
    """Whether `slot` can take one more patient: a free provider, or no booking when none are listed."""
    holders = {p for at, p in booked if at == slot}
    if not staff:
        return not holders
    return any(p.id not in holders for p in staff)


async def free_slots_near(
    session: AsyncSession,
    wanted: datetime,
    zone: tzinfo,
    now: datetime,
    count: int = 3,
    rules: ClinicRules = DEFAULT_RULES,
    staff: list[Provider] | None = None,
) -> list[datetime]:
    """The `count` slots closest to `wanted` with room (with one of `staff` free, when given), searching
    that day and the week after it."""
    first = wanted.astimezone(zone).date()
    candidates = [s for i in range(8) for s in day_slots(first + timedelta(days=i), zone, rules) if s > now]
    if not candidates:
        return []
    booked = await _booked_at(session, candidates[0], candidates[-1])
    free = [s for s in candidates if _room(s, booked, staff or [])]
    return sorted(sorted(free, key=lambda s: abs(s - wanted))[:count])


async def _new_code(session: AsyncSession) -> str:
    for _ in range(10):
        code = f"{CODE_PREFIX}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        taken = await session.exec(select(Appointment.id).where(Appointment.confirmation_code == code))
        if taken.first() is None:
            return code
    raise Conflict("I couldn't make a confirmation code just now; please try again.")


async def book(
    session: AsyncSession,
    patient: Patient,
    starts_at: datetime,
    reason: str | None,
    staff: list[Provider] | None = None,
) -> Appointment:
    """Book the slot with the first of `staff` free then (no one in particular when the clinic lists no
    providers), or Conflict when there is no room (the caller picks another time)."""
    booked = await _booked_at(session, starts_at, starts_at)
    holders = {p for _, p in booked}
    if staff:
        free = [p for p in staff if p.id not in holders]
        if not free:
            raise Conflict("That time is already taken.")
        provider_id = free[0].id or NO_PROVIDER
    elif holders:
        raise Conflict("That time is already taken.")
    else:
        provider_id = NO_PROVIDER
    appointment = Appointment(
        patient_id=patient.id,
        starts_at=starts_at,
        provider_id=provider_id,
        reason=_text(reason, "reason", 500) if reason and reason.strip() else None,
        confirmation_code=await _new_code(session),
    )
    session.add(appointment)
    await session.flush()
    return appointment


async def move(
    session: AsyncSession, appointment: Appointment, starts_at: datetime, staff: list[Provider] | None = None
) -> Appointment:
    """Move a booked appointment to `starts_at` (with the first of `staff` free then), or Conflict when
    there is no room; the appointment's own place does not count against it."""
    booked = [(at, p) for at, p in await _booked_at(session, starts_at, starts_at)
              if not (at == appointment.starts_at and p == appointment.provider_id)]
    holders = {p for _, p in booked}
    keep = appointment.provider_id if appointment.provider_id not in holders else None
    if staff:
        free = [p.id or NO_PROVIDER for p in staff if p.id not in holders]
        if not free:
            raise Conflict("That time is already taken.")
        provider_id = keep if keep is not None and keep in free else free[0]
    elif holders:
        raise Conflict("That time is already taken.")
    else:
        provider_id = NO_PROVIDER
    appointment.starts_at, appointment.provider_id = starts_at, provider_id
    session.add(appointment)
    await session.flush()
    return appointment


async def upcoming(session: AsyncSession, patient: Patient, now: datetime) -> list[Appointment]:
    stmt = (
        select(Appointment)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == AppointmentStatus.booked,
            col(Appointment.starts_at) > now,
        )
        .order_by(col(Appointment.starts_at))
    )
    return list((await session.exec(stmt)).all())


async def caller_bookings(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> list[Booking]:
    """The account's upcoming clinic appointments for the call-center popup (`Domain.bookings`); the
    reason is health data, withheld by the popup from staff without the clinical role."""
    patient = await get_patient(session, user_id)
    if patient is None:
        return []
    return [Booking("The clinic", "appointment", ensure_aware(a.starts_at) or now, a.reason or "", a.confirmation_code)
            for a in await upcoming(session, patient, now)]


async def cancel(session: AsyncSession, appointment: Appointment) -> Appointment:
    appointment.status = AppointmentStatus.cancelled.value
    appointment.cancelled_at = utcnow()
    session.add(appointment)
    await session.flush()
    return appointment


# Staff-facing (dashboards); not tools.


async def list_all_appointments(
    session: AsyncSession,
    start: datetime | None = None,
    end: datetime | None = None,
    include_cancelled: bool = False,
) -> list[tuple[Appointment, Patient]]:
    """Every patient's appointments between `start` and `end`, soonest first, with who they are for."""
    stmt = select(Appointment, Patient).where(Appointment.patient_id == Patient.id)
    if start is not None:
        stmt = stmt.where(col(Appointment.starts_at) >= start)
    if end is not None:
        stmt = stmt.where(col(Appointment.starts_at) < end)
    if not include_cancelled:
        stmt = stmt.where(Appointment.status == AppointmentStatus.booked)
    rows = (await session.exec(stmt.order_by(col(Appointment.starts_at)))).all()
    return [(a, p) for a, p in rows]
