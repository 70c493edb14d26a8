"""Numbers as people say and write them: "a hundred and five", "6.5", "350k", "twenty-third", "nineteen eighty-five"."""

from __future__ import annotations

import random
import re

ONES: tuple[str, ...] = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)
TENS: tuple[str, ...] = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES: dict[str, int] = {"thousand": 1000, "million": 10**6, "billion": 10**9}
ORDINAL_WORDS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, "thirtieth": 30,
}
_SMALL = {w: i for i, w in enumerate(ONES)}
_TENS = {w: i * 10 for i, w in enumerate(TENS) if w}
DIGIT_WORDS: dict[str, str] = {**{w: str(i) for i, w in enumerate(ONES[:10])}, "oh": "0", "o": "0"}


def _alt(items: list[str] | tuple[str, ...]) -> str:
    return "(?:" + "|".join(sorted(items, key=len, reverse=True)) + ")"


UNIT_RE = _alt([w for w in ONES[1:10]])
TEEN_RE = _alt(list(ONES[10:]))
TENS_RE = _alt([w for w in TENS if w])
_NUM_TOKEN = _alt([r"\d+(?:\.\d+)?", *ONES, *TENS[2:], "hundred", *SCALES])
NUMBER_RE = rf"(?:a (?=hundred|thousand|million))?{_NUM_TOKEN}(?: (?:and |point )?{_NUM_TOKEN})*"
"""Regex for a cardinal number in words, digits, or a mix ("350 thousand")."""

_ORD_WORD_RE = _alt(list(ORDINAL_WORDS))
ORDINAL_RE = rf"(?:\d{{1,2}}(?:st|nd|rd|th)|(?:(?:twenty|thirty) )?{_alt(list(ORDINAL_WORDS)[:9])}|{_ORD_WORD_RE})"
"""Regex for a day-of-month ordinal: "23rd", "twenty third", "first"."""
DAY_NUMBER_RE = rf"(?:\d{{1,2}}|(?:twenty|thirty)(?: {UNIT_RE})?|{TEEN_RE}|{UNIT_RE})"
"""Regex for a day-of-month cardinal: "23", "twenty three"."""
YEAR_RE = (
    rf"(?:\d{{4}}|(?:nineteen|twenty) (?:oh {UNIT_RE}|{TENS_RE}(?: {UNIT_RE})?|{TEEN_RE})"
    rf"|two thousand(?: and)?(?: (?:{TENS_RE}(?: {UNIT_RE})?|{TEEN_RE}|{UNIT_RE}))?)"
)
"""Regex for a year: "2026", "twenty twenty six", "nineteen eighty five", "two thousand five"."""

_DIGITS_RE = re.compile(r"\d+(?:\.\d+)?")


def _int_words(tokens: list[str]) -> int | float | None:
    """Strictly parse number-word tokens (digits allowed as the leading part of a scale)."""
    total: int | float = 0
    current: int | float | None = None
    last = ""
    last_scale = 10**12
    for tok in tokens:
        if tok == "and":
            if last not in ("hundred", "scale"):
                return None
            continue
        if tok == "a":
            if current is not None or last:
                return None
            current, last = 1, "a"
        elif _DIGITS_RE.fullmatch(tok):
            if current is not None:
                return None
            current, last = (float(tok) if "." in tok else int(tok)), "digits"
        elif tok in _SMALL:
            n = _SMALL[tok]
            if current is None:
                current = n
            elif last == "hundred" or (last == "tens" and 0 < n < 10):
                current += n
            else:
                return None
            last = "small"
        elif tok in _TENS:
            if current is None:
                current = _TENS[tok]
            elif last == "hundred":
                current += _TENS[tok]
            else:
                return None
            last = "tens"
        elif tok == "hundred":
            if last not in ("a", "small", "tens", "digits") or current is None or current >= 100:
                return None
            current *= 100
            last = "hundred"
        elif tok in SCALES:
            scale = SCALES[tok]
            if current is None or scale >= last_scale:
                return None
            total += current * scale
            current, last, last_scale = None, "scale", scale
        else:
            return None
    if current is None and last != "scale":
        return None
    value = total + (current or 0)
    return int(value) if float(value).is_integer() else value


