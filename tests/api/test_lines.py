"""Staff manage lines and see contacts through `/api/staff/lines` and `/api/staff/contacts`; the
reservation list names the contact who booked; nobody else sees any of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from core import contacts
from core.db import transaction
from core.errors import Conflict
from core.models import Contact
from core.runtime import Runtime
from core.tools import ToolContext
from domains.restaurant import service as restaurant
from domains.restaurant.models import Reservation
from tests.domains.tool_calls import call, ok
from tests.helpers import make_staff, register

HANOK = {"number": "+15550100000", "name": "Hanok Table", "domains": ["restaurant"], "access": "public"}


async def test_staff_create_change_and_delete_lines(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    made = await client.post("/api/staff/lines", json=HANOK, headers=staff.auth)
    assert made.status_code == 201, made.text
    line = made.json()
    assert line["number"] == "+15550100000" and line["access"] == "public" and line["greeting"] is None
    again = await client.post("/api/staff/lines", json=HANOK, headers=staff.auth)
    assert again.status_code == 409

    changed = await client.patch(f"/api/staff/lines/{line['id']}", json={"greeting": "Hanok Table, hello!",
                                                                        "access": "pin"}, headers=staff.auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["greeting"] == "Hanok Table, hello!" and changed.json()["access"] == "pin"
    assert changed.json()["domains"] == ["restaurant"] and changed.json()["name"] == "Hanok Table"

    bad = await client.patch(f"/api/staff/lines/{line['id']}", json={"domains": ["pizza"]}, headers=staff.auth)
    assert bad.status_code == 422 and "pizza" in bad.json()["detail"]
    bad = await client.post("/api/staff/lines", json={**HANOK, "number": "12"}, headers=staff.auth)
    assert bad.status_code == 422

    listed = await client.get("/api/staff/lines", headers=staff.auth)
    assert [x["number"] for x in listed.json()] == ["+15550100000"]
    assert (await client.delete(f"/api/staff/lines/{line['id']}", headers=staff.auth)).status_code == 204
    assert (await client.delete(f"/api/staff/lines/{line['id']}", headers=staff.auth)).status_code == 404
    assert (await client.get("/api/staff/lines", headers=staff.auth)).json() == []


async def test_only_staff_reach_lines_and_contacts(client: httpx.AsyncClient, runtime: Runtime) -> None:
    member = await register(client)
    for method, url in (("GET", "/api/staff/lines"), ("POST", "/api/staff/lines"), ("GET", "/api/staff/contacts")):
        response = await client.request(method, url, json=HANOK if method == "POST" else None, headers=member.auth)
        assert response.status_code == 403, (url, response.text)
        assert (await client.request(method, url)).status_code == 401
    staff = await make_staff(runtime, await register(client))
    assert (await client.get("/api/staff/lines", headers=staff.auth)).json() == []  # the member's POST made nothing


async def test_staff_see_who_booked_on_a_public_line(client: httpx.AsyncClient, runtime: Runtime) -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    kim = await contacts.open_for_call(runtime.sessions, "+15551110001", now)
    ctx = ToolContext.for_user(runtime, kim.user_id, contact_id=kim.id, clock=lambda: now)
    made = ok(await call(ctx, "create_reservation", date="2026-11-27", time="19:00", party_size=2, name="Kim Park"))

    staff = await make_staff(runtime, await register(client))
    listed = (await client.get("/api/staff/reservations", headers=staff.auth)).json()
    assert [(r["confirmation_code"], r["contact_phone"], r["contact_name"]) for r in listed] == [
        (made["confirmation_code"], "+15551110001", "Kim Park")
    ]
    people = (await client.get("/api/staff/contacts", headers=staff.auth)).json()
    assert [(p["phone"], p["name"]) for p in people] == [("+15551110001", "Kim Park")]
    noted = await client.patch(f"/api/staff/contacts/{people[0]['id']}", json={"notes": "prefers a booth",
                                                                             "email": "kim@example.com"},
                               headers=staff.auth)
    assert noted.status_code == 200 and noted.json()["notes"] == "prefers a booth"
    assert noted.json()["name"] == "Kim Park"


async def test_staff_see_which_caller_a_clinic_or_mortgage_record_is_for(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    dana = await contacts.open_for_call(runtime.sessions, "+15551110001", now)
    ctx = ToolContext.for_user(runtime, dana.user_id, contact_id=dana.id, clock=lambda: now)
    ok(await call(ctx, "register_patient", first_name="Dana", last_name="Lee"))
    booked = ok(await call(ctx, "book_appointment", date="2026-11-24", time="10:00"))
    ok(await call(ctx, "start_mortgage_application"))

    staff = await make_staff(runtime, await register(client))
    [appointment] = (await client.get("/api/staff/appointments", headers=staff.auth)).json()
    assert appointment["contact_phone"] == "+15551110001"
    assert appointment["confirmation_code"] == booked["confirmation_code"]
    assert appointment["patient"]["first_name"] == "Dana"
    [application] = (await client.get("/api/staff/mortgage/applications", headers=staff.auth)).json()
    assert application["applicant"]["phone"] == "+15551110001"
    assert application["applicant"]["name"] == "Dana Lee"  # the name given to the clinic
    async with runtime.sessions() as session:
        named = await session.get(Contact, dana.id)
    assert named is not None and named.name == "Dana Lee"


async def test_a_web_callers_typed_number_is_the_one_staff_see(client: httpx.AsyncClient, runtime: Runtime) -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    lee = await contacts.open_for_web(runtime.sessions, "Lee", "+1 555 333 0003", now)
    ctx = ToolContext.for_user(runtime, lee.user_id, contact_id=lee.id, clock=lambda: now)
    ok(await call(ctx, "create_reservation", date="2026-11-27", time="19:00", party_size=2))
    staff = await make_staff(runtime, await register(client))
    [listed] = (await client.get("/api/staff/reservations", headers=staff.auth)).json()
    assert (listed["name"], listed["contact_name"], listed["contact_phone"]) == ("Lee", "Lee", "+15553330003")
    [person] = (await client.get("/api/staff/contacts", headers=staff.auth)).json()
    assert (person["phone"], person["given_phone"]) == (None, "+15553330003")


async def test_staff_cancel_bookings_and_mark_no_shows(client: httpx.AsyncClient, runtime: Runtime) -> None:
    now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    kim = await contacts.open_for_call(runtime.sessions, "+15551110001", now)
    ctx = ToolContext.for_user(runtime, kim.user_id, contact_id=kim.id, clock=lambda: now)
    soon = ok(await call(ctx, "create_reservation", date="2026-11-23", time="17:00", party_size=2, name="Kim"))
    later = ok(await call(ctx, "create_reservation", date="2026-11-27", time="19:00", party_size=2))
    ok(await call(ctx, "register_patient", first_name="Kim", last_name="Park"))
    seen = ok(await call(ctx, "book_appointment", date="2026-11-24", time="10:00"))

    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    url = f"/api/staff/reservations/{later['reservation_id']}/cancel"
    assert (await client.post(url, headers=member.auth)).status_code == 403
    cancelled = await client.post(url, headers=staff.auth)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["contact_phone"] == "+15551110001"
    assert (await client.post(url, headers=staff.auth)).status_code == 409  # already cancelled

    async with transaction(runtime.sessions) as session:  # before the seating: nobody is missing yet
        row = await session.get(Reservation, uuid.UUID(soon["reservation_id"]))
        assert row is not None
        with pytest.raises(Conflict, match="not begun"):
            await restaurant.mark_no_show(session, row, now)
    no_show = f"/api/staff/reservations/{soon['reservation_id']}/no-show"
    marked = await client.post(no_show, headers=staff.auth)  # the server's clock: long after that seating
    assert marked.status_code == 200 and marked.json()["status"] == "no_show", marked.text
    left = ok(await call(ctx, "list_reservations"))["reservations"]
    assert left == []  # the caller hears of neither

    gone = await client.post(f"/api/staff/appointments/{seen['appointment_id']}/cancel", headers=staff.auth)
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert gone.json()["contact_phone"] == "+15551110001"
    assert (await client.post(f"/api/staff/appointments/{uuid.uuid4()}/cancel", headers=staff.auth)).status_code == 404
    assert ok(await call(ctx, "list_appointments"))["appointments"] == []
