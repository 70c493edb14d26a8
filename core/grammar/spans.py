"""Stretches of time: a range of days ("this week"), an event's start and end, how long something lasted."""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta

from core.grammar.dates import DATE_RE, WEEKDAY_RE, parse_date, phrase_date, say_date
from core.grammar.numbers import NUMBER_RE, parse_number, say_number
from core.grammar.text import unnamed
from core.grammar.times import (
    _IN_COUNT,
    _IN_UNITS,
    _PART_RE,
    TIME_RE,
    iso_datetime,
    parse_datetime,
    parse_time,
    phrase_datetime,
    phrase_time,
    say_datetime,
    say_time,
)

DateRange = tuple[str, str]
EventSpan = tuple[str, str | None]

# ---------------------------------------------------------------- ranges of days
_RANGES = re.compile(
    r"(?:(?P<which>this|next|last|my|the rest of (?:the|this)) (?P<unit>week|weekend|month)|the weekend"
    rf"|(?:the )?(?:next|coming) (?P<n>{NUMBER_RE}|few|couple of) days)"
)
_PART_OF_DAY = r"(?:morning|afternoon|evening|night)"
_BETWEEN = re.compile(rf"(?:between|from) (?P<a>{unnamed(DATE_RE)}) (?:and|to|until|till|through) (?P<b>{unnamed(DATE_RE)})")
DATE_RANGE_RE = (
    rf"(?:(?:for |during )?{unnamed(_RANGES.pattern)}|(?:for )?this {_PART_OF_DAY}|my day"
    rf"|(?:for )?{DATE_RE}(?: {_PART_OF_DAY})?|{unnamed(_BETWEEN.pattern)})"
)
"""Regex for a range of days: "this week" (or "my week", "the rest of the week"), "next weekend", "the next
three days", "between tuesday and friday", "my day" (today), or one date."""


def _month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def parse_date_range(text: str, now: datetime) -> DateRange | None:
    """Parse a range of days to (start, end) ISO dates, both inclusive."""
    today = now.date()
    t = text.strip()
    for prefix in ("for ", "during "):
        t = t.removeprefix(prefix)
    t = re.sub(rf"^(?:this {_PART_OF_DAY}|my day)$", "today", t)
    t = re.sub(rf"(?<=\w) {_PART_OF_DAY}$", "", t)
    if (between := _BETWEEN.fullmatch(t)) is not None:
        a, b = parse_date(between["a"], now), parse_date(between["b"], now)
        return (a.isoformat(), b.isoformat()) if a and b and a <= b else None
    m = _RANGES.fullmatch(t)
    if m is None:
        d = parse_date(t, now)
        return (d.isoformat(), d.isoformat()) if d else None
    if t == "the weekend":
        which, unit = "this", "weekend"
    else:  # "my week", "the rest of the week": this one
        which, unit = m["which"] if m["which"] in (None, "next", "last") else "this", m["unit"]
    if m["n"]:
        n = {"few": 3, "couple of": 2}.get(m["n"]) or parse_number(m["n"])
        if not isinstance(n, int) or n < 1:
            return None
        start, end = today, today + timedelta(days=n)
    elif unit == "week":
        monday = today - timedelta(days=today.weekday())
        offset = {"this": 0, "next": 7, "last": -7}[which]
        start = max(today, monday) if which == "this" else monday + timedelta(days=offset)
        end = monday + timedelta(days=offset + 6)
    elif unit == "weekend":
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        if today.weekday() == 6:
            saturday = today - timedelta(days=1)
        offset = {"this": 0, "next": 7, "last": -7}[which]
        start = saturday + timedelta(days=offset)
        end = start + timedelta(days=1)
        if which == "this":
            start = max(start, today)
    else:
        first = today.replace(day=1)
        if which == "next":
            first = _month_end(first) + timedelta(days=1)
        elif which == "last":
            first = (first - timedelta(days=1)).replace(day=1)
        start = max(first, today) if which == "this" else first
        end = _month_end(first)
    return start.isoformat(), end.isoformat()


def phrase_date_range(value: DateRange, now: datetime, rng: random.Random) -> str:
    """A spoken range whose parse is `value`: tries the named ranges first, then one day."""
    for phrase in rng.sample(["this week", "next week", "this weekend", "next weekend", "this month",
                              "next month", "the next three days", "the next seven days"], 8):
        if parse_date_range(phrase, now) == value:
            return phrase
    start = date.fromisoformat(value[0])
    return phrase_date(start, now, rng)


