"""A call on a public line: the caller is admitted as the contact their caller ID names, with no PIN,
and the agent works only in the line's domains."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bots.agent.agent import Agent
from bots.agent.router import route
from bots.session import CallInfo, CallSession, find_line
from core import lines
from core.config import Settings
from core.db import transaction
from core.grammar.numbers import ONES
from core.models import Contact
from core.runtime import Runtime
from domains.healthcare.models import Appointment, Patient, SymptomRecord
from domains.mortgage.models import MortgageApplication
from domains.productivity.models import Todo
from domains.restaurant.models import Reservation, ReservationStatus
from processors.pin_auth import Caller
from tests.api.test_reminders import twilio_runtime
from tests.conftest import Backend, _reset_shared, make_settings
from tests.fakes.llm_servers import FakeOpenAIServer
from tests.processors.callers import register_caller

NOW = datetime(2026, 11, 23, 9, 0)
MONDAY = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
KNOWN = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


def test_routing_stays_within_the_lines_domains() -> None:
    assert route("create a todo to buy milk", None, NOW) == "productivity"
    assert route("create a todo to buy milk", None, NOW, ("restaurant",)) == "restaurant"
    assert route("hello", None, NOW, ("healthcare", "restaurant")) == "healthcare"
    assert route("book a table for two on friday at seven", None, NOW, ("restaurant",)) == "restaurant"
    assert route("I want to speak to a person", None, NOW, ("restaurant",)) == "transfer"


async def test_a_public_caller_books_as_a_contact(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Hanok Table",
                             domains=["restaurant"], access="public")
    line = await find_line(runtime, "+15550100000")
    assert line is not None and await find_line(runtime, "+15550100009") is None
    async with Agent.open(runtime) as agent:
        call = CallSession(runtime, agent, CallInfo("CA-public", "phone", "+15551110001", "+15550100000"), line)
        assert call.is_public
        await call.admit_contact()
        assert call.conversation is not None
        call.conversation.ctx.clock = lambda: MONDAY
        todo = await call.turn("create a todo to buy milk")
        assert not any(c.ok and c.name == "create_todo" for c in todo.tool_calls)
        # what the line offers, and no more
        assert "restaurant reservations" in todo.reply and "todos" not in todo.reply, todo.reply
        lost = await call.turn("purple monkey dishwasher")
        assert "restaurant reservations" in lost.reply and "todo" not in lost.reply, lost.reply
        booked = await call.turn("book a table for two on friday at seven under the name Kim")
    async with runtime.sessions() as session:
        contact = (await session.exec(select(Contact))).one()
        reservations = (await session.exec(select(Reservation))).all()
        assert (await session.exec(select(Todo))).all() == []
    assert contact.phone == "+15551110001" and call.caller is not None and call.caller.user_id == contact.user_id
    assert [(r.user_id, r.party_size, r.name) for r in reservations] == [(contact.user_id, 2, "Kim")], booked.reply


async def public_call(runtime: Runtime, agent: Agent, call_sid: str, caller: str, number: str) -> CallSession:
    line = await find_line(runtime, number)
    call = CallSession(runtime, agent, CallInfo(call_sid, "phone", caller, number), line)
    await call.admit_contact()
    assert call.conversation is not None
    call.conversation.ctx.clock = lambda: MONDAY  # "tuesday at ten" is always ahead
    return call


async def test_clinic_intake_and_a_mortgage_enquiry_on_public_lines(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        await lines.set_line(session, "+15550100001", known_domains=KNOWN, name="Clinic", domains=["healthcare"],
                             access="public")
        await lines.set_line(session, "+15550100002", known_domains=KNOWN, name="Mortgage desk",
                             domains=["mortgage"], access="public")
    async with Agent.open(runtime) as agent:
        patient = await public_call(runtime, agent, "CA-clinic", "+15551110001", "+15550100001")
        registered = await patient.turn("register me as Dana Lee")
        noted = await patient.turn("I've had a headache for three days")
        booked = await patient.turn("book an appointment on tuesday at ten am")
        other = await public_call(runtime, agent, "CA-clinic-2", "+15552220002", "+15550100001")
        theirs = await other.turn("what appointments do I have")
        applicant = await public_call(runtime, agent, "CA-loan", "+15553330003", "+15550100002")
        started = await applicant.turn("start a mortgage application")
    async with runtime.sessions() as session:
        people = {c.phone: c for c in (await session.exec(select(Contact))).all()}
        patients = (await session.exec(select(Patient))).all()
        symptoms = (await session.exec(select(SymptomRecord))).all()
        appointments = (await session.exec(select(Appointment))).all()
        applications = (await session.exec(select(MortgageApplication))).all()
    dana = people["+15551110001"]
    assert [(p.user_id, p.first_name, p.last_name) for p in patients] == [(dana.user_id, "Dana", "Lee")], \
        registered.reply
    assert [(s.user_id, s.patient_id) for s in symptoms] == [(dana.user_id, patients[0].id)], noted.reply
    assert [a.patient_id for a in appointments] == [patients[0].id], booked.reply
    assert appointments[0].confirmation_code is not None
    assert [c.name for c in theirs.tool_calls] == ["list_appointments"]
    assert theirs.tool_calls[0].result["appointments"] == []  # the other caller sees none of Dana's
    assert [a.user_id for a in applications] == [people["+15553330003"].user_id], started.reply


async def test_a_cloud_model_is_told_the_line_and_the_public_callers_rules(
    backend: Backend, tmp_path: Path, openai_server: FakeOpenAIServer
) -> None:
    settings = make_settings(tmp_path, backend.database_url, backend.redis_url, llm_providers=["openai"],
                             openai_api_key="sk-test", openai_base_url=openai_server.base_url)
    runtime = Runtime.build(settings)
    await _reset_shared(runtime)
    try:
        async with transaction(runtime.sessions) as session:
            await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Hanok Table",
                                 domains=["restaurant"], access="public")
        async with Agent.open(runtime) as agent:
            call = await public_call(runtime, agent, "CA-cloud", "+15551110001", "+15550100000")
            await call.turn("what do you have on friday")
    finally:
        await runtime.close()
    sent = openai_server.requests[0].body
    system = sent["messages"][0]["content"]
    assert "You answer the phone for Hanok Table." in system and "confirmation code" in system
    offered = {t["function"]["name"] for t in sent["tools"]}
    assert "check_availability" in offered and "create_todo" not in offered and "book_appointment" not in offered


async def test_a_pin_line_keeps_the_pin_but_serves_only_its_domains(runtime: Runtime) -> None:
    user = await register_caller(runtime)
    async with transaction(runtime.sessions) as session:
        await lines.set_line(session, "+15550100003", known_domains=KNOWN, name="Ann's desk",
                             domains=["productivity"], access="pin")
    line = await find_line(runtime, "+15550100003")
    async with Agent.open(runtime) as agent:
        call = CallSession(runtime, agent, CallInfo("CA-pin", "phone", "+15551234567", "+15550100003"), line)
        assert not call.is_public
        await call.authenticate(Caller(user.id, "Ann"))
        assert call.conversation is not None
        ctx = call.conversation.ctx
        assert (ctx.domains, ctx.line_name, ctx.contact_id) == (("productivity",), "Ann's desk", None)
        booked = await call.turn("book a table for two tomorrow at seven under the name Ann")
    assert not any(c.ok and c.name == "create_reservation" for c in booked.tool_calls)
    async with runtime.sessions() as session:
        assert (await session.exec(select(Reservation))).all() == []
        assert (await session.exec(select(Contact))).all() == []


# The dialogue is the offline model's; the store and database code under it runs on both backends in
# tests/domains/test_text_codes.py.
@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_offline_a_caller_proves_a_booking_by_its_code_or_by_name_and_a_texted_code(settings: Settings) -> None:
    """The offline model hears the tools' own questions: the name to book under, the confirmation code or
    the name on the booking, then the code texted to the caller's number (fake Twilio on loopback)."""
    async with twilio_runtime(settings) as (runtime, twilio):
        async with transaction(runtime.sessions) as session:
            await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Hanok Table",
                                 domains=["restaurant"], access="public")
        async with Agent.open(runtime) as agent:
            kim = await public_call(runtime, agent, "CA-book", "+15551110001", "+15550100000")
            asked = await kim.turn("book a table for two on friday at seven")
            assert "what name" in asked.reply.lower()
            booked = await kim.turn("it's Kim")
            [made] = [c.result for c in booked.tool_calls if c.ok and c.name == "create_reservation"]
            assert made["name"] == "Kim", booked.reply
            code = " ".join(made["confirmation_code"].replace("-", "")).lower()  # "h t 4 k 2 p"

            kim = await public_call(runtime, agent, "CA-move", "+15551110001", "+15550100000")
            proof = await kim.turn("move my reservation to eight pm")
            assert "confirmation code" in proof.reply and not any(c.ok and c.name == "change_reservation" for c in proof.tool_calls)
            moved = await kim.turn(code)
            assert [c.result["when"] for c in moved.tool_calls if c.ok] == ["2026-11-27T20:00"], moved.reply

            kim = await public_call(runtime, agent, "CA-cancel", "+15551110001", "+15550100000")
            await kim.turn("cancel my reservation")
            proof = await kim.turn("yes")
            assert "name on it" in proof.reply and twilio.messages == []
            unsure = await kim.turn("okay")  # not a name
            assert "didn't catch" in unsure.reply and unsure.tool_calls == [], unsure.reply
            texted = await kim.turn("it's under Kim")
            assert "texted" in texted.reply
            [text] = twilio.messages
            digits = re.search(r"\b(\d{6})\b", text.body).group(1)  # type: ignore[union-attr]
            wrong = await kim.turn("one one one one one one" if digits != "111111" else "two two two two two two")
            assert "doesn't match" in wrong.reply
            cancelled = await kim.turn(" ".join(ONES[int(d)] for d in digits))
            assert [c.name for c in cancelled.tool_calls if c.ok] == ["cancel_reservation"], cancelled.reply
    async with runtime.sessions() as session:
        [reservation] = (await session.exec(select(Reservation))).all()
    assert reservation.status == ReservationStatus.cancelled
