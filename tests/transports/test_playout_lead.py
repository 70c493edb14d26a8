"""The phone websocket on a busy event loop: the bot's audio reaches the caller a little ahead of its play-out
and in 200 ms messages, so a short stall or a loop slow to come round is not heard (transports/playout_lead.py),
and the caller's audio does not queue up on its way in (transports/inbound_audio.py `CatchingUpInput`)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pipecat.transports.base_input import BaseInputTransport

from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.fakes.twilio_client import RATE, FakeCall, speech_frames
from transports.playout_lead import PLAYOUT_LEAD_SECS

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]

HOLE_SECS = 0.04  # what the capacity bench counts as late audio


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> AsyncIterator[PhoneServer]:
    """The voice at its own pace: the stalls below fall inside the ~5 s welcome."""
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, hibari_speed=1.0) as server:
        yield server


def record_arrivals(call: FakeCall) -> list[tuple[float, float]]:
    """(arrival, seconds of audio) of every bot media message from now on."""
    arrivals: list[tuple[float, float]] = []
    original = call._on_event

    async def on_event(message: dict[str, Any]) -> None:
        if message.get("event") == "media":
            arrivals.append((time.monotonic(), len(base64.b64decode(message["media"]["payload"])) / RATE))
        await original(message)

    call._on_event = on_event  # type: ignore[method-assign]
    return arrivals


def holes(arrivals: list[tuple[float, float]], since: float) -> list[float]:
    """Seconds the caller's play-out ran dry before audio that came after `since`, as the capacity bench
    counts them."""
    out: list[float] = []
    plays_until = None
    for at, seconds in arrivals:
        if plays_until is not None and at >= since and at - plays_until > HOLE_SECS:
            out.append(at - plays_until)
        plays_until = max(plays_until or at, at) + seconds
    return out


async def slow_loop(seconds: float, turn: float) -> None:
    """Every turn of this event loop (the server's) takes `turn` seconds, for `seconds`."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        time.sleep(turn)  # noqa: ASYNC251  # the busy turn
        await asyncio.sleep(0)


async def test_a_busy_loop_neither_holes_the_bot_nor_queues_the_caller(phone: PhoneServer,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two calls on one server (one server's start-up for both checks)."""
    await a_stall_or_a_slow_loop_is_not_heard(phone)
    await caller_audio_does_not_queue_up_on_a_slow_loop(phone, monkeypatch)


async def a_stall_or_a_slow_loop_is_not_heard(phone: PhoneServer) -> None:
    call = await phone.twilio.place_call("+15550123456")  # the welcome (~5 s) starts at once
    arrivals = record_arrivals(call)
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    await asyncio.sleep(0.8)
    held, stalled = call.unplayed_seconds(), time.monotonic()
    time.sleep(0.15)  # noqa: ASYNC251  # the server's loop (this one) stalls, as it does under load
    await asyncio.sleep(0.3)
    await slow_loop(1.5, turn=0.015)  # 40 ms messages: ~0.4 s of audio a second got through
    heard = holes(arrivals, since=stalled)
    assert not heard, f"holes in the welcome after the stall: {[round(h * 1000) for h in heard]} ms"
    assert held > PLAYOUT_LEAD_SECS / 2, f"the caller held only {held * 1000:.0f} ms of the bot's audio"
    assert call.unplayed_seconds() > 0, "the welcome had ended before the slow loop did: nothing was tested"
    await call.hang_up()


async def caller_audio_does_not_queue_up_on_a_slow_loop(phone: PhoneServer, monkeypatch: pytest.MonkeyPatch) -> None:
    queued: list[int] = []  # caller frames waiting in the server's input, after each one arrives
    push = BaseInputTransport.push_audio_frame

    async def counting(self: BaseInputTransport, frame: Any) -> None:
        await push(self, frame)
        queued.append(self._audio_in_queue.qsize())

    monkeypatch.setattr(BaseInputTransport, "push_audio_frame", counting)
    call = await phone.twilio.place_call("+15550123457")
    await call.wait_for_bot(time.monotonic() - 5, within=15)
    speech = await asyncio.to_thread(speech_frames, "what is on my calendar today")
    queued.clear()
    await asyncio.gather(call.send_frames(speech), slow_loop(1.5, turn=0.015))
    assert len(queued) > 50, "the caller's speech never reached the server"
    assert max(queued) <= 5, f"up to {max(queued)} of the caller's 20 ms frames queued up in the server"
    await call.hang_up()