# ---------------------------------------------------------------- an event's start and end
_SPAN = re.compile(
    rf"(?:(?P<date>{DATE_RE}) )?(?:from )?(?P<start>{TIME_RE}) (?:to|until|till) (?P<end>{TIME_RE})"
    rf"(?: (?P<date2>{DATE_RE}))?"
)
_TIMES = rf"(?:(?:at |around |by |from )?{TIME_RE}(?: (?:to|until|till) {TIME_RE})?)"
_LENGTH = rf"(?:half an hour|an hour and a half|(?:{NUMBER_RE}|a|an)(?: and a half)? (?:hours?|minutes?|mins))"
_LASTING = re.compile(rf"(?P<moment>.+?) for (?P<length>{_LENGTH})")
EVENT_TIME_RE = (
    rf"(?:(?:for )?(?:(?:{_TIMES} )?(?:this )?(?:{DATE_RE}|{_PART_RE})(?: {_PART_RE})?(?: {_TIMES})?|{_TIMES}"
    rf"|in {_IN_COUNT} {_IN_UNITS}|in half an hour)(?: for {_LENGTH})?)"
)
"""Regex for when an event happens: a moment, or "tomorrow from two to three pm"."""


def _with_meridiem_of(start_text: str, end: time) -> time | None:
    start = parse_time(start_text)
    if start is None:
        return None
    bare = not re.search(r"am|pm|morning|afternoon|evening|night|:|noon|midnight", start_text)
    if bare and end.hour >= 12 and start.hour < 12 and start.hour + 12 <= end.hour:
        start = start.replace(hour=start.hour + 12)
    if bare and end.hour < 12 and start.hour >= 12 and start.hour - 12 <= end.hour:
        start = start.replace(hour=start.hour - 12)
    return start


def _minutes(length: str) -> int | None:
    """How long "two hours", "an hour and a half", "ninety minutes" or "half an hour" is, in minutes."""
    if length == "half an hour":
        return 30
    if length == "an hour and a half":
        return 90
    count, _, unit = length.rpartition(" ")
    half = count.endswith(" and a half")
    count = count.removesuffix(" and a half")
    n = 1 if count in ("a", "an") else parse_number(count)
    if not isinstance(n, int | float) or n <= 0:
        return None
    minutes = (n + (0.5 if half else 0)) * (60 if unit.startswith("hour") else 1)
    return int(minutes) if 0 < minutes <= 24 * 60 else None


def parse_event_time(text: str, now: datetime) -> EventSpan | None:
    """Parse an event's (start, end) ISO datetimes; end is None when only a start was said; "for two hours"
    after the start says the end."""
    text = text.strip().removeprefix("for ")  # "put it on the calendar [for tuesday at ten]"
    if m := _LASTING.fullmatch(text):
        span = parse_event_time(m["moment"], now)
        minutes = _minutes(m["length"])
        if span is None or span[1] is not None or minutes is None:
            return None
        return span[0], iso_datetime(datetime.fromisoformat(span[0]) + timedelta(minutes=minutes))
    if m := _SPAN.fullmatch(text.strip()):
        if m["date"] and m["date2"]:
            return None
        date_text = m["date"] or m["date2"]
        day = parse_date(date_text, now) if date_text else now.date()
        end_t = parse_time(m["end"])
        if day is None or end_t is None:
            return None
        start_t = _with_meridiem_of(m["start"], end_t)
        if start_t is None or start_t >= end_t:
            return None
        start = datetime.combine(day, start_t)
        if date_text is None and start <= now:
            start += timedelta(days=1)
        end = datetime.combine(start.date(), end_t)
        return iso_datetime(start), iso_datetime(end)
    moment = parse_datetime(text, now)
    if moment is None and re.fullmatch(TIME_RE, text.strip()):
        moment = parse_datetime(f"at {text.strip()}", now)  # "move the sync to [three]": the "to" said "at"
    return (iso_datetime(moment), None) if moment else None


def phrase_event_time(value: EventSpan, now: datetime, rng: random.Random) -> str:
    """A spoken event time for `value`."""
    start = datetime.fromisoformat(value[0])
    if value[1] is None:
        return phrase_datetime(start, now, rng)
    end = datetime.fromisoformat(value[1])
    day = phrase_date(start.date(), now, rng)
    return f"{day} from {phrase_time(start.time(), rng)} to {phrase_time(end.time(), rng)}"


