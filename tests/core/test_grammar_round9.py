"""Rules found in the misses of the sixth blind writer's set (dev8), each tested on sentences written for this
file (none is a line of an accuracy set)."""

from __future__ import annotations

import pytest

from core.grammar.fuzzy import variants
from core.grammar.registry import REFERENCE_NOW, interpret

NOW = REFERENCE_NOW  # Monday 2026-11-23 10:00


@pytest.mark.parametrize(("said", "tool", "args"), [
    # half hours from now
    ("in an hour and a half remind me to take the roast out", "create_reminder",
     {"remind_at": "2026-11-23T11:30:00", "message": "take the roast out"}),
    ("remind me in three and a half hours to call the garage", "create_reminder",
     {"remind_at": "2026-11-23T13:30:00", "message": "call the garage"}),
    # "my week", "my day", the rest of the week
    ("what does my week look like", "get_calendar_events", {"start_date": "2026-11-23", "end_date": "2026-11-29"}),
    ("what does my day look like", "get_calendar_events", {"start_date": "2026-11-23", "end_date": "2026-11-23"}),
    ("what does my day look like on thursday", "get_calendar_events",  # a day said after it wins
     {"start_date": "2026-11-26", "end_date": "2026-11-26"}),
    ("anything on my calendar for the rest of the week", "get_calendar_events",
     {"start_date": "2026-11-23", "end_date": "2026-11-29"}),
    # the day the argument's own word leads in, over a day said in passing
    ("my in-laws arrive on sunday so add vacuum the stairs due saturday", "create_todo",
     {"title": "vacuum the stairs", "due_date": "2026-11-28"}),
    # "from X to Y": Y is the new clock time, whatever else it could be
    ("please push reservation h t nine j three w from seven thirty to eight", "change_reservation",
     {"reservation": "HT-9J3W", "time": "20:00"}),
    ("can we move our table from six to seven", "change_reservation", {"time": "19:00"}),
    ("please change our booking from three people to five", "change_reservation", {"party_size": 5}),  # not a time
])
def test_the_sixth_round(said: str, tool: str, args: dict[str, object]) -> None:
    reading = interpret(said, NOW)
    assert reading is not None, said
    assert (reading.tool, reading.args) == (tool, args)


def test_the_relaxed_pass_keeps_a_day_of_the_month_whole() -> None:
    """Leaving out words may not turn "the ninth of december" into "the of december" or "the ninth december"."""
    relaxed = [v for v, _cost in variants("schedule me for the ninth of december at ten")]
    assert "schedule me for the ninth of december" not in relaxed  # the ten is a value too
    assert all("ninth of december" in v for v in relaxed)
    assert "schedule for the ninth of december at ten" in relaxed  # other words may go
