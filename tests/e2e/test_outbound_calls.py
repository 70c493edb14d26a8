"""Calls placed from the call-center page, in headless Chromium against the app on uvicorn (one server,
two configurations, to keep the suite short):

1. Without Twilio, the dialpad calls a user of the product by their number: their open page rings, they
   answer in the browser, and agent and user hear each other.
2. With a caller ID, through the fake Twilio (tests/fakes/twilio_client.py): the dialpad's twelve keys and a
   busy line, then a callback request's "Call back" answered by the callee over the Media Streams
   protocol, with audio both ways; every call lands in the history, and the phone call has its own record.
3. The agent files the call under a wrap-up code; availability and the activity timeline show.
4. Calls are recorded (RECORD_CALLS): the phone call's two tracks are kept, and the agent plays the
   recording in the Agent Monitor page.

Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from core.events import publish_change
from core.runtime import Runtime
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.calls import TransferCall
from tests.conftest import Backend
from tests.e2e.test_call_center import (
    ARTIFACTS,
    CHROMIUM,
    REMOTE_PEAK,
    agent_page,
    audible_after,
    chromium,
    eventually_closed,
)
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.fakes.twilio_client import PlacedCall
from tests.helpers import Account, make_staff, register

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

CALLER_ID = "+15550100999"
__all__ = ["chromium"]  # the browser fixture, shared with the call-center page's tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True),
]

# The peak level an <audio> element (by selector) plays over `ms` milliseconds.
PEAK_OF = REMOTE_PEAK.replace('document.getElementById("remote-audio")', "document.querySelector(selector)").replace(
    "async (ms) =>", "async ([selector, ms]) =>")


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path, sqlite_template: Path) -> AsyncIterator[PhoneServer]:
    db = tmp_path / "convonet.db"
    shutil.copy(sqlite_template, db)
    async with open_phone_server(Backend("sqlite+memory", f"sqlite+aiosqlite:///{db}", None), tmp_path,
                                 data_dir=tmp_path / "data", record_calls=True) as server:  # no caller ID yet
        yield server


async def user_page(browser: Any, url: str, who: Account, path: str) -> Any:
    context = await browser.new_context(viewport={"width": 1100, "height": 800})
    page = await context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))
    await page.goto(f"{url}{path}")
    await page.wait_for_url(f"{url}/login?next=*")
    await page.fill("#email", who.email)
    await page.fill("#password", who.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}{path}*")
    page.problems.clear()  # the first visit, before signing in, redirects with an error
    return page


async def placed_call(phone: PhoneServer, count: int) -> PlacedCall:
    deadline = time.monotonic() + 10
    while len(phone.twilio.placed) < count:
        assert time.monotonic() < deadline, "Twilio was never asked to place the call"
        await asyncio.sleep(0.05)
    return phone.twilio.placed[count - 1]


@pytest.mark.slow
async def test_agent_calls_out_from_the_page(phone: PhoneServer, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    runtime: Runtime = phone.runtime
    async with httpx.AsyncClient(base_url=phone.url, timeout=10) as http:
        agent: Account = await make_staff(runtime, await register(http, first_name="Kim", last_name="Park"))
        ann = await register(http, first_name="Ann", last_name="Lee", phone_number="+15551234567")
        anns = await user_page(chromium, phone.url, ann, "/team-dashboard")
        await expect(anns.locator("body[data-notices=live]")).to_have_count(1, timeout=10_000)
        page = await agent_page(chromium, phone.url, agent)

        # 1. No caller ID: the call rings Ann's open page; she answers in the browser.
        await page.fill("#dial-number", "+1 555 123 4567")
        await page.get_by_role("button", name="Call", exact=True).click()
        await expect(page.locator("#call-status")).to_have_text("Calling…")
        await expect(page.locator("#popup-name")).to_have_text("Ann Lee")
        ringing = anns.locator(".notice.call")
        await expect(ringing).to_contain_text("Kim Park is calling you", timeout=10_000)
        await anns.screenshot(path=str(ARTIFACTS / "incoming_call_ringing.png"))
        await ringing.get_by_role("button", name="Answer").click()
        await expect(ringing).to_have_attribute("data-state", "connected", timeout=15_000)
        await expect(page.locator("#call-status")).to_have_text("Connected", timeout=10_000)
        await expect(page.locator("#audio-status")).to_have_attribute("data-state", "connected", timeout=15_000)
        # Both have Chromium's fake microphone (a beep): each hears the other.
        heard_by_agent, heard_by_ann = await asyncio.gather(
            page.evaluate(PEAK_OF, ["#remote-audio", 2000]), anns.evaluate(PEAK_OF, [".notice.call audio", 2000]))
        print(f"\npeaks: the agent hears {heard_by_agent:.3f}, the user hears {heard_by_ann:.3f}")
        assert heard_by_agent > 0.02 and heard_by_ann > 0.02, (heard_by_agent, heard_by_ann)
        await anns.screenshot(path=str(ARTIFACTS / "incoming_call_connected.png"))
        await page.locator("#hangup").click()
        await expect(page.locator("#state")).to_have_text("Wrap Up")
        await expect(page.locator("#history tbody tr").first).to_contain_text("Ann Lee")

        # 2. With a caller ID, phones are called through Twilio. The dialpad's keys; the line is busy.
        runtime.settings = runtime.settings.model_copy(update={"outbound_caller_id": CALLER_ID})
        request = await callbacks.leave(runtime.sessions, TransferCall(
            call_sid="CA-earlier", department="billing", reason="a double charge",
            caller={"user_id": None, "name": "Ann Caller", "phone": "+15557654321"},
            transcript=[{"role": "user", "text": "I was charged twice for one order"}]))
        await publish_change(runtime.store, EVENTS, callbacks.notice(request))  # the queue's pages refresh
        for key in "5550001111":
            await page.locator(f"#dial-keys .key[data-key='{key}']").click()
        await expect(page.locator("#dial-number")).to_have_value("5550001111")
        await page.get_by_role("button", name="Call", exact=True).click()
        busy = await placed_call(phone, 1)
        assert (busy.to, busy.from_) == ("5550001111", CALLER_ID)
        await expect(page.locator("#call-status")).to_have_text("Calling…")
        await expect(page.locator("#to-assistant")).to_be_hidden()
        await page.screenshot(path=str(ARTIFACTS / "call_center_dialing.png"), full_page=True)
        assert (await phone.twilio.report_status(busy, "busy")).status_code == 204
        await expect(page.locator("#call-panel")).to_be_hidden()
        first = page.locator("#history tbody tr").first
        await expect(first).to_contain_text("busy")
        await expect(first).to_contain_text("outbound")
        await expect(ringing).to_have_attribute("data-state", "ended", timeout=20_000)  # Ann's page saw the end
        assert phone.twilio.placed == [busy] and anns.problems == []
        await anns.context.close()

        # "Call back" on the request: the caller answers and talks to the agent's browser.
        item = page.locator(f"li.callback[data-id='{request.id}']")
        await item.get_by_role("button", name="Call back").click()
        placed = await placed_call(phone, 2)
        assert (placed.to, placed.from_) == ("+15557654321", CALLER_ID)
        await expect(page.locator("#popup-name")).to_have_text("Ann Caller")
        await expect(page.locator("#popup-transcript")).to_contain_text("charged twice")
        await expect(item.locator(".close-form")).to_be_visible()  # claimed for the agent, to close afterwards
        callee = await phone.twilio.answer_placed(placed)
        await expect(page.locator("#call-status")).to_have_text("Connected", timeout=10_000)
        await expect(page.locator("#audio-status")).to_have_attribute("data-state", "connected", timeout=15_000)
        answered_at_sample = len(callee.playback.pcm) // 2
        peak_task = asyncio.create_task(page.evaluate(REMOTE_PEAK, 3000))
        await asyncio.sleep(0.3)
        await callee.say("hello this is ann returning your call")
        peak = await peak_task
        print(f"agent's speaker peak while the callee spoke: {peak:.3f}")
        assert peak > 0.02, peak  # the agent hears the callee
        assert audible_after(callee.playback.pcm, answered_at_sample), "the callee heard nothing from the agent"
        await page.screenshot(path=str(ARTIFACTS / "call_center_call_back.png"), full_page=True)

        await page.locator("#hangup").click()
        await expect(page.locator("#call-panel")).to_be_hidden()
        first = page.locator("#history tbody tr").first
        await expect(first).to_contain_text("answered")
        await expect(first).to_contain_text("Ann Caller")
        # Wrap-up: the agent files the call; their availability and activity show on the page.
        await page.locator("#wrap-up-code").select_option("Callback scheduled")
        await page.fill("#wrap-up-note", "calls back friday")
        await page.get_by_role("button", name="File call").click()
        await expect(page.locator("#wrap-up-done")).to_contain_text("Callback scheduled")
        await expect(page.locator("#history tbody tr").first).to_contain_text("Callback scheduled")
        await expect(page.locator("#availability")).to_contain_text("Available")
        await expect(page.locator("#activity li").first).to_contain_text("Wrap Up")
        await page.screenshot(path=str(ARTIFACTS / "call_center_wrap_up.png"), full_page=True)
        assert page.problems == []
        await asyncio.wait_for(callee.closed.wait(), 15)  # the goodbye played, then Twilio was told to hang up
        assert [h.status for h in phone.twilio.hang_ups if h.call_sid == placed.call_sid] == ["completed"]

        row = await eventually_closed(runtime, placed.call_sid)  # the call's own record, like an inbound call's
        assert (row.from_number, row.to_number, row.status) == (CALLER_ID, "+15557654321", "completed")
        assert any(line["role"] == "user" and "ann" in line["text"].lower() for line in row.transcript), row.transcript
        # 4. Its recording: the callee's words on the left, what they heard (the notice, the agent) on the right.
        assert row.audio_path == f"recordings/{placed.call_sid}.wav"
        with wave.open(str(runtime.settings.data_dir / row.audio_path)) as w:
            stereo = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
        print(f"recording: {len(stereo) / 8000:.1f} s, peaks {np.abs(stereo).max(axis=0).tolist()}")
        assert (np.abs(stereo).max(axis=0) > 1000).all()
        await page.goto(f"{phone.url}/agent-monitor")
        box = page.locator(f".recording[data-call-id='{row.id}']")
        await box.get_by_role("button", name="Play recording").click()
        player = box.locator("audio")
        await expect(player).to_be_visible()
        await page.wait_for_function("el => el.duration > 1", arg=await player.element_handle())
        await box.evaluate("el => el.closest('details, tr').previousElementSibling?.scrollIntoView()")
        await page.screenshot(path=str(ARTIFACTS / "agent_monitor_recording.png"), full_page=True)
        assert page.problems == []
        await page.context.close()
