"""How callers name a booking (a table, a clinic visit): by its day, its confirmation code or its name.

The slot types `booking` and `booking_code`, shared by the domains that take bookings (each lists them
among its grammar's slot types), and how a caller on a public line answers when asked to prove one.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime

from core.grammar.dates import parse_date, phrase_date, say_date
from core.grammar.free_slots import trim_links
from core.grammar.slot_type import SlotType
from core.grammar.slots import date_examples
from core.grammar.templates import Ask
from core.grammar.times import parse_time

_SPELLED = {**{w: str(i) for i, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven",
                                                   "eight", "nine"))}, "oh": "0"}
_CODE = re.compile(r"(?:(?:confirmation )?(?:code|number) )?(h ?t|c ?l)(?: |-)?((?:[a-z0-9]|" + "|".join(_SPELLED)
                   + r")(?: ?(?:[a-z0-9]|" + "|".join(_SPELLED) + r")){3})")
_ARTICLES = re.compile(r"^(?:the|a|an|my|our|this|that) ")
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
_AT_CLOCK = re.compile(r"(?:(?:appointment|reservation|booking|table|one|clinic appointment) )?(?:on |for )?(.+?) at (.+)")
_UNDER = re.compile(r"\bunder (?:the name (?:of )?|the |my )?(?!(?:my|the|a)\b)(\w+(?: \w+)?)$")
_NO_CODE = re.compile(r" (?:and |but )?(?:i|we) (?:do not|don't|dont) have (?:my|the|our|a|any) (?:code|confirmation)(?: \w+)?$")
_CODE_VALUE = re.compile(r"(?:HT|CL)-[A-Z0-9]{4}")


_ANY_MEAL = re.compile(r"(?:(?:my|our|the) )?(?:dinner|lunch|brunch|breakfast)(?: (?:booking|reservation|table))?")


def _booking(text: str, now: datetime) -> str | None:
    """A booking by its day, its confirmation code ("h t four k two p" -> HT-4K2P) or its name."""
    text = trim_links(text.strip())
    day = parse_date(text, now)
    if day is not None:
        return day.isoformat()
    when = _AT_CLOCK.fullmatch(_ARTICLES.sub("", text.strip()))
    if when is not None and (day := parse_date(when[1], now)) is not None and (
            clock := parse_time(when[2])) is not None:
        return f"{day.isoformat()} {clock:%H:%M}"  # "the one on december third at three fifteen"
    code = _code_in(text)
    if code is not None:
        return code
    text = _NO_CODE.sub("", text)
    if under := _UNDER.search(text):  # "the appointment under the name grace liu": grace liu
        return under[1]
    if _ANY_MEAL.fullmatch(text.strip()):
        return "my reservation"  # "my dinner booking" names no booking in particular
    return _ARTICLES.sub("", text.strip()) or None


_PREFIXES = ("ht", "cl")


def _code_in(text: str) -> str | None:
    """A confirmation code anywhere in the words, said letter by letter ("h t four k two p"), run together
    as a recogniser writes it ("ht2x8q", "cl7j3d") or in between ("h t nine r 2b"): HT-4K2P. Its four
    characters must end at a word's end; run-together letters need a digit among them ("clever" is no code)."""
    words = text.strip().split()
    for i in range(len(words)):
        head = words[i]
        if head in ("h", "c") and i + 1 < len(words) and head + words[i + 1] in _PREFIXES:
            prefix, rest = head + words[i + 1], words[i + 2:]
        elif head[:2] in _PREFIXES and head.isalnum():
            prefix, rest = head[:2], ([head[2:]] if len(head) > 2 else []) + words[i + 1:]
        else:
            continue
        chars, glued = "", False
        for word in rest:
            chars += _SPELLED.get(word, word if word.isalnum() and word.isascii() else "?")
            glued = glued or (len(word) > 1 and word not in _SPELLED)
            if len(chars) >= 4:
                break
        # letters run together with no digit among them are a word ("clever"), not a code
        if len(chars) == 4 and "?" not in chars and (not glued or any(c.isdigit() for c in chars)):
            return prefix.upper() + "-" + chars.upper()
    return None


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
