"""Calendar dates in words: "tomorrow", "next friday", "in three days", "november twenty third", "the 23rd".

Conventions (relative to `now`): a bare weekday, "on friday" and "this coming friday" mean the next such
day after today; "this friday" may be today; "next friday" is the friday of next week (weeks start on
Monday). A month and day without a year is the next one on or after today.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta

from core.grammar.numbers import (
    DAY_NUMBER_RE,
    NUMBER_RE,
    ORDINAL_RE,
    YEAR_RE,
    parse_number,
    parse_ordinal,
    parse_year,
    say_number,
    say_ordinal,
    say_year,
)
from core.grammar.text import unnamed

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS: tuple[str, ...] = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH_NUM = {m: i + 1 for i, m in enumerate(MONTHS)} | _MONTH_ABBR
WEEKDAY_RE = "(?:" + "|".join(WEEKDAYS) + ")"
MONTH_RE = "(?:" + "|".join(sorted(_MONTH_NUM, key=len, reverse=True)) + ")"
_COUNT_RE = rf"(?:{NUMBER_RE}|a|an|a couple of|a few)"

_RELATIVE = {
    "today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "the day after tomorrow": 2,
    "day after tomorrow": 2, "yesterday": -1,
}


def _weekday(now: date, name: str, mod: str | None) -> date:
    target = WEEKDAYS.index(name)
    if mod == "next":
        monday = now + timedelta(days=7 - now.weekday())
        return monday + timedelta(days=target)
    delta = (target - now.weekday()) % 7
    if delta == 0 and mod != "this":
        delta = 7
    return now + timedelta(days=delta)


def _count(text: str) -> int | None:
    if text in ("a", "an"):
        return 1
    if text == "a couple of":
        return 2
    if text == "a few":
        return 3
    value = parse_number(text)
    return value if isinstance(value, int) else None


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(d)


def _shift(now: date, n: int, unit: str) -> date:
    unit = unit.rstrip("s")
    if unit == "month":
        return _add_months(now, n)
    return now + timedelta(days=n * (7 if unit == "week" else 1))


def _month_day(now: date, month: int, day: int, year: int | None, future: bool = True) -> date | None:
    try:
        if year is not None:
            return date(year, month, day)
        d = date(now.year, month, day)
        if future and d < now:
            d = date(now.year + 1, month, day)
        return d
    except ValueError:
        return None


def _day_only(now: date, day: int) -> date | None:
    for months in range(0, 3):
        first = _add_months(now.replace(day=1), months)
        try:
            d = first.replace(day=day)
        except ValueError:
            continue
        if d >= now:
            return d
    return None


def _day(text: str) -> int | None:
    value = parse_ordinal(text)
    if value is None:
        number = parse_number(text)
        value = number if isinstance(number, int) else None
    return value if value is not None and 1 <= value <= 31 else None


def _year(text: str | None) -> int | None:
    return parse_year(text) if text else None


_DateForm = tuple[re.Pattern[str], Callable[[re.Match[str], date], date | None]]


def _form(pattern: str, handler: Callable[[re.Match[str], date], date | None]) -> _DateForm:
    return re.compile(pattern), handler


def _month_day_form(m: re.Match[str], now: date) -> date | None:
    day = _day(m["day"])
    if day is None:
        return None
    year = _year(m["year"])
    if m["year"] and year is None:
        return None
    return _month_day(now, _MONTH_NUM[m["month"]], day, year)


def _day_of_form(m: re.Match[str], now: date) -> date | None:
    day = parse_ordinal(m["day"])
    if day is None:
        return None
    if not m["month"]:
        return _day_only(now, day)
    year = _year(m["year"])
    if m["year"] and year is None:
        return None
    return _month_day(now, _MONTH_NUM[m["month"]], day, year)


def _ymd(y: int, mo: int, d: int) -> date | None:
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _slash_form(m: re.Match[str], now: date) -> date | None:
    mo, d = int(m["m"]), int(m["d"])
    if not m["y"]:
        return _month_day(now, mo, d, None) if 1 <= mo <= 12 else None
    y = int(m["y"])
    return _ymd(y + 2000 if y < 100 else y, mo, d)


def _in_form(m: re.Match[str], now: date) -> date | None:
    n = _count(m["n"])
    return _shift(now, n, m["unit"]) if n is not None else None


def _next_unit(m: re.Match[str], now: date) -> date:
    if m["unit"] == "week":
        return now + timedelta(days=7 - now.weekday())
    return _add_months(now.replace(day=1), 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    if n > 0:
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = _add_months(first, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


HOLIDAYS: dict[str, Callable[[int], date]] = {
    "new year's eve": lambda y: date(y, 12, 31), "new year's day": lambda y: date(y, 1, 1),
    "new year's": lambda y: date(y, 1, 1), "valentine's day": lambda y: date(y, 2, 14),
    "valentine's": lambda y: date(y, 2, 14), "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "independence day": lambda y: date(y, 7, 4), "the fourth of july": lambda y: date(y, 7, 4),
    "labor day": lambda y: _nth_weekday(y, 9, 0, 1), "halloween": lambda y: date(y, 10, 31),
    "thanksgiving day": lambda y: _nth_weekday(y, 11, 3, 4), "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4),
    "christmas eve": lambda y: date(y, 12, 24), "christmas day": lambda y: date(y, 12, 25),
    "christmas": lambda y: date(y, 12, 25),
}
"""US holidays by name, the next one from today ("on thanksgiving", "by christmas eve")."""
_HOLIDAY_RE = "|".join(re.escape(h) for h in sorted(HOLIDAYS, key=len, reverse=True))


def _holiday(m: re.Match[str], now: date) -> date:
    when = HOLIDAYS[m["holiday"]]
    return d if (d := when(now.year)) >= now else when(now.year + 1)


def _end_of(m: re.Match[str], now: date) -> date:
    """The last day of a month or year, or the Friday that ends a working week."""
    what = m["what"]
    if what in ("week", "this week", "the week"):
        return now + timedelta(days=(4 - now.weekday()) % 7)
    if what == "next week":
        return now + timedelta(days=7 - now.weekday() + 4)
    if what in ("year", "the year", "this year"):
        return date(now.year, 12, 31)
    if what in ("month", "the month", "this month"):
        start = now.replace(day=1)
    elif what == "next month":
        start = _add_months(now.replace(day=1), 1)
    else:
        start = date(now.year, _MONTH_NUM[what], 1)
        if _add_months(start, 1) <= now:
            start = date(now.year + 1, start.month, 1)
    return _add_months(start, 1) - timedelta(days=1)


_FORMS: tuple[_DateForm, ...] = (
    _form(rf"(?P<holiday>{_HOLIDAY_RE})", _holiday),
    _form(rf"(?:the )?(?:end|last day) of (?P<what>(?:the |this |next )?(?:week|month|year)|{MONTH_RE})", _end_of),
    _form(r"(?P<rel>" + "|".join(_RELATIVE) + ")", lambda m, now: now + timedelta(days=_RELATIVE[m["rel"]])),
    _form(
        rf"(?:(?P<mod>this coming|coming|this|next) )?(?P<wd>{WEEKDAY_RE})",
        lambda m, now: _weekday(now, m["wd"], "this" if m["mod"] == "this" else m["mod"]),
    ),
    _form(rf"(?P<wd>{WEEKDAY_RE}) next week", lambda m, now: _weekday(now, m["wd"], "next")),
    _form(rf"in (?P<n>{_COUNT_RE}) (?P<unit>days?|weeks?|months?)", _in_form),
    _form(rf"(?P<n>{_COUNT_RE}) (?P<unit>days?|weeks?|months?) from (?:now|today)", _in_form),
    _form(r"next (?P<unit>week|month)", _next_unit),
    # "tuesday december first", "friday the fourth", "thursday the third of december": the date says the day
    _form(rf"(?:{WEEKDAY_RE}) (?P<rest>(?:{MONTH_RE}) (?:the )?(?:{ORDINAL_RE}|{DAY_NUMBER_RE})(?: {YEAR_RE})?"
          rf"|(?:the )?(?:{ORDINAL_RE})(?: of (?:{MONTH_RE})(?: {YEAR_RE})?)?)",
          lambda m, now: parse_date(m["rest"], now)),
    _form(rf"(?P<month>{MONTH_RE}) (?:the )?(?P<day>{ORDINAL_RE}|{DAY_NUMBER_RE})(?: (?P<year>{YEAR_RE}))?", _month_day_form),
    _form(rf"(?:the )?(?P<day>{ORDINAL_RE})(?: of (?P<month>{MONTH_RE})(?: (?P<year>{YEAR_RE}))?)?", _day_of_form),
    _form(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})", lambda m, now: _ymd(int(m["y"]), int(m["m"]), int(m["d"]))),
    _form(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?", _slash_form),
)


DATE_RE = "(?:on )?(?:" + "|".join(unnamed(p.pattern) for p, _ in _FORMS) + ")"
"""Regex for any date phrase the parser understands (with an optional leading "on")."""


def parse_date(text: str, now: datetime | date) -> date | None:
    """Parse a date phrase relative to `now`; None when it is not one."""
    today = now.date() if isinstance(now, datetime) else now
    t = text.strip()
    if t.startswith("on "):
        t = t[3:]
    for pattern, handler in _FORMS:
        if m := pattern.fullmatch(t):
            return handler(m, today)
    return None


BIRTH_DATE_RE = (
    rf"(?:{MONTH_RE} (?:the )?(?:{ORDINAL_RE}|{DAY_NUMBER_RE}) {YEAR_RE}"
    rf"|(?:the )?{ORDINAL_RE} of {MONTH_RE} {YEAR_RE}|\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}})"
)
"""Regex for a date with an explicit year (dates of birth)."""


def parse_birth_date(text: str, now: datetime | date) -> date | None:
    """Parse a date that must carry its year and lie in the past."""
    if not re.fullmatch(BIRTH_DATE_RE, text.strip()):
        return None
    d = parse_date(text, now)
    today = now.date() if isinstance(now, datetime) else now
    return d if d is not None and d <= today else None


def say_date(d: date, now: datetime | date | None = None) -> str:
    """"Monday, November twenty-third" (the year is added when it is not the current one)."""
    out = f"{WEEKDAYS[d.weekday()].capitalize()}, {MONTHS[d.month - 1].capitalize()} {say_ordinal(d.day)}"
    year = (now.year if now is not None else datetime.now().year)
    return out if d.year == year else f"{out}, {say_year(d.year)}"


def phrase_date(d: date, now: datetime | date, rng: random.Random) -> str:
    """One of the ways a person would say `d` today (for generated utterances)."""
    today = now.date() if isinstance(now, datetime) else now
    delta = (d - today).days
    options: list[str] = []
    if delta in (0, 1, 2):
        options.append(["today", "tomorrow", "the day after tomorrow"][delta])
    if 1 <= delta <= 6:
        name = WEEKDAYS[d.weekday()]
        options += [name, f"on {name}", f"this coming {name}"]
        if d.weekday() > today.weekday():
            options.append(f"this {name}")
    if _weekday(today, WEEKDAYS[d.weekday()], "next") == d:
        options.append(f"next {WEEKDAYS[d.weekday()]}")
    if 2 <= delta <= 10:
        options.append(f"in {say_number(delta)} days")
    month = MONTHS[d.month - 1]
    if d.year == today.year or (d.year == today.year + 1 and d < today.replace(year=d.year)):
        options += [f"{month} {say_ordinal(d.day)}", f"on {month} {say_ordinal(d.day)}", f"{month} {d.day}"]
        if 0 <= delta < 28 and d.month == today.month:
            options += [f"the {say_ordinal(d.day)}", f"on the {d.day}{_suffix(d.day)}"]
    options += [d.isoformat(), f"{month} {say_ordinal(d.day)} {say_year(d.year)}"]
    return rng.choice(options)


def phrase_birth_date(d: date, rng: random.Random) -> str:
    """A spoken date of birth: "march third nineteen eighty five"."""
    month = MONTHS[d.month - 1]
    return rng.choice(
        [
            f"{month} {say_ordinal(d.day)} {say_year(d.year)}",
            f"{month} {d.day} {d.year}",
            f"the {say_ordinal(d.day)} of {month} {say_year(d.year)}",
            d.isoformat(),
        ]
    )


def _suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
