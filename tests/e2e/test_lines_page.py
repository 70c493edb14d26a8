"""Staff set up the business's phone lines on the staff dashboard (headless Chromium): add a public
restaurant line, change it to a PIN line, delete it; the lines table says the same each time."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from core import lines
from core.runtime import Runtime
from tests.api.test_team_events import serve
from tests.e2e.test_dashboards import ARTIFACTS, browser, expect, log_in, named, new_page  # noqa: F401
from tests.helpers import make_staff

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]


async def stored(runtime: Runtime) -> list[tuple[str, str, str, list[str], str | None]]:
    async with runtime.sessions() as session:
        return [(x.number, x.name, x.access, x.domains, x.greeting) for x in await lines.list_lines(session)]


async def test_staff_add_change_and_delete_a_line(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any  # noqa: F811
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    staff = await make_staff(runtime, await named(client, "Sam", "Staff"))
    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        await page.click("#tab-lines")
        await expect(page.locator("#no-lines")).to_be_visible()

        form = page.locator("#line-form")
        await form.get_by_label("Number").fill("+1 555 010 0000")
        await form.get_by_label("Name").fill("Hanok Table")
        await form.get_by_label("restaurant").check()
        await form.get_by_label("Greeting").fill("Hanok Table, how can I help?")
        await form.get_by_role("button", name="Save line").click()
        await expect(page.locator("#line-saved")).to_have_text("Saved.")
        row = page.locator("#line-rows tr")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("+15550100000")
        await expect(row).to_contain_text("public")
        assert await stored(runtime) == [("+15550100000", "Hanok Table", "public", ["restaurant"],
                                          "Hanok Table, how can I help?")]

        await form.get_by_label("PIN: the personal assistant").check()
        await form.get_by_role("button", name="Save line").click()
        await expect(row).to_contain_text("pin")
        await expect(form.get_by_label("Number")).to_be_disabled()  # a line's number is what it is
        assert (await stored(runtime))[0][2] == "pin"
        await page.screenshot(path=str(ARTIFACTS / "staff_lines.png"), full_page=True)

        await form.get_by_role("button", name="New line").click()
        await form.get_by_label("Number").fill("12")
        await form.get_by_label("Name").fill("Broken")
        await form.get_by_role("button", name="Save line").click()
        await expect(page.locator("#line-error")).to_contain_text("not a phone number")

        await row.get_by_role("button", name="Delete").click()
        await expect(page.locator("#no-lines")).to_be_visible()
        assert await stored(runtime) == []
        assert page.problems == [] or all("422" in p for p in page.problems)
