"""The clinic's hours and providers come from the database: staff change them through
`/api/staff/clinic/settings`, and the booking tool offers what they say at once."""

from __future__ import annotations

import httpx

from core.runtime import Runtime
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, fails, ok
from tests.helpers import make_staff, register

URL = "/api/staff/clinic/settings"
TUESDAY, SATURDAY = "2026-11-24", "2026-11-28"  # the clock says Monday 2026-11-23, 09:00 local
WEEKDAY = {"first": "08:00", "last": "16:30"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def clinic(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "hours": {day: (WEEKDAY if day not in ("saturday", "sunday") else None) for day in DAYS},
        "closures": [], "slot_minutes": 30, "providers": [],
    }
    body.update(changes)
    return body


async def test_the_defaults_until_staff_change_them(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    response = await client.get(URL, headers=staff.auth)
    assert response.status_code == 200 and response.json() == clinic()


async def test_hours_and_providers_change_what_the_agent_books(
    client: httpx.AsyncClient, runtime: Runtime, caller: MakeCaller
) -> None:
    alice, bob, carol = await caller("alice"), await caller("bob"), await caller("carol")
    for ctx, first in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
        ok(await call(ctx, "register_patient", first_name=first, last_name="Park"))
    fails(await call(alice, "book_appointment", date=SATURDAY, time="10:00"), "monday to friday")

    staff = await make_staff(runtime, await register(client))
    saturdays = clinic(slot_minutes=20, closures=[TUESDAY],
                       providers=[{"name": "Dr. Maya Lee"}, {"name": "Nurse Omar Diaz"}])
    saturdays["hours"] = {**saturdays["hours"], "saturday": {"first": "09:00", "last": "11:40"}}  # type: ignore[dict-item]
    saved = await client.put(URL, json=saturdays, headers=staff.auth)
    assert saved.status_code == 200, saved.text
    providers = saved.json()["providers"]
    assert [(p["name"], p["active"]) for p in providers] == [("Dr. Maya Lee", True), ("Nurse Omar Diaz", True)]

    fails(await call(alice, "book_appointment", date=TUESDAY, time="10:00"), "closed")
    fails(await call(alice, "book_appointment", date=SATURDAY, time="09:30"), "every 20 minutes")
    fails(await call(alice, "book_appointment", date=SATURDAY, time="12:00"), "09:00 to 11:40")
    first = ok(await call(alice, "book_appointment", date=SATURDAY, time="09:20", reason="checkup"))
    assert first["provider"] == "Dr. Maya Lee"
    second = ok(await call(bob, "book_appointment", date=SATURDAY, time="09:20"))  # two providers: two patients
    assert second["provider"] == "Nurse Omar Diaz"
    full = fails(await call(carol, "book_appointment", date=SATURDAY, time="09:20"), "already taken")
    assert "09:00" in full and "09:40" in full
    fails(await call(carol, "book_appointment", date=SATURDAY, time="09:40", provider="Dr. Nobody"), "Maya Lee")
    asked = ok(await call(carol, "book_appointment", date=SATURDAY, time="09:40", provider="doctor lee"))
    assert asked["provider"] == "Dr. Maya Lee"

    # A provider left out of the list stops taking patients; their appointment stays.
    saturdays["providers"] = [providers[1]]
    saved = await client.put(URL, json=saturdays, headers=staff.auth)
    assert [(p["name"], p["active"]) for p in saved.json()["providers"]] == [
        ("Dr. Maya Lee", False), ("Nurse Omar Diaz", True)]
    fails(await call(carol, "book_appointment", date=SATURDAY, time="10:00", provider="Lee"), "couldn't tell")
    assert len(ok(await call(alice, "list_appointments"))["appointments"]) == 1


async def test_bad_settings_are_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    assert (await client.put(URL, json=clinic(), headers=member.auth)).status_code == 403
    for bad, says in (
        (clinic(slot_minutes=7), "minutes"),
        (clinic(closures=["soon"]), "not a date"),
        (clinic(hours={"moonday": WEEKDAY}), "weekday"),
        (clinic(hours={"monday": {"first": "09:00", "last": "08:00"}}), "before the first"),
        (clinic(providers=[{"name": "  "}]), "name"),
        (clinic(providers=[{"name": "Dr A"}, {"name": "dr a"}]), "Two active"),
        (clinic(providers=[{"id": 99, "name": "Dr Ghost"}]), "no provider"),
    ):
        response = await client.put(URL, json=bad, headers=staff.auth)
        assert response.status_code in (404, 422) and says in response.json()["detail"], (bad, response.text)
    assert (await client.get(URL, headers=staff.auth)).json() == clinic()  # nothing was saved
