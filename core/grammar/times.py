"""Clock times and moments: "two pm", "half past six", "14:00", "tomorrow at two", "in twenty minutes".

A bare hour with no am/pm is read by a policy: `general` takes 1-6 as afternoon and 7-11 as morning;
`meal` (a table, a lunch) takes 1-10 as afternoon or evening.
"""

from __future__ import annotations

import random
import re
from datetime import date, datetime, time, timedelta
from typing import Literal

from core.grammar.dates import DATE_RE, parse_date, phrase_date, say_date
from core.grammar.numbers import ONES, TEEN_RE, TENS_RE, UNIT_RE, parse_number, say_number
from core.grammar.text import unnamed

Policy = Literal["general", "meal"]

_HOUR_WORDS = {w: i for i, w in enumerate(ONES) if 1 <= i <= 12}
_HOUR_RE = r"(?:\d{1,2}|" + "|".join(sorted(_HOUR_WORDS, key=len, reverse=True)) + ")"
_MINUTE_RE = rf"(?:\d{{2}}|oh {UNIT_RE}|oh oh|{TENS_RE}(?: {UNIT_RE})?|{TEEN_RE})"
_MERIDIEM_RE = (
    r"(?:am|pm|in the morning|in the afternoon|in the evening|at night|tonight|this morning"
    r"|this afternoon|this evening|oclock)"
)
_PM_WORDS = ("pm", "in the afternoon", "in the evening", "at night", "tonight", "this afternoon", "this evening")
_AM_WORDS = ("am", "in the morning", "this morning")
_EVENING = ("in the evening", "at night", "tonight", "this evening")
_NAMED = {"noon": time(12), "midday": time(12), "twelve noon": time(12), "midnight": time(0), "lunchtime": time(12)}

_CLOCK = re.compile(rf"(?P<h>{_HOUR_RE})(?:(?::| )(?P<m>{_MINUTE_RE}))?(?: (?P<mer>{_MERIDIEM_RE}))?")
_RELATIVE = re.compile(
    rf"(?P<rel>quarter|half|\d{{1,2}}|{TENS_RE}(?: {UNIT_RE})?|{TEEN_RE}|{UNIT_RE})(?: minutes)? "
    rf"(?P<dir>past|after|to|before) (?P<h>{_HOUR_RE})(?: (?P<mer>{_MERIDIEM_RE}))?"
)
_NAMED_RE = "(?:" + "|".join(sorted(_NAMED, key=len, reverse=True)) + ")"
_PART_FIRST = re.compile(rf"(?:(?:in )?the |this )?(?P<part>morning|afternoon|evening) (?:say|like|maybe|ideally|preferably"
                         rf"|around|about) (?P<clock>{_HOUR_RE}(?:(?::| ){_MINUTE_RE})?)")
"""A part of the day, then the hour in it: "i'd prefer the morning, say nine"."""


TIME_RE = rf"(?:{_NAMED_RE}|{unnamed(_PART_FIRST.pattern)}|{unnamed(_RELATIVE.pattern)}|{unnamed(_CLOCK.pattern)})"
"""Regex for a clock time phrase (without a leading "at")."""


