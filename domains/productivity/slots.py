"""Kinds of values only the productivity grammar uses."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime

from core.grammar.slots import SLOT_TYPES, SlotType
from core.grammar.times import TIME_RE

_END_CUE = re.compile(r"^(?:end|finish|wrap up|wrap|be over|be done)(?: (?:by|at))? ")


def _event_end() -> SlotType:
    """When an event is to end, said with its verb ("end at five", "finish by four thirty"): only those
    words make a moment an event's end, so a day or a time said for anything else never becomes one."""
    moment = SLOT_TYPES["datetime"]

    def parse(text: str, now: datetime) -> str | None:
        rest = _END_CUE.sub("", text.strip(), count=1)
        if rest == text.strip():
            return None
        if re.fullmatch(TIME_RE, rest):
            rest = f"at {rest}"
        value = moment.parse(rest, now)
        return value if isinstance(value, str) else None

    def phrase(value: str, now: datetime, rng: random.Random) -> str:
        return f"{rng.choice(('end', 'finish'))} {moment.phrase(value, now, rng)}"

    return replace(moment, name="event_end", pattern=rf"(?:end|finish|wrap up|be over|be done) (?:by |at )?(?:{TIME_RE}|{moment.pattern})",
                   parse=parse, phrase=phrase, loose=None)


EVENT_END = _event_end()
