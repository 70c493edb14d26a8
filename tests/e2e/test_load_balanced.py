"""The deployment's real shape: HAProxy (deploy/haproxy.cfg, round robin here, no sticky sessions) in front of the
two processes of `convonet serve --workers 2`, with PostgreSQL and Redis, everything on loopback. HAProxy
sends each request to one process's own port (INTERNAL_PORT + i), so the test knows which one took it.

One test, end to end, each step landing where a process that knew only its own calls would fail:
1. a browser call whose trickled ICE (`PATCH /api/offer`) reaches the process that did not answer the offer:
   it is forwarded to the one holding the peer connection, and the caller hears the greeting;
2. a phone call over the Twilio Media Streams protocol that asks for a person; the agent answers, and the
   agent's audio leg (its SDP offer and its ICE) lands on the process that does not carry the caller's
   audio: both are forwarded, the caller hears the agent and the agent hears the caller; the agent's
   hang-up, served by either process, ends the call.

The SDP offers are sent without candidates, so the peer connections come up only if the trickled ICE
reached the owner. The fuller run (two `convonet serve` like two machines, more calls, a full process) is
tests/benchmarks/test_bench_cluster.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from prometheus_client.parser import text_string_to_metric_families

from core.runtime import Runtime
from tests.api.test_webrtc import RATE, offer_body
from tests.api.test_webrtc_call import Microphone, Peer, listen, until
from tests.conftest import BOT_SPEED, REQUIRE_SERVICES, TEST_SECRET
from tests.fakes.twilio_client import FakeCall, FakeTwilio
from tests.helpers import SERVER_ENV, Account, make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy.cfg"
CONVONET = Path(sys.executable).parent / "convonet"
TOKEN = "load-balanced-twilio-token-0123456789"
DEPARTMENTS = ["support", "sales", "billing"]

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_pair() -> int:
    """A port p with p + 1 free as well (the two workers' own ports)."""
    for _ in range(50):
        base = free_port()
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", base))
                b.bind(("127.0.0.1", base + 1))
            except OSError:
                continue
        return base
    raise AssertionError("no two consecutive free ports")


@dataclass
class Deployment:
    """HAProxy's address, the servers behind it, and the test's own view of the database and store."""

    url: str
    runtime: Runtime
    twilio: FakeTwilio
    http: httpx.AsyncClient
    nodes: dict[str, str] = field(default_factory=dict)  # HAProxy's server name → the process's node id
    ports: list[int] = field(default_factory=list)  # each process's own port, behind HAProxy

    async def probe(self) -> str:
        """One request through HAProxy; returns the node id of the process that answered it (a full process
        answers 503 and still says who it is)."""
        response = await self.http.get("/health/ready")
        assert response.status_code in (200, 503), response.text
        node = str(response.json()["node"])
        self.nodes[_server(response)] = node
        return node

    async def next_request_away_from(self, node: str) -> None:
        """Round robin over two processes: once `node` has answered, the next request goes to the other."""
        for _ in range(4):
            if await self.probe() == node:
                return
        raise AssertionError(f"process {node} never answered through HAProxy")

    def served_by(self, response: httpx.Response) -> str:
        return self.nodes[_server(response)]


def _server(response: httpx.Response) -> str:
    """The HAProxy server that took a request; `app1-busy` (a backup, used when every process is full) is app1."""
    return response.headers["x-served-by"].removesuffix("-busy")


class Processes:
    """Child processes the test starts, stopped (and their output shown on failure) on the way out."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: list[tuple[str, asyncio.subprocess.Process]] = []

    async def start(self, name: str, *argv: str | Path, env: dict[str, str]) -> asyncio.subprocess.Process:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115,ASYNC230  (the child writes it; closed below)
        try:
            process = await asyncio.create_subprocess_exec(*map(str, argv), env=env, cwd=self.logs,
                                                           stdout=log, stderr=asyncio.subprocess.STDOUT)
        finally:
            log.close()
        self.running.append((name, process))
        return process

    def tail(self, lines: int = 25) -> str:
        out = []
        for name, _ in self.running:
            text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {name} ---\n" + "\n".join(text))
        return "\n".join(out)

    async def stop(self) -> None:
        for _, process in reversed(self.running):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for _, process in self.running:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


async def wait_ready(url: str, process: asyncio.subprocess.Process, processes: Processes, within: float) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise AssertionError(f"a process exited ({process.returncode}):\n{processes.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} was not ready in {within:.0f} s:\n{processes.tail()}")


def haproxy_binary() -> str:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        if REQUIRE_SERVICES:
            pytest.fail("haproxy is not installed (scripts/services.sh install installs it)")
        pytest.skip("needs HAProxy (Debian package haproxy)")
    return haproxy


@contextlib.asynccontextmanager
async def open_deployment(runtime: Runtime, tmp_path: Path, *, machines: int = 1, balance: str = "roundrobin",
                          **settings: str) -> AsyncIterator[Deployment]:
    """HAProxy in front of two processes: `convonet serve --workers 2` (`machines=1`, HAProxy reaching each
    worker at its own port), or two `convonet serve --workers 1` as two machines would run them (`machines=2`).
    `settings` are extra environment variables of the servers."""
    haproxy = haproxy_binary()
    assert runtime.settings.database_url and runtime.settings.redis_url
    front = free_port()
    url = f"http://127.0.0.1:{front}"
    processes = Processes(tmp_path)
    async with FakeTwilio(url, auth_token=TOKEN) as twilio:
        env = {key: value for key, value in os.environ.items() if key in SERVER_ENV} | {
            "ENVIRONMENT": "test", "JWT_SECRET": TEST_SECRET, "BCRYPT_ROUNDS": "4", "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": runtime.settings.database_url, "REDIS_URL": runtime.settings.redis_url,
            "PUBLIC_URL": url, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": twilio.account_sid,
            "TWILIO_API_BASE_URL": twilio.rest_url, "FORWARDED_ALLOW_IPS": "127.0.0.1", "DRAIN_SECONDS": "0",
            "LOAD_THRESHOLD": "8",  # a loaded test machine must not turn the processes away (tests/core/test_load.py)
            "LOOP_LAG_THRESHOLD": "5",  # nor its loops' lag (tests/api/test_cluster_routes.py)
            "LOG_LEVEL": "INFO", "HIBARI_SPEED": str(BOT_SPEED),
        } | settings
        try:
            if machines == 1:
                own = free_port_pair()
                server = await processes.start("convonet", CONVONET, "serve", "--port", free_port(), "--workers",
                                               "2", env=env | {"INTERNAL_PORT": str(own)})
                backends = [(own, server), (own + 1, server)]
            else:
                backends = []
                for i in range(machines):
                    port = free_port()
                    backends.append((port, await processes.start(f"convonet{i + 1}", CONVONET, "serve", "--port",
                                                                 port, "--workers", "1", env=env)))
            for port, server in backends:
                await wait_ready(f"http://127.0.0.1:{port}", server, processes, within=180)
            balancer = await processes.start("haproxy", haproxy, "-db", "-f", HAPROXY_CONFIG, env=env | {
                "CONVONET_LISTEN": f"127.0.0.1:{front}", "CONVONET_APP1": f"127.0.0.1:{backends[0][0]}",
                "CONVONET_APP2": f"127.0.0.1:{backends[1][0]}", "CONVONET_BALANCE": balance})
            await wait_ready(url, balancer, processes, within=10)
            async with httpx.AsyncClient(base_url=url, timeout=15) as http:
                yield Deployment(url, runtime, twilio, http, ports=[int(port) for port, _ in backends])
        except BaseException:
            print(processes.tail())
            raise
        finally:
            await processes.stop()


@pytest.fixture
async def deployment(runtime: Runtime, tmp_path: Path) -> AsyncIterator[Deployment]:
    async with open_deployment(runtime, tmp_path) as deployment:
        for _ in range(2):
            await deployment.probe()
        assert len(set(deployment.nodes.values())) == 2, deployment.nodes  # round robin over both
        yield deployment


# --- the peers ---------------------------------------------------------------------------------------------


async def open_peer(data_channel: bool) -> tuple[Peer, str, list[str]]:
    """An aiortc peer with a microphone: its SDP offer without candidates, and the candidates apart."""
    pc = RTCPeerConnection()
    peer = Peer(pc, Microphone())
    pc.addTrack(peer.mic)
    if data_channel:
        pc.createDataChannel("chat", ordered=True)

    @pc.on("track")
    def _track(track: Any) -> None:
        peer.tasks.append(asyncio.create_task(listen(peer, track)))

    await pc.setLocalDescription(await pc.createOffer())
    lines = pc.localDescription.sdp.splitlines()
    candidates = sorted({line.removeprefix("a=") for line in lines if line.startswith("a=candidate:")})
    assert candidates, "aiortc found no local candidate"
    sdp = "\r\n".join(line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates"))) + "\r\n"
    return peer, sdp, candidates


def trickle(pc_id: str, candidates: list[str]) -> dict[str, Any]:
    return {"pc_id": pc_id, "candidates": [{"candidate": c, "sdp_mid": "0", "sdp_mline_index": 0} for c in candidates]}


async def close(peer: Peer) -> None:
    await peer.pc.close()
    for task in peer.tasks:
        task.cancel()
    await asyncio.gather(*peer.tasks, return_exceptions=True)


def tone(seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    return (np.sin(2 * np.pi * freq * t) * 8000).astype(np.int16)


def audible_after(pcm: bytes | bytearray, start_sample: int, threshold: int = 500) -> bool:
    samples = np.frombuffer(bytes(pcm[start_sample * 2:]), dtype="<i2")
    return bool(samples.size and np.abs(samples.astype(np.int32)).max() > threshold)


# --- the steps (tests/benchmarks/test_bench_cluster.py runs them too, among phone calls) ----------------


async def browser_call_with_ice_elsewhere(d: Deployment) -> float:
    """A browser call whose SDP offer one process answers and whose trickled ICE (`PATCH /api/offer`) lands on
    the other, which forwards it to the owner; the caller hears the greeting. Seconds from the offer to it."""
    peer, sdp, candidates = await open_peer(data_channel=True)
    try:
        t0 = time.monotonic()
        offered = await d.http.post("/api/offer", json=offer_body(sdp))
        assert offered.status_code == 200, offered.text
        answer = offered.json()
        owner = d.served_by(offered)
        await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        await d.next_request_away_from(owner)
        patched = await d.http.patch("/api/offer", json=trickle(answer["pc_id"], candidates))
        assert patched.status_code == 200, patched.text
        assert d.served_by(patched) != owner  # the other process took it, and forwarded it to the owner
        await until(lambda: len(peer.loud_at) > 10, 30, "the browser caller hearing the greeting")
        return peer.loud_at[0] - t0
    finally:
        await close(peer)


async def sign_in_agent(d: Deployment, name: str = "kim") -> Account:
    """A call-center agent, logged in to DEPARTMENTS and ready."""
    agent: Account = await make_staff(d.runtime, await register(d.http, name, first_name="Kim", last_name="Park"))
    for step, body in (("login", {"departments": DEPARTMENTS}), ("ready", None)):
        response = await d.http.post(f"/call-center/api/agent/{step}", json=body, headers=agent.auth)
        assert response.status_code == 200, response.text
    return agent


@dataclass
class Transferred:
    """Seconds, in a transfer through the deployment."""

    ringing: float  # from the caller's "transfer me to a person" (the last one said) to the agent's phone ringing
    caller_hears_agent: float  # from the agent's microphone's first sound to the caller hearing it
    agent_hears_caller: float  # from the caller starting to speak (the phrase's first frame) to the agent hearing it
    asked: int  # times the caller asked (the offline recogniser on a loaded machine may miss it once)


async def transfer_with_agent_leg_elsewhere(d: Deployment, call: FakeCall, agent: Account) -> Transferred:
    """A signed-in phone caller asks for a person and `agent` answers; the agent's audio leg (its SDP offer and
    its ICE) lands on the process that does not carry the caller's audio and both are forwarded: the caller
    hears the agent and the agent hears the caller. The agent hangs up on the process without the caller,
    which ends the caller's call."""
    ringing: list[dict[str, Any]] = []
    asked, asked_at = 0, 0.0
    while asked < 2:  # the offline recogniser on a loaded machine may miss it once; a caller would repeat it
        asked += 1
        await call.say("transfer me to a person")
        asked_at = call.speech_ended_at or time.monotonic()
        with contextlib.suppress(AssertionError):
            ringing = await until(lambda: _ringing(d.http, agent), 12, "the transfer ringing for the agent")
            break
        await call.wait_quiet()
    assert ringing, "the transfer never rang"
    rang = time.monotonic() - asked_at
    call_id = ringing[0]["id"]
    answered = await d.http.post("/call-center/api/call/answer", json={"call_id": call_id}, headers=agent.auth)
    assert answered.status_code == 200, answered.text
    carrier = answered.json()["node"]  # the process carrying the caller's audio
    assert carrier in d.nodes.values()
    await call.wait_quiet()  # "Connecting you to a person."

    leg, leg_sdp, leg_candidates = await open_peer(data_channel=False)
    try:
        await d.next_request_away_from(carrier)
        offered = await d.http.post(f"/call-center/api/call/{call_id}/offer", json={"sdp": leg_sdp, "type": "offer"},
                                    headers=agent.auth)
        assert offered.status_code == 200, offered.text
        assert d.served_by(offered) != carrier
        leg_answer = offered.json()
        await leg.pc.setRemoteDescription(RTCSessionDescription(sdp=leg_answer["sdp"], type=leg_answer["type"]))
        await d.next_request_away_from(carrier)
        patched = await d.http.patch(f"/call-center/api/call/{call_id}/offer",
                                     json=trickle(leg_answer["pc_id"], leg_candidates), headers=agent.auth)
        assert patched.status_code == 200, patched.text
        assert d.served_by(patched) != carrier

        # The caller hears the agent's microphone; the agent hears the caller.
        heard_from = len(call.playback.pcm) // 2
        leg.mic.say(tone(3.0))
        spoke_at = time.monotonic()
        await until(lambda: audible_after(call.playback.pcm, heard_from), 15, "the caller hearing the agent")
        caller_hears = time.monotonic() - spoke_at
        before = len(leg.loud_at)
        started = time.monotonic()
        await call.say("hello I have a question about my bill")
        await until(lambda: len(leg.loud_at) > before + 10, 10, "the agent hearing the caller")
        agent_hears = leg.loud_at[before] - started

        # The agent hangs up on the process without the caller: the caller's call ends.
        await d.next_request_away_from(carrier)
        dropped = await d.http.post("/call-center/api/call/drop", json={"call_id": call_id}, headers=agent.auth)
        assert dropped.status_code == 200, dropped.text
        assert d.served_by(dropped) != carrier
        await asyncio.wait_for(call.closed.wait(), 20)
    finally:
        await close(leg)
    return Transferred(rang, caller_hears, agent_hears, asked)


