"""A moment said in two places: "remind me on friday to call bob at three", "a dance recital on saturday so can
you put that on my calendar at two". The day is read as the moment's value; the clock time said apart joins it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from core.grammar.dates import DATE_RE
from core.grammar.times import TIME_RE

_A_CLOCK = re.compile(TIME_RE)
_A_DAY = re.compile(DATE_RE)
_DAY_LEADS = frozenset({"on", "this", "next", "tomorrow", "today", "tonight"})
"""How a day said apart from its clock time starts ("on saturday", "tomorrow"): not "the friday meeting"."""
AT_A_CLOCK = re.compile(rf"\bat (?:{TIME_RE})$")
"""Free text that ends in a clock time ("call bob [at three]") has swallowed the time of its request."""
_MOMENT_KINDS = frozenset({"datetime", "event_time"})
_LONGEST_CLOCK = 4  # "half past six pm", "five forty five in"


def clock_said_apart(kind: str, day_words: Sequence[str], tokens: Sequence[str], taken: list[bool],
                     parse: Callable[[str, datetime], Any], now: datetime) -> Any | None:
    """The moment of `day_words` (a day with no clock time in it) at the clock time said elsewhere after "at",
    with those words marked `taken`; None when there is none (the day alone stands)."""
    said = " ".join(day_words)
    if kind not in _MOMENT_KINDS:
        return None
    if _A_CLOCK.search(said):
        return None if _A_DAY.search(said) else _day_said_apart(said, tokens, taken, parse, now)
    for i, word in enumerate(tokens):
        if word != "at" or taken[i]:
            continue
        for j in range(min(len(tokens), i + 1 + _LONGEST_CLOCK), i + 1, -1):
            clock = " ".join(tokens[i + 1:j])
            if any(taken[i + 1:j]) or not _A_CLOCK.fullmatch(clock):
                continue
            value = parse(f"{said} at {clock}", now)
            if value is not None:
                taken[i:j] = [True] * (j - i)
                return value
    return None


def _day_said_apart(clock: str, tokens: Sequence[str], taken: list[bool], parse: Callable[[str, datetime], Any],
                    now: datetime) -> Any | None:
    """`clock` on the day said elsewhere ("a recital [on saturday] so put that on my calendar at two")."""
    for i, word in enumerate(tokens):
        if taken[i] or word not in _DAY_LEADS:
            continue
        for j in range(min(len(tokens), i + 1 + _LONGEST_CLOCK), i, -1):
            day = " ".join(tokens[i:j])
            if any(taken[i:j]) or not _A_DAY.fullmatch(day.removeprefix("on ")):
                continue
            value = parse(f"{day} at {clock.removeprefix('at ')}", now)
            if value is not None:
                taken[i:j] = [True] * (j - i)
                return value
    return None


_MOVE_VERBS = frozenset({"change", "move", "push", "bump", "switch", "shift", "reschedule", "set", "make", "moved",
                         "changed", "pushed"})


def moved_to_a_clock(tokens: Sequence[str], start: int, kind: str, text: str) -> bool:
    """A clock time said bare after "to" where a record is moved ("change it to [eight thirty]", "push the
    laundry reminder back to [eleven]"): a date-time argument's new moment, though no "at" leads it."""
    return (kind == "datetime" and start > 1 and tokens[start - 1] == "to"
            and bool(_MOVE_VERBS & set(tokens[max(0, start - 6):start - 1]))
            and _A_CLOCK.fullmatch(text) is not None)
