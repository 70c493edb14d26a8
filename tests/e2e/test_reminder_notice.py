"""A reminder as it fires shows on its user's open pages (headless Chromium against the app on uvicorn):
one tab holds the feed and passes it to the user's other tabs; another user's page shows nothing.
Screenshot: test-artifacts/reminder-notice.png."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest

from api.reminders import ReminderScheduler
from core.runtime import Runtime
from tests.api.test_reminders import NOON, Clock, remind
from tests.api.test_team_events import serve
from tests.e2e.test_dashboards import ARTIFACTS, browser, expect, log_in, new_page  # noqa: F401  (fixture)
from tests.helpers import register

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


async def test_a_fired_reminder_appears_on_the_users_open_page(
    browser: object, client: httpx.AsyncClient, runtime: Runtime  # noqa: F811
) -> None:
    kim, lee = await register(client), await register(client)
    await remind(runtime, uuid.UUID(kim.id), "call the dentist about the crown", NOON, importance="high")
    await remind(runtime, uuid.UUID(kim.id), "send the invoice", NOON - timedelta(hours=2))
    async with serve(runtime) as url:
        kims, lees = await new_page(browser), await new_page(browser)
        await log_in(kims, url, kim, "/team-dashboard")
        await log_in(lees, url, lee, "/agent-monitor")
        kims_other_tab = await kims.context.new_page()  # same browser profile: logged in, a follower
        await kims_other_tab.goto(f"{url}/mortgage_dashboard")
        for page in (kims, lees):
            await expect(page.locator("body[data-notices=live]")).to_have_count(1, timeout=10000)
        await expect(kims_other_tab.locator("body[data-notices=follower]")).to_have_count(1, timeout=10000)
        await ReminderScheduler(runtime, clock=Clock(NOON)).sweep()
        await expect(kims_other_tab.locator("#notices .notice")).to_have_count(2, timeout=10000)
        notices = kims.locator("#notices .notice")
        await expect(notices).to_have_count(2, timeout=10000)
        await expect(kims.locator(".notice.important")).to_contain_text("Important reminder")
        await expect(kims.locator(".notice.important")).to_contain_text("call the dentist about the crown")
        await expect(kims.locator(".notice.late")).to_contain_text("Missed reminder")
        ARTIFACTS.mkdir(exist_ok=True)
        await kims.screenshot(path=str(ARTIFACTS / "reminder-notice.png"))
        await kims.locator(".notice.late .dismiss").click()
        await expect(notices).to_have_count(1)
        assert await lees.locator("#notices .notice").count() == 0
        assert kims.problems == [] and lees.problems == []