def _hour(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return _HOUR_WORDS.get(text)


def _minute(text: str | None) -> int | None:
    if text is None:
        return 0
    if text.isdigit():
        return int(text)
    if text == "oh oh":
        return 0
    value = parse_number(text.removeprefix("oh "))
    return value if isinstance(value, int) else None


def _resolve(hour: int, minute: int, mer: str | None, policy: Policy) -> time | None:
    if not (0 <= minute < 60) or not (0 <= hour <= 23):
        return None
    if mer in _EVENING and not 5 <= hour <= 11:
        return None  # "for two tonight" is a party of two, not two in the afternoon
    if mer in _PM_WORDS or (mer is None and hour <= 12 and _bare_is_pm(hour, policy)):
        if hour > 12:
            return None
        hour = hour % 12 + 12
    elif mer in _AM_WORDS:
        if hour > 12:
            return None
        hour %= 12
    return time(hour, minute)


def _bare_is_pm(hour: int, policy: Policy) -> bool:
    if hour == 12 or hour == 0:
        return False
    return hour <= 6 if policy == "general" else hour <= 10


def parse_time(text: str, policy: Policy = "general") -> time | None:
    """Parse a clock time phrase ("two thirty pm", "14:00", "noon", "quarter to seven")."""
    t = text.strip()
    for prefix in ("at ", "around ", "about ", "by "):
        t = t.removeprefix(prefix)
    if t in _NAMED:
        return _NAMED[t]
    if m := _PART_FIRST.fullmatch(t):
        return parse_time(f"{m['clock']} in the {m['part']}", policy)
    if m := _RELATIVE.fullmatch(t):
        hour = _hour(m["h"])
        rel = {"quarter": 15, "half": 30}.get(m["rel"])
        if rel is None:
            rel = _minute(m["rel"])
        if hour is None or rel is None or rel >= 60 or hour > 12:
            return None
        base = _resolve(hour, 0, m["mer"], policy)
        if base is None:
            return None
        moment = datetime.combine(date(2000, 1, 2), base)
        moment += timedelta(minutes=rel if m["dir"] in ("past", "after") else -rel)
        return moment.time()
    if m := _CLOCK.fullmatch(t):
        hour, minute = _hour(m["h"]), _minute(m["m"])
        if hour is None or minute is None:
            return None
        if m["mer"] is None and (hour > 12 or (m["m"] and m["h"].startswith("0"))):
            return time(hour, minute) if hour < 24 and minute < 60 else None
        return _resolve(hour, minute, m["mer"] if m["mer"] != "oclock" else None, policy)
    return None


def say_time(t: time) -> str:
    """"two PM", "two thirty PM", "seven oh five AM", "noon", "midnight"."""
    if t.minute == 0 and t.hour in (0, 12):
        return "noon" if t.hour == 12 else "midnight"
    hour = t.hour % 12 or 12
    suffix = "PM" if t.hour >= 12 else "AM"
    if t.minute == 0:
        return f"{say_number(hour)} {suffix}"
    minutes = f"oh {ONES[t.minute]}" if t.minute < 10 else say_number(t.minute)
    return f"{say_number(hour)} {minutes} {suffix}"


def phrase_time(t: time, rng: random.Random, policy: Policy = "general") -> str:
    """One of the ways a person would say `t` (for generated utterances)."""
    spoken = say_time(t).lower()
    minutes = f":{t.minute:02d}" if t.minute else ""
    options = [spoken, t.strftime("%H:%M"), f"{t.hour % 12 or 12}{minutes} " + ("pm" if t.hour >= 12 else "am")]
    hour12 = t.hour % 12 or 12
    if t.minute == 0 and t.hour not in (0, 12):
        if 5 <= t.hour < 12:
            options.append(f"{say_number(hour12)} in the morning")
        elif 12 < t.hour < 17:
            options.append(f"{say_number(hour12)} in the afternoon")
        elif t.hour >= 17:
            options.append(f"{say_number(hour12)} in the evening")
        if _resolve(hour12, 0, None, policy) == t:
            options += [say_number(hour12), f"{say_number(hour12)} oclock"]
    if t.minute == 30 and _resolve(hour12, 0, None, policy) == t.replace(minute=0):
        options.append(f"half past {say_number(hour12)}")
    if t.minute in (15, 45) and t.hour not in (0, 12):
        rel = "quarter past" if t.minute == 15 else "quarter to"
        named = hour12 if t.minute == 15 else (t.hour + 1) % 12 or 12
        options.append(f"{rel} {say_number(named)} " + ("pm" if t.hour >= 12 else "am"))
    if t.minute and t.hour not in (0, 12) and _resolve(hour12, t.minute, None, policy) == t:
        options.append(f"{say_number(hour12)} {say_number(t.minute) if t.minute >= 10 else 'oh ' + ONES[t.minute]}")
    return rng.choice(options)


# ---------------------------------------------------------------- date and time together
_PARTS = {"morning": time(9), "afternoon": time(14), "evening": time(18), "night": time(20)}
_PART_RE = r"(?:morning|afternoon|evening|night)"
_AT = r"(?:at |around |about |by )"
_DT_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?P<date>{DATE_RE})(?: (?P<part>{_PART_RE}))?(?: {_AT}?(?P<time>{TIME_RE}))?"),
    re.compile(rf"{_AT}?(?P<time>{TIME_RE}) (?P<date>{DATE_RE})"),
    re.compile(rf"(?:this )?(?P<part>{_PART_RE})(?: {_AT}(?P<time>{TIME_RE}))?"),
    re.compile(rf"tonight(?: {_AT}(?P<time>{TIME_RE}))?"),
    re.compile(rf"{_AT}(?P<time>{TIME_RE})"),
)
_IN_UNITS = r"(?:minutes?|hours?)"
_IN_COUNT = rf"(?:an|a|half an|\d+|{TENS_RE}(?: {UNIT_RE})?|{TEEN_RE}|{UNIT_RE})"
_ONE_TIME = rf"{_AT}?{TIME_RE}"
DATETIME_RE = (
    rf"(?:(?:{_ONE_TIME} )?(?:this )?(?:{DATE_RE}|{_PART_RE})(?: {_PART_RE})?(?: {_ONE_TIME})?|{_AT}{TIME_RE}"
    rf"|in {_IN_COUNT}(?: and a half)? {_IN_UNITS}|in {_IN_COUNT} {_IN_UNITS} and a half|in half an hour)"
)
"""Regex for a moment: a date and/or a time ("tomorrow at two pm", "at noon on friday", "in an hour").

It is a loose superset of what `parse_datetime` accepts, kept small so templates compile quickly."""


