"""A process in a deployment: its readiness for new calls, and a call's request that lands on the wrong
process (the whole path, through HAProxy and two servers, is tests/e2e/test_load_balanced.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
import websockets
from aiohttp import web
from aiortc import RTCPeerConnection

from api.app import create_app
from api.forward import FORWARDED
from core.calls import LiveCalls
from core.cluster import Cluster
from core.runtime import Runtime
from tests.api.test_webrtc import offer_body
from transports.webrtc import CLAIM, BrowserCalls

ICE = {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdp_mid": "0", "sdp_mline_index": 0}


@pytest.fixture
async def here(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app as process "here" of a deployment, with its browser calls (no voice lifespan)."""
    runtime.cluster = Cluster(runtime.store, "http://127.0.0.1:9", node="here")
    app = create_app(runtime=runtime)
    calls = BrowserCalls(runtime)
    app.state.browser_calls = calls
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
            yield c
    finally:
        await calls.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_readiness_says_full_and_draining(runtime: Runtime, client: httpx.AsyncClient) -> None:
    ready = await client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    runtime.calls.load = (runtime.calls.load_limit or 0) + 0.1
    full = await client.get("/health/ready")
    assert full.status_code == 503 and full.json()["status"] == "full" and full.json()["calls"]["accepting"] is False
    assert full.json()["reason"] == "load"
    assert (await client.get("/health")).status_code == 200  # still alive: live calls carry on
    runtime.calls.load = 0.0
    runtime.calls.draining = True
    assert (await client.get("/health/ready")).json()["status"] == "draining"


async def test_a_process_whose_event_loop_lags_declines_new_calls(runtime: Runtime, client: httpx.AsyncClient) -> None:
    """A loop that keeps running late (here held up by blocking calls on it, as a saturated loop is) says "full"
    with the reason, though its CPU average is low, and takes calls again once it keeps time; one stall alone
    does not turn calls away."""
    # (limit 0.1 s over 5 wake-ups: one 0.15 s stall averages ~0.03 s, far from it even with a loaded
    # machine's scheduling jitter; a run of 0.25 s stalls averages well past it)
    runtime.calls = LiveCalls(limit=8, load_limit=None, lag_limit=0.1, lag_samples=5)
    async with runtime.metrics.watching_loop(runtime.calls.observe_lag, every=0.02):
        await asyncio.sleep(0.1)
        time.sleep(0.15)  # noqa: ASYNC251  (the point: nothing else runs on the loop meanwhile)
        await asyncio.sleep(0.01)  # the probe's timer, late, fires first
        assert (await client.get("/health/ready")).status_code == 200
        for _ in range(5):
            time.sleep(0.25)  # noqa: ASYNC251
            await asyncio.sleep(0.01)
        busy = await client.get("/health/ready")
        assert busy.status_code == 503, busy.json()
        assert busy.json()["status"] == "full" and busy.json()["reason"] == "loop_lag"
        assert busy.json()["loop_lag"] >= 0.1 and busy.json()["calls"]["accepting"] is False
        deadline = time.monotonic() + 20
        while (ready := await client.get("/health/ready")).status_code != 200:
            assert time.monotonic() < deadline, ready.json()
            await asyncio.sleep(0.05)
    assert ready.json()["status"] == "ready" and ready.json()["reason"] is None
    assert runtime.metrics.loop_lag.collect()[0].samples[-1].value > 0  # convonet_event_loop_lag_seconds_sum


async def test_ice_for_a_call_another_process_holds_is_forwarded(runtime: Runtime, here: httpx.AsyncClient) -> None:
    there = Cluster(runtime.store, f"http://127.0.0.1:{closed_port()}", node="there")
    await there.announce(accepting=True, load=0.0, calls=1)
    await there.claim(CLAIM, "pc-there")
    body = {"pc_id": "pc-there", "candidates": [ICE]}
    # The owner is announced but does not answer: a clear 503 to retry, not a 404 that ends the call.
    response = await here.patch("/api/offer", json=body)
    assert response.status_code == 503 and "did not answer" in response.json()["detail"]
    # A request that was already forwarded once is never sent on again.
    assert (await here.patch("/api/offer", json=body, headers={FORWARDED: "1"})).status_code == 404
    # An owner that has gone (no heartbeat) or a connection nobody claimed: 404, as before.
    await there.leave()
    assert (await here.patch("/api/offer", json=body)).status_code == 404
    assert (await here.patch("/api/offer", json={**body, "pc_id": "pc-nobody"})).status_code == 404


