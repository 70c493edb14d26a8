"""Over the real Twilio protocol: a transfer nobody answers, the caller says yes to a call back and
leaves a voice message; staff find the request in the callback queue with the message's words and
its audio, and the conversation so far."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.queue import NO_ANSWER
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.fakes.twilio_client import FakeCall
from tests.helpers import make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

pytest.importorskip("bots.speech", reason="needs the offline speech services")
# A whole call over the phone protocol: the database and store code it runs is tested on both
# backends in its own modules; the calls themselves run once, on the embedded ones.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> AsyncIterator[PhoneServer]:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, transfer_timeout=2) as server:
        yield server


async def answered(call: FakeCall, text: str) -> None:
    """Say `text`, then wait for the bot to answer and fall quiet."""
    await call.say(text)
    assert call.speech_ended_at is not None
    await call.wait_for_bot(call.speech_ended_at, within=15)
    await call.wait_quiet()


async def test_an_unanswered_caller_leaves_a_voice_message_for_the_call_back(phone: PhoneServer) -> None:
    await register_caller(phone.runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await call.wait_quiet()
    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(time.monotonic() - 1, within=10)
    await call.wait_quiet()

    events = await phone.runtime.store.subscribe(EVENTS)
    try:
        await answered(call, "transfer me to the billing department")
        async with asyncio.timeout(15):
            while (raw := await events.get(wait=15)) is None or json.loads(raw).get("why") != NO_ANSWER:
                pass
    finally:
        await events.close()
    await call.wait_quiet(quiet=1.0)  # nobody answered: the offer of a call back has been said
    await answered(call, "yes please")  # ... the prompt for a message
    spoke = time.monotonic()
    await answered(call, "please call me back about the double charge on my card")
    assert call.speech_ended_at is not None and call.speech_ended_at > spoke
    [request] = await callbacks.listed(phone.runtime.sessions, callbacks.CallbackStatus.OPEN)
    await call.hang_up()

    assert request.phone == CALLER_PHONE and request.department == "billing"
    assert request.message_text is not None and "double charge" in request.message_text.lower()
    assert request.message_path is not None
    with wave.open(str(phone.runtime.settings.data_dir / request.message_path)) as message:
        assert message.getframerate() == 8000 and message.getnframes() / 8000 > 2.0
    said = [line["text"].lower() for line in request.transcript if line["role"] == "user"]
    assert any("billing" in line for line in said), request.transcript

    staff = await make_staff(phone.runtime, await register(httpx.AsyncClient(base_url=phone.url)))
    async with httpx.AsyncClient(base_url=phone.url) as client:
        played = await client.get(f"/call-center/api/callbacks/{request.id}/message", headers=staff.auth)
    assert played.status_code == 200 and played.content[:4] == b"RIFF"
