"""The PBX path: the call-center page's SIP softphone in Chromium against Kamailio on loopback.

Kamailio (config/kamailio.cfg) is the registrar with a WebSocket listener, as FusionPBX's WSS port
is; `make test` starts it (scripts/services.sh), else this module starts its own. The far ends
are tests/fakes/sip_phone.py phones: Twilio's `<Sip>` leg (with `X-Twilio-CallSid`) and a
department's desk phone. Media is real WebRTC both ways (Chromium's fake microphone beeps, the
phone sends a tone). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.config import Settings
from core.runtime import Runtime
from core.tools import TransferRequest
from domains.transfer.profile import transfer_call
from tests.e2e.test_call_center import ARTIFACTS, agent_page, chromium, serve  # noqa: F401  (fixture)
from tests.fakes.sip_phone import Call, SipPhone
from tests.helpers import make_staff, register
from transports.twilio_transfer import cache_context

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True),
]

SIP_PEAK = """async (ms) => {
  const el = document.getElementById("sip-audio");
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


@dataclass
class Registrar:
    dir: Path
    udp_port: int
    ws_port: int
    password: str

    @property
    def proxy(self) -> tuple[str, int]:
        return ("127.0.0.1", self.udp_port)

    def stop(self) -> None:
        subprocess.run(["bash", str(SERVICES), "kamailio-stop", str(self.dir)], check=True, timeout=30)

    def start(self) -> None:
        subprocess.run(["bash", str(SERVICES), "kamailio-start", str(self.dir)], check=True, timeout=60)


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.removeprefix("export ").strip().split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return dict(pairs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def registrar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registrar]:
    """Kamailio: the one `make test` started (TEST_SIP_DIR), or one of this module's own."""
    if os.environ.get("TEST_SIP_DIR"):
        env = dict(os.environ)
        yield Registrar(Path(env["TEST_SIP_DIR"]), int(env["TEST_SIP_UDP_PORT"]), int(env["TEST_SIP_WS_PORT"]),
                        env["TEST_SIP_PASSWORD"])
        return
    if shutil.which("kamailio") is None:
        if os.environ.get("CONVONET_REQUIRE_SERVICES") == "1":
            pytest.fail("kamailio is not installed but CONVONET_REQUIRE_SERVICES=1")
        pytest.skip("Kamailio not installed (scripts/services.sh install)")
    kdir = tmp_path_factory.mktemp("kamailio")
    own = Registrar(kdir, 0, 0, "")
    own.start()
    env = _read_env(kdir / "env")
    try:
        yield Registrar(kdir, int(env["TEST_SIP_UDP_PORT"]), int(env["TEST_SIP_WS_PORT"]), env["TEST_SIP_PASSWORD"])
    finally:
        own.stop()


@pytest.fixture
def settings(settings: Settings, registrar: Registrar) -> Settings:
    return settings.model_copy(update={
        "sip_domain": "127.0.0.1", "sip_ws_url": f"ws://127.0.0.1:{registrar.ws_port}",
        "transfer_departments": {"support": "2001", "sales": "2002", "billing": "2003"},
    })


@pytest.fixture
async def phones(registrar: Registrar) -> AsyncIterator[list[SipPhone]]:
    made: list[SipPhone] = []
    yield made
    for phone in made:
        phone.close()
        for call in list(phone.calls.values()):
            await call.close_media()


async def a_phone(phones: list[SipPhone], registrar: Registrar, user: str) -> SipPhone:
    phone = await SipPhone(user, registrar.proxy).start()
    phones.append(phone)
    return phone


async def until(predicate: Any, within: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + within
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what or predicate}"
        await asyncio.sleep(0.05)


async def heard_by_phone(call: Call, within: float = 4.0) -> float:
    """The loudest the phone heard from the page, from now, once it rose (or at the deadline)."""
    since = time.monotonic()
    for _ in range(int(within * 10)):
        if call.heard(since) >= 0.02:
            break
        await asyncio.sleep(0.1)
    return call.heard(since)


async def test_sip_call_rings_with_the_customer_answers_holds_and_transfers(
    runtime: Runtime, registrar: Registrar, chromium: Any, phones: list[SipPhone],  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    desk = await a_phone(phones, registrar, "2003")  # the billing department's phone
    desk.auto_answer = True
    assert await desk.register(registrar.password) == 200
    twilio = await a_phone(phones, registrar, "twilio")
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        agent = await make_staff(runtime, await register(http, first_name="Kim", last_name="Park"))
        saved = await http.put("/call-center/api/sip/account", headers=agent.auth,
                               json={"extension": "1001", "password": registrar.password})
        assert saved.status_code == 200, saved.text
        assert registrar.password not in saved.text  # only the digest is kept and given out
        caller = await register(http, first_name="Ann", last_name="Lee", phone_number="+15551234567")
        call_sid = "CA" + uuid.uuid4().hex
        context = await transfer_call(
            runtime.sessions, request=TransferRequest(department="support", reason="a charge on my bill"),
            call_sid=call_sid, channel="phone", caller_id=caller.id, phone="+15551234567",
            transcript=[{"role": "user", "text": "why was I charged twice", "at": "2026-01-05T10:00:00+00:00"},
                        {"role": "assistant", "text": "Let me get you a person.", "at": "2026-01-05T10:00:02+00:00"}],
        )
        context.extension = "2001"
        await cache_context(runtime, context)  # what the PBX transfer leaves for the popup

        page = await agent_page(chromium, url, agent)
        await expect(page.locator("#sip-status")).to_contain_text("Registered as 1001", timeout=10_000)
        assert registrar.password not in await page.content()

        # Twilio's <Dial><Sip> leg rings the agent's extension through Kamailio.
        call = await twilio.call("1001", from_number="+15551234567", headers=[("X-Twilio-CallSid", call_sid)])
        incoming = page.locator("#sip-incoming")
        await expect(incoming).to_be_visible(timeout=10_000)
        await expect(incoming).to_contain_text("+15551234567")
        await expect(page.locator("#popup-name")).to_have_text("Ann Lee")
        await expect(page.locator("#popup-transcript li")).to_have_count(2)
        await expect(page.locator("#popup-transcript")).to_contain_text("why was I charged twice")
        await expect(page.locator("#popup-reason")).to_have_text("a charge on my bill")
        await until(call.ringing.is_set, what="180 Ringing")

        await page.get_by_role("button", name="Answer SIP call").click()
        await asyncio.wait_for(call.answered.wait(), 10)
        await expect(page.locator("#sip-call")).to_be_visible()
        await expect(page.locator("#state")).to_have_text("On Call")

        # Audio both ways: the agent hears the phone's tone, the phone hears Chromium's fake microphone.
        agent_heard = await page.evaluate(SIP_PEAK, 1500)
        phone_heard = await heard_by_phone(call)
        print(f"\nagent heard the caller at {agent_heard:.3f}, the caller heard the agent at {phone_heard:.3f}")
        assert agent_heard > 0.05, agent_heard
        assert phone_heard > 0.02, phone_heard
        await expect(page.locator("#sip-timer")).not_to_have_text("")
        await expect(page.locator("#popup")).to_be_visible()

        # DTMF from the 12-key pad, as SIP INFO.
        await page.locator("#sip-dialpad-keys [data-key='5']").click()
        await page.locator("#sip-dialpad-keys [data-key='#']").click()
        await until(lambda: call.dtmf == ["5", "#"], what="DTMF 5#")
        await page.screenshot(path=str(ARTIFACTS / "softphone_call.png"), full_page=True)

        # Hold is a re-INVITE (sendonly) and the agent's microphone goes quiet; unhold brings it back.
        await page.get_by_role("button", name="Hold", exact=True).click()
        await until(lambda: call.directions[-1:] == ["sendonly"], what="the hold re-INVITE")
        await expect(page.locator("#sip-call-state")).to_have_text("On hold")
        await asyncio.sleep(0.4)
        held_from = time.monotonic()
        await asyncio.sleep(1.5)
        on_hold = call.heard(held_from)
        await page.get_by_role("button", name="Unhold").click()
        await until(lambda: call.directions[-1:] == ["sendrecv"], what="the unhold re-INVITE")
        await expect(page.locator("#sip-call-state")).to_have_text("Connected")
        after_hold = await heard_by_phone(call)
        print(f"the caller heard {on_hold:.3f} on hold, {after_hold:.3f} after")
        assert on_hold < 0.01 < after_hold, (on_hold, after_hold)

        # Blind transfer (REFER) to the billing department's extension: the caller's side calls it.
        await page.locator("#sip-transfer-target").select_option("dep:2003:billing")
        await page.get_by_role("button", name="Transfer SIP call").click()
        await until(lambda: call.refers == ["sip:2003@127.0.0.1"], what="the REFER")
        await until(lambda: call.transferred is not None and call.transferred.answered.is_set(), 10,
                    "the desk phone answering")
        await asyncio.wait_for(call.ended.wait(), 10)  # the agent left once the transfer was accepted
        await expect(page.locator("#sip-status")).to_contain_text("Transferred +15551234567 to billing (2003)")
        await expect(page.locator("#sip-call")).to_be_hidden()
        await expect(page.locator("#state")).to_have_text("Wrap Up")
        await expect(page.locator("#history tbody tr").first).to_contain_text("answered")
        desk_call = next(iter(desk.calls.values()))
        assert desk_call.invite is not None and "twilio" not in desk_call.invite.header("From")
        assert call.transferred is not None
        await call.transferred.hang_up()

        # An outbound call from the 12-key pad to an extension, through the registrar (with the agent's digest).
        for digit in "2003":
            await page.locator(f"#sip-dialpad-keys [data-key='{digit}']").click()
        await expect(page.locator("#sip-number")).to_have_value("2003")
        await page.locator("#sip-dial").get_by_role("button", name="Call", exact=True).click()
        await expect(page.locator("#sip-status")).to_contain_text("On a call with 2003", timeout=10_000)
        outbound = next(c for c in desk.calls.values() if c.invite is not None and "1001" in c.invite.header("From"))
        assert await heard_by_phone(outbound) > 0.02
        await page.get_by_role("button", name="Hang up SIP call").click()
        await asyncio.wait_for(outbound.ended.wait(), 10)
        await expect(page.locator("#sip-call")).to_be_hidden()
        assert page.problems == []
        await page.screenshot(path=str(ARTIFACTS / "softphone_after.png"), full_page=True)
        await page.context.close()


async def test_softphone_bad_input(
    runtime: Runtime, registrar: Registrar, chromium: Any, phones: list[SipPhone],  # noqa: F811
) -> None:
    twilio = await a_phone(phones, registrar, "twilio")
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        agent = await make_staff(runtime, await register(http, first_name="Lou", last_name="Reed"))
        await register(http, first_name="Ann", last_name="Lee", phone_number="+15557654321")
        page = await agent_page(chromium, url, agent)
        status = page.locator("#sip-status")

        # Wrong credentials: refused, said so, and the agent types them again.
        await expect(page.locator("#sip-form")).to_be_visible()
        await page.fill("#sip-user", "1002")
        await page.fill("#sip-password", "not-the-password")
        await page.get_by_role("button", name="Save and register").click()
        await expect(status).to_contain_text("Registration refused: wrong extension or password", timeout=10_000)
        await page.get_by_role("button", name="Change extension").click()
        await page.fill("#sip-user", "1002")
        await page.fill("#sip-password", registrar.password)
        await page.get_by_role("button", name="Save and register").click()
        await expect(status).to_contain_text("Registered as 1002", timeout=10_000)
        assert await page.input_value("#sip-password") == ""

        # Not Ready: the call is turned away busy and nothing rings.
        await page.get_by_role("button", name="Not Ready").click()
        await expect(page.locator("#state")).to_contain_text("Not Ready")
        busy = await twilio.call("1002", from_number="+15557654321")
        await asyncio.wait_for(busy.ended.wait(), 10)
        assert busy.status == 486
        await expect(status).to_contain_text("you are not Ready (486 Busy)")
        await expect(page.locator("#sip-incoming")).to_be_hidden()

        # A malformed X-Twilio-CallSid is ignored: the caller is found by number. They hang up while it rings.
        await page.get_by_role("button", name="Ready", exact=True).click()
        await expect(page.locator("#state")).to_have_text("Ready")
        odd = await twilio.call("1002", from_number="+15557654321",
                                headers=[("X-Twilio-CallSid", 'CA"><img src=x onerror=alert(1)>')])
        await expect(page.locator("#sip-incoming")).to_be_visible(timeout=10_000)
        await expect(page.locator("#sip-header-note")).to_contain_text("unreadable")
        await expect(page.locator("#popup-name")).to_have_text("Ann Lee")
        await until(odd.ringing.is_set, what="180 Ringing")
        await odd.hang_up()
        await asyncio.wait_for(odd.ended.wait(), 10)
        assert odd.status == 487
        await expect(status).to_contain_text("they hung up while it rang")
        await expect(page.locator("#sip-incoming")).to_be_hidden()
        await expect(page.locator("#popup")).to_be_hidden()
        await expect(page.locator("#history tbody tr").first).to_contain_text("caller-hung-up")
        await expect(page.locator("#history tbody tr").first).to_contain_text("Ann Lee")

        # The registrar goes away and comes back: the page says so and registers again.
        registrar.stop()
        try:
            await expect(status).to_contain_text("Lost the SIP server", timeout=10_000)
        finally:
            registrar.start()
        await expect(status).to_contain_text("Registered again as 1002", timeout=15_000)
        await page.screenshot(path=str(ARTIFACTS / "softphone_bad_input.png"), full_page=True)
        assert page.problems == []
        await page.context.close()
