"""Healthcare tools: the caller's patient record, symptom intake and clinic appointments.

None of these tools gives medical advice; symptom intake only records what was said and, when it
sounds like an emergency, tells the caller to call emergency services now.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from core import contacts
from core.db import transaction
from core.errors import Conflict, NotFound
from core.logging import report_exception
from core.tools import ToolContext, ToolSpec, tool
from domains.common import local_iso, parse_date, parse_time, pick_one
from domains.healthcare import schedule, service, triage
from domains.healthcare.models import Appointment, Patient, SymptomRecord

log = logging.getLogger(__name__)

_GENERIC = frozenset({"my", "the", "a", "an", "appointment", "appointments", "on", "at", "for", "one"})


def _patient(patient: Patient) -> dict[str, Any]:
    return {
        "patient_id": str(patient.id),
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "phone": patient.phone,
        "insurance_provider": patient.insurance_provider,
    }


def _label(ctx: ToolContext, appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(ctx.zone)
    return f"{local:%A %Y-%m-%d %H:%M} {appointment.reason or ''}".strip()


def _appointment(ctx: ToolContext, appointment: Appointment, *, code: bool = True) -> dict[str, Any]:
    return {
        "appointment_id": str(appointment.id),
        **({"confirmation_code": appointment.confirmation_code} if code else {}),
        "when": local_iso(ctx, appointment.starts_at),
        "day": f"{appointment.starts_at.astimezone(ctx.zone):%A}",
        "reason": appointment.reason,
        "status": appointment.status,
    }


def _find(ctx: ToolContext, ref: str, appointments: list[Appointment]) -> Appointment:
    """The caller's upcoming appointment `ref` names: its code, its id, its date/time, words of its reason."""
    if not appointments:
        raise NotFound("You have no upcoming appointments.")
    code = contacts.code_in(ref, service.CODE_PREFIX, service.CODE_ALPHABET)
    for a in appointments:
        if code is not None and a.confirmation_code == code:
            return a
    words = [w for w in re.sub(r"(\d)T(\d)", r"\1 \2", ref).lower().split() if w not in _GENERIC]
    if not words and len(appointments) == 1:
        return appointments[0]
    try:
        return pick_one(" ".join(words) or ref, appointments, lambda a: _label(ctx, a), lambda a: a.id, "appointment")
    except NotFound:
        listing = "; ".join(_label(ctx, a) for a in appointments[:5])
        raise NotFound(f"I couldn't find an upcoming appointment matching {ref!r}. You have: {listing}.") from None


async def _proven(
    ctx: ToolContext, session: AsyncSession, ref: str, patient: Patient, appointments: list[Appointment],
    name_on_booking: str | None, texted_code: str | None,
) -> Appointment:
    """The appointment to cancel. On a public line caller ID proves nothing: only the confirmation
    code names one, or the patient's name plus a code texted to the caller's number
    (`core.contacts`); wrong codes are counted."""
    if ctx.contact_id is None:
        return _find(ctx, ref, appointments)
    if not appointments:
        raise NotFound("You have no upcoming appointments.")
    await contacts.check_code_tries(ctx)
    code = contacts.code_in(ref, service.CODE_PREFIX, service.CODE_ALPHABET)
    if code is not None:
        for a in appointments:
            if a.confirmation_code == code:
                return a
        raise await contacts.wrong_code(ctx, "appointment")
    full_name = f"{patient.first_name} {patient.last_name}"
    texted = await contacts.texted_proof(ctx, ref, texted_code)
    if texted is not None:
        if not contacts.same_name(texted.name, full_name):
            raise NotFound("You have no upcoming appointments under that name.")
        if len(appointments) == 1:
            return appointments[0]
        return _find(ctx, re.sub(r"\b\d{6}\b", "", ref), appointments)
    if name_on_booking and name_on_booking.strip():
        if not contacts.same_name(name_on_booking, full_name):
            raise NotFound("You have no upcoming appointments under that name.")
        raise await contacts.text_a_code(session, ctx, name_on_booking, "The clinic")
    if (name := contacts.name_in(ref)) and contacts.same_name(name, full_name):
        # "cancel the appointment under grace liu": the name it is under, as if asked for
        raise await contacts.text_a_code(session, ctx, name, "The clinic")
    raise contacts.code_needed(ctx, "appointment")


