"""The clinic's hours and providers and the mortgage desk's rates, set in the staff dashboard
(headless Chromium), change what the booking and estimate tools do."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from core.runtime import Runtime
from core.tools import ToolContext
from tests.api.test_team_events import serve
from tests.domains.tool_calls import call, fails, ok
from tests.e2e.test_dashboards import ARTIFACTS, browser, expect, log_in, named, new_page  # noqa: F401
from tests.helpers import make_clinical, make_staff
from tests.processors.callers import register_caller

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


def next_weekday(name: str) -> str:
    day = datetime.now(UTC).date() + timedelta(days=2)
    while day.strftime("%A") != name:
        day += timedelta(days=1)
    return day.isoformat()


async def test_clinic_hours_providers_and_rates_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    guest = await register_caller(runtime, email=f"guest-{uuid.uuid4().hex[:8]}@example.com", phone=None)
    ctx = ToolContext.for_user(runtime, guest.id)
    ok(await call(ctx, "register_patient", first_name="Ana", last_name="Ruiz"))
    saturday = next_weekday("Saturday")
    fails(await call(ctx, "book_appointment", date=saturday, time="09:00"), "closed")

    staff = await make_staff(runtime, await named(client, "Sam", "Staff"))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        await expect(page.get_by_label("Good credit")).to_have_value("6.75")
        await page.get_by_label("Good credit").fill("5.5")
        await page.get_by_role("button", name="Save rates").click()
        await expect(page.locator("#rates-saved")).to_have_text("Saved.")

        await page.click("#tab-appointments")
        await expect(page.get_by_label("Monday open")).to_be_checked()
        await page.get_by_label("Saturday open").check()
        await page.get_by_label("Saturday first appointment").fill("09:00")
        await page.get_by_label("Saturday last appointment").fill("12:00")
        await page.get_by_label("Appointment length").select_option("20")
        await page.get_by_label("New provider").fill("Dr. Maya Lee")
        await page.get_by_role("button", name="Save clinic settings").click()
        await expect(page.locator("#clinic-saved")).to_have_text("Saved.")
        await expect(page.get_by_label("Provider name")).to_have_value("Dr. Maya Lee")
        await page.screenshot(path=str(ARTIFACTS / "clinic_settings.png"), full_page=True)
        await page.reload()
        await page.click("#tab-appointments")
        await expect(page.get_by_label("Saturday open")).to_be_checked()
        await expect(page.get_by_label("Appointment length")).to_have_value("20")
        assert page.problems == []

    booked = ok(await call(ctx, "book_appointment", date=saturday, time="09:20"))
    assert booked["provider"] == "Dr. Maya Lee"
    assert ok(await call(ctx, "estimate_monthly_payment", loan_amount=400000))["interest_rate"] == 5.5


async def test_staff_book_and_change_on_the_page(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any  # noqa: F811
) -> None:
    wednesday = next_weekday("Wednesday")
    # the clinic's front desk: clinical staff, who read an appointment's reason (others see it withheld)
    staff = await make_clinical(runtime, await named(client, "Sam", "Staff"))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        await page.click("#tab-reservations")
        form = page.locator("#reservation-form")
        await form.get_by_label("Date").fill(wednesday)
        await form.get_by_label("Time").fill("19:00")
        await form.get_by_label("Guests").fill("3")
        await form.get_by_label("Name").fill("Kim Lee")
        await form.get_by_label("Phone").fill("+15551110001")
        await form.get_by_role("button", name="Save reservation").click()
        await expect(page.locator("#reservation-saved")).to_have_text("Saved.")
        row = page.locator("#reservation-rows tr", has_text="Kim Lee")
        await expect(row).to_contain_text("+15551110001")
        await row.get_by_role("button", name="Change").click()
        await expect(form.get_by_label("Phone")).to_be_hidden()
        await form.get_by_label("Guests").fill("5")
        await form.get_by_role("button", name="Save reservation").click()
        await expect(row.locator("td.num")).to_have_text("5")

        await page.click("#tab-appointments")
        form = page.locator("#appointment-form")
        await form.get_by_label("Date").fill(wednesday)
        await form.get_by_label("Time").fill("10:00")
        await form.get_by_label("First name").fill("Ana")
        await form.get_by_label("Last name").fill("Ruiz")
        await form.get_by_label("Reason").fill("checkup")
        await form.get_by_role("button", name="Save appointment").click()
        await expect(page.locator("#appointment-saved")).to_have_text("Saved.")
        row = page.locator("#appointment-rows tr", has_text="Ana Ruiz")
        await expect(row).to_contain_text("checkup")
        await row.get_by_role("button", name="Change").click()
        await form.get_by_label("Time").fill("11:30")
        await form.get_by_role("button", name="Save appointment").click()
        await expect(row).to_contain_text("11:30")
        await page.screenshot(path=str(ARTIFACTS / "staff_bookings.png"), full_page=True)
        assert page.problems == []
