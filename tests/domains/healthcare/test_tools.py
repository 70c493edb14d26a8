"""Healthcare tools through run_tool: patient records, symptom intake that never advises and
always sends emergencies to 911, clinic appointments within hours, and tenant isolation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from core.db import create_engine, create_session_factory
from core.runtime import Runtime
from domains.healthcare import service
from domains.healthcare.tools import TOOLS
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, fails, ok, undocumented_arguments

TUESDAY = "2026-11-24"  # the clock says Monday 2026-11-23, 09:00 local


def test_every_argument_is_described() -> None:
    assert [t.name for t in TOOLS] == [
        "register_patient",
        "update_patient",
        "record_symptoms",
        "book_appointment",
        "list_appointments",
        "cancel_appointment",
    ]
    assert undocumented_arguments(TOOLS) == []


async def test_patient_record(caller: MakeCaller) -> None:
    alice = await caller("alice")
    fails(await call(alice, "update_patient", phone="555 123 4567"), "patient record")
    made = ok(
        await call(alice, "register_patient", first_name="Alice", last_name="Park", date_of_birth="1985-04-17")
    )
    assert made["created"] is True and made["date_of_birth"] == "1985-04-17"
    same = ok(await call(alice, "register_patient", first_name="alice", last_name="park"))
    assert same["created"] is False and same["patient_id"] == made["patient_id"]
    fails(await call(alice, "register_patient", first_name="Eve", last_name="Stone"), "already registered")

    changed = ok(await call(alice, "update_patient", phone="(555) 123-4567", insurance_provider="Blue Cross"))
    assert changed["phone"] == "5551234567" and changed["insurance_provider"] == "Blue Cross"
    assert changed["first_name"] == "Alice"

    fails(await call(alice, "update_patient"), "tell me what to change")
    fails(await call(alice, "update_patient", date_of_birth="2030-01-01"), "future")
    fails(await call(alice, "update_patient", date_of_birth="1985-02-30"), "date of birth")
    fails(await call(alice, "update_patient", phone="12"), "phone")
    fails(await call(alice, "register_patient", first_name="Bob"), "last_name")


async def test_symptoms_are_recorded_without_advice(caller: MakeCaller) -> None:
    bob = await caller("bob")
    noted = ok(await call(bob, "record_symptoms", symptoms="sore throat and a mild fever", duration="three days"))
    assert noted["recorded"] is True and noted["emergency"] is False
    assert "can't give medical advice" in noted["note"]
    assert noted["patient_registered"] is False and "register" in noted["next_step"]
    fails(await call(bob, "record_symptoms", symptoms="   "), "symptoms")


async def test_emergencies_are_sent_to_911(caller: MakeCaller) -> None:
    carol = await caller("carol")
    for words in (
        "crushing chest pain since this morning",
        "my husband can't breathe",
        "I think she is having a stroke, her face is drooping",
        "a cut that won't stop bleeding",
    ):
        urgent = ok(await call(carol, "record_symptoms", symptoms=words))
        assert urgent["emergency"] is True, words
        assert "911" in urgent["message"] and urgent["offer_transfer"] is True
        assert "can't give medical advice" in urgent["note"]
    crisis = ok(await call(carol, "record_symptoms", symptoms="I have been feeling suicidal"))
    assert crisis["emergency"] is True and "988" in crisis["crisis_line"] and "911" in crisis["message"]
    rambling = ok(await call(carol, "record_symptoms", symptoms="well " * 1000 + "now chest pain"))
    assert rambling["emergency"] is True and rambling["recorded"] is True


async def test_emergency_advice_survives_a_database_outage(caller: MakeCaller) -> None:
    dana = await caller("dana")
    engine = create_engine("postgresql+asyncpg://nobody:nothing@127.0.0.1:9/none")
    try:
        offline = dataclasses.replace(dana, sessions=create_session_factory(engine))
        urgent = ok(await call(offline, "record_symptoms", symptoms="he collapsed and is not breathing"))
        assert urgent["emergency"] is True and urgent["recorded"] is False and "911" in urgent["message"]
        fails(await call(offline, "record_symptoms", symptoms="a mild cough"), "database")
    finally:
        await engine.dispose()


async def test_booking_listing_and_cancelling(runtime: Runtime, caller: MakeCaller) -> None:
    alice, bob = await caller("alice"), await caller("bob")
    fails(await call(alice, "book_appointment", date=TUESDAY, time="10:00"), "patient record")
    ok(await call(alice, "register_patient", first_name="Alice", last_name="Park"))
    ok(await call(bob, "register_patient", first_name="Bob", last_name="Lee"))

    booked = ok(await call(alice, "book_appointment", date=TUESDAY, time="10:00", reason="annual checkup"))
    assert booked["when"] == "2026-11-24T10:00" and booked["day"] == "Tuesday" and booked["status"] == "booked"
    ok(await call(alice, "book_appointment", date="2026-11-23", time="16:30", reason="flu shot"))

    taken = fails(await call(bob, "book_appointment", date=TUESDAY, time="10:00"), "already taken")
    assert "09:30" in taken and "10:30" in taken

    listed = ok(await call(alice, "list_appointments"))["appointments"]
    assert [a["when"] for a in listed] == ["2026-11-23T16:30", "2026-11-24T10:00"]

    cancelled = ok(await call(alice, "cancel_appointment", appointment="checkup"))
    assert cancelled["cancelled"] is True and cancelled["when"] == "2026-11-24T10:00"
    ok(await call(bob, "book_appointment", date=TUESDAY, time="10:00"))  # the slot is free again
    ok(await call(alice, "cancel_appointment", appointment="my appointment"))  # the only one left
    assert ok(await call(alice, "list_appointments"))["appointments"] == []
    fails(await call(alice, "cancel_appointment", appointment="checkup"), "no upcoming appointments")

    async with runtime.sessions() as session:
        everyone = await service.list_all_appointments(session, include_cancelled=True)
        assert {(p.first_name, a.status) for a, p in everyone} == {
            ("Alice", "cancelled"),
            ("Bob", "booked"),
        } and len(everyone) == 3
        assert [a.starts_at for a, _ in await service.list_all_appointments(session)] == [
            datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 10:00 in Chicago
        ]


async def test_bad_appointment_times(caller: MakeCaller) -> None:
    dave = await caller("dave")
    ok(await call(dave, "register_patient", first_name="Dave", last_name="Kim"))
    for date, time, words in (
        ("2026-11-23", "08:30", ("passed",)),
        ("2026-11-20", "10:00", ("passed",)),
        ("2026-11-28", "10:00", ("monday to friday", "saturday")),
        (TUESDAY, "07:30", ("08:00",)),
        (TUESDAY, "17:00", ("16:30",)),
        (TUESDAY, "10:15", ("half hour",)),
        ("2026-02-30", "10:00", ("date",)),
        (TUESDAY, "noonish", ("time",)),
        ("2027-11-24", "10:00", ("180 days",)),
    ):
        fails(await call(dave, "book_appointment", date=date, time=time), *words)
    fails(await call(dave, "book_appointment", date=TUESDAY, time=1000), "time")
    fails(await call(dave, "book_appointment", date=TUESDAY), "time")
    assert ok(await call(dave, "list_appointments"))["appointments"] == []


async def test_another_caller_cannot_see_or_cancel_appointments(caller: MakeCaller) -> None:
    alice, mallory = await caller("alice"), await caller("mallory")
    ok(await call(alice, "register_patient", first_name="Alice", last_name="Park"))
    appointment = ok(await call(alice, "book_appointment", date=TUESDAY, time="11:00", reason="back pain"))

    fails(await call(mallory, "cancel_appointment", appointment=appointment["appointment_id"]), "patient record")
    assert ok(await call(mallory, "list_appointments")) == {"appointments": [], "patient_registered": False}
    ok(await call(mallory, "register_patient", first_name="Mallory", last_name="Moe"))
    assert ok(await call(mallory, "list_appointments"))["appointments"] == []
    for ref in (appointment["appointment_id"], "back pain", TUESDAY):
        fails(await call(mallory, "cancel_appointment", appointment=ref), "no upcoming appointments")
    ok(await call(mallory, "book_appointment", date=TUESDAY, time="11:30"))
    for ref in (appointment["appointment_id"], "back pain"):
        fails(await call(mallory, "cancel_appointment", appointment=ref), "couldn't find")
    renamed = ok(await call(mallory, "update_patient", first_name="Alice", last_name="Park"))
    alices = ok(await call(alice, "update_patient", insurance_provider="Aetna"))
    assert renamed["patient_id"] != alices["patient_id"] and alices["insurance_provider"] == "Aetna"
    assert renamed["insurance_provider"] is None
    mine = ok(await call(alice, "list_appointments"))["appointments"]
    assert [(a["appointment_id"], a["status"]) for a in mine] == [(appointment["appointment_id"], "booked")]
