"""Say it like a person: values and sentences turned into words a TTS voice reads well (no markdown, no digits)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from core.grammar.dates import say_date
from core.grammar.emails import say_email
from core.grammar.numbers import say_money, say_number, say_ordinal, say_percent, say_year
from core.grammar.times import say_datetime, say_time

_MONEY_KEYS = ("amount", "income", "value", "payment", "price", "cost", "balance", "principal", "down_payment")
_PERCENT_KEYS = ("rate", "percent", "apr")
_WEEKDAY = r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday),? )?"
_ISO_DATETIME = re.compile(
    rf"(?i:{_WEEKDAY})\b(\d{{4}}-\d\d-\d\d)[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?\b"
)
_ISO_DATE = re.compile(rf"(?i:{_WEEKDAY})\b(\d{{4}}-\d\d-\d\d)\b")
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b(?:\s?([AaPp])\.?[Mm]\.?)?")
_MONEY = re.compile(r"\$\s?(\d[\d,]*(?:\.\d\d)?)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b")
_NUMBER = re.compile(r"(?<![\w.-])(\d[\d,]*(?:\.\d+)?)(?![\w-]|\.\d)")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_MARKDOWN = (
    (re.compile(r"```.*?```", re.S), " "),
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+", re.M), ""),
    (re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"^\s*[|>].*$", re.M), ""),
)


def join_list(items: Sequence[str], conjunction: str = "and", oxford: bool = True) -> str:
    """["a", "b", "c"] -> "a, b, and c"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    comma = "," if oxford else ""
    return f"{', '.join(items[:-1])}{comma} {conjunction} {items[-1]}"


def _is_key(key: str, names: tuple[str, ...]) -> bool:
    return any(name in key for name in names)


def speak_number(key: str, value: float) -> str:
    """A number said for its field: dollars for amounts, percent for rates, plain words otherwise."""
    if _is_key(key, _PERCENT_KEYS):
        return say_percent(round(value, 3))
    if _is_key(key, _MONEY_KEYS):
        return say_money(round(value) if abs(value) >= 100 else value)
    return say_number(round(value, 2) if isinstance(value, float) else value)


def speak_value(key: str, value: Any, now: datetime | None = None) -> str:
    """One field of a tool call or result, in words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return speak_number(key, value)
    if isinstance(value, datetime):
        return say_datetime(value, now)
    if isinstance(value, date):
        return say_date(value, now)
    if isinstance(value, time):
        return say_time(value)
    if isinstance(value, str) and "code" in key:
        return spell(value)
    if isinstance(value, list | tuple):
        conjunction = "or" if key.startswith("alternative") else "and"
        return join_list([speak_value(key, v, now) for v in value], conjunction)
    if isinstance(value, dict):
        return speakable(", ".join(f"{k.replace('_', ' ')} {speak_value(k, v, now)}" for k, v in value.items()), now)
    return speakable(str(value).replace("_", " ") if re.fullmatch(r"[a-z]+_[a-z_]+", str(value)) else str(value), now)


def spell(code: str) -> str:
    """"HT-4K2P" -> "H T, four K two P": a code read out character by character."""
    groups = [g for g in re.split(r"[^A-Za-z0-9]+", code) if g]
    return ", ".join(" ".join(say_number(int(c)) if c.isdigit() else c.upper() for c in g) for g in groups)


def speakable(text: str, now: datetime | None = None) -> str:
    """Clean text for TTS: strip markdown; say ISO dates, clock times, money, percents and numbers in words."""
    t = text
    for pattern, repl in _MARKDOWN:
        t = pattern.sub(repl, t)
    t = _ISO_DATETIME.sub(lambda m: say_datetime(datetime.fromisoformat(f"{m[1]}T{m[2]}"), now), t)
    t = _ISO_DATE.sub(lambda m: _say_iso_date(m[1], now), t)
    t = _CLOCK.sub(_say_clock, t)
    t = _EMAIL.sub(lambda m: say_email(m[0].lower()), t)
    t = _MONEY.sub(lambda m: say_money(float(m[1].replace(",", ""))), t)
    t = _PERCENT.sub(lambda m: say_percent(float(m[1])), t)
    t = _ORDINAL.sub(lambda m: say_ordinal(int(m[1])), t)
    t = _NUMBER.sub(_say_plain_number, t)
    t = re.sub(r"\s*\n+\s*", ". ", t.strip())
    t = re.sub(r"\.\s*\.", ".", t)
    return re.sub(r"[ \t]+", " ", t).strip()


def _say_iso_date(text: str, now: datetime | None) -> str:
    try:
        return say_date(date.fromisoformat(text), now)
    except ValueError:
        return text


def _say_clock(m: re.Match[str]) -> str:
    hour, minute = int(m[1]), int(m[2])
    if m[3]:
        hour = hour % 12 + (12 if m[3].lower() == "p" else 0)
    return say_time(time(hour, minute))


def _say_plain_number(m: re.Match[str]) -> str:
    raw = m[1].replace(",", "")
    if raw.isdigit() and len(raw) >= 7 and "," not in m[1]:
        return " ".join(say_number(int(d)) for d in raw)
    if len(raw) == 4 and raw.isdigit() and 1900 <= int(raw) <= 2099 and "," not in m[1]:
        return say_year(int(raw))
    value = float(raw) if "." in raw else int(raw)
    return say_number(value)
