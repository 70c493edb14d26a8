"""Kinds of values only the productivity grammar uses."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import datetime, time

from core.grammar.slot_type import SlotType
from core.grammar.slots import SLOT_TYPES
from core.grammar.times import TIME_RE, phrase_time, say_time

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


def _moved_to() -> SlotType:
    """A new hour said after "to" with nothing else ("push my dentist reminder [to four]"): "to" says "at", and
    the clock time alone ("16:00") keeps the record's own day (the tools place it there)."""
    moment = SLOT_TYPES["datetime"]

    def parse(text: str, now: datetime) -> str | None:
        rest = text.strip().removeprefix("to ").strip()
        if not re.fullmatch(TIME_RE, rest):
            return None
        value = moment.parse(f"at {rest}", now)
        return datetime.fromisoformat(value).strftime("%H:%M") if isinstance(value, str) else None

    def phrase(value: str, now: datetime, rng: random.Random) -> str:
        return "to " + phrase_time(time.fromisoformat(value), rng)

    def examples(_now: datetime) -> list[str]:
        return ["14:00", "16:30", "19:00", "21:15"]

    return replace(moment, name="moved_to", pattern=rf"to (?:{TIME_RE})", parse=parse, phrase=phrase, loose=None,
                   examples=examples, say=lambda value, _now: say_time(time.fromisoformat(value)))


MOVED_TO = _moved_to()


_ASKING = frozenset({"anything", "what", "whats", "is", "are", "any", "do", "does", "how", "everything", "nothing",
                     "something", "which", "who", "when", "where", "why", "show", "read", "tell", "list"})


def _entry() -> SlotType:
    """A list entry said before "on the list" ("oat milk on the list"): a thing, not a question about the list
    ("anything urgent on my list", "what is on the list")."""
    title = SLOT_TYPES["title"]

    def parse(text: str, now: datetime) -> str | None:
        words = text.split()
        return None if not words or words[0] in _ASKING else title.parse(text, now)

    return replace(title, name="entry", parse=parse)


ENTRY = _entry()