def parse_number(text: str) -> int | float | None:
    """Parse "twenty three", "a hundred and five", "4", "6.5", "six point five", "1.2 million", "350k"."""
    t = text.strip().replace(",", "")
    mult = 1
    if m := re.fullmatch(r"(.+?) ?([km])", t):
        t, mult = m.group(1), 1000 if m.group(2) == "k" else 10**6
    tokens = t.split()
    if not tokens:
        return None
    if len(tokens) > 3 and tokens[-3:-1] == ["and", "a"] and tokens[-1] in ("half", "quarter"):  # "six and a half"
        whole_part = parse_number(" ".join(tokens[:-3]))
        return whole_part + (0.5 if tokens[-1] == "half" else 0.25) if isinstance(whole_part, int) else None
    if "point" in tokens and len(tokens) > 2 and tokens[-1] in SCALES:  # "one point two million"
        mult *= SCALES[tokens[-1]]
        tokens = tokens[:-1]
    if "point" in tokens:
        i = tokens.index("point")
        whole = _int_words(tokens[:i]) if i else 0
        frac = [DIGIT_WORDS.get(tok, tok) for tok in tokens[i + 1 :]]
        if whole is None or not frac or not all(d.isdigit() for d in frac):
            return None
        value: int | float | None = float(f"{whole}.{''.join(frac)}")
    else:
        value = _int_words(tokens)
        if value is None:
            value = _short_hundreds(tokens, mult)
    if value is None:
        return None
    value = value * mult
    return int(value) if float(value).is_integer() else value


def _short_hundreds(tokens: list[str], mult: int) -> int | None:
    """Thousands said the short way, hundreds without "hundred": "five fifty thousand" (550,000),
    "four twenty five k". Only before a scale: bare "one twenty five" may be a price or a time."""
    scaled = tokens[-1] == "thousand"
    core = tokens[:-1] if scaled else tokens
    if not (scaled or mult == 1000) or len(core) < 2 or core[0] not in ONES[1:10]:
        return None
    rest = _int_words(core[1:])
    if not isinstance(rest, int) or not 10 <= rest <= 99:
        return None
    return (ONES.index(core[0]) * 100 + rest) * (1000 if scaled else 1)


def parse_ordinal(text: str) -> int | None:
    """Parse "23rd", "twenty third", "first", "thirtieth"."""
    t = text.strip()
    if m := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)", t):
        return int(m.group(1))
    parts = t.split()
    if len(parts) == 1:
        return ORDINAL_WORDS.get(parts[0])
    if len(parts) == 2 and parts[0] in ("twenty", "thirty") and parts[1] in ORDINAL_WORDS:
        unit = ORDINAL_WORDS[parts[1]]
        return _TENS[parts[0]] + unit if unit < 10 else None
    return None


def parse_year(text: str) -> int | None:
    """Parse "2026", "twenty twenty six", "nineteen eighty five", "two thousand and five", "twenty oh five"."""
    t = text.strip()
    if re.fullmatch(r"\d{4}", t):
        return int(t)
    parts = t.split()
    if parts and parts[0] in ("nineteen", "twenty") and len(parts) > 1 and parts[1] not in ("hundred", "thousand"):
        rest = parts[1:]
        if rest[0] == "oh" and len(rest) == 2 and rest[1] in _SMALL:
            low: int | float | None = _SMALL[rest[1]]
        else:
            low = _int_words(rest)
        if low is not None and 10 <= low < 100:
            return _SMALL[parts[0]] * 100 + int(low) if parts[0] == "nineteen" else 2000 + int(low)
        return None
    value = _int_words(parts)
    return int(value) if isinstance(value, int) and 1000 <= value <= 2200 else None


def say_number(n: int | float) -> str:
    """Words for a number the way TTS should say it: 23 -> "twenty-three", 6.5 -> "six point five"."""
    if isinstance(n, float) and not n.is_integer():
        whole, _, frac = f"{n:.6f}".rstrip("0").partition(".")
        return f"{say_number(int(whole))} point " + " ".join(ONES[int(d)] for d in frac)
    n = int(n)
    if n < 0:
        return "minus " + say_number(-n)
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + say_number(rest))
    for name, div in sorted(SCALES.items(), key=lambda kv: -kv[1]):
        if n >= div:
            rest = n % div
            return f"{say_number(n // div)} {name}" + ("" if rest == 0 else " " + say_number(rest))
    raise ValueError(n)


