"""Contacts: one per caller ID across calls, a fresh one for a withheld number, an owner account
that cannot sign in, and the confirmation-code tries counted in the store."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from core import accounts, contacts
from core.errors import Invalid
from core.models import Contact, User
from core.runtime import Runtime
from core.tools import ToolContext

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        ("+15551234567", "+15551234567"),
        (" +1 555 123 4567 ", "+15551234567"),
        ("anonymous", None),
        ("Restricted", None),
        ("+266696687", None),  # Twilio's "anonymous"
        ("", None),
        (None, None),
        ("+1234", None),
        ("client:alice", None),
    ],
)
def test_caller_number(raw: str | None, number: str | None) -> None:
    assert contacts.caller_number(raw) == number


async def test_a_caller_is_one_contact_across_calls(runtime: Runtime) -> None:
    first = await contacts.open_for_call(runtime.sessions, "+15551234567", NOW)
    again = await contacts.open_for_call(runtime.sessions, "+1 555 123 4567", NOW + timedelta(days=1))
    assert again.id == first.id and again.user_id == first.user_id
    async with runtime.sessions() as session:
        row = await session.get(Contact, first.id)
        assert row is not None and row.first_call_at == NOW and row.last_call_at == NOW + timedelta(days=1)
        owner = await session.get(User, first.user_id)
        assert owner is not None and not owner.is_active and owner.voice_pin_hash is None
        assert owner.phone_number is None  # the number stays free for the person to register with
    async with runtime.sessions() as session, session.begin():
        assert await accounts.authenticate(session, owner.email, contacts.UNUSABLE_PASSWORD, rounds=4) is None


async def test_withheld_numbers_are_never_the_same_contact(runtime: Runtime) -> None:
    one = await contacts.open_for_call(runtime.sessions, "anonymous", NOW)
    two = await contacts.open_for_call(runtime.sessions, "anonymous", NOW)
    three = await contacts.open_for_call(runtime.sessions, None, NOW)
    assert len({one.id, two.id, three.id}) == 3
    assert one.phone is None and two.phone is None


async def test_two_first_calls_at_once_make_one_contact(runtime: Runtime) -> None:
    made = await asyncio.gather(*(contacts.open_for_call(runtime.sessions, "+15557654321", NOW) for _ in range(4)))
    assert len({c.id for c in made}) == 1
    async with runtime.sessions() as session:
        count = (await session.exec(select(func.count()).select_from(Contact))).one()
    assert count == 1


def test_codes_are_read_from_what_callers_say() -> None:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    assert contacts.code_in("HT-4K2P", "HT", alphabet) == "HT-4K2P"
    assert contacts.code_in("ht 4k2p", "HT", alphabet) == "HT-4K2P"
    assert contacts.code_in("4K2P", "HT", alphabet) == "HT-4K2P"
    assert contacts.code_in("h t 4 k 2 p", "HT", alphabet) == "HT-4K2P"
    assert contacts.code_in("the one with code HT-4K2P please", "HT", alphabet) == "HT-4K2P"
    assert contacts.code_in("my reservation", "HT", alphabet) is None
    assert contacts.code_in("friday", "HT", alphabet) is None
    assert contacts.code_in("HT-4K2O", "HT", alphabet) is None  # no O in codes


async def test_wrong_codes_run_out(runtime: Runtime) -> None:
    ctx = ToolContext.for_user(runtime, uuid.uuid4(), contact_id=uuid.uuid4())
    other = ToolContext.for_user(runtime, uuid.uuid4(), contact_id=uuid.uuid4())
    for _ in range(contacts.CODE_TRIES - 1):
        await contacts.check_code_tries(ctx)
        assert "doesn't match" in (await contacts.wrong_code(ctx, "reservation")).message
    await contacts.check_code_tries(ctx)
    assert "last try" in (await contacts.wrong_code(ctx, "reservation")).message
    with pytest.raises(Invalid, match="Too many wrong confirmation codes"):
        await contacts.check_code_tries(ctx)
    await contacts.check_code_tries(other)  # counted per caller
