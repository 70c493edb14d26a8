"""On a public line, a caller without the confirmation code proves a booking by its name plus a code
texted to the calling number (Twilio Messaging through the real twilio library, against the fake
REST server on loopback). Wrong codes are counted; a stranger's number gets no text; with no Twilio
account, or a withheld number, the caller is told the confirmation code is needed."""

from __future__ import annotations

import re
from datetime import datetime

from core.config import Settings
from core.grammar.parser import parse_slot
from core.runtime import Runtime
from tests.api.test_reminders import twilio_runtime
from tests.domains.test_public_lines import FRIDAY, TUESDAY, contact
from tests.domains.tool_calls import call, fails, ok

KIM = "+15551110001"


async def test_a_texted_code_proves_the_booking(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (texting, twilio):
        kim = await contact(texting, KIM)
        ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim Lee"))
        ok(await call(kim, "register_patient", first_name="Kim", last_name="Lee"))
        ok(await call(kim, "book_appointment", date=TUESDAY, time="10:00", reason="checkup"))

        asked = fails(await call(kim, "cancel_reservation", reservation="my reservation"), "confirmation code")
        assert "text" in asked
        fails(await call(kim, "cancel_reservation", reservation="my reservation", name_on_booking="Bo"),
              "under that name")
        assert twilio.messages == []
        fails(await call(kim, "cancel_reservation", reservation="my reservation", name_on_booking="kim"),
              "texted a six-digit code")
        [text] = twilio.messages
        assert text.to == KIM and "Hanok Table" in text.body
        code = re.search(r"\b(\d{6})\b", text.body).group(1)  # type: ignore[union-attr]

        stranger = await contact(texting, "+15552220002")  # a forged caller ID elsewhere gets nothing
        fails(await call(stranger, "cancel_reservation", reservation="my reservation", texted_code=code),
              "no upcoming")
        wrong = "000000" if code != "000000" else "111111"
        fails(await call(kim, "cancel_reservation", reservation="my reservation", texted_code=wrong), "doesn't match")
        gone = ok(await call(kim, "cancel_reservation", reservation=f"my reservation, the code is {code}"))
        assert gone["cancelled"] is True

        fails(await call(kim, "cancel_appointment", appointment="my appointment", name_on_booking="Kim Lee"),
              "texted")
        code = re.search(r"\b(\d{6})\b", twilio.messages[-1].body).group(1)  # type: ignore[union-attr]
        assert ok(await call(kim, "cancel_appointment", appointment="checkup", texted_code=code))["cancelled"]

        # "move the reservation under kim lee to three people": the name it is under, as if asked for
        ok(await call(kim, "create_reservation", date=FRIDAY, time="20:00", party_size=2, name="Kim Lee"))
        sent = len(twilio.messages)
        fails(await call(kim, "change_reservation", reservation="the reservation under bo", party_size=3),
              "confirmation code")
        assert len(twilio.messages) == sent
        fails(await call(kim, "change_reservation", reservation="the reservation under the name kim lee", party_size=3),
              "texted a six-digit code")
        assert len(twilio.messages) == sent + 1


async def test_no_text_without_twilio_or_a_number(runtime: Runtime) -> None:
    kim = await contact(runtime, KIM)  # no Twilio account configured
    ok(await call(kim, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim"))
    asked = fails(await call(kim, "cancel_reservation", reservation="my reservation"), "confirmation code")
    assert "text" not in asked
    fails(await call(kim, "cancel_reservation", reservation="my reservation", name_on_booking="Kim"),
          "can't send text")
    fails(await call(kim, "cancel_reservation", reservation="my reservation", texted_code="123456"),
          "no texted code")


async def test_a_withheld_number_gets_no_text(settings: Settings, runtime: Runtime) -> None:
    async with twilio_runtime(settings) as (texting, twilio):
        hidden = await contact(texting, "anonymous")
        ok(await call(hidden, "create_reservation", date=FRIDAY, time="19:00", party_size=2, name="Kim"))
        fails(await call(hidden, "cancel_reservation", reservation="mine", name_on_booking="Kim"), "withheld")
        assert twilio.messages == []


def test_a_code_said_aloud_is_heard_as_either_business_code() -> None:
    now = datetime(2026, 11, 23, 9, 0)
    assert parse_slot("booking_code", "h t four k two p", now) == "HT-4K2P"
    assert parse_slot("booking_code", "c l 4 k 2 p", now) == "CL-4K2P"
    assert parse_slot("booking_code", "kim", now) is None
    assert parse_slot("booking_code", "x y 4 k 2 p", now) is None
