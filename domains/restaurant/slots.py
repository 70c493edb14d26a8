"""The kinds of values guests say: a party's size, a meal time, special requests."""

from __future__ import annotations

import random
import re
from datetime import datetime

from core.grammar.free_slots import free_text
from core.grammar.numbers import NUMBER_RE, parse_number, say_number
from core.grammar.slot_type import SlotType, fixed
from core.grammar.slots import time_type
from domains import bookings

_GROUP = r"(?:adults?|grown ups?|grownups?|kids?|child|children|little ones?|teenagers?|teens?|toddlers?|baby|babies|seniors?)"
_GROUPS = re.compile(rf"({NUMBER_RE}) {_GROUP} (?:and|plus|with) ({NUMBER_RE}) {_GROUP}")


_PAIR = re.compile(r"(?:me and my|my) (?:wife|husband|partner|girlfriend|boyfriend|fiance|fiancee|date|friend|mom|mother|dad"
                   r"|father|son|daughter|sister|brother)(?: and (?:i|me))?")
"""Two people named as the caller and one other ("me and my wife", "my husband and i")."""


def _party(text: str, _now: datetime) -> int | None:
    if re.fullmatch(r"(?:one|1) of us", text.strip()):
        return None  # "one of us has a peanut allergy" is a guest, not the party
    if m := _GROUPS.fullmatch(text.strip()):  # "four adults and two kids" are six
        parts = [parse_number(m.group(1)), parse_number(m.group(2))]
        total = sum(p for p in parts if isinstance(p, int))
        return total if all(isinstance(p, int) for p in parts) and 1 <= total <= 30 else None
    t = re.sub(r"^(?:a party of|party of|a group of|a table of|table of) ", "", text.strip())
    t = re.sub(r" (?:people|persons|guests|adults|of us|diners|pax)$", "", t)
    if t in ("just me", "just myself", "me", "myself", "one person"):
        return 1
    if t in ("a couple", "the two of us", "two of us") or _PAIR.fullmatch(t):
        return 2
    value = parse_number(t)
    return value if isinstance(value, int) and 1 <= value <= 30 else None


def _phrase_party(n: int, _now: datetime, rng: random.Random) -> str:
    count = str(n) if rng.random() < 0.3 else say_number(n)
    return rng.choice([count, f"{count} people", f"a party of {count}", f"{count} guests", count])


PARTY_SIZE = SlotType(
    "party_size", rf"(?:{_GROUPS.pattern}|(?:a party of |party of |a group of |a table of |table of )?{NUMBER_RE}(?: people| persons| person| guests"
    r"| adults| of us| diners)?|just me|just myself|a couple(?! of)|the two of us|" + _PAIR.pattern + ")", _party, lambda v, _n: say_number(v), _phrase_party,
    fixed([1, 2, 3, 4, 5, 6, 8, 10, 12]),
)
MEAL_TIME = time_type("meal_time", "meal", ["19:00", "18:30", "20:00", "12:30", "13:00", "17:45", "19:15", "21:00"])
REQUESTS = free_text(
    "requests", ["a high chair", "a window seat", "a birthday cake", "vegetarian options", "a booth",
                 "a booth by the window", "a table on the patio", "a quiet corner", "our anniversary"],
    strip_articles=False,
    lead=r"please|note|please note|make a note|mention|also|and|(?:with |and )?a note (?:about|saying|that)|about|somewhere"
         r"|(?:it is|it will be|this is)(?= (?:a|an|our|my|his|her|their) )",
    tail=r"if (?:possible|you can|that is possible|you have (?:one|it))",
)

TYPES = (PARTY_SIZE, MEAL_TIME, REQUESTS, *bookings.TYPES)