def say_ordinal(n: int) -> str:
    """23 -> "twenty-third"."""
    words = say_number(n)
    head, sep, last = words.rpartition("-") if "-" in words else words.rpartition(" ")
    by_value = {v: w for w, v in ORDINAL_WORDS.items()}
    if last in _SMALL and _SMALL[last] in by_value:
        last = by_value[_SMALL[last]]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"


def say_year(year: int) -> str:
    """2026 -> "twenty twenty-six", 2005 -> "two thousand five", 1985 -> "nineteen eighty-five"."""
    hi, lo = divmod(year, 100)
    if 2000 <= year < 2010 or (lo == 0 and hi % 10 == 0):
        return say_number(year)
    if lo == 0:
        return f"{say_number(hi)} hundred"
    return f"{say_number(hi)} " + (f"oh {ONES[lo]}" if lo < 10 else say_number(lo))


def say_money(amount: float) -> str:
    """2212.34 -> "two thousand two hundred twelve dollars and thirty-four cents"."""
    cents = round(amount * 100)
    dollars, rest = divmod(cents, 100)
    unit = "dollar" if dollars == 1 else "dollars"
    out = f"{say_number(dollars)} {unit}"
    if rest:
        out += f" and {say_number(rest)} " + ("cent" if rest == 1 else "cents")
    return out


def say_percent(value: float) -> str:
    """6.5 -> "six point five percent"."""
    return f"{say_number(value)} percent"


MONEY_RE = rf"(?:(?:about |around |roughly |approximately )?\$?{NUMBER_RE}(?: ?k| grand)?(?: dollars?| bucks)?)"
"""Regex for an amount of money: "$350000", "350k", "three hundred fifty thousand dollars"."""
_RATE_RE = r"(?:\d{1,2}\.\d{1,3}|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) point(?: (?:zero|oh|one|two|three|four|five|six|seven|eight|nine)){1,3})"
PERCENT_RE = rf"(?:{NUMBER_RE}(?: and a (?:half|quarter))?(?: ?%| percent| per cent)|{_RATE_RE})"
"""Regex for a percentage: "6.5%", "six point five percent", or a rate said without "percent" ("at five point
eight seven five")."""


def parse_money(text: str) -> float | None:
    """Parse an amount of money to a float of dollars."""
    t = re.sub(r"^(?:about|around|roughly|approximately) ", "", text.strip()).lstrip("$").strip()
    t = re.sub(r" (?:dollars?|bucks)$", "", t)
    if t.endswith(" grand"):
        t = t[: -len(" grand")] + "k"
    value = parse_number(t)
    return float(value) if value is not None and value > 0 else None


def parse_percent(text: str) -> float | None:
    """Parse a percentage to its number: "six point five percent" -> 6.5."""
    t = re.sub(r" ?(?:%|percent|per cent)$", "", text.strip())
    value = parse_number(t)
    if t == text.strip():  # no "percent": only a decimal a rate can be ("five point eight seven five")
        return float(value) if value is not None and re.fullmatch(_RATE_RE, t) and 1 <= value <= 15 else None
    return float(value) if value is not None and 0 <= value <= 100 else None


def phrase_money(amount: float, _now: object, rng: random.Random) -> str:
    """One of the ways a caller says an amount: words, "350k", "$350,000", "350 thousand dollars"."""
    whole = int(amount)
    options = [say_money(amount), f"${whole:,}", f"{whole:,} dollars"]
    if whole % 1000 == 0 and whole < 10**6:
        options += [f"{whole // 1000}k", f"{whole // 1000} thousand dollars", f"{whole // 1000} thousand"]
    if whole % 100000 == 0 and whole >= 10**6:
        options.append(f"{whole / 10**6:g} million dollars")
    return rng.choice(options)


def phrase_percent(value: float, _now: object, rng: random.Random) -> str:
    """"six point five percent", "6.5%", "6.5 percent"."""
    return rng.choice([say_percent(value), f"{value:g}%", f"{value:g} percent"])