# --- the test ----------------------------------------------------------------------------------------------


async def test_calls_through_haproxy_reach_the_process_holding_them(deployment: Deployment) -> None:
    d = deployment
    await register_caller(d.runtime)
    call = await d.twilio.place_call(CALLER_PHONE)  # its webhook and stream are the last requests for a while

    async def phone_caller_signs_in() -> None:
        await call.wait_for_bot(time.monotonic() - 1, within=30)  # "Welcome… say your PIN"
        await call.wait_quiet()
        await call.press(CALLER_PIN + "#")
        await call.wait_for_bot(time.monotonic() - 1, within=15)  # "Hi Ann, how can I help?"
        await call.wait_quiet()

    # 1. Meanwhile a browser call: the offer is answered by one process, its ICE arrives at the other.
    signing_in = asyncio.create_task(phone_caller_signs_in())
    try:
        await browser_call_with_ice_elsewhere(d)
    finally:
        await signing_in

    # 2. The phone caller asks for a person; the agent's audio leg lands on the process without the caller.
    await transfer_with_agent_leg_elsewhere(d, call, await sign_in_agent(d))

    # 3. Either worker's /metrics counts both workers' calls, and shows each worker's own load apart.
    scrapes = [await _scrape(port) for port in d.ports]
    assert scrapes[0] == scrapes[1], scrapes
    calls, workers = scrapes[0]
    assert calls >= 2 and workers == 2, scrapes  # the browser call and the phone call, on two processes


async def _scrape(port: int) -> tuple[float, int]:
    """Calls started and the number of workers reporting, from one process's /metrics at its own port."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200, response.text
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    calls = sum(s.value for s in families["convonet_calls"].samples if s.name == "convonet_calls_total")
    return calls, len({s.labels["pid"] for s in families["convonet_worker_load_cores"].samples})


async def _ringing(http: httpx.AsyncClient, agent: Account) -> list[dict[str, Any]]:
    response = await http.get("/call-center/api/call/ringing", headers=agent.auth)
    assert response.status_code == 200, response.text
    calls: list[dict[str, Any]] = response.json()
    return calls