def parse_datetime(text: str, now: datetime, policy: Policy = "general") -> datetime | None:
    """Parse a moment; a date alone means 9 AM, a time alone means its next occurrence."""
    t = text.strip()
    if m := re.fullmatch(rf"in (?P<n>{_IN_COUNT})(?P<h1> and a half)? (?P<unit>{_IN_UNITS})(?P<h2> and a half)?"
                         rf"|in half an hour", t):
        n = {"a": 1, "an": 1, "half an": 0.5, None: 0.5}.get(m["n"]) or parse_number(m["n"])
        if not n:
            return None
        if m["h1"] or m["h2"]:  # "in two and a half hours", "in an hour and a half"
            n += 0.5
        minutes = n * (60 if (m["unit"] or "hour").startswith("hour") else 1)
        return (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    for i, pattern in enumerate(_DT_FORMS):
        if not (m := pattern.fullmatch(t)):
            continue
        groups = m.groupdict()
        day = parse_date(groups["date"], now) if groups.get("date") else None
        if groups.get("date") and day is None:
            continue
        tonight = i == 3 or (groups.get("date") or "").removeprefix("on ") == "tonight"
        part = groups.get("part") or ("night" if tonight else None)
        if groups.get("time"):
            clock = parse_time(groups["time"], "meal" if part in ("evening", "night") else policy)
            if clock is None:
                continue
            if part in ("afternoon", "evening", "night") and clock.hour < 12:
                clock = clock.replace(hour=clock.hour + 12)
        else:
            clock = _PARTS[part] if part else time(9)
        if day is None:
            day = now.date()
            if datetime.combine(day, clock) <= now:
                day += timedelta(days=1)
        return datetime.combine(day, clock)
    return None


def say_datetime(moment: datetime, now: datetime | None = None) -> str:
    """"Monday, November twenty-third at two PM"."""
    return f"{say_date(moment.date(), now)} at {say_time(moment.time())}"


def phrase_datetime(moment: datetime, now: datetime, rng: random.Random) -> str:
    """One of the ways a person would say `moment` (for generated utterances)."""
    clock = phrase_time(moment.time(), rng)
    day = phrase_date(moment.date(), now, rng)
    if moment.time() == time(9) and rng.random() < 0.3:
        return day
    if rng.random() < 0.25:
        return f"at {clock} {day}"
    return f"{day} at {clock}"


def iso_datetime(moment: datetime) -> str:
    """Contract form of a moment: `2026-11-23T14:00:00`."""
    return moment.replace(microsecond=0).isoformat()


def iso_time(t: time) -> str:
    """Contract form of a clock time: `14:00`."""
    return t.strftime("%H:%M")
