"""A whole browser call over SmallWebRTC: a real aiortc peer speaks, the assistant answers by voice,
the todo lands in the database and the call is recorded (the offer's checks are in `test_webrtc`)."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from sqlmodel import select

from core.models import CallRecording
from core.runtime import Runtime
from domains.productivity.models import Todo
from tests.api.test_webrtc import FRAME, LOUD, RATE, Browser, offer_body, serve
from tests.processors.callers import CALLER_PIN, register_caller
from tests.voice import VOICE


@pytest.fixture
async def browser(runtime: Runtime) -> AsyncIterator[Browser]:
    async with serve(runtime) as served:
        yield served


class Microphone(MediaStreamTrack):
    """A 48 kHz mono microphone in real time: silence, or whatever `say` queued."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pending = np.zeros(0, np.int16)
        self._pts = 0
        self._start: float | None = None
        self.speech_ended_at: float | None = None

    def say(self, pcm: np.ndarray) -> float:
        """Queue speech; returns how long it lasts."""
        self._pending = np.concatenate([self._pending, pcm.astype(np.int16)])
        return pcm.size / RATE

    async def recv(self) -> av.AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        chunk = self._pending[:FRAME]
        self._pending = self._pending[FRAME:]
        if chunk.size and not self._pending.size:
            self.speech_ended_at = time.monotonic()
        samples = np.zeros(FRAME, np.int16)
        samples[: chunk.size] = chunk
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@dataclass
class Peer:
    """The browser's side: what it heard (loud frames, by time) and the RTVI messages it got."""

    pc: RTCPeerConnection
    mic: Microphone
    loud_at: list[float] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    frames: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def said(self, kind: str) -> list[str]:
        return [m["data"].get("text", "") for m in self.messages if m.get("type") == kind]

    def heard_since(self, t: float) -> int:
        return sum(1 for at in self.loud_at if at >= t)


async def listen(peer: Peer, track: MediaStreamTrack) -> None:
    try:
        while True:
            frame = await track.recv()
            assert isinstance(frame, av.AudioFrame)
            pcm = frame.to_ndarray().astype(np.float64)
            peer.frames += 1
            if np.sqrt(np.mean(pcm * pcm)) > LOUD:
                peer.loud_at.append(time.monotonic())
    except MediaStreamError:
        return


async def connect(browser: Browser) -> Peer:
    pc = RTCPeerConnection()
    mic = Microphone()
    peer = Peer(pc, mic)
    pc.addTrack(mic)
    channel = pc.createDataChannel("chat", ordered=True)

    @channel.on("open")
    def _open() -> None:
        ready = {"version": "2.2.0", "about": {"library": "aiortc-test"}}
        channel.send(json.dumps({"label": "rtvi-ai", "type": "client-ready", "id": "r1", "data": ready}))

    @channel.on("message")
    def _message(message: str) -> None:
        peer.messages.append(json.loads(message))

    @pc.on("track")
    def _track(track: MediaStreamTrack) -> None:
        peer.tasks.append(asyncio.create_task(listen(peer, track)))

    await pc.setLocalDescription(await pc.createOffer())
    response = await browser.client.post("/api/offer", json=offer_body(pc.localDescription.sdp))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["type"] == "answer" and answer["pc_id"]
    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
    return peer


async def until(check: Any, within: float, what: str) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def quiet(peer: Peer, seconds: float = 1.0, within: float = 20.0) -> None:
    """Wait until the bot has been silent for `seconds`."""
    await until(lambda: time.monotonic() - (peer.loud_at[-1] if peer.loud_at else 0) > seconds, within, "silence")


async def todos_of(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [t.title for t in (await session.exec(select(Todo))).all()]


async def browser_rows(runtime: Runtime) -> list[CallRecording]:
    async with runtime.sessions() as session:
        return list((await session.exec(select(CallRecording).where(CallRecording.channel == "browser"))).all())


async def hang_up(peer: Peer) -> None:
    await peer.pc.close()
    for task in peer.tasks:
        task.cancel()


# A whole call: the database and store code it runs is tested on both backends in its own modules, and a browser
# call through HAProxy on PostgreSQL and Redis is tests/e2e/test_load_balanced.py's; this one runs on the embedded ones.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_a_browser_peer_is_greeted_and_answered_by_voice(browser: Browser) -> None:
    runtime = browser.runtime
    await register_caller(runtime)
    speech, _ = await asyncio.to_thread(VOICE.synthesize, "create a todo to buy milk", RATE, seed=1)
    peer = await connect(browser)
    other = await connect(browser)  # a second call at the same time, hung up early
    try:
        # the greeting, by name, as audio and as bot text on the data channel
        await until(lambda: len(peer.loud_at) > 10, 15, "the greeting's audio")
        await until(lambda: any("Ann" in t for t in peer.said("bot-output")), 10, "the greeting's text")
        assert any(m.get("type") == "bot-ready" for m in peer.messages)
        await until(lambda: len(other.loud_at) > 10, 15, "the second call's greeting")
        assert browser.calls.active == 2
        await hang_up(other)
        await until(lambda: browser.calls.active == 1, 10, "the second call to end")
        await quiet(peer)

        started = time.monotonic()
        duration = peer.mic.say(speech)
        await asyncio.sleep(duration)
        await until(lambda: peer.heard_since(started + duration) > 10, 15, "the bot's answer")
        ended = peer.mic.speech_ended_at or started + duration
        first_answer = min(at for at in peer.loud_at if at >= ended)
        print(f"\nbrowser path: end of speech -> first bot audio at the peer = {(first_answer - ended) * 1000:.0f} ms")

        await until(lambda: any("milk" in t for t in peer.said("user-transcription")), 5, "the user's transcript")
        await until(lambda: todos_of(runtime), 5, "the todo")
        assert await todos_of(runtime) == ["buy milk"]
        assert any("milk" in t.lower() for t in peer.said("bot-output"))
        kinds = [m.get("type") for m in peer.messages]
        # what the page times the agent with: the end of speech, the turn handed over, the bot speaking
        for kind in ("vad-user-stopped-speaking", "user-stopped-speaking", "bot-llm-text", "bot-started-speaking"):
            assert kind in kinds, kind
        await quiet(peer)
    finally:
        await hang_up(peer)
        await hang_up(other)

    # hanging up ends the call and completes its record; the app keeps serving
    await until(lambda: browser.calls.active == 0, 10, "the call to end")
    rows = await browser_rows(runtime)
    assert len(rows) == 2 and all(r.status == "completed" and r.user_id is not None for r in rows)
    said = [(line["role"], line["text"].lower()) for r in rows for line in r.transcript]
    assert any(role == "user" and "milk" in text for role, text in said)
    assert any(role == "assistant" and "milk" in text for role, text in said)
    assert not any(CALLER_PIN in text for _, text in said)
