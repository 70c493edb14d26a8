"""Stream tickets: single use, bound to their call, gone after their minute."""

from __future__ import annotations

import asyncio

from core.runtime import Runtime
from transports.twilio_ticket import StreamTicket, issue_ticket, redeem_ticket

CALL = StreamTicket("CA" + "1" * 32, "+15551234567", "+15550100000")


async def test_a_ticket_is_redeemed_once_for_its_call(runtime: Runtime) -> None:
    ticket = await issue_ticket(runtime.store, CALL)
    assert await redeem_ticket(runtime.store, ticket, CALL.call_sid) == CALL
    assert await redeem_ticket(runtime.store, ticket, CALL.call_sid) is None


async def test_a_ticket_shown_for_another_call_is_spent(runtime: Runtime) -> None:
    ticket = await issue_ticket(runtime.store, CALL)
    assert await redeem_ticket(runtime.store, ticket, "CA" + "2" * 32) is None
    assert await redeem_ticket(runtime.store, ticket, CALL.call_sid) is None


async def test_made_up_tickets_open_nothing(runtime: Runtime) -> None:
    await issue_ticket(runtime.store, CALL)
    for made_up in (None, "", "x" * 500, "guess"):
        assert await redeem_ticket(runtime.store, made_up, CALL.call_sid) is None


async def test_tickets_expire(runtime: Runtime) -> None:
    ticket = await issue_ticket(runtime.store, CALL)
    (key,) = await runtime.store.keys("twilio:stream-ticket:")
    assert await runtime.store.expire(key, 0.05)
    await asyncio.sleep(0.2)
    assert await redeem_ticket(runtime.store, ticket, CALL.call_sid) is None
