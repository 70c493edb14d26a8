"""The call-center page in headless Chromium against the app on uvicorn.

1. A logged-in, Ready agent's page rings when a transfer is queued (banner and Web Audio tone),
   the popup shows the caller's name, profile and the conversation so far; a reject is recorded.
2. The whole in-app transfer: a caller on the Twilio protocol (tests/fakes/twilio_client.py) keys
   their PIN and asks for a person; the agent's page rings, answers and connects its microphone
   (Chromium's fake device) over SmallWebRTC. The caller hears the agent, the agent hears the
   caller, and the agent hands the caller back to the assistant.

Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import uvicorn
from sqlmodel import select

from api.app import create_app
from core import contacts, monitor
from core.config import Settings
from core.db import transaction
from core.models import CallRecording
from core.redaction import WITHHELD
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.restaurant.models import Reservation
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.api.test_monitor import turn_record
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.helpers import Account, make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sip_domain": "127.0.0.1", "sip_wss_port": 1})  # nothing listens there


@asynccontextmanager
async def serve(runtime: Runtime) -> AsyncIterator[str]:
    """The app on uvicorn at 127.0.0.1 without the voice lifespan (pages and API only)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(runtime=runtime), log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


_runtime: list[Runtime] = []


@pytest.fixture(autouse=True)
def _remember_runtime(runtime: Runtime) -> Iterator[None]:
    _runtime.append(runtime)
    yield
    _runtime.clear()


async def staff(http: httpx.AsyncClient, first: str, last: str) -> Account:
    account = await register(http, first_name=first, last_name=last)
    return await make_staff(_runtime[-1], account)


async def agent_page(browser: Any, url: str, agent: Account) -> Any:
    """The agent's /call-center page, logged in to the app and to the call center, Ready."""
    context = await browser.new_context(viewport={"width": 1360, "height": 1000})
    page = await context.new_page()
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(str(error)))

    def console(msg: Any) -> None:
        if msg.type == "error" and not msg.location.get("url", "").endswith("favicon.ico"):
            page.problems.append(f"{msg.text} ({msg.location.get('url')})")

    page.on("console", console)
    await page.goto(f"{url}/call-center")
    await page.wait_for_url(f"{url}/login?next=*")
    await page.fill("#email", agent.email)
    await page.fill("#password", agent.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}/call-center*")
    page.problems.clear()
    await expect(page.locator("#state")).to_have_text("Logged Out")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#state")).to_have_text("Logged In", timeout=15_000)  # slow on a loaded machine
    await page.get_by_role("button", name="Ready", exact=True).click()
    await expect(page.locator("#state")).to_have_text("Ready")
    await expect(page.locator("body")).to_have_attribute("data-live", "yes")
    return page


