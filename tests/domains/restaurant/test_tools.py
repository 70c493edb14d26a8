"""Hanok Table tools through run_tool: availability, booking within hours and the 40-cover
capacity (also under concurrent bookings), changes, cancellations, and tenant isolation."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from core.runtime import Runtime
from domains.restaurant import service
from domains.restaurant.tools import TOOLS
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, fails, ok, undocumented_arguments

FRIDAY = "2026-11-27"  # the clock says Monday 2026-11-23, 09:00 local


def test_every_argument_is_described() -> None:
    assert [t.name for t in TOOLS] == [
        "check_availability",
        "create_reservation",
        "list_reservations",
        "change_reservation",
        "cancel_reservation",
    ]
    assert undocumented_arguments(TOOLS) == []


async def test_book_change_cancel(caller: MakeCaller) -> None:
    alice = await caller("alice")
    free = ok(await call(alice, "check_availability", date=FRIDAY, time="19:00", party_size=4))
    assert free["available"] is True and free["reason"] is None and free["alternatives"] == []

    made = ok(
        await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=4, special_requests="birthday")
    )
    assert re.fullmatch(r"HT-[A-HJ-NP-Z2-9]{4}", made["confirmation_code"])
    assert made["when"] == "2026-11-27T19:00" and made["name"] == "Alice" and made["status"] == "confirmed"
    other = ok(await call(alice, "create_reservation", date="2026-11-23", time="21:00", party_size=2, name="Park"))
    assert other["name"] == "Park" and other["when"] == "2026-11-23T21:00"

    listed = ok(await call(alice, "list_reservations"))["reservations"]
    assert [r["confirmation_code"] for r in listed] == [other["confirmation_code"], made["confirmation_code"]]

    spoken_code = made["confirmation_code"].lower().replace("-", " ")
    moved = ok(await call(alice, "change_reservation", reservation=spoken_code, time="20:30", party_size=6))
    assert moved["when"] == "2026-11-27T20:30" and moved["party_size"] == 6
    assert moved["confirmation_code"] == made["confirmation_code"]
    moved = ok(await call(alice, "change_reservation", reservation="birthday", date="2026-11-28"))
    assert moved["when"] == "2026-11-28T20:30"

    gone = ok(await call(alice, "cancel_reservation", reservation="2026-11-23T21:00"))
    assert gone["cancelled"] is True and gone["status"] == "cancelled"
    ok(await call(alice, "cancel_reservation", reservation="my reservation"))  # the only one left
    assert ok(await call(alice, "list_reservations"))["reservations"] == []
    fails(await call(alice, "cancel_reservation", reservation=made["confirmation_code"]), "no upcoming")


async def test_a_full_seating_offers_the_nearest_ones(runtime: Runtime, caller: MakeCaller) -> None:
    alice, bob = await caller("alice"), await caller("bob")
    for size in (12, 12, 12, 4):
        ok(await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=size))
    early = ok(await call(bob, "create_reservation", date=FRIDAY, time="18:00", party_size=2))

    full = ok(await call(bob, "check_availability", date=FRIDAY, time="19:00", party_size=2))
    assert full["available"] is False and "room for only 0" in full["reason"]
    assert full["alternatives"] == ["2026-11-27T18:00", "2026-11-27T18:30", "2026-11-27T19:30"]

    refused = fails(await call(bob, "create_reservation", date=FRIDAY, time="19:00", party_size=2), "room for only 0")
    assert "18:30" in refused and "19:30" in refused
    fails(await call(bob, "change_reservation", reservation=early["confirmation_code"], time="19:00"), "room")
    async with runtime.sessions() as session:
        booked = await service.list_all_reservations(session)
        assert len(booked) == 5 and {r.user_id for r in booked} == {alice.user_id, bob.user_id}
        assert await service.seats_left(session, booked[-1].starts_at) == 0
        bobs = [r.starts_at for r in booked if r.user_id == bob.user_id]
        assert bobs == [datetime(2026, 11, 28, 0, 0, tzinfo=UTC)]  # still 18:00 in Chicago

    off_grid = ok(await call(bob, "check_availability", date=FRIDAY, time="19:15", party_size=2))
    assert off_grid["available"] is False and "half hour" in off_grid["reason"]
    assert off_grid["alternatives"] == ["2026-11-27T18:30", "2026-11-27T19:30", "2026-11-27T20:00"]
    late = ok(await call(bob, "check_availability", date=FRIDAY, time="22:00", party_size=2))
    assert late["available"] is False and "21:00" in late["reason"]
    assert late["alternatives"] == ["2026-11-27T20:00", "2026-11-27T20:30", "2026-11-27T21:00"]


async def test_bad_reservation_input(caller: MakeCaller) -> None:
    carol = await caller("carol")
    for size, words in ((0, ("at least one",)), (-3, ("at least one",)), (13, ("large groups",)), (500, ("call us",))):
        fails(await call(carol, "check_availability", date=FRIDAY, time="19:00", party_size=size), *words)
        fails(await call(carol, "create_reservation", date=FRIDAY, time="19:00", party_size=size), *words)
    for date, time, words in (
        ("2026-11-22", "19:00", ("passed",)),
        (FRIDAY, "16:00", ("17:00",)),
        (FRIDAY, "21:30", ("last seating",)),
        (FRIDAY, "19:10", ("half hour",)),
        ("2026-13-01", "19:00", ("date",)),
        (FRIDAY, "seven", ("time",)),
        ("2027-11-27", "19:00", ("180 days",)),
    ):
        fails(await call(carol, "create_reservation", date=date, time=time, party_size=2), *words)
    fails(await call(carol, "create_reservation", date=FRIDAY, time="19:00", party_size="four"), "party_size")
    fails(await call(carol, "create_reservation", date=FRIDAY, time="19:00"), "party_size")
    fails(await call(carol, "check_availability", date="2026-11-22", time="19:00", party_size=2), "passed")
    made = ok(await call(carol, "create_reservation", date=FRIDAY, time="19:00", party_size=2))
    fails(await call(carol, "change_reservation", reservation=made["confirmation_code"]), "new date")
    fails(await call(carol, "change_reservation", reservation=made["confirmation_code"], party_size=0), "at least one")
    fails(await call(carol, "change_reservation", reservation="HT-ZZZZ", party_size=3), "couldn't find")
    assert [r["party_size"] for r in ok(await call(carol, "list_reservations"))["reservations"]] == [2]


async def test_another_caller_cannot_see_change_or_cancel(caller: MakeCaller) -> None:
    alice, mallory = await caller("alice"), await caller("mallory")
    made = ok(await call(alice, "create_reservation", date=FRIDAY, time="18:30", party_size=3, name="Alice"))

    assert ok(await call(mallory, "list_reservations"))["reservations"] == []
    for ref in (made["confirmation_code"], made["reservation_id"]):
        fails(await call(mallory, "cancel_reservation", reservation=ref), "no upcoming")
        fails(await call(mallory, "change_reservation", reservation=ref, party_size=12), "no upcoming")
    ok(await call(mallory, "create_reservation", date=FRIDAY, time="20:00", party_size=2))
    for ref in (made["confirmation_code"], made["reservation_id"], "alice"):
        fails(await call(mallory, "cancel_reservation", reservation=ref), "couldn't find")
        fails(await call(mallory, "change_reservation", reservation=ref, party_size=12), "couldn't find")
    mine = ok(await call(alice, "list_reservations"))["reservations"]
    assert [(r["reservation_id"], r["party_size"], r["status"]) for r in mine] == [
        (made["reservation_id"], 3, "confirmed")
    ]


async def test_concurrent_bookings_never_overfill_a_seating(runtime: Runtime, caller: MakeCaller) -> None:
    dave = await caller("dave")
    results = await asyncio.gather(
        *(call(dave, "create_reservation", date=FRIDAY, time="19:30", party_size=12) for _ in range(5))
    )
    assert 1 <= sum(r.ok for r in results) <= 3
    async with runtime.sessions() as session:
        booked = await service.list_all_reservations(session)
        assert sum(r.party_size for r in booked) <= service.CAPACITY
        assert len(booked) == sum(r.ok for r in results)
