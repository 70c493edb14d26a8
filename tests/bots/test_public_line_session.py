"""A call on a public line: the caller is admitted as the contact their caller ID names, with no PIN,
and the agent works only in the line's domains."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select

from bots.agent.agent import Agent
from bots.agent.router import route
from bots.session import CallInfo, CallSession, find_line
from core import lines
from core.db import transaction
from core.models import Contact
from core.runtime import Runtime
from domains.productivity.models import Todo
from domains.restaurant.models import Reservation

NOW = datetime(2026, 11, 23, 9, 0)
KNOWN = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


def test_routing_stays_within_the_lines_domains() -> None:
    assert route("create a todo to buy milk", None, NOW) == "productivity"
    assert route("create a todo to buy milk", None, NOW, ("restaurant",)) == "restaurant"
    assert route("hello", None, NOW, ("healthcare", "restaurant")) == "healthcare"
    assert route("book a table for two on friday at seven", None, NOW, ("restaurant",)) == "restaurant"
    assert route("I want to speak to a person", None, NOW, ("restaurant",)) == "transfer"


async def test_a_public_caller_books_as_a_contact(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Hanok Table",
                             domains=["restaurant"], access="public")
    line = await find_line(runtime, "+15550100000")
    assert line is not None and await find_line(runtime, "+15550100009") is None
    async with Agent.open(runtime) as agent:
        call = CallSession(runtime, agent, CallInfo("CA-public", "phone", "+15551110001", "+15550100000"), line)
        assert call.is_public
        await call.admit_contact()
        todo = await call.turn("create a todo to buy milk")
        assert not any(c["ok"] and c["name"] == "create_todo" for c in todo.tool_calls)
        booked = await call.turn("book a table for two on friday at seven under the name Kim")
    async with runtime.sessions() as session:
        contact = (await session.exec(select(Contact))).one()
        reservations = (await session.exec(select(Reservation))).all()
        assert (await session.exec(select(Todo))).all() == []
    assert contact.phone == "+15551110001" and call.caller is not None and call.caller.user_id == contact.user_id
    assert [(r.user_id, r.party_size, r.name) for r in reservations] == [(contact.user_id, 2, "Kim")], booked.reply
