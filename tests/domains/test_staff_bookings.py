"""Staff book, move and change reservations and appointments from the staff API, by the same rules
as the voice agent (hours, capacity, providers); a booking for a phone number belongs to that
number's contact, who finds it on their next call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from core.redaction import WITHHELD
from core.runtime import Runtime
from tests.domains.test_public_lines import contact
from tests.domains.tool_calls import call, ok
from tests.helpers import make_clinical, make_staff, register


def weekday_ahead(days: int) -> str:
    """An ISO date at least `days` from now that is a Wednesday (open for both businesses by default)."""
    day = datetime.now(UTC).date() + timedelta(days=days)
    while day.weekday() != 2:
        day += timedelta(days=1)
    return day.isoformat()


async def test_staff_book_and_change_a_reservation(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    day = weekday_ahead(3)
    body = {"date": day, "time": "19:00", "party_size": 2, "name": "Kim Lee", "phone": "+1 555 111 0001"}
    assert (await client.post("/api/staff/reservations", json=body, headers=member.auth)).status_code == 403
    made = await client.post("/api/staff/reservations", json=body, headers=staff.auth)
    assert made.status_code == 201, made.text
    booking = made.json()
    assert booking["contact_phone"] == "+15551110001" and booking["contact_name"] == "Kim Lee"

    for bad, says in (({**body, "time": "03:00"}, "seat"), ({**body, "party_size": 13}, "up to 12"),
                      ({**body, "phone": "call me"}, "phone number")):
        response = await client.post("/api/staff/reservations", json=bad, headers=staff.auth)
        assert response.status_code == 422 and says in response.json()["detail"], response.text

    zoned = await client.post("/api/staff/reservations", json={**body, "time": "19:00:00Z"}, headers=staff.auth)
    assert zoned.status_code == 422 and "time zone" in zoned.text  # the business's local time, not an instant

    url = f"/api/staff/reservations/{booking['id']}"
    moved = await client.patch(url, json={"time": "20:30", "party_size": 4, "special_requests": "window"},
                               headers=staff.auth)
    assert moved.status_code == 200, moved.text
    assert moved.json()["party_size"] == 4 and moved.json()["special_requests"] == "window"
    full = await client.patch(url, json={"party_size": 41}, headers=staff.auth)
    assert full.status_code == 422

    kim = await contact(runtime, "+15551110001")  # Kim calls the public line: the booking is hers
    [mine] = ok(await call(kim, "list_reservations"))["reservations"]
    assert mine["party_size"] == 4 and mine["name"] == "Kim Lee"
    await client.post(f"{url}/cancel", headers=staff.auth)
    assert (await client.patch(url, json={"time": "18:00"}, headers=staff.auth)).status_code == 409


async def test_staff_book_and_move_an_appointment(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_clinical(runtime, await register(client))
    day = weekday_ahead(3)
    body = {"date": day, "time": "10:00", "first_name": "Ana", "last_name": "Ruiz", "phone": "+15552220002",
            "reason": "checkup"}
    made = await client.post("/api/staff/appointments", json=body, headers=staff.auth)
    assert made.status_code == 201, made.text
    first = made.json()
    assert first["patient"]["first_name"] == "Ana" and first["contact_phone"] == "+15552220002"
    taken = await client.post("/api/staff/appointments", json={**body, "first_name": "Bo", "phone": None},
                              headers=staff.auth)
    assert taken.status_code == 409 and "taken" in taken.json()["detail"]
    again = await client.post("/api/staff/appointments", json={**body, "time": "11:00"}, headers=staff.auth)
    assert again.json()["patient"]["id"] == first["patient"]["id"]  # the same patient, not a second record

    url = f"/api/staff/appointments/{first['id']}"
    assert (await client.patch(url, json={"time": "11:00"}, headers=staff.auth)).status_code == 409
    moved = await client.patch(url, json={"time": "10:30", "reason": "flu shot"}, headers=staff.auth)
    assert moved.status_code == 200, moved.text
    assert moved.json()["reason"] == "flu shot" and moved.json()["starts_at"] != first["starts_at"]
    assert (await client.patch(url, json={"provider_id": 7}, headers=staff.auth)).status_code == 404

    # The front desk (staff, not clinical) reads the reason withheld; sending the form back as shown keeps it.
    desk = await make_staff(runtime, await register(client))
    shown = await client.patch(url, json={"time": "09:30", "reason": WITHHELD}, headers=desk.auth)
    assert shown.json()["reason"] == WITHHELD and shown.json()["reason_withheld"]
    assert (await client.get(url.rsplit("/", 1)[0], headers=staff.auth)).json()[0]["reason"] == "flu shot"

    ana = await contact(runtime, "+15552220002")
    assert [a["reason"] for a in ok(await call(ana, "list_appointments"))["appointments"]] == ["flu shot", "checkup"]
