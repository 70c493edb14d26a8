"""Opening hours set in the staff dashboard (headless Chromium) change what the voice agent offers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bots.agent.agent import Agent
from core import monitor
from core.runtime import Runtime
from core.tools import ToolContext
from tests.api.test_team_events import serve
from tests.domains.tool_calls import call, ok
from tests.e2e.test_dashboards import ARTIFACTS, browser, expect, log_in, named, new_page  # noqa: F401
from tests.helpers import make_staff
from tests.processors.callers import register_caller

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]

ASK = "do you have a table for two on friday at seven"


async def offer(runtime: Runtime) -> dict[str, Any]:
    """What the agent's availability check says to a caller asking for Friday at seven."""
    async with Agent.open(runtime) as agent:
        caller = await register_caller(runtime, email=f"guest-{uuid.uuid4().hex[:8]}@example.com", phone=None)
        turn = await agent.session(ToolContext.for_user(runtime, caller.id)).turn(ASK)
    [check] = [c for c in turn.tool_calls if c.name == "check_availability"]
    return {"reply": turn.reply, **check.result}


async def test_closing_fridays_in_the_dashboard_changes_the_agents_answer(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    before = await offer(runtime)
    assert before["available"] is True, before

    staff = await make_staff(runtime, await named(client, "Sam", "Staff"))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        await page.click("#tab-reservations")
        friday = page.get_by_label("Friday open")
        await expect(friday).to_be_checked()
        await expect(page.get_by_label("Guests per seating")).to_have_value("40")
        await friday.uncheck()
        await page.get_by_label("Saturday last seating").fill("22:30")
        await page.get_by_role("button", name="Save hours").click()
        await expect(page.locator("#seating-saved")).to_have_text("Saved.")
        await page.screenshot(path=str(ARTIFACTS / "restaurant_hours.png"), full_page=True)
        await page.reload()
        await expect(page.get_by_label("Friday open")).not_to_be_checked()
        await expect(page.get_by_label("Saturday last seating")).to_have_value("22:30")
        assert page.problems == []

    after = await offer(runtime)
    assert after["available"] is False and "closed" in after["reason"].lower(), after
    assert "closed" in after["reply"].lower()
    assert not any("T19:00" in t and t[:10] == after["date"] for t in after["alternatives"])


async def test_staff_cancel_a_reservation_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any  # noqa: F811
) -> None:
    guest = await register_caller(runtime, email="guest@example.com", phone=None)
    ctx = ToolContext.for_user(runtime, guest.id)
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    made = ok(await call(ctx, "create_reservation", date=day, time="19:00", party_size=2, name="Moon"))
    staff = await make_staff(runtime, await named(client, "Sam", "Staff"))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        await page.click("#tab-reservations")
        row = page.locator("#reservation-rows tr", has_text=made["confirmation_code"])
        await expect(row).to_contain_text("Moon")
        await row.get_by_role("button", name="Cancel").click()
        await expect(page.locator("#reservation-rows tr")).to_have_count(0)
        reservations = page.locator('form[data-list="reservations"]')
        await reservations.get_by_label("Include cancelled").check()
        await reservations.get_by_role("button", name="Show").click()
        await expect(row).to_contain_text("cancelled")

        # A booking the agent makes on a call shows up on the open page (it follows the monitor's stream).
        await expect(page.locator("body")).to_have_attribute("data-live", "yes")
        other = await register_caller(runtime, email="sun@example.com", phone=None)
        on_call = ToolContext.for_user(runtime, other.id, listeners=[monitor.tool_listener(runtime.store, "phone")])
        booked = ok(await call(on_call, "create_reservation", date=day, time="20:00", party_size=4, name="Sun"))
        await expect(page.locator("#reservation-rows tr", has_text=booked["confirmation_code"])).to_contain_text("Sun")
        assert page.problems == []
    assert ok(await call(ctx, "list_reservations"))["reservations"] == []
