"""Hanok Table's seating rules come from the database: staff change hours, closures, capacity and the
largest party through `/api/staff/restaurant/settings`, and the agent's tools offer what they say."""

from __future__ import annotations

import httpx

from core.runtime import Runtime
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, fails, ok
from tests.helpers import make_staff, register

URL = "/api/staff/restaurant/settings"
FRIDAY, SATURDAY = "2026-11-27", "2026-11-28"  # the clock says Monday 2026-11-23, 09:00 local
EVENINGS = {"first": "17:00", "last": "21:00"}


def rules(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "hours": {day: EVENINGS for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                            "sunday")},
        "closures": [], "capacity": 40, "max_party": 12,
    }
    body.update(changes)
    return body


async def test_the_defaults_until_staff_change_them(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    response = await client.get(URL, headers=staff.auth)
    assert response.status_code == 200 and response.json() == rules()


async def test_staff_changes_change_what_the_agent_offers(
    client: httpx.AsyncClient, runtime: Runtime, caller: MakeCaller
) -> None:
    alice = await caller("alice")
    before = ok(await call(alice, "check_availability", date=FRIDAY, time="22:00", party_size=4))
    assert before["available"] is False and "21:00" in before["reason"]

    staff = await make_staff(runtime, await register(client))
    late_fridays = rules(capacity=6, max_party=6, closures=[SATURDAY])
    late_fridays["hours"] = {**late_fridays["hours"], "friday": {"first": "18:00", "last": "22:30"},  # type: ignore[dict-item]
                             "monday": None}
    saved = await client.put(URL, json=late_fridays, headers=staff.auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["hours"]["friday"] == {"first": "18:00", "last": "22:30"}
    assert saved.json()["hours"]["monday"] is None and saved.json()["closures"] == [SATURDAY]

    late = ok(await call(alice, "check_availability", date=FRIDAY, time="22:00", party_size=4))
    assert late["available"] is True, late
    early = ok(await call(alice, "check_availability", date=FRIDAY, time="17:00", party_size=4))
    assert early["available"] is False and "18:00" in early["reason"]
    fails(await call(alice, "create_reservation", date=SATURDAY, time="19:00", party_size=2), "closed")
    fails(await call(alice, "create_reservation", date="2026-11-30", time="19:00", party_size=2), "closed")  # Monday
    fails(await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=7), "up to 6")
    ok(await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=4))
    full = ok(await call(alice, "check_availability", date=FRIDAY, time="19:00", party_size=4))
    assert full["available"] is False and "room for only 2" in full["reason"]
    assert full["alternatives"] and all(t.startswith(FRIDAY) or t > FRIDAY for t in full["alternatives"])
    assert not any(t.startswith(SATURDAY) for t in full["alternatives"])  # closed that day


async def test_bad_rules_are_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    assert (await client.put(URL, json=rules(), headers=member.auth)).status_code == 403
    for bad, says in (
        (rules(capacity=0), "capacity"),
        (rules(max_party=50), "largest party"),
        (rules(closures=["next friday"]), "not a date"),
        (rules(hours={"funday": EVENINGS}), "weekday"),
        (rules(hours={"friday": {"first": "17:15", "last": "21:00"}}), "half past"),
        (rules(hours={"friday": {"first": "21:00", "last": "17:00"}}), "before the first"),
    ):
        response = await client.put(URL, json=bad, headers=staff.auth)
        assert response.status_code == 422 and says in response.json()["detail"], (bad, response.text)
    assert (await client.get(URL, headers=staff.auth)).json() == rules()  # nothing was saved