@tool("healthcare")
async def register_patient(
    ctx: ToolContext,
    first_name: Annotated[str, Field(description="The caller's first name.")],
    last_name: Annotated[str, Field(description="The caller's last name.")],
    date_of_birth: Annotated[str | None, Field(description="ISO date, e.g. 1980-04-17.")] = None,
    phone: Annotated[str | None, Field(description="Phone number with area code.")] = None,
) -> dict[str, Any]:
    """Create the caller's patient record at the clinic; needed before booking an appointment."""
    today = ctx.now_local().date()
    birth = parse_date(date_of_birth, "date of birth") if date_of_birth else None
    async with transaction(ctx.sessions) as session:
        patient, created = await service.register_patient(
            session, ctx.user_id, today, first_name=first_name, last_name=last_name, date_of_birth=birth, phone=phone
        )
        await contacts.remember_name(session, ctx, f"{patient.first_name} {patient.last_name}")
        return {"created": created, **_patient(patient)}


@tool("healthcare")
async def update_patient(
    ctx: ToolContext,
    first_name: Annotated[str | None, Field(description="New first name.")] = None,
    last_name: Annotated[str | None, Field(description="New last name.")] = None,
    date_of_birth: Annotated[str | None, Field(description="ISO date, e.g. 1980-04-17.")] = None,
    phone: Annotated[str | None, Field(description="Phone number with area code.")] = None,
    insurance_provider: Annotated[str | None, Field(description="Health insurance company name.")] = None,
) -> dict[str, Any]:
    """Change details of the caller's patient record; pass only what the caller wants changed."""
    today = ctx.now_local().date()
    changes = {
        "first_name": first_name,
        "last_name": last_name,
        "date_of_birth": parse_date(date_of_birth, "date of birth") if date_of_birth else None,
        "phone": phone,
        "insurance_provider": insurance_provider,
    }
    async with transaction(ctx.sessions) as session:
        patient = await service.require_patient(session, ctx.user_id)
        await service.update_patient(session, patient, today, changes)
        return _patient(patient)


@tool("healthcare")
async def record_symptoms(
    ctx: ToolContext,
    symptoms: Annotated[str, Field(description="The symptoms in the caller's own words.")],
    duration: Annotated[str | None, Field(description="How long they have had them, e.g. 'three days'.")] = None,
) -> dict[str, Any]:
    """Note the caller's symptoms for the clinic's staff. Gives no medical advice. If the result says
    emergency, tell the caller to call 911 now and offer to connect them with a person."""
    signs = triage.emergency_signs(symptoms)
    record: SymptomRecord | None = None
    try:
        async with transaction(ctx.sessions) as session:
            record = await service.record_symptoms(session, ctx.user_id, symptoms, duration, emergency=bool(signs))
    except (DBAPIError, OSError) as exc:
        if not signs:
            raise
        # An emergency caller must hear where to turn even when the note could not be saved.
        log.error("record_symptoms: could not save an emergency report: %s", exc)
        report_exception(exc)
    registered = record is not None and record.patient_id is not None
    result: dict[str, Any] = {
        "recorded": record is not None,
        "recorded_at": local_iso(ctx, record.recorded_at) if record else None,
        "emergency": bool(signs),
        "note": f"{triage.NO_ADVICE} {triage.NOTED}" if record else triage.NO_ADVICE,
        "patient_registered": registered,
    }
    if signs:
        result["warning_signs"] = signs
        result["message"] = triage.EMERGENCY
        result["offer_transfer"] = True
        if "suicidal thoughts" in signs:
            result["crisis_line"] = triage.CRISIS
    elif not registered:
        result["next_step"] = "To book an appointment, register as a patient first."
    return result