@pytest.fixture
async def peer() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """Another process's own port, as far as forwarding can tell: it records what reaches it and answers."""
    seen: list[dict[str, Any]] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                     "body": await request.json()})
        return web.json_response({"sdp": "v=0", "type": "answer", "pc_id": "pc-peer"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    finally:
        await runner.cleanup()


async def test_a_new_call_on_a_full_process_goes_to_one_with_room(
    runtime: Runtime, here: httpx.AsyncClient, peer: tuple[str, list[dict[str, Any]]]
) -> None:
    address, seen = peer
    runtime.calls.load = (runtime.calls.load_limit or 0) + 0.5  # this process is full
    full = Cluster(runtime.store, "http://127.0.0.1:9", node="full-too")
    await full.announce(accepting=False, load=2.0, calls=8)
    pc = RTCPeerConnection()
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    body = offer_body(pc.localDescription.sdp)
    await pc.close()
    # No process has room: the caller is told the lines are busy.
    busy = await here.post("/api/offer", json=body)
    assert busy.status_code == 503 and "busy" in busy.json()["detail"]
    assert seen == []
    # Another process has room: the offer goes there, as sent, and its answer comes back.
    room = Cluster(runtime.store, address, node="room")
    await room.announce(accepting=True, load=0.1, calls=1)
    answered = await here.post("/api/offer", json=body, headers={"User-Agent": "test-browser"})
    assert answered.status_code == 200, answered.text
    assert answered.json()["pc_id"] == "pc-peer"
    assert len(seen) == 1 and seen[0]["method"] == "POST" and seen[0]["path"] == "/api/offer"
    assert seen[0]["body"] == body and seen[0]["headers"][FORWARDED] == "1"
    assert seen[0]["headers"]["User-Agent"] == "test-browser"


async def test_a_phone_stream_on_a_full_process_is_relayed_to_one_with_room(runtime: Runtime) -> None:
    """The balancer sent the media stream to a process that just filled up: the call runs where there is room."""
    seen: list[Any] = []

    async def stream(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seen.append(dict(request.headers))
        async for message in ws:
            seen.append(message.data)
            if message.data == "stop":
                await ws.close(code=4000)
            else:
                await ws.send_str(f"heard {message.data}")
        return ws

    app = web.Application()
    app.router.add_get("/twilio/ws", stream)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    room = Cluster(runtime.store, f"http://127.0.0.1:{runner.addresses[0][1]}", node="room")
    await room.announce(accepting=True, load=0.0, calls=0)
    runtime.cluster = Cluster(runtime.store, "http://127.0.0.1:9", node="here")
    runtime.calls.load = (runtime.calls.load_limit or 0) + 0.5
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime=runtime), lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        url = f"ws://127.0.0.1:{sock.getsockname()[1]}/twilio/ws"
        async with websockets.connect(url, additional_headers={"X-Twilio-Signature": "sig"}) as ws:
            await ws.send('{"event": "connected"}')
            assert await ws.recv() == 'heard {"event": "connected"}'
            await ws.send("stop")
            with pytest.raises(websockets.ConnectionClosed):
                await ws.recv()
            assert ws.close_code == 4000
        headers = {k.lower(): v for k, v in seen[0].items()}
        assert headers["x-twilio-signature"] == "sig" and headers[FORWARDED.lower()] == "1"
        assert seen[1:] == ['{"event": "connected"}', "stop"]
    finally:
        server.should_exit = True
        await task
        sock.close()
        await runner.cleanup()
