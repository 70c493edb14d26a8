"""The voice assistant page opening a public line (`/voice_assistant?line=…`): no email or PIN; the
caller types a name and a number, hears the line's greeting and books a table by voice, as a contact
of their own (Chromium's fake microphone plays hibari's voice, as in test_browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from core import lines
from core.db import transaction
from core.models import Contact
from domains.restaurant.models import Reservation
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, app_server, eventually, write_speech_wav  # noqa: F401
from tests.fakes.phone_server import PhoneServer

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]

HANOK = "+15550100000"
KNOWN = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


async def booked(runtime: object) -> list[tuple[Reservation, Contact]]:
    async with runtime.sessions() as session:  # type: ignore[attr-defined]
        rows = await session.exec(select(Reservation, Contact).where(Reservation.user_id == Contact.user_id))
        return list(rows.all())


async def test_a_guest_books_on_the_public_line_page(app_server: PhoneServer, tmp_path: Path) -> None:  # noqa: F811
    runtime = app_server.runtime
    async with transaction(runtime.sessions) as session:
        await lines.set_line(session, HANOK, known_domains=KNOWN, name="Hanok Table", domains=["restaurant"],
                             access="public", greeting="Hanok Table, how can I help?")
    wav = tmp_path / "guest.wav"
    write_speech_wav(wav, "book a table for two tomorrow at seven")
    ARTIFACTS.mkdir(exist_ok=True)

    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage",
                  "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}"],
        )
        try:
            page = await (await chromium.new_context(viewport={"width": 1280, "height": 860})).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

            await page.goto(f"{app_server.url}/voice_assistant?line=%2B15550100009")  # not a public line
            await page.get_by_role("button", name="Start conversation").click()
            await expect(page.get_by_role("alert")).to_contain_text("No public line", timeout=10_000)
            errors.clear()  # the browser logs the refused offer itself

            await page.goto(f"{app_server.url}/voice_assistant?line=%2B15550100000")
            await expect(page.get_by_role("heading", name="Talk to us")).to_be_visible()
            await expect(page.get_by_label("Account email")).to_be_hidden()
            await expect(page.get_by_role("group", name="PIN keypad")).to_be_hidden()
            await page.get_by_label("Your name").fill("Lee")
            await page.get_by_label("Your phone number, for a call back").fill("+1 555 333 0003")
            await page.get_by_role("button", name="Start conversation").click()

            await expect(page.locator("#connection")).to_have_text("Connected", timeout=15_000)
            bot = page.locator(".turn.bot")
            await expect(bot.first).to_contain_text("Hanok Table", timeout=15_000)
            await expect(page.locator(".turn.user").first).to_contain_text("table", timeout=30_000)
            assert await eventually(lambda: booked(runtime), within=20)
            await expect(page.locator("#agent-state")).to_have_text("Listening", timeout=15_000)
            await page.screenshot(path=str(ARTIFACTS / "voice_assistant_public_line.png"), full_page=True)
            await page.get_by_role("button", name="End conversation").click()
            assert errors == []
        finally:
            await chromium.close()

    [(reservation, contact)] = await booked(runtime)
    assert reservation.party_size == 2 and reservation.name == "Lee"
    assert contact.name == "Lee" and contact.given_phone == "+15553330003" and contact.phone is None
