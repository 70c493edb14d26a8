"""The voice assistant page end to end: Debian Chromium (Playwright) ↔ uvicorn ↔ SmallWebRTC ↔
Pipecat ↔ PocketSphinx/hibari ↔ agent ↔ SQLite.

Chromium's fake microphone plays a WAV made by hibari ("create a todo to buy milk" after a few
seconds of silence). The test signs in on the page (email, PIN on the keypad), starts the
conversation, waits for both sides of the transcript, checks the todo in the database, and
saves a screenshot to test-artifacts/voice_assistant.png.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select

from core.models import CallRecording
from core.runtime import Runtime
from domains.productivity.models import Todo
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.processors.callers import CALLER_PIN, register_caller
from tests.voice import VOICE

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EMAIL = "ann@example.com"
WAV_RATE = 16000
LEAD_SILENCE = 5.0  # the greeting ("Hi Ann, how can I help?") plays first
TAIL_SILENCE = 40.0  # Chromium loops the file: the sentence must not come round again during the test

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"),
]


def write_speech_wav(path: Path, text: str) -> None:
    speech, _ = VOICE.synthesize(text, WAV_RATE, seed=1)
    pcm = np.concatenate([
        np.zeros(int(LEAD_SILENCE * WAV_RATE), np.int16),
        speech.astype(np.int16),
        np.zeros(int(TAIL_SILENCE * WAV_RATE), np.int16),
    ])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(WAV_RATE)
        out.writeframes(pcm.tobytes())


@pytest.fixture
async def app_server(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[PhoneServer]:
    """The whole app on uvicorn (127.0.0.1, a free port) over a migrated SQLite file."""
    db = tmp_path / "convonet.db"
    shutil.copy(sqlite_template, db)
    backend = Backend("sqlite+memory", f"sqlite+aiosqlite:///{db}", None)
    async with open_phone_server(backend, tmp_path, auth_token=None, data_dir=tmp_path / "data") as server:
        yield server


async def eventually(check, within: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def todos_of(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [t.title for t in (await session.exec(select(Todo))).all()]


async def browser_call(runtime: Runtime) -> CallRecording | None:
    async with runtime.sessions() as session:
        rows = (await session.exec(select(CallRecording).where(CallRecording.channel == "browser"))).all()
    return rows[0] if rows and rows[0].status != "in-progress" else None


async def test_sign_in_with_the_keypad_and_create_a_todo_by_voice(app_server: PhoneServer, tmp_path: Path) -> None:
    runtime = app_server.runtime
    await register_caller(runtime)
    wav = tmp_path / "caller.wav"
    write_speech_wav(wav, "create a todo to buy milk")
    ARTIFACTS.mkdir(exist_ok=True)

    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
            ],
        )
        try:
            context = await chromium.new_context(viewport={"width": 1280, "height": 860})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
            await page.goto(f"{app_server.url}/voice_assistant")
            await playwright_api.expect(page.get_by_role("heading", name="Talk to your assistant")).to_be_visible()

            # A wrong PIN is refused on the page, with no conversation started.
            await page.get_by_label("Account email").fill(EMAIL)
            keypad = page.get_by_role("group", name="PIN keypad")
            for digit in "0000":
                await keypad.get_by_role("button", name=digit, exact=True).click()
            await page.get_by_role("button", name="Start conversation").click()
            await playwright_api.expect(page.get_by_role("alert")).to_contain_text("don't match", timeout=10_000)
            assert [e for e in errors if "401" not in e] == []  # the browser logs the refused offer itself
            errors.clear()
            await playwright_api.expect(page.get_by_role("button", name="Start conversation")).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "voice_assistant_wrong_pin.png"), full_page=True)

            # The email is remembered; the PIN is not.
            await page.reload()
            await playwright_api.expect(page.get_by_label("Account email")).to_have_value(EMAIL)
            await playwright_api.expect(page.locator("#pin-display")).to_have_attribute("aria-label", "No digits entered")

            keypad = page.get_by_role("group", name="PIN keypad")
            for digit in CALLER_PIN:
                await keypad.get_by_role("button", name=digit, exact=True).click()
            await playwright_api.expect(page.locator("#pin-display")).to_have_attribute("aria-label", "4 digits entered")
            await page.get_by_role("button", name="Start conversation").click()

            await playwright_api.expect(page.locator("#connection")).to_have_text("Connected", timeout=15_000)
            bot = page.locator(".turn.bot")
            await playwright_api.expect(bot.first).to_contain_text("Hi Ann", timeout=15_000)
            await playwright_api.expect(page.locator(".turn.user").first).to_contain_text("milk", timeout=30_000)
            await playwright_api.expect(bot.nth(1)).to_contain_text("milk", timeout=20_000)
            await playwright_api.expect(page.locator("#agent-timer")).to_contain_text("Answered", timeout=5_000)
            await playwright_api.expect(page.locator("#agent-text")).to_contain_text("milk")
            assert await page.locator("#mic-level").evaluate("m => m.value") >= 0

            assert await eventually(lambda: todos_of(runtime)) == ["buy milk"]
            # the reply has finished playing (and is recorded) once the assistant listens again
            await playwright_api.expect(page.locator("#agent-state")).to_have_text("Listening", timeout=15_000)
            await page.screenshot(path=str(ARTIFACTS / "voice_assistant.png"), full_page=True)
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.screenshot(path=str(ARTIFACTS / "voice_assistant_phone.png"), full_page=True)

            await page.get_by_role("button", name="End conversation").click()
            await playwright_api.expect(page.locator("#connection")).to_have_text("Ended")
            assert errors == []
        finally:
            await chromium.close()

    row = await eventually(lambda: browser_call(runtime), within=15)
    assert row is not None and row.status == "completed" and row.user_id is not None
    said = [(line["role"], line["text"].lower()) for line in row.transcript]
    assert any(role == "user" and "milk" in text for role, text in said)
    assert any(role == "assistant" and "milk" in text for role, text in said)