# ---------------------------------------------------------------- how long something has lasted
_UNITS = r"(?:minutes?|hours?|days?|weeks?|months?|years?)"
_ABOUT = "about|around|almost|nearly|over|more than|less than|at least|roughly|like"
"""How sure the caller is of a duration ("about two weeks"): kept with it."""
_DURATION = re.compile(
    rf"(?:for )?(?:the (?:past|last) )?(?:(?P<q>{_ABOUT}) )?(?P<n>{NUMBER_RE}|a|an|a couple of|a couple|a few|several)"
    rf" (?P<unit>{_UNITS})(?: (?P<so>or so|or more))?"
    rf"(?: now)?|since (?P<since>yesterday|last night|this morning|the weekend|last weekend|last week|last {WEEKDAY_RE}"
    rf"|{WEEKDAY_RE})"
    rf"|(?:(?P<q2>about|around|almost|nearly|over|more than|roughly) )?(?P<n2>{NUMBER_RE}|a|an|a couple of|a few)"
    rf" (?P<unit2>{_UNITS}) ago"
    rf"|(?:it|they|that|this|which|he|she) (?:first )?(?:showed up|started|began|appeared|came on|popped up|kicked in"
    rf"|broke out|flared up) (?:over )?(?P<onset>yesterday|last night|this morning|the weekend|last week)"
)
DURATION_RE = unnamed(_DURATION.pattern)
"""Regex for how long something has lasted: "for three days", "since yesterday", "two weeks", "it started last
night" (since last night)."""


def parse_duration(text: str) -> str | None:
    """Normalise a duration phrase: "for three days" -> "3 days", "since yesterday" stays as said."""
    m = _DURATION.fullmatch(text.strip())
    if m is None:
        return None
    if m["since"] or m["onset"]:
        return f"since {m['since'] or m['onset']}"  # "it showed up yesterday": since yesterday
    words, unit = (m["n"], m["unit"]) if m["n"] else (m["n2"], m["unit2"])
    about = m["q"] or m["q2"]
    qualifier = f"{about} " if about and about != "like" else ""  # "like a month": a filler, not a guess
    so = f" {m['so']}" if m["so"] else ""  # "two weeks or so": as unsure as "about two weeks"
    n = {"a": 1, "an": 1}.get(words) or parse_number(words)
    if words in ("a few", "several", "a couple of", "a couple"):
        return f"{qualifier}a couple of {unit.rstrip('s')}s{so}" if words.startswith("a couple") else (
            f"{qualifier}{words} {unit.rstrip('s')}s{so}")  # as vague as the caller said it
    if not isinstance(n, int) or n < 1:
        return None
    base = unit.rstrip("s")
    if qualifier and words in ("a", "an"):
        return f"{qualifier}{words} {base}{so}"  # "about a week"
    return f"{qualifier}{n} {base}" + ("" if n == 1 else "s") + so


def phrase_duration(value: str, rng: random.Random) -> str:
    """A spoken duration for a normalised `value` ("3 days" -> "for three days")."""
    if value.startswith("since") or not value[0].isdigit():
        return value
    n, unit = value.split(" ", 1)
    count = say_number(int(n)) if rng.random() < 0.7 else n
    if n == "1":
        count = rng.choice(["a", "one"]) if not unit.startswith("hour") else rng.choice(["an", "one"])
    return rng.choice([f"for {count} {unit}", f"for the past {count} {unit}", f"{count} {unit}"])


def say_date_range(value: DateRange, now: datetime) -> str:
    """"Monday, November twenty-third" or "Monday, November twenty-third to Sunday, November twenty-ninth"."""
    start, end = date.fromisoformat(value[0]), date.fromisoformat(value[1])
    if start == end:
        return say_date(start, now)
    return f"{say_date(start, now)} to {say_date(end, now)}"


def say_event_time(value: EventSpan, now: datetime) -> str:
    """"Monday, November twenty-third at two PM" (with "to three PM" when the end is known)."""
    start = datetime.fromisoformat(value[0])
    out = say_datetime(start, now)
    if value[1] is not None:
        out += f" to {say_time(datetime.fromisoformat(value[1]).time())}"
    return out
