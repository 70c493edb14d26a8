"""Callers of a public line (contacts): each sees and changes only their own bookings and enquiries,
changes and cancellations need the booking's confirmation code, wrong codes run out, and the line's
domains bound what the agent may do. A PIN caller is unaffected."""

from __future__ import annotations

from core import contacts
from core.runtime import Runtime
from core.tools import ToolContext
from domains.transfer import profile
from tests.domains.conftest import FIXED_NOW, ZONE, MakeCaller
from tests.domains.tool_calls import call, fails, ok

FRIDAY = "2026-11-27"  # the clock says Monday 2026-11-23, 09:00 local
TUESDAY = "2026-11-24"


async def contact(runtime: Runtime, phone: str | None, domains: tuple[str, ...] | None = None) -> ToolContext:
    """A caller of a public line, as the call opens them (`bots.session.CallSession.admit_contact`)."""
    found = await contacts.open_for_call(runtime.sessions, phone, FIXED_NOW)
    ctx = ToolContext.for_user(runtime, found.user_id, clock=lambda: FIXED_NOW, contact_id=found.id, domains=domains,
                               caller_name=found.name)
    ctx.settings = runtime.settings.model_copy(update={"timezone": ZONE})
    return ctx


async def test_a_contact_books_without_an_account_and_needs_the_code_to_change(runtime: Runtime) -> None:
    kim = await contact(runtime, "+15551110001")
    fails(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2), "what name")
    made = ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim"))
    code = made["confirmation_code"]
    assert made["name"] == "Kim"

    again = await contact(runtime, "+15551110001")  # the next call from the same number
    assert again.contact_id == kim.contact_id and again.caller_name == "Kim"  # the name was remembered
    second = ok(await call(again, "create_reservation", date=TUESDAY, time="18:00", party_size=3))
    assert second["name"] == "Kim"
    listed = ok(await call(again, "list_reservations"))["reservations"]
    assert [r["when"] for r in listed] == ["2026-11-24T18:00", "2026-11-27T19:00"]
    assert all("confirmation_code" not in r for r in listed)  # caller ID alone never learns a code

    fails(await call(again, "cancel_reservation", reservation="my reservation on friday"), "confirmation code")
    fails(await call(again, "change_reservation", reservation="2026-11-27T19:00", time="20:00"), "confirmation code")
    moved = ok(await call(again, "change_reservation", reservation=code.lower().replace("-", " "), time="20:00"))
    assert moved["when"] == "2026-11-27T20:00"
    gone = ok(await call(again, "cancel_reservation", reservation=code))
    assert gone["cancelled"] is True
    assert [r["when"] for r in ok(await call(again, "list_reservations"))["reservations"]] == ["2026-11-24T18:00"]


async def test_another_caller_sees_and_cancels_nothing(runtime: Runtime, caller: MakeCaller) -> None:
    kim = await contact(runtime, "+15551110001")
    made = ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim"))
    alice = await caller("alice")  # an account holder on a PIN line
    own = ok(await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=4))

    stranger = await contact(runtime, "+15552220002")
    assert ok(await call(stranger, "list_reservations"))["reservations"] == []
    fails(await call(stranger, "cancel_reservation", reservation="my reservation"), "no upcoming")
    fails(await call(stranger, "cancel_reservation", reservation=made["confirmation_code"]), "no upcoming")
    withheld = await contact(runtime, "anonymous")
    fails(await call(withheld, "cancel_reservation", reservation=own["confirmation_code"]), "no upcoming")

    assert len(ok(await call(kim, "list_reservations"))["reservations"]) == 1
    assert ok(await call(alice, "list_reservations"))["reservations"][0]["status"] == "confirmed"


