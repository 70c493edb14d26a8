"""Admission and drain: a full process refuses new calls politely, and SIGTERM lets live calls finish
(then say goodbye) while the load balancer is told to send new work elsewhere."""

from __future__ import annotations

import asyncio
import re
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest

from core.calls import LiveCalls
from core.config import Settings
from tests.conftest import Backend
from tests.fakes.phone_server import open_phone_server
from transports.twilio import BUSY

CALL = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC0", "From": "+15551234567", "To": "+15550100000"}


async def test_live_calls_admit_up_to_the_limit_and_none_while_draining() -> None:
    calls = LiveCalls(limit=2)
    ended: list[str] = []

    async def end(goodbye: str) -> None:
        ended.append(goodbye)
        calls.discard("b")

    calls.add("a", end)
    assert calls.accepting()
    calls.add("b", end)
    assert not calls.accepting()
    calls.discard("a")
    assert calls.accepting()
    started = time.monotonic()
    await calls.drain(0.2, "bye")
    assert ended == ["bye"] and calls.count == 0 and time.monotonic() - started < 2
    assert not calls.accepting()  # a draining process takes nothing new, even when empty


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)  # a whole call: once
async def test_a_full_process_answers_busy(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> None:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, max_calls_per_process=1) as phone:
        first = await phone.twilio.place_call("+15551234567")
        await first.wait_for_bot(time.monotonic() - 1, within=20)
        assert phone.runtime.calls.count == 1
        response = await phone.twilio.webhook({**CALL, "CallSid": "CA" + "6" * 32})
        twiml = ET.fromstring(response.text)
        assert twiml.findtext("Say") == BUSY and twiml.find("Hangup") is not None
        assert twiml.find("./Connect/Stream") is None
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"{phone.url}/health")).json()
        assert health["calls"] == {"live": 1, "accepting": False}


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)  # a whole call: once
async def test_sigterm_drains_then_says_goodbye(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> None:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, draining=True,
                                 drain_seconds=1.5) as phone:
        live = await phone.twilio.place_call("+15551234567")
        await live.wait_for_bot(time.monotonic() - 1, within=20)
        await live.wait_quiet()
        phone.server.handle_exit(signal.SIGTERM, None)  # what the signal handler does
        signalled = time.monotonic()
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"{phone.url}/health")
            assert health.status_code == 503 and health.json()["status"] == "draining"
            busy = await phone.twilio.webhook({**CALL, "CallSid": "CA" + "7" * 32})
            assert ET.fromstring(busy.text).findtext("Say") == BUSY
        assert not live.closed.is_set() and not phone.task.done()  # the live call runs on meanwhile
        goodbye_at = await live.wait_for_bot(signalled, within=10)
        assert goodbye_at >= 1.4  # not before DRAIN_SECONDS
        await asyncio.wait_for(phone.task, 30)  # then the server stops by itself
        assert phone.runtime.calls.count == 0
        # the goodbye was played out, then the call hung up through Twilio's REST API
        assert [h.status for h in phone.twilio.hang_ups if h.call_sid == live.call_sid] == ["completed"]


def test_the_container_waits_for_the_drain() -> None:
    """The stop timeout the Dockerfile asks for and compose sets leaves DRAIN_SECONDS plus ~15 s for the
    goodbyes and shutdown: a shorter one kills live calls mid-sentence."""
    root = Path(__file__).resolve().parents[2]
    drain = Settings.model_fields["drain_seconds"].default
    [compose] = re.findall(r"stop_grace_period:\s*(\d+)s", (root / "docker-compose.yml").read_text())
    asked = re.findall(r"--stop-timeout (\d+)|terminationGracePeriodSeconds: (\d+)", (root / "Dockerfile").read_text())
    assert asked and all(int(a or b) >= drain + 15 for a, b in asked)
    assert int(compose) >= drain + 15
