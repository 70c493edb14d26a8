"""Patients, symptom reports and clinic appointments: the rules behind the healthcare tools.

The clinic sees patients Monday to Friday, 8:00 to 17:00 local time, in 30-minute slots, one
patient per slot. Times here are aware datetimes; `zone` is the clinic's (the caller's) zone.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_phone
from core.errors import Conflict, Invalid, NotFound
from core.timeutil import utcnow
from domains.healthcare.models import Appointment, AppointmentStatus, Patient, SymptomRecord

OPENS = time(8, 0)
CLOSES = time(17, 0)
SLOT = timedelta(minutes=30)
MAX_DAYS_AHEAD = 180
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


def slot_start(day: date, at: time, zone: tzinfo, now: datetime) -> datetime:
    """The aware start of a bookable slot, or Invalid saying why it isn't one."""
    if day.weekday() >= 5:
        raise Invalid(f"The clinic is open Monday to Friday; {day:%A} is closed.")
    if at.second or at.microsecond or at.minute not in (0, 30):
        raise Invalid("Appointments start on the hour or the half hour, such as 9:00 or 9:30.")
    last = (datetime.combine(day, CLOSES) - SLOT).time()
    if not OPENS <= at <= last:
        raise Invalid(f"Appointments run from {OPENS:%H:%M} to {last:%H:%M}; the clinic closes at {CLOSES:%H:%M}.")
    starts = datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)
    if starts <= now:
        raise Invalid("That time has already passed; pick a time from now on.")
    if starts > now + timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid(f"Appointments can be booked up to {MAX_DAYS_AHEAD} days ahead.")
    return starts


def _day_slots(day: date, zone: tzinfo) -> list[datetime]:
    if day.weekday() >= 5:
        return []
    start = datetime.combine(day, OPENS).replace(tzinfo=zone)
    count = int((datetime.combine(day, CLOSES) - datetime.combine(day, OPENS)) / SLOT)
    return [(start + i * SLOT).astimezone(UTC) for i in range(count)]


async def free_slots_near(
    session: AsyncSession, wanted: datetime, zone: tzinfo, now: datetime, count: int = 3
) -> list[datetime]:
    """The `count` free slots closest to `wanted`, searching that day and the week after it."""
    first = wanted.astimezone(zone).date()
    candidates = [s for i in range(8) for s in _day_slots(first + timedelta(days=i), zone) if s > now]
    if not candidates:
        return []
    stmt = select(Appointment.starts_at).where(
        Appointment.status == AppointmentStatus.booked,
        col(Appointment.starts_at) >= candidates[0],
        col(Appointment.starts_at) <= candidates[-1],
    )
    taken = set((await session.exec(stmt)).all())
    free = [s for s in candidates if s not in taken]
    return sorted(sorted(free, key=lambda s: abs(s - wanted))[:count])


async def _new_code(session: AsyncSession) -> str:
    for _ in range(10):
        code = f"{CODE_PREFIX}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(4))
        taken = await session.exec(select(Appointment.id).where(Appointment.confirmation_code == code))
        if taken.first() is None:
            return code
    raise Conflict("I couldn't make a confirmation code just now; please try again.")


async def book(session: AsyncSession, patient: Patient, starts_at: datetime, reason: str | None) -> Appointment:
    """Book the slot, or Conflict when someone holds it (the caller picks another)."""
    stmt = select(Appointment).where(Appointment.starts_at == starts_at, Appointment.status == AppointmentStatus.booked)
    if (await session.exec(stmt)).first() is not None:
        raise Conflict("That time is already taken.")
    appointment = Appointment(
        patient_id=patient.id,
        starts_at=starts_at,
        reason=_text(reason, "reason", 500) if reason and reason.strip() else None,
        confirmation_code=await _new_code(session),
    )
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