async def test_ready_agent_rings_and_sees_the_caller(runtime: Runtime, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        agent = await staff(http, "Kim", "Park")
        caller = await register(http, first_name="Ann", last_name="Lee", phone_number="+15551234567")
        await http.post("/api/todos/", json={"title": "renew the passport"}, headers=caller.auth)
        page = await agent_page(chromium, url, agent)
        await expect(page.locator("#incoming")).to_be_hidden()

        call = await transfer_call(
            runtime.sessions, request=TransferRequest(department="support", reason="a charge on my bill"),
            call_sid="CA-page-test", channel="phone", caller_id=caller.id, phone="+15551234567",
            transcript=[{"role": "user", "text": "what are my todos", "at": "2026-01-05T10:00:00+00:00"},
                        {"role": "assistant", "text": "You have one todo: renew the passport.",
                         "at": "2026-01-05T10:00:02+00:00"},
                        {"role": "user", "text": "transfer me to a person about a charge on my bill",
                         "at": "2026-01-05T10:00:09+00:00"}],
        )
        await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(call)

        banner = page.locator("#incoming")
        await expect(banner).to_be_visible(timeout=5000)
        await expect(banner).to_contain_text("Incoming transfer from Ann Lee")
        await expect(banner).to_contain_text("a charge on my bill")
        popup = page.locator("#popup")
        await expect(popup.locator("#popup-name")).to_have_text("Ann Lee")
        await expect(popup.locator("#popup-transcript li")).to_have_count(3)
        await expect(popup.locator("#popup-transcript")).to_contain_text("transfer me to a person")
        await expect(popup.locator("#popup-profile")).to_contain_text("1 open todo")
        await expect(popup.locator("#popup-summary")).to_contain_text("Ann Lee asked for support")
        await expect(page.locator("body")).to_have_attribute("data-tones", "1")  # the tone rang
        await page.screenshot(path=str(ARTIFACTS / "call_center_ringing.png"), full_page=True)

        await page.get_by_role("button", name="Reject").click()
        await expect(banner).to_be_hidden()
        await expect(page.locator("#history tbody tr").first).to_contain_text("rejected")
        await expect(page.locator("#agents-table tbody")).to_contain_text("Kim Park")

        # A call that went through the clinic's intake: Kim (staff, not clinical) sees who, not why.
        await monitor.publish(runtime.store, turn_record(caller, "CA-clinic-page", 1, domain="healthcare",
                                                         text_in="i have had chest pain for two days"))
        clinic = await transfer_call(
            runtime.sessions, request=TransferRequest(department="support", reason="chest pain"),
            call_sid="CA-clinic-page", channel="phone", caller_id=caller.id, phone="+15551234567",
            transcript=[{"role": "user", "text": "i have had chest pain for two days"}])
        await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(clinic)
        await expect(banner).to_contain_text("health details withheld", timeout=5000)
        await expect(popup.locator("#popup-reason")).to_have_text(WITHHELD)
        await expect(popup.locator("#popup-transcript")).to_contain_text("health details withheld")
        for shown in (banner, popup):
            await expect(shown).not_to_contain_text("chest")
        await page.screenshot(path=str(ARTIFACTS / "call_center_ringing_withheld.png"), full_page=True)
        await page.get_by_role("button", name="Reject").click()
        await expect(banner).to_be_hidden()
        assert page.problems == []

        # A caller of a public line: the contact (the name they gave, their caller ID) and their bookings.
        guest = await contacts.open_for_call(runtime.sessions, "+15551110001", utcnow())
        async with transaction(runtime.sessions) as session:
            guest = await session.merge(guest)
            guest.name = "Dana Cho"
            session.add(Reservation(user_id=guest.user_id, starts_at=utcnow() + timedelta(days=3), party_size=2,
                                    name="Dana Cho", confirmation_code="HT-4K2P", special_requests="a window seat"))
        public = await transfer_call(
            runtime.sessions, request=TransferRequest(department="support", reason="change my reservation"),
            call_sid="CA-public-page", channel="phone", caller_id=str(guest.user_id), phone="+15551110001",
            transcript=[{"role": "user", "text": "i want to move my table to a bigger one"}])
        await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(public)
        await expect(popup.locator("#popup-name")).to_have_text("Dana Cho", timeout=5000)
        await expect(popup.locator("#popup-contact")).to_have_text("+15551110001")
        await expect(popup.locator("#popup-profile")).to_contain_text("Caller of a public line")
        await expect(popup.locator("#popup-bookings li")).to_have_count(1)
        await expect(popup.locator("#popup-bookings")).to_contain_text("Hanok Table reservation: party of 2 under Dana Cho")
        await expect(popup.locator("#popup-bookings")).to_contain_text("HT-4K2P")
        await page.screenshot(path=str(ARTIFACTS / "call_center_public_line.png"), full_page=True)
        await page.get_by_role("button", name="Reject").click()
        await expect(banner).to_be_hidden()
        assert page.problems == []

        # The softphone (SIP_DOMAIN is set here): no extension is stored yet, so it asks for one; then the
        # vendored JsSIP loads and tries to register over WSS (tests/e2e/test_softphone.py has a registrar).
        await expect(page.locator("#sip-form")).to_be_visible()
        await page.fill("#sip-user", "2001")
        await page.fill("#sip-password", "secret")
        await page.get_by_role("button", name="Save and register").click()
        await expect(page.locator("#sip-status")).to_contain_text("wss://127.0.0.1:1")
        assert await page.evaluate("typeof window.JsSIP.UA") == "function"
        await page.context.close()  # the live feed closes before the server stops


# --- the whole transfer, with audio both ways -------------------------------------------------------


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path, sqlite_template: Path) -> AsyncIterator[PhoneServer]:
    db = tmp_path / "convonet.db"
    shutil.copy(sqlite_template, db)
    async with open_phone_server(Backend("sqlite+memory", f"sqlite+aiosqlite:///{db}", None), tmp_path,
                                 data_dir=tmp_path / "data") as server:
        yield server


def audible_after(pcm: bytes | bytearray, start_sample: int, threshold: int = 500) -> bool:
    samples = np.frombuffer(bytes(pcm[start_sample * 2:]), dtype="<i2")
    return bool(samples.size and np.abs(samples.astype(np.int32)).max() > threshold)


