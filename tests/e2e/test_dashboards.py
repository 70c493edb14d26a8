"""The team dashboard and the staff (mortgage) dashboard in headless Chromium against the app on
uvicorn: log in, see a team's todos, watch one created by a phone call's voice command (fake Twilio
on the Media Streams protocol, hibari's voice, keypad PIN, the offline speech stack) appear without a reload,
work a mortgage application through its status, read the appointment and reservation lists.

Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic
from typing import Any

import httpx
import pytest

from core.db import transaction
from core.runtime import Runtime
from domains.healthcare.models import Appointment, Patient
from domains.restaurant.models import Reservation
from tests.api.test_staff import seed_application
from tests.api.test_team_events import serve
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.helpers import Account, make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]
HAVE_CHROMIUM = Path(CHROMIUM).exists()
expect = playwright_api.expect


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip("needs Chromium at /usr/bin/chromium")
    async with playwright_api.async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def new_page(browser: Any) -> Any:
    """A page in its own context (its own logged-in user), noting script errors in `page.problems`."""
    context = await browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    page.problems = []

    def console(msg: Any) -> None:
        if msg.type == "error" and not msg.location.get("url", "").endswith("favicon.ico"):
            page.problems.append(msg.text)

    page.on("pageerror", lambda error: page.problems.append(str(error)))
    page.on("console", console)
    return page


async def log_in(page: Any, url: str, account: Account, then: str) -> None:
    await page.goto(f"{url}{then}")
    await page.wait_for_url(f"{url}/login?next=*")  # not logged in yet: sent to the login page
    await page.fill("#email", account.email)
    await page.fill("#password", account.password)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{url}{then}*")
    page.problems.clear()  # the redirect to log in stops the page's script on purpose


async def named(client: httpx.AsyncClient, first: str, last: str) -> Account:
    return await register(client, first_name=first, last_name=last)


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 2.0) -> bool:
    """Poll `check` until it holds: a write's response can arrive just before its commit lands."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def has(found: Awaitable[dict[str, Any]], **fields: Any) -> bool:
    row = await found
    return all(row[k] == v for k, v in fields.items())


async def is_(found: Awaitable[str], expected: str) -> bool:
    return await found == expected


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path) -> AsyncIterator[PhoneServer]:
    """The whole app (voice lifespan included) on uvicorn, with a fake Twilio in front of it."""
    pytest.importorskip("bots.speech", reason="needs the offline speech services")
    async with open_phone_server(backend, tmp_path, data_dir=tmp_path / "data") as server:
        yield server


@pytest.fixture
async def phone_client(phone: PhoneServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=phone.url, timeout=10) as client:
        yield client


