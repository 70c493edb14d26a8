"""A public line over the real Twilio protocol: set up with `convonet line set … --public`, an
unknown number calls, books a table by voice with no PIN, and staff see the booking with the
caller's number and name; a second unknown number asking to cancel "my reservation" cancels nothing."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
from sqlmodel import select

from api.cli import main
from core import lines
from core.db import transaction
from core.models import CallRecording, Contact
from domains import registry
from domains.healthcare.models import Appointment, Patient, SymptomRecord
from domains.mortgage.models import MortgageApplication
from domains.restaurant.models import Reservation, ReservationStatus
from tests.fakes.phone_server import PhoneServer
from tests.fakes.twilio_client import FakeCall
from tests.helpers import make_staff, register

pytest.importorskip("bots.speech", reason="needs the offline speech services")

# A whole call over the phone protocol: the database and store code it runs is tested on both
# backends in its own modules; the calls themselves run once, on the embedded ones.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]

HANOK = "+15550100000"
CLINIC, LOANS = "+15550100001", "+15550100002"
GUEST, STRANGER = "+15551110001", "+15552220002"


async def converse(call: FakeCall, text: str) -> None:
    """Say `text` and wait until the bot has answered and fallen quiet."""
    await call.say(text)
    assert call.speech_ended_at is not None
    await call.wait_for_bot(call.speech_ended_at, within=15)
    await call.wait_quiet()


async def ended(phone: PhoneServer, call: FakeCall) -> CallRecording:
    await call.hang_up()
    for _ in range(100):
        async with phone.runtime.sessions() as session:
            row = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call.call_sid))).first()
        if row is not None and row.status != "in-progress":
            return row
        await asyncio.sleep(0.1)
    raise AssertionError("the call's record was never completed")


async def test_an_unknown_caller_books_by_voice_and_a_stranger_cancels_nothing(
    phone: PhoneServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = phone.runtime.settings
    for name, value in {"ENVIRONMENT": "test", "JWT_SECRET": "j" * 40, "DATA_DIR": str(settings.data_dir),
                        "DATABASE_URL": settings.database_url or "", "TWILIO_ENABLED": "false"}.items():
        monkeypatch.setenv(name, value)
    if settings.redis_url:
        monkeypatch.setenv("REDIS_URL", settings.redis_url)
    monkeypatch.chdir(settings.data_dir)
    await asyncio.to_thread(main, ["line", "set", HANOK, "--name", "Hanok Table", "--domains", "restaurant",
                                   "--public", "--greeting", "Hanok Table, how can I help you?"])

    call = await phone.twilio.place_call(GUEST, HANOK)
    await call.wait_for_bot(time.monotonic() - 5, within=15)  # the line's greeting, no PIN asked
    await call.wait_quiet()
    await converse(call, "book a table for two tomorrow at seven under the name Kim")
    row = await ended(phone, call)
    assert row.transcript[0]["role"] == "assistant" and "hanok table" in row.transcript[0]["text"].lower()
    assert not any("pin" in line["text"].lower() for line in row.transcript if line["role"] == "assistant")

    async with phone.runtime.sessions() as session:
        guest = (await session.exec(select(Contact).where(Contact.phone == GUEST))).one()
        [booked] = (await session.exec(select(Reservation))).all()
    assert booked.user_id == guest.user_id == row.user_id and booked.party_size == 2, row.transcript

    async with httpx.AsyncClient(base_url=phone.url) as client:
        staff = await make_staff(phone.runtime, await register(client))
        listed = (await client.get("/api/staff/reservations", headers=staff.auth)).json()
    assert [(r["confirmation_code"], r["contact_phone"], r["contact_name"]) for r in listed] == [
        (booked.confirmation_code, GUEST, "Kim")
    ]

    call = await phone.twilio.place_call(STRANGER, HANOK)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await converse(call, "cancel my reservation")
    await converse(call, "yes")
    row = await ended(phone, call)
    async with phone.runtime.sessions() as session:
        still = await session.get(Reservation, booked.id)
        stranger = (await session.exec(select(Contact).where(Contact.phone == STRANGER))).one()
    assert still is not None and still.status == ReservationStatus.confirmed
    assert row.user_id == stranger.user_id != guest.user_id


async def test_clinic_intake_and_a_mortgage_enquiry_by_phone(phone: PhoneServer) -> None:
    async with transaction(phone.runtime.sessions) as session:
        await lines.set_line(session, CLINIC, known_domains=registry.names(), name="Riverside Clinic",
                             domains=["healthcare"], access="public")
        await lines.set_line(session, LOANS, known_domains=registry.names(), name="Mortgage desk",
                             domains=["mortgage"], access="public")

    call = await phone.twilio.place_call(GUEST, CLINIC)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await converse(call, "I've had a headache for three days")
    await converse(call, "register me as Dana Lee")
    await converse(call, "book an appointment on monday at ten am")
    clinic = await ended(phone, call)

    call = await phone.twilio.place_call(STRANGER, LOANS)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await converse(call, "start a mortgage application")
    loans = await ended(phone, call)

    async with phone.runtime.sessions() as session:
        people = {c.phone: c for c in (await session.exec(select(Contact))).all()}
        symptoms = (await session.exec(select(SymptomRecord))).all()
        patients = (await session.exec(select(Patient))).all()
        appointments = (await session.exec(select(Appointment))).all()
        applications = (await session.exec(select(MortgageApplication))).all()
    assert [(s.user_id, "headache" in s.symptoms) for s in symptoms] == [(people[GUEST].user_id, True)], \
        clinic.transcript
    assert [p.user_id for p in patients] == [people[GUEST].user_id], clinic.transcript
    assert [(a.patient_id, a.confirmation_code is not None) for a in appointments] == [(patients[0].id, True)], \
        clinic.transcript
    assert [a.user_id for a in applications] == [people[STRANGER].user_id], loans.transcript

    day = appointments[0].starts_at.date()
    async with httpx.AsyncClient(base_url=phone.url) as client:
        staff = await make_staff(phone.runtime, await register(client))
        window = {"start": (day - timedelta(days=1)).isoformat(), "end": (day + timedelta(days=1)).isoformat()}
        visits = (await client.get("/api/staff/appointments", params=window, headers=staff.auth)).json()
        enquiries = (await client.get("/api/staff/mortgage/applications", headers=staff.auth)).json()
    assert [(v["confirmation_code"], v["contact_phone"]) for v in visits] == [(appointments[0].confirmation_code, GUEST)]
    assert [(e["applicant"]["phone"], e["loan_purpose"]) for e in enquiries] == [(STRANGER, applications[0].loan_purpose)]
