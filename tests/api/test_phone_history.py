"""A caller of a public line who later registers with the same number, and proves it with a texted
code, sees their bookings, appointments and enquiries in the account; later calls from the number
are theirs too. An unproved number brings nothing."""

from __future__ import annotations

import re

import httpx

from api.app import create_app
from core.config import Settings
from core.runtime import Runtime
from core.tools import ToolContext
from tests.api.test_reminders import twilio_runtime
from tests.domains.conftest import FIXED_NOW, ZONE
from tests.domains.test_public_lines import FRIDAY, TUESDAY, contact
from tests.domains.tool_calls import call, ok
from tests.helpers import register

KIM = "+15551110001"


def as_user(runtime: Runtime, user_id: str) -> ToolContext:
    import uuid

    ctx = ToolContext.for_user(runtime, uuid.UUID(user_id), clock=lambda: FIXED_NOW)
    ctx.settings = runtime.settings.model_copy(update={"timezone": ZONE})
    return ctx


async def test_a_proved_number_brings_the_callers_history(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (texting, twilio):
        caller = await contact(texting, KIM)
        ok(await call(caller, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim Lee"))
        ok(await call(caller, "register_patient", first_name="Kim", last_name="Lee"))
        ok(await call(caller, "book_appointment", date=TUESDAY, time="10:00", reason="checkup"))
        ok(await call(caller, "start_mortgage_application"))

        app = create_app(runtime=texting)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            kim = await register(client, phone_number="+1 (555) 111-0001")
            other = await register(client, phone_number="+15552220002")
            mine = as_user(texting, kim.id)
            assert ok(await call(mine, "list_reservations"))["reservations"] == []  # registering proves nothing

            assert (await client.post("/api/auth/phone/code", headers=kim.auth)).status_code == 204
            [text] = twilio.messages
            assert text.to == KIM
            code = re.search(r"\b(\d{6})\b", text.body).group(1)  # type: ignore[union-attr]
            wrong = "000000" if code != "000000" else "111111"
            refused = await client.post("/api/auth/phone/verify", json={"code": wrong}, headers=kim.auth)
            assert refused.status_code == 400
            stolen = await client.post("/api/auth/phone/verify", json={"code": code}, headers=other.auth)
            assert stolen.status_code == 400  # a code is for the account it was sent to
            proved = await client.post("/api/auth/phone/verify", json={"code": code}, headers=kim.auth)
            assert proved.status_code == 200, proved.text
            assert proved.json() == {"phone_number": KIM, "kept_apart": []}
            again = await client.post("/api/auth/phone/verify", json={"code": code}, headers=kim.auth)
            assert again.status_code == 400  # used up

        [booking] = ok(await call(mine, "list_reservations"))["reservations"]
        assert booking["name"] == "Kim Lee"
        assert [a["reason"] for a in ok(await call(mine, "list_appointments"))["appointments"]] == ["checkup"]
        assert ok(await call(mine, "get_mortgage_application_status"))["status"] == "draft"
        later = await contact(texting, KIM)  # the next call from the number is the account holder's
        assert str(later.user_id) == kim.id
        assert len(ok(await call(later, "list_reservations"))["reservations"]) == 1
        assert ok(await call(as_user(texting, other.id), "list_reservations"))["reservations"] == []


async def test_no_texts_no_proof(client: httpx.AsyncClient) -> None:
    kim = await register(client, phone_number=KIM)
    assert (await client.post("/api/auth/phone/code", headers=kim.auth)).status_code == 409
    nophone = await register(client)
    assert (await client.post("/api/auth/phone/code", headers=nophone.auth)).status_code == 409
    assert (await client.post("/api/auth/phone/verify", json={"code": "12345x"}, headers=kim.auth)).status_code == 422
