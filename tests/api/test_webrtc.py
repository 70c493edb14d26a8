"""The browser channel's offer endpoint: refused offers, the PIN and its lockout, and a real call.

The call is made by a real aiortc peer: an SDP offer/answer through `POST /api/offer`, a
microphone track carrying hibari's voice at 48 kHz in real time, and the RTVI data channel.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiortc import RTCPeerConnection
from fastapi import FastAPI

from api.app import create_app
from core.runtime import Runtime
from processors.pin_auth import PinOutcome
from tests.conftest import Backend, _reset_shared, make_settings
from tests.helpers import register
from tests.processors.callers import CALLER_PIN, register_caller
from tests.voice import speech_models
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
    app.state.speech = speech_models(runtime.settings)  # the test process's shared voice and turn models
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
# An offer is read before anything is looked up or counted: these run once, on the embedded backends.
embedded = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)


@embedded
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


@embedded
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
    """`WEBRTC_ICE_URLS` go to the server's peers with the TURN account, and to the pages: STUN to anyone,
    the TURN servers and account only to a signed-in user."""
    urls = ["stun:stun.example.org:3478", "turn:turn.example.org:3478?transport=udp"]
    configured = make_settings(tmp_path, backend.database_url, backend.redis_url, webrtc_ice_urls=urls,
                               webrtc_turn_username="pages", webrtc_turn_credential="s3cret")
    stun = {"urls": urls[:1]}
    turn = {"urls": urls[1:], "username": "pages", "credential": "s3cret"}
    for settings, anyone, signed_in in ((configured, [stun], [stun, turn]),
                                        (make_settings(tmp_path, backend.database_url, backend.redis_url), [], [])):
        runtime = Runtime.build(settings)
        try:
            transport = httpx.ASGITransport(app=create_app(runtime=runtime))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                response = await client.get("/api/ice-servers")
                assert response.status_code == 200 and response.json() == {"iceServers": anyone}
                account = await register(client)
                response = await client.get("/api/ice-servers", headers=account.auth)
                assert response.json() == {"iceServers": signed_in}
            expected = [(urls, "pages", "s3cret")] if settings is configured else []
            for handler in (BrowserCalls(runtime).handler, AgentLegs(ice_servers(settings)).handler):
                assert [(s.urls, s.username, s.credential) for s in handler._ice_servers or []] == expected
        finally:
            await runtime.close()


async def test_turn_accounts_only_after_the_pin_and_time_limited(backend: Backend, tmp_path: Path) -> None:
    urls = ["stun:stun.example.org:3478", "turns:turn.example.org:5349"]
    settings = make_settings(tmp_path, backend.database_url, backend.redis_url, webrtc_ice_urls=urls,
                             webrtc_turn_secret="coturn-shared-secret", webrtc_turn_ttl_seconds=600)
    runtime = Runtime.build(settings)
    try:
        await _reset_shared(runtime)
        caller = await register_caller(runtime)
        transport = httpx.ASGITransport(app=create_app(runtime=runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            wrong = await client.post("/api/ice-servers", json={"email": EMAIL, "pin": "0000"})
            assert wrong.status_code == 401 and "turn" not in wrong.text
            right = await client.post("/api/ice-servers", json={"email": EMAIL, "pin": CALLER_PIN})
            assert right.status_code == 200, right.text
            [stun, turn] = right.json()["iceServers"]
            assert stun == {"urls": urls[:1]} and turn["urls"] == urls[1:]
            expires, user = turn["username"].split(":")
            assert user == str(caller.id) and 590 <= int(expires) - time.time() <= 600
            digest = hmac.new(b"coturn-shared-secret", turn["username"].encode(), hashlib.sha1).digest()
            assert turn["credential"] == base64.b64encode(digest).decode()  # what coturn checks
            assert (await client.get("/api/ice-servers")).json() == {"iceServers": [stun]}
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
