"""Lines: a number's line is created, changed and removed; bad numbers, domains and access are refused."""

from __future__ import annotations

import pytest

from core import lines
from core.db import transaction
from core.errors import Invalid, NotFound
from core.runtime import Runtime

KNOWN = ("productivity", "transfer", "mortgage", "healthcare", "restaurant")


async def test_set_creates_then_changes_only_what_is_given(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        line, created = await lines.set_line(session, "+1 (555) 010-0000", known_domains=KNOWN, name="Hanok Table",
                                             domains=["Restaurant"], access="public")
    assert created and line.number == "+15550100000" and line.domains == ["restaurant"] and line.access == "public"
    async with transaction(runtime.sessions) as session:
        line, created = await lines.set_line(session, "+15550100000", known_domains=KNOWN,
                                             greeting="  Hanok Table,   how can we help? ")
    assert not created and line.name == "Hanok Table" and line.access == "public"
    assert line.greeting == "Hanok Table, how can we help?" and lines.greeting_of(line) == line.greeting
    async with runtime.sessions() as session:
        found = await lines.for_call(session, "+15550100000")
        assert found is not None and found.id == line.id and found.domains == ["restaurant"]
        assert await lines.for_call(session, "+15550100001") is None  # no line: the default
        assert await lines.for_call(session, None) is None
        assert [x.number for x in await lines.list_lines(session)] == ["+15550100000"]
    async with transaction(runtime.sessions) as session:
        await lines.delete_line(session, "+15550100000")
    async with runtime.sessions() as session:
        assert await lines.list_lines(session) == []


@pytest.mark.parametrize(
    ("number", "changes", "says"),
    [
        ("5550100", {"name": "x"}, "international form"),
        ("+1555", {"name": "x"}, "international form"),
        ("+15550100000", {}, "needs a name"),
        ("+15550100000", {"name": "x", "domains": ["pizza"]}, "No such domain: pizza"),
        ("+15550100000", {"name": "x", "access": "open"}, "'pin' or 'public'"),
    ],
)
async def test_bad_lines_are_refused(runtime: Runtime, number: str, changes: dict[str, object], says: str) -> None:
    with pytest.raises(Invalid, match=says):
        async with transaction(runtime.sessions) as session:
            await lines.set_line(session, number, known_domains=KNOWN, **changes)  # type: ignore[arg-type]
    async with runtime.sessions() as session:
        assert await lines.list_lines(session) == []


async def test_a_new_pin_line_greets_with_its_name(runtime: Runtime) -> None:
    async with transaction(runtime.sessions) as session:
        line, _ = await lines.set_line(session, "+15550100000", known_domains=KNOWN, name="Clinic")
    assert line.access == "pin" and line.domains == []
    assert lines.greeting_of(line) == "Thank you for calling Clinic. How can I help?"
    with pytest.raises(NotFound):
        async with transaction(runtime.sessions) as session:
            await lines.delete_line(session, "+15559999999")