@pytest.mark.slow
async def test_team_dashboard_shows_a_phone_calls_todo_live(
    phone: PhoneServer, phone_client: httpx.AsyncClient, browser: Any
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    client, url = phone_client, phone.url
    owner = await named(client, "Olivia", "Owens")
    # Marco calls in: his phone number and voice PIN are on his account.
    member = await register(
        client, first_name="Marco", last_name="Mendes", phone_number=CALLER_PHONE, voice_pin=CALLER_PIN
    )
    viewer = await named(client, "Vera", "Vance")
    team = (
        await client.post("/api/teams/", json={"name": "Design", "description": "Web"}, headers=owner.auth)
    ).json()
    for account, role in ((member, "member"), (viewer, "viewer")):
        added = await client.post(
            f"/api/teams/{team['id']}/members",
            json={"user_id": account.id, "role": role},
            headers=owner.auth,
        )
        assert added.status_code == 201
    await client.post("/api/teams/", json={"name": "Marketing"}, headers=owner.auth)
    todos = f"/api/teams/{team['id']}/todos"
    soon = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    for body in (
        {
            "title": "Draft the spring newsletter",
            "priority": "high",
            "assignee_id": member.id,
            "due_date": soon,
        },
        {"title": "Review the logo options", "description": "Three candidates from the agency"},
        {"title": "Book the offsite venue", "priority": "urgent"},
    ):
        assert (await client.post(todos, json=body, headers=owner.auth)).status_code == 201

    async def todo(title: str) -> dict[str, Any]:
        listed = (await client.get(todos, headers=owner.auth)).json()
        return next(t for t in listed if t["title"] == title)

    async def role_of(account: Account) -> str:
        detail = (await client.get(f"/api/teams/{team['id']}", headers=owner.auth)).json()
        return str(next(m["role"] for m in detail["members"] if m["email"] == account.email))

    page = await new_page(browser)
    await log_in(page, url, owner, "/team-dashboard")
    rows = page.locator("#todo-rows tr")
    await expect(rows).to_have_count(3)
    await expect(page.locator("#live")).to_have_text("Live")
    await expect(page.locator("#member-rows tr")).to_have_count(3)

    # Marco phones in (Twilio Media Streams, hibari's voice, keypad PIN) and asks, by voice, for a
    # team todo: it appears on Olivia's open page without a reload.
    call = await phone.twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(monotonic() - 1.0, within=20)  # "Welcome to Convonet. Please say your PIN…"
    await call.wait_quiet()
    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(monotonic() - 1.0)  # "Hi Marco, how can I help?"
    await call.wait_quiet()
    await call.say("create a todo for the design team to call the printer")
    assert call.speech_ended_at is not None
    printer = page.locator("#todo-rows tr", has_text="call the printer")
    await expect(printer).to_be_visible(timeout=15_000)
    shown = monotonic() - call.speech_ended_at
    answered = await call.wait_for_bot(call.speech_ended_at, within=5)
    print(
        f"\nend of caller speech -> todo on the team dashboard: {shown * 1000:.0f} ms "
        f"(-> bot's first audio at the caller: {answered * 1000:.0f} ms)"
    )
    await expect(rows).to_have_count(4)
    made = await todo("call the printer")
    assert made["creator_id"] == member.id and made["completed"] is False, made
    await call.wait_quiet()  # "I added call the printer to the design team's todos."
    await page.screenshot(path=str(ARTIFACTS / "team_dashboard_phone_todo.png"), full_page=True)
    await call.hang_up()

    # Create, assign and complete from the page.
    await page.fill("#todo-title", "Order business cards")
    await page.select_option("#todo-assignee", label="Vera Vance")
    await page.click("#new-todo button[type=submit]")
    card = page.locator("#todo-rows tr", has_text="Order business cards")
    await expect(card.locator("select")).to_have_value(viewer.id)
    async with page.expect_response(lambda r: r.request.method == "PUT") as assigned:
        venue = page.locator("#todo-rows tr", has_text="Book the offsite venue")
        await venue.locator("select").select_option(label="Marco Mendes")
    assert (await assigned.value).status == 200
    await (
        page.locator("#todo-rows tr", has_text="Review the logo options")
        .locator("input[type=checkbox]")
        .check()
    )
    await expect(page.locator("#todo-rows tr.done", has_text="Review the logo options")).to_have_count(1)
    assert await eventually(lambda: has(todo("Review the logo options"), completed=True))
    assert await eventually(lambda: has(todo("Book the offsite venue"), assignee_id=member.id))

    # Members: change a role, see the role controls only where the role allows them.
    async with page.expect_response(lambda r: r.url.endswith("/role")) as changed:
        await page.locator("#member-rows tr", has_text="Vera Vance").locator("select").select_option("member")
    assert (await changed.value).status == 200
    assert await eventually(lambda: is_(role_of(viewer), "member"))
    # the "new row" highlight (a 2.5 s CSS animation) is fast-forwarded to its end for the picture
    await page.screenshot(path=str(ARTIFACTS / "team_dashboard.png"), full_page=True, animations="disabled")
    assert page.problems == []

    # A plain member sees no member management, and can only change their own or assigned todos.
    other = await new_page(browser)
    await log_in(other, url, member, "/team-dashboard")
    await expect(other.locator("#todo-rows tr")).to_have_count(5)
    assert await other.locator("#add-member").is_hidden()
    assert await other.locator("#member-rows select").count() == 0
    assert (
        await other.locator("#todo-rows tr", has_text="Review the logo options")
        .locator("input")
        .is_disabled()
    )
    assert (
        await other.locator("#todo-rows tr", has_text="Draft the spring newsletter")
        .locator("input")
        .is_enabled()
    )
    await other.screenshot(path=str(ARTIFACTS / "team_dashboard_member.png"), full_page=True)
    await other.set_viewport_size({"width": 390, "height": 844})
    await other.screenshot(path=str(ARTIFACTS / "team_dashboard_narrow.png"), full_page=True)
    assert other.problems == []

    # Someone in no team yet is told how to start.
    newcomer = await new_page(browser)
    await log_in(newcomer, url, await named(client, "Nia", "New"), "/team-dashboard")
    await expect(newcomer.locator("#no-teams")).to_be_visible()
    await expect(newcomer.locator("#pick-team")).to_be_visible()
    await expect(newcomer.locator("#todos-panel")).to_be_hidden()
    await newcomer.screenshot(path=str(ARTIFACTS / "team_dashboard_empty.png"), full_page=True)
    assert newcomer.problems == []
    for opened in (page, other, newcomer):
        await opened.context.close()  # the live feeds close before the server stops


async def seed_front_desk(runtime: Runtime, who: Account) -> None:
    """An appointment and a reservation tomorrow (inside the pages' default date range)."""
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    async with transaction(runtime.sessions) as session:
        patient = Patient(user_id=uuid.UUID(who.id), first_name="Ann", last_name="Lee", phone="+1 555 0100")
        session.add(patient)
        await session.flush()
        session.add(
            Appointment(
                patient_id=patient.id,
                starts_at=datetime.combine(tomorrow, time(14, 30), tzinfo=UTC),
                reason="Persistent cough for two weeks",
            )
        )
        session.add(
            Reservation(
                user_id=uuid.UUID(who.id),
                starts_at=datetime.combine(tomorrow, time(19, 0), tzinfo=UTC),
                party_size=4,
                name="Lee",
                special_requests="Window table, one high chair",
                confirmation_code="K7M2QX",
            )
        )


async def test_mortgage_dashboard_moves_an_application_along(
    client: httpx.AsyncClient, runtime: Runtime, browser: Any
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    staff = await make_staff(runtime, await named(client, "Sam", "Staff"))
    applicant = await named(client, "Ann", "Lee")
    app_id = await seed_application(runtime, applicant)
    await seed_front_desk(runtime, applicant)

    async with serve(runtime) as url:
        page = await new_page(browser)
        await log_in(page, url, staff, "/mortgage_dashboard")
        row = page.locator(f'#application-rows tr[data-id="{app_id}"]')
        await expect(row).to_contain_text("Ann Lee")
        await expect(row).to_contain_text("1/5")
        await row.locator("button").click()
        await expect(page.locator("#application-status")).to_have_text("submitted")
        await expect(page.locator("#application-documents li")).to_have_count(5)
        await expect(page.locator("#application-documents li", has_text="photo ID")).to_contain_text(
            "received"
        )

        await page.click('button[data-move="in_review"]')
        await expect(page.locator("#application-status")).to_have_text("in review")
        await expect(row).to_contain_text("in review")
        await expect(page.locator('button[data-move="approved"]')).to_be_visible()
        await page.screenshot(path=str(ARTIFACTS / "mortgage_dashboard.png"), full_page=True)

        await page.click("#tab-appointments")
        await expect(page.locator("#appointment-rows tr")).to_have_count(1)
        # Sam is staff without the clinical role: the patient's reason (health details) is withheld, and
        # changing the appointment does not send the placeholder back as its reason.
        await expect(page.locator("#appointment-rows")).to_contain_text("health details withheld")
        await expect(page.locator("#appointment-rows")).not_to_contain_text("cough")
        await page.locator("#appointment-rows button[data-change]").click()
        await expect(page.locator("#appointment-form [name=reason]")).to_have_value("")
        await expect(page.locator("#appointment-form [name=reason]")).to_have_attribute("placeholder", re.compile("Withheld"))
        await page.screenshot(path=str(ARTIFACTS / "mortgage_dashboard_appointments.png"), full_page=True)
        await page.click("#tab-reservations")
        await expect(page.locator("#reservation-rows tr")).to_have_count(1)
        await expect(page.locator("#reservation-rows")).to_contain_text("K7M2QX")
        await page.screenshot(path=str(ARTIFACTS / "mortgage_dashboard_reservations.png"), full_page=True)
        await page.click("#tab-mortgage")
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.screenshot(path=str(ARTIFACTS / "mortgage_dashboard_narrow.png"), full_page=True)
        assert page.problems == []

        # Someone without staff access is told this page is for staff.
        outsider = await new_page(browser)
        await log_in(outsider, url, applicant, "/mortgage_dashboard")
        await expect(outsider.locator("#forbidden")).to_be_visible()
        await expect(outsider.locator("#forbidden-text")).to_contain_text("staff accounts")
        await outsider.screenshot(path=str(ARTIFACTS / "mortgage_dashboard_forbidden.png"), full_page=True)
