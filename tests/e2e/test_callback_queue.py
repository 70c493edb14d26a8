"""The callback queue on the call-center page (headless Chromium against the app on uvicorn): a request
left by an unanswered caller appears live, a staff member claims it and closes it with an outcome.
Screenshot: test-artifacts/callback-queue.png."""

from __future__ import annotations

import httpx
import pytest
from pipecat.frames.frames import InputAudioRawFrame

from core.events import publish_change
from core.runtime import Runtime
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from processors.voicemail import MessageRecorder
from tests.api.test_callbacks import unanswered
from tests.api.test_team_events import serve
from tests.e2e.test_dashboards import ARTIFACTS, browser, expect, log_in, new_page  # noqa: F401  (fixture)
from tests.helpers import make_staff, register
from tests.processors.transfer_calls import tone

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


async def test_staff_claim_and_close_a_callback_on_the_page(
    browser: object, client: httpx.AsyncClient, runtime: Runtime  # noqa: F811
) -> None:
    kim = await make_staff(runtime, await register(client))
    recorder = MessageRecorder()
    recorder.heard_speech = True
    recorder.add(InputAudioRawFrame(audio=tone(1.0), sample_rate=8000, num_channels=1))
    ann = unanswered("Ann Caller")
    await callbacks.leave(runtime.sessions, ann, message_text="please call me after five",
                          message_path=await recorder.save(runtime.settings.data_dir, ann.id))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, kim, "/call-center")
        items = page.locator("#callbacks li.callback")
        await expect(items).to_have_count(1, timeout=10000)
        await expect(page.locator("body[data-live=yes]")).to_have_count(1, timeout=10000)

        # Another caller leaves one while the page is open: it appears without a reload.
        later = await callbacks.leave(runtime.sessions, unanswered("Bo Caller", phone="+15557654321"))
        await publish_change(runtime.store, EVENTS, callbacks.notice(later))
        await expect(items).to_have_count(2, timeout=10000)
        await expect(page.locator("#callbacks-count")).to_have_text("2")

        ann = items.filter(has_text="Ann Caller")
        await expect(ann).to_contain_text("+15551234567")
        await expect(ann).to_contain_text("a double charge")
        await expect(ann.locator(".message")).to_contain_text("please call me after five")
        await ann.locator("button.play").click()
        await expect(ann.locator("audio")).to_have_count(1)
        assert await ann.locator("audio").evaluate(
            "a => new Promise(ok => a.readyState >= 1 ? ok(a.duration) : a.addEventListener('loadedmetadata', () => ok(a.duration)))"
        ) == pytest.approx(1.0, abs=0.05)
        await ann.locator("summary").click()
        await expect(ann.locator(".transcript")).to_contain_text("I was charged twice")
        await ann.locator("button.claim").click()
        await expect(ann.locator(".close-form")).to_have_count(1)
        await expect(page.locator("#callbacks-count")).to_have_text("1")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "callback-queue.png"), full_page=True)

        await ann.locator("select").select_option("reached")
        await ann.locator("input[name=note]").fill("refund issued")
        await ann.locator(".close-form button[type=submit]").click()
        await expect(items).to_have_count(1)
        await expect(items).to_contain_text("Bo Caller")
        assert page.problems == []
    [closed] = await callbacks.listed(runtime.sessions, callbacks.CallbackStatus.CLOSED)
    assert (closed.caller_name, closed.outcome, closed.note, str(closed.claimed_by)) == (
        "Ann Caller", "reached", "refund issued", kim.id)
