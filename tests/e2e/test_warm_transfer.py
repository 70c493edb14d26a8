"""Warm transfer between two agents' call-center pages in headless Chromium (pages and API, no caller
audio: the relay of the two agents' audio is tested on the bridge, tests/processors/test_transfer_bridge.py).
Kim consults Lee about her caller; Lee's page rings for the consult and accepts; Kim hands the caller
over; the caller is Lee's call. Screenshots: test-artifacts/warm_transfer_*.png."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core.runtime import Runtime
from core.tools import TransferRequest
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.e2e.test_call_center import ARTIFACTS, CHROMIUM, agent_page, chromium, serve
from tests.helpers import make_staff, register

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect
__all__ = ["chromium"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
    pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True),
]


async def test_kim_consults_lee_then_hands_the_caller_over(runtime: Runtime, chromium: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        kim = await make_staff(runtime, await register(http, first_name="Kim", last_name="Park"))
        lee = await make_staff(runtime, await register(http, first_name="Lee", last_name="Cho"))
        kims, lees = await agent_page(chromium, url, kim), await agent_page(chromium, url, lee)
        call = await transfer_call(runtime.sessions, request=TransferRequest(department="support", reason="a refund"),
                                   call_sid="CA-warm", channel="phone", caller_id=None, phone="+15551234567",
                                   transcript=[{"role": "user", "text": "I want my money back"}])
        await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).enqueue(call)
        await expect(kims.locator("#incoming")).to_be_visible(timeout=5000)
        await kims.get_by_role("button", name="Answer").click()
        await expect(kims.locator("#state")).to_have_text("On Call")

        await kims.locator("#consult-target").select_option(f"agent:{lee.id}")
        await kims.get_by_role("button", name="Consult", exact=True).click()
        await expect(kims.locator("#call-status")).to_have_text("On hold")
        await expect(kims.locator("#consult-status")).to_contain_text("Ringing")
        offer = lees.locator("#consult-offer")
        await expect(offer).to_contain_text("Kim Park asks to talk to you about +15551234567 (a refund)")
        await lees.screenshot(path=str(ARTIFACTS / "warm_transfer_offer.png"), full_page=True)
        await lees.get_by_role("button", name="Accept consult").click()
        await expect(lees.locator("#consult-status")).to_contain_text("Consult with Kim Park")
        await expect(lees.locator("#hangup")).to_be_hidden()
        await expect(lees.locator("#popup-transcript")).to_contain_text("money back")  # Lee sees the caller too
        await expect(kims.locator("#consult-status")).to_contain_text("Talking with Lee Cho")
        await kims.screenshot(path=str(ARTIFACTS / "warm_transfer_consult.png"), full_page=True)

        await kims.get_by_role("button", name="Hand over the caller").click()
        await expect(kims.locator("#state")).to_have_text("Wrap Up")
        await expect(kims.locator("#call-panel")).to_be_hidden()  # the caller is Lee's now
        await expect(lees.locator("#call-status")).to_have_text("Connected")
        await expect(lees.locator("#consult-box")).to_be_hidden()
        await expect(lees.locator("#hangup")).to_be_visible()
        await lees.screenshot(path=str(ARTIFACTS / "warm_transfer_handed_over.png"), full_page=True)
        # (no caller pipeline runs here, so the pages' audio offers are refused: those 409s are expected)
        for page in (kims, lees):
            assert [p for p in page.problems if not ("409" in p and p.endswith("/offer)"))] == []
        for page in (kims, lees):
            await page.context.close()
