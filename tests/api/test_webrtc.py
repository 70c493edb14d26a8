"""The browser channel's offer endpoint: refused offers, the PIN and its lockout, and a real call.

The call is made by a real aiortc peer: an SDP offer/answer through `POST /api/offer`, a
microphone track carrying hibari's voice at 48 kHz in real time, and the RTVI data channel.
"""

from __future__ import annotations

import asyncio
import fractions
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
import uvicorn
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from fastapi import FastAPI
from sqlmodel import select

from api.app import create_app
from core.models import CallRecording
from core.runtime import Runtime
from domains.productivity.models import Todo
from processors.pin_auth import PinOutcome
from processors.speech import hibari
from tests.conftest import Backend, _reset_shared, make_settings
from tests.processors.callers import CALLER_PIN, register_caller
from transports.agent_leg import AgentLegs
from transports.webrtc import BrowserCalls, ice_servers

EMAIL = "ann@example.com"
RATE = 48000
FRAME = 960  # 20 ms at 48 kHz
LOUD = 500  # int16 RMS above which a 20 ms frame is speech, not silence or comfort noise


@dataclass
class Browser:
    app: FastAPI
    client: httpx.AsyncClient
    runtime: Runtime

    @property
    def calls(self) -> BrowserCalls:
        calls: BrowserCalls = self.app.state.browser_calls
        return calls


@asynccontextmanager
async def serve(runtime: Runtime) -> AsyncIterator[Browser]:
    """The real app on uvicorn at 127.0.0.1 (lifespan included: agent, speech models, browser calls)."""
    app = create_app(runtime=runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(60):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield Browser(app, client, runtime)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


@pytest.fixture
async def browser(runtime: Runtime) -> AsyncIterator[Browser]:
    async with serve(runtime) as served:
        yield served


async def make_offer(kind: str = "audio") -> str:
    pc = RTCPeerConnection()
    pc.addTransceiver(kind, direction="sendrecv")
    pc.createDataChannel("chat")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return sdp


def offer_body(sdp: str, pin: str = CALLER_PIN, email: str = EMAIL) -> dict[str, Any]:
    return {"sdp": sdp, "type": "offer", "requestData": {"email": email, "pin": pin}}


# --- refused offers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sdp", "why"),
    [
        ("this is not an SDP", "no media"),
        ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF\r\n", "could not be read"),
        (None, "no SDP"),
    ],
)
async def test_broken_sdp_is_400(browser: Browser, sdp: str | None, why: str) -> None:
    await register_caller(browser.runtime)
    response = await browser.client.post("/api/offer", json=offer_body(sdp))  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert why in response.json()["detail"]
    assert browser.calls.active == 0
    assert await browser.runtime.store.get(f"pin:fail:email:{EMAIL}") is None  # not a PIN attempt


async def test_offer_without_ice_credentials_or_audio_first_is_400(browser: Browser) -> None:
    await register_caller(browser.runtime)
    good = await make_offer()
    no_ice = "\r\n".join(line for line in good.split("\r\n") if not line.startswith("a=ice-"))
    response = await browser.client.post("/api/offer", json=offer_body(no_ice))
    assert response.status_code == 400 and "ICE" in response.json()["detail"]

    response = await browser.client.post("/api/offer", json=offer_body(await make_offer("video")))
    assert response.status_code == 400 and "must be audio" in response.json()["detail"]

    response = await browser.client.post("/api/offer", json={"sdp": good, "type": "offer"})
    assert response.status_code == 400 and "email" in response.json()["detail"]
    assert browser.calls.active == 0


# --- the PIN -----------------------------------------------------------------------------------


async def test_wrong_pin_is_401_and_counted(browser: Browser) -> None:
    await register_caller(browser.runtime)
    response = await browser.client.post("/api/offer", json=offer_body(await make_offer(), pin="0000"))
    assert response.status_code == 401
    assert "PIN" in response.json()["detail"]
    assert await browser.runtime.store.get(f"pin:fail:email:{EMAIL}") == "1"
    assert browser.calls.active == 0

    # the same email in other letter case is the same account, and the same count
    response = await browser.client.post("/api/offer", json=offer_body(await make_offer(), "1111", " Ann@Example.com"))
    assert response.status_code == 401
    assert await browser.runtime.store.get(f"pin:fail:email:{EMAIL}") == "2"


