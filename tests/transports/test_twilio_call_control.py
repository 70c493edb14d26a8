"""Call control on the phone: barge-in clears Twilio's buffer; goodbyes play out, then the call is hung up."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest
from sqlmodel import select

from core.models import CallRecording
from tests.fakes.phone_server import AUTH_TOKEN, PhoneServer
from tests.fakes.twilio_client import FakeCall
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

pytest.importorskip("bots.speech", reason="needs the offline speech services")

# A whole call over the phone protocol: the database and store code it runs is tested on both
# backends in its own modules; the calls themselves run once, on the embedded ones.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


async def hung_up(phone: PhoneServer, call: FakeCall, within: float = 20.0) -> None:
    """When the server asked Twilio's REST API to end `call`."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if any(h.call_sid == call.call_sid for h in phone.twilio.hang_ups):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the server never hung up")


async def test_caller_talking_over_the_bot_clears_its_audio(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 5, within=15)  # the welcome has started playing
    await asyncio.sleep(0.5)
    await call.say("hello")
    await asyncio.sleep(1.0)  # the caller's turn started well before now
    assert call.playback.clears >= 1
    await call.hang_up()


async def test_goodbye_plays_out_before_the_rest_hang_up(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(time.monotonic() - 1, within=10)
    await call.wait_quiet()

    await call.say("goodbye")
    assert call.speech_ended_at is not None
    await call.wait_for_bot(call.speech_ended_at, within=10)
    await hung_up(phone, call)
    hang_up = next(h for h in phone.twilio.hang_ups if h.call_sid == call.call_sid)
    assert hang_up.authorization is not None
    assert hang_up.unplayed_seconds < 0.25  # the caller heard the whole goodbye first
    assert hang_up.status == "completed" and hang_up.account_sid == phone.twilio.account_sid
    credentials = base64.b64decode(hang_up.authorization.removeprefix("Basic ")).decode()
    assert credentials == f"{phone.twilio.account_sid}:{AUTH_TOKEN}"
    await asyncio.wait_for(call.closed.wait(), 5)


async def test_three_wrong_pins_end_the_call(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    for _ in range(3):
        keyed = time.monotonic()
        await call.press("0000#")
        await call.wait_for_bot(keyed, within=10)
        await call.wait_quiet()
    await hung_up(phone, call)
    await asyncio.wait_for(call.closed.wait(), 5)
    assert await phone.runtime.store.get(f"pin:fail:{CALLER_PHONE}") == "3"


async def test_pin_said_aloud_lets_the_caller_in(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await call.say("four eight two one")  # CALLER_PIN, spoken
    assert call.speech_ended_at is not None
    await call.wait_for_bot(call.speech_ended_at, within=10)  # "Hi Ann, how can I help?"
    await call.wait_quiet()
    await call.hang_up()
    async with phone.runtime.sessions() as session:
        row = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call.call_sid))).first()
    for _ in range(100):
        if row is not None and row.status != "in-progress":
            break
        await asyncio.sleep(0.1)
        async with phone.runtime.sessions() as session:
            row = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call.call_sid))).first()
    assert row is not None and row.user_id is not None  # admitted as Ann
    assert any("how can i help" in line["text"].lower() for line in row.transcript)
