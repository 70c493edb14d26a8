"""Bad input on the Media Streams socket: the call carries on or ends cleanly; other calls never notice.

Runs the real pipeline (offline speech included) behind a fake Twilio on the real wire protocol.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time

import pytest
import websockets
from sqlmodel import select

from core.models import CallRecording
from core.runtime import Runtime
from tests.fakes.phone_server import AUTH_TOKEN, PhoneServer
from tests.fakes.twilio_client import SILENCE, FakeCall
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller
from transports.twilio_signature import sign

pytest.importorskip("bots.speech", reason="needs the offline speech services")

# A whole call over the phone protocol: the database and store code it runs is tested on both
# backends in its own modules; the calls themselves run once, on the embedded ones.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


async def rows(runtime: Runtime) -> dict[str, CallRecording]:
    async with runtime.sessions() as session:
        return {r.call_sid: r for r in (await session.exec(select(CallRecording))).all()}


async def wait_closed(runtime: Runtime, call_sid: str, within: float = 15.0) -> CallRecording:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        row = (await rows(runtime)).get(call_sid)
        if row is not None and row.status != "in-progress":
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {call_sid} was never closed")


async def sign_in(call: FakeCall) -> None:
    """Hear the welcome, key the PIN, hear the greeting."""
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    keyed = time.monotonic()
    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(keyed, within=10)
    await call.wait_quiet()


def media(payload: str, sid: str) -> dict[str, object]:
    return {"event": "media", "streamSid": sid, "media": {"payload": payload}}


async def test_junk_on_the_socket_is_dropped_and_the_call_goes_on(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    early = [media(base64.b64encode(SILENCE).decode(), "MZearly")] * 5  # media before start
    call = await phone.twilio.place_call(CALLER_PHONE, before_start=early)
    sid = call.stream_sid
    for junk in (
        media("@@not base64@@", sid),
        media("", sid),
        {"event": "media", "streamSid": sid, "media": "oops"},
        {"event": "media", "streamSid": sid},
        {"event": "dtmf", "streamSid": sid, "dtmf": {"digit": "X"}},
        {"event": "dtmf", "streamSid": sid},
        {"event": "surprise", "streamSid": sid},
        "not json at all",
        "[1, 2, 3]",
        "null",
        media(base64.b64encode(b"\xff" * 300_000).decode(), sid),  # far past any real message
    ):
        await call.send(junk)
    await call.ws.send(b"\x00\x01binary")
    await sign_in(call)  # still listening: the PIN works and the bot answers
    assert not call.closed.is_set()
    await call.hang_up()
    row = await wait_closed(phone.runtime, call.call_sid)
    assert row.status == "completed" and row.user_id is not None


async def test_a_line_dropping_mid_turn_ends_that_call_cleanly_only(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    doomed, other = await asyncio.gather(
        phone.twilio.place_call(CALLER_PHONE), phone.twilio.place_call("+15557770000")
    )
    await sign_in(doomed)
    speaking = asyncio.create_task(doomed.say("create a todo to buy milk"))
    await asyncio.sleep(1.0)  # mid-utterance
    await doomed.drop()
    speaking.cancel()
    row = await wait_closed(phone.runtime, doomed.call_sid)
    assert row.status == "completed" and row.ended_at is not None  # no row left half-written
    # The other call never noticed: it still hears its welcome and can still be answered.
    await other.wait_for_bot(time.monotonic() - 20, within=10)
    assert not other.closed.is_set()
    await other.press("0000#")
    await other.wait_for_bot(time.monotonic() - 0.5, within=10)
    await other.hang_up()
    await wait_closed(phone.runtime, other.call_sid)


async def test_a_stream_that_closes_before_start_is_let_go(phone: PhoneServer) -> None:
    url = f"{phone.url.replace('http://', 'ws://')}/twilio/ws"
    async with websockets.connect(url, additional_headers={"X-Twilio-Signature": sign(AUTH_TOKEN, url)}) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send("garbage before start")
    await asyncio.sleep(0.3)
    fine = await phone.twilio.place_call("+15551112222")  # the server is none the worse
    await fine.wait_for_bot(time.monotonic() - 5, within=15)
    await fine.hang_up()
    assert await rows(phone.runtime)  # only the real call left a row