@tool("healthcare")
async def book_appointment(
    ctx: ToolContext,
    date: Annotated[str, Field(description="ISO date, e.g. 2026-11-24.")],
    time: Annotated[str, Field(description="24-hour start time, e.g. 09:30.")],
    reason: Annotated[str | None, Field(description="Why the caller wants to be seen, briefly.")] = None,
    provider: Annotated[
        str | None, Field(description="The doctor or nurse the caller asks for by name; leave out for anyone.")
    ] = None,
) -> dict[str, Any]:
    """Book a clinic appointment for the caller within the clinic's opening hours (an error names the
    open days and times). The caller must be registered as a patient first. Read back the
    confirmation code (it is needed to cancel later). If the time is taken, the error names the
    nearest free times."""
    day, at = parse_date(date), parse_time(time)
    now = ctx.clock()
    async with transaction(ctx.sessions) as session:
        patient = await service.require_patient(session, ctx.user_id)
        rules = await schedule.load_rules(session)
        staff = await schedule.providers(session, active_only=True)
        if provider and provider.strip():
            staff = [schedule.provider_named(provider, staff)]
        starts = schedule.slot_start(day, at, ctx.zone, now, rules)
        try:
            appointment = await service.book(session, patient, starts, reason, staff)
        except Conflict:
            near = await service.free_slots_near(session, starts, ctx.zone, now, rules=rules, staff=staff)
            options = ", ".join(f"{s.astimezone(ctx.zone):%A %Y-%m-%d %H:%M}" for s in near)
            raise Conflict(
                f"{at:%H:%M} on {day:%A %Y-%m-%d} is already taken. "
                + (f"The nearest free times are {options}." if near else "There are no free times that week.")
            ) from None
        names = {p.id: p.name for p in staff}
        return {"booked": True, **_appointment(ctx, appointment), "provider": names.get(appointment.provider_id)}


@tool("healthcare", mutates=False)
async def list_appointments(ctx: ToolContext) -> dict[str, Any]:
    """The caller's upcoming clinic appointments, soonest first."""
    async with transaction(ctx.sessions) as session:
        patient = await service.get_patient(session, ctx.user_id)
        if patient is None:
            return {"appointments": [], "patient_registered": False}
        appointments = await service.upcoming(session, patient, ctx.clock())
        # On a public line the code is the proof for a cancellation, so a listing never says it.
        listed = [_appointment(ctx, a, code=ctx.contact_id is None) for a in appointments]
        return {"appointments": listed, "patient_registered": True}


@tool("healthcare")
async def cancel_appointment(
    ctx: ToolContext,
    appointment: Annotated[
        str, Field(description="Which one: its confirmation code (CL-4K2P), id, date and time (2026-11-24 09:30), "
                               "or words of its reason.")
    ],
    name_on_booking: Annotated[
        str | None, Field(description="On a public line without the confirmation code: the patient's name "
                                      "(a code is then texted to the caller).")
    ] = None,
    texted_code: Annotated[
        str | None, Field(description="The six-digit code the caller was texted, once they say it.")
    ] = None,
) -> dict[str, Any]:
    """Cancel one of the caller's upcoming clinic appointments."""
    async with transaction(ctx.sessions) as session:
        patient = await service.require_patient(session, ctx.user_id)
        mine = await service.upcoming(session, patient, ctx.clock())
        chosen = await _proven(ctx, session, appointment, patient, mine, name_on_booking, texted_code)
        await service.cancel(session, chosen)
        return {"cancelled": True, **_appointment(ctx, chosen)}


TOOLS: list[ToolSpec] = [
    register_patient,
    update_patient,
    record_symptoms,
    book_appointment,
    list_appointments,
    cancel_appointment,
]