async def test_voice_pin_opens_an_account_without_a_pin_but_not_an_unknown_email(
    backend: Backend, tmp_path: Path
) -> None:
    """A typed email that matches no account never opens the install's first user."""
    runtime = Runtime.build(make_settings(tmp_path, backend.database_url, backend.redis_url, voice_pin="9999"))
    await _reset_shared(runtime)
    try:
        await register_caller(runtime, pin=None)
        calls = BrowserCalls(runtime)
        outcome, caller = await calls.check_pin("nobody@example.com", "9999")
        assert outcome is PinOutcome.WRONG and caller is None
        outcome, caller = await calls.check_pin(EMAIL, "9999")
        assert outcome is PinOutcome.OK and caller is not None and caller.first_name == "Ann"
    finally:
        await runtime.close()


async def test_ice_servers_from_settings_reach_both_peers(backend: Backend, tmp_path: Path) -> None:
    """`WEBRTC_ICE_URLS` (+ TURN account) go to the pages' RTCPeerConnection and the server's peers."""
    urls = ["stun:stun.example.org:3478", "turn:turn.example.org:3478?transport=udp"]
    configured = make_settings(tmp_path, backend.database_url, backend.redis_url, webrtc_ice_urls=urls,
                               webrtc_turn_username="pages", webrtc_turn_credential="s3cret")
    for settings, expected in ((configured, [{"urls": urls, "username": "pages", "credential": "s3cret"}]),
                               (make_settings(tmp_path, backend.database_url, backend.redis_url), [])):
        runtime = Runtime.build(settings)
        try:
            transport = httpx.ASGITransport(app=create_app(runtime=runtime))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/api/ice-servers")
            assert response.status_code == 200 and response.json() == {"iceServers": expected}
            for handler in (BrowserCalls(runtime).handler, AgentLegs(ice_servers(settings)).handler):
                assert [(s.urls, s.username, s.credential) for s in handler._ice_servers or []] == [
                    (e["urls"], e["username"], e["credential"]) for e in expected]
        finally:
            await runtime.close()


async def test_locked_out_is_423_even_with_the_right_pin(browser: Browser) -> None:
    await register_caller(browser.runtime)
    sdp = await make_offer()
    codes = [(await browser.client.post("/api/offer", json=offer_body(sdp, pin="0000"))).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 423]

    response = await browser.client.post("/api/offer", json=offer_body(sdp))
    assert response.status_code == 423
    assert "locked" in response.json()["detail"]
    assert response.headers["Retry-After"] == "900"
    assert browser.calls.active == 0
    assert await browser.runtime.store.get(f"pin:lock:email:{EMAIL}") is not None
    # the lockout is per email: the phone path's per-number key is untouched
    assert await browser.runtime.store.keys("pin:lock:+") == []


def test_the_browser_doors_document_their_answers() -> None:
    """The OpenAPI schema names what each door answers with, instead of a bare object."""
    paths = create_app().openapi()["paths"]
    for path, method, model in (("/api/ice-servers", "get", "IceServersOut"), ("/api/offer", "post", "AnswerOut"),
                                ("/api/offer", "patch", "CandidatesAdded")):
        schema = json.dumps(paths[path][method]["responses"]["200"])
        assert f"#/components/schemas/{model}" in schema, (path, method, schema)


async def test_patch_for_an_unknown_connection_is_404(browser: Browser) -> None:
    body = {"pc_id": "SmallWebRTCConnection#0-nope", "candidates": [{"candidate": "", "sdp_mid": "0", "sdp_mline_index": 0}]}
    response = await browser.client.patch("/api/offer", json=body)
    assert response.status_code == 404


# --- a real call -------------------------------------------------------------------------------


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


@pytest.mark.slow
async def test_a_browser_peer_is_greeted_and_answered_by_voice(browser: Browser) -> None:
    runtime = browser.runtime
    await register_caller(runtime)
    speech, _ = await asyncio.to_thread(hibari.synthesize, "create a todo to buy milk", RATE, seed=1)
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