REMOTE_PEAK = """async (ms) => {
  const el = document.getElementById("remote-audio");
  const ctx = new AudioContext();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 2048;
  ctx.createMediaStreamSource(el.srcObject).connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let peak = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    analyser.getFloatTimeDomainData(buf);
    for (const v of buf) peak = Math.max(peak, Math.abs(v));
    await new Promise((r) => setTimeout(r, 40));
  }
  await ctx.close();
  return peak;
}"""


@pytest.mark.slow
async def test_phone_caller_transferred_to_the_agent_in_the_browser(phone: PhoneServer, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    runtime = phone.runtime
    await register_caller(runtime)
    async with httpx.AsyncClient(base_url=phone.url, timeout=10) as http:
        agent = await staff(http, "Kim", "Park")
        page = await agent_page(chromium, phone.url, agent)

        call = await phone.twilio.place_call(CALLER_PHONE)
        await call.wait_for_bot(time.monotonic() - 1, within=20)  # "Welcome… say your PIN"
        await call.wait_quiet()
        await call.press(CALLER_PIN + "#")
        await call.wait_for_bot(time.monotonic() - 1)  # "Hi Ann, how can I help?"
        await call.wait_quiet()
        await call.say("transfer me to a person")

        banner = page.locator("#incoming")
        await expect(banner).to_be_visible(timeout=20_000)
        await expect(banner).to_contain_text("Ann")
        await expect(page.locator("#popup-name")).to_contain_text("Ann")
        await expect(page.locator("#popup-transcript")).to_contain_text("person", timeout=5000)
        await call.wait_quiet()  # "Connecting you to a person."

        await page.get_by_role("button", name="Answer").click()
        await expect(page.locator("#state")).to_have_text("On Call")
        await expect(page.locator("#call-panel")).to_be_visible()
        await expect(page.locator("#audio-status")).to_have_attribute("data-state", "connected", timeout=15_000)

        # The agent hears the caller: quiet while the caller is, then the caller's voice.
        answered_at_sample = len(call.playback.pcm) // 2
        quiet = await page.evaluate(REMOTE_PEAK, 1000)
        peak_task = asyncio.create_task(page.evaluate(REMOTE_PEAK, 4000))
        await asyncio.sleep(0.3)
        await call.say("hello I have a question about my bill")
        peak = await peak_task
        print(f"\nagent's speaker peak: {quiet:.3f} while the caller was silent, {peak:.3f} while they spoke")
        assert peak > 0.02 and peak > 4 * quiet, (quiet, peak)
        # The caller hears the agent (Chromium's fake microphone beeps).
        assert audible_after(call.playback.pcm, answered_at_sample), "the caller heard nothing from the agent"
        await expect(page.locator("#call-timer")).not_to_have_text("")
        await page.screenshot(path=str(ARTIFACTS / "call_center.png"), full_page=True)

        back_at = time.monotonic()  # before the click: the page's checks below may outlast the bot's first words
        await page.get_by_role("button", name="Back to assistant").click()
        await expect(page.locator("#state")).to_have_text("Wrap Up")
        await expect(page.locator("#call-panel")).to_be_hidden()
        await expect(page.locator("#history tbody tr").first).to_contain_text("answered")
        await call.wait_for_bot(back_at, within=10)  # "You're back with the assistant…"
        await call.wait_quiet()
        await page.get_by_role("button", name="Ready", exact=True).click()
        await expect(page.locator("#state")).to_have_text("Ready")
        await page.screenshot(path=str(ARTIFACTS / "call_center_after.png"), full_page=True)
        await call.hang_up()
        assert page.problems == []
        await page.context.close()

    # While the caller talked to the agent, the assistant said nothing; it spoke again once handed back.
    row = await eventually_closed(runtime, call.call_sid)
    lines = [(line["role"], line["text"].lower()) for line in row.transcript]
    connecting = lines.index(("assistant", "connecting you to a person."))
    assert lines[connecting + 1][0] == "user", lines  # what the caller said to the agent (as the STT heard it)
    assert lines[connecting + 2][1].startswith("you're back with the assistant"), lines


async def eventually_closed(runtime: Runtime, call_sid: str) -> CallRecording:
    deadline = time.monotonic() + 10
    while True:
        async with runtime.sessions() as session:
            row = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call_sid))).first()
        if row is not None and row.status != "in-progress":
            return row
        assert time.monotonic() < deadline, "the call's record was never completed"
        await asyncio.sleep(0.1)
