"""How callers name a booking (a table, a clinic visit): by its day, its confirmation code or its name.

The slot types `booking` and `booking_code`, shared by the domains that take bookings (each lists them
among its grammar's slot types), and how a caller on a public line answers when asked to prove one.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime

from core.grammar.dates import parse_date, phrase_date, say_date
from core.grammar.slots import SlotType, date_examples
from core.grammar.templates import Ask

_SPELLED = {**{w: str(i) for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven",
                                                   "eight", "nine"))}, "oh": "0"}
_CODE = re.compile(r"(?:(?:confirmation )?(?:code|number) )?(h ?t|c ?l)(?: |-)?((?:[a-z0-9]|" + "|".join(_SPELLED)
                   + r")(?: ?(?:[a-z0-9]|" + "|".join(_SPELLED) + r")){3})")
_ARTICLES = re.compile(r"^(?:the|a|an|my|our|this|that) ")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_CODE_VALUE = re.compile(r"(?:HT|CL)-[A-Z0-9]{4}")


def _booking(text: str, now: datetime) -> str | None:
    """A booking by its day, its confirmation code ("h t four k two p" -> HT-4K2P) or its name."""
    day = parse_date(text, now)
    if day is not None:
        return day.isoformat()
    if (code := _CODE.fullmatch(text.strip())) is not None:
        parts = [_SPELLED.get(p, p) for p in code[2].split()] if " " in code[2] else list(code[2])
        if len(parts) == 4 and all(len(p) == 1 for p in parts):
            return code[1].replace(" ", "").upper() + "-" + "".join(parts).upper()
    return _ARTICLES.sub("", text.strip()) or None


def _say_booking(value: str, now: datetime) -> str:
    return say_date(date.fromisoformat(value), now) if _DAY.fullmatch(value) else value


def _phrase_booking(value: str, now: datetime, rng: random.Random) -> str:
    return phrase_date(date.fromisoformat(value), now, rng) if _DAY.fullmatch(value) else value


def _booking_examples(now: datetime) -> list[str]:
    return [*date_examples(now)[1:6], "smith", "birthday dinner", "dentist", "checkup"]


def _code_only(text: str, now: datetime) -> str | None:
    value = _booking(text, now)
    return value if value and _CODE_VALUE.fullmatch(value) else None


BOOKING = SlotType("booking", r"[^ ].*?", _booking, _say_booking, _phrase_booking, _booking_examples, free_text=True)
BOOKING_CODE = SlotType("booking_code", _CODE.pattern.replace("(?:(?:confirmation )?(?:code|number) )?", ""),
                        _code_only, _say_booking, _phrase_booking, lambda _n: ["HT-4K2P"])

TYPES = (BOOKING, BOOKING_CODE)


def proof_answers(ref: str) -> tuple[Ask, ...]:
    """How a caller on a public line answers the tool that asks for proof of a booking (`core.contacts`):
    its confirmation code (into `ref`, the argument naming the booking), the name on it, or the code
    texted to them."""
    return (Ask(ref, "booking_code", "What's the confirmation code, or the name on the booking?"),
            Ask("name_on_booking", "name", "What name is the booking under?"),
            Ask("texted_code", "pin", "What's the six-digit code I texted you?"))