async def test_guessing_codes_runs_out(runtime: Runtime) -> None:
    kim = await contact(runtime, "+15551110001")
    made = ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim"))
    wrong = "HT-2222" if made["confirmation_code"] != "HT-2222" else "HT-3333"
    for _ in range(contacts.CODE_TRIES - 1):
        fails(await call(kim, "cancel_reservation", reservation=wrong), "doesn't match")
    fails(await call(kim, "cancel_reservation", reservation=wrong), "last try")
    fails(await call(kim, "cancel_reservation", reservation=made["confirmation_code"]), "too many wrong")
    assert len(ok(await call(kim, "list_reservations"))["reservations"]) == 1  # nothing was cancelled


async def test_a_pin_caller_still_changes_bookings_by_day_or_name(caller: MakeCaller) -> None:
    alice = await caller("alice")
    ok(await call(alice, "create_reservation", date=FRIDAY, time="19:00", party_size=4))
    listed = ok(await call(alice, "list_reservations"))["reservations"]
    assert listed[0]["confirmation_code"].startswith("HT-")
    ok(await call(alice, "cancel_reservation", reservation="my reservation"))


async def test_clinic_intake_and_appointments_belong_to_the_contact(runtime: Runtime) -> None:
    first = await contact(runtime, "+15551110001", domains=("healthcare",))
    ok(await call(first, "register_patient", first_name="Dana", last_name="Lee"))
    noted = ok(await call(first, "record_symptoms", symptoms="a sore throat", duration="three days"))
    assert noted["recorded"] and noted["patient_registered"]
    booked = ok(await call(first, "book_appointment", date=TUESDAY, time="09:30", reason="sore throat"))
    assert booked["confirmation_code"].startswith("CL-")

    second = await contact(runtime, "+15552220002", domains=("healthcare",))
    created = ok(await call(second, "register_patient", first_name="Sam", last_name="Ortiz"))
    assert created["created"] is True  # not "already registered as Dana Lee"
    assert ok(await call(second, "list_appointments"))["appointments"] == []
    fails(await call(second, "cancel_appointment", appointment=booked["confirmation_code"]), "no upcoming")

    again = await contact(runtime, "+15551110001", domains=("healthcare",))
    listed = ok(await call(again, "list_appointments"))["appointments"]
    assert len(listed) == 1 and "confirmation_code" not in listed[0]
    fails(await call(again, "cancel_appointment", appointment="sore throat"), "cancel an appointment on this line")
    ok(await call(again, "cancel_appointment", appointment=booked["confirmation_code"]))


async def test_mortgage_enquiries_belong_to_the_contact(runtime: Runtime) -> None:
    first = await contact(runtime, "+15551110001", domains=("mortgage",))
    started = ok(await call(first, "start_mortgage_application", loan_purpose="purchase"))
    assert started["created"] is True
    ok(await call(first, "update_mortgage_application", annual_income=90000))
    second = await contact(runtime, "+15552220002", domains=("mortgage",))
    theirs = ok(await call(second, "start_mortgage_application", loan_purpose="refinance"))
    assert theirs["created"] is True and theirs["annual_income"] is None


async def test_a_line_serves_only_its_domains(runtime: Runtime) -> None:
    kim = await contact(runtime, "+15551110001", domains=("restaurant",))
    fails(await call(kim, "create_todo", title="buy milk"), "on this line")
    fails(await call(kim, "start_mortgage_application"), "on this line")
    ok(await call(kim, "check_availability", date=FRIDAY, time="19:00", party_size=2))


async def test_the_call_center_popup_names_the_contact(runtime: Runtime, caller: MakeCaller) -> None:
    kim = await contact(runtime, "+15551110001")
    ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim Park"))
    who = await profile.caller_identity(runtime.sessions, str(kim.user_id), "+15551110001")
    assert who["name"] == "Kim Park" and who["phone"] == "+15551110001" and who["email"] is None
    assert who["contact_id"] == str(kim.contact_id)
    seen = await profile.caller_profile(runtime.sessions, str(kim.user_id))
    assert seen["contact"] is True and seen["first_call_at"].startswith("2026-11-23")
    alice = await caller("alice")
    assert (await profile.caller_identity(runtime.sessions, str(alice.user_id)))["name"] == "Alice"
    assert "contact" not in await profile.caller_profile(runtime.sessions, str(alice.user_id))
