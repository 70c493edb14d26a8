"""Written grammar text as a caller says it: the words the recogniser should output.

The grammar's generated utterances mix spoken and written forms (``2026-12-09``, ``14:00``,
``$75000``, ``6.5%``, ``carol@acme.io``, ``the 28th``). Nobody says "two thousand twenty six twelve
nine", so the language model is trained on, and the accuracy test compares against, the spoken form:
``december ninth twenty twenty six``, ``two pm``, ``seventy five thousand dollars``, ``six point five
percent``, ``carol at acme dot io``, ``the twenty eighth``. Every spoken form here parses back to the
same value with the grammar's own parsers. Template expansions with a wrong article ("an task",
"a event") get the one a speaker uses, decided by the word's first sound in the CMU dictionary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import time

from core.grammar.dates import MONTHS
from core.grammar.emails import say_email
from core.grammar.numbers import ONES, say_number, say_ordinal, say_year
from core.grammar.text import normalize
from core.grammar.times import say_time

from .lexicon import load_cmudict

_MONTH = "(?:" + "|".join(MONTHS) + ")"
_NUM = r"\d+(?:\.\d+)?"
_VOWEL_PHONES = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})


def _words(spoken: str) -> str:
    return spoken.replace("-", " ").replace(",", "").lower()


def _number(text: str) -> str:
    value = float(text) if "." in text else int(text)
    return _words(say_number(value))


def _digits(text: str) -> str:
    return " ".join(ONES[int(c)] for c in text if c.isdigit())


def _date(month: int, day: int, year: str | None) -> str:
    out = f"{MONTHS[month - 1]} {_words(say_ordinal(day))}"
    return f"{out} {_words(say_year(int(year)))}" if year else out


def _iso_date(m: re.Match[str]) -> str:
    month, day = int(m["m"]), int(m["d"])
    return _date(month, day, m["y"]) if 1 <= month <= 12 and 1 <= day <= 31 else m[0]


def _slash_date(m: re.Match[str]) -> str:
    month, day = int(m["m"]), int(m["d"])
    year = m["y"] and (str(2000 + int(m["y"])) if len(m["y"]) == 2 else m["y"])
    return _date(month, day, year) if 1 <= month <= 12 and 1 <= day <= 31 else m[0]


def _month_day(m: re.Match[str]) -> str:
    day = int(m["d"])
    if not 1 <= day <= 31:
        return m[0]
    year = f" {_words(say_year(int(m['y'])))}" if m["y"] else ""
    return f"{m['month']} {m['the'] or ''}{_words(say_ordinal(day))}{year}"


def _clock(m: re.Match[str]) -> str:
    """``14:00`` -> "two pm"; ``5:45 pm`` -> "five forty five pm"; ``7:30`` (no am/pm, not 24-hour) stays
    as open as it was written: "seven thirty"."""
    hour, minute, meridiem = int(m["h"]), int(m["min"]), m["mer"]
    if hour > 23 or minute > 59:
        return m[0]
    if meridiem:
        if not 1 <= hour <= 12:
            return m[0]
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif 1 <= hour <= 12 and not m["h"].startswith("0"):
        if minute == 0:
            return f"{_number(str(hour))} o'clock"
        return f"{_number(str(hour))} " + (f"oh {ONES[minute]}" if minute < 10 else _number(str(minute)))
    return _words(say_time(time(hour, minute)))


def _money(m: re.Match[str]) -> str:
    scale = {"k": " thousand", "thousand": " thousand", "million": " million", "grand": " thousand"}
    return f"{_number(m['n'])}{scale.get(m['scale'] or '', '')} dollars"


def _clock_words(hour: int, minute: int, meridiem: str | None) -> str:
    """A clock time said as people say it: "five forty five", "nine oh five pm"."""
    said = f"{_number(str(hour))} {'oh ' if minute < 10 else ''}{_number(str(minute))}"
    return f"{said} {meridiem}" if meridiem else said


def _long_number(m: re.Match[str]) -> str:
    """Phone numbers and other long digit strings are said digit by digit."""
    return _digits(m[0]) if len(m[0]) >= 7 or (m[0].startswith("0") and len(m[0]) > 1) else _number(m[0])


_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", lambda m: _words(say_email(m[0]))),
        (r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b", _iso_date),
        (r"\b(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?\b", _slash_date),
        (r"\b\d{3}-\d{3}-\d{4}\b", lambda m: _digits(m[0])),
        # "773-019": a code said digit by digit, written in groups (not seven hundred seventy three)
        (r"\b\d{2,}(?:-\d{2,})+\b", lambda m: _digits(m[0]) if sum(c.isdigit() for c in m[0]) >= 5 else m[0]),
        # "7.30pm", "at 7.30": a clock written the British way, not seven point three
        (r"\b(?P<h>\d{1,2})\.(?P<min>[0-5]\d)(?: ?(?P<mer>[ap]m)\b)", _clock),
        (r"(?<=\bat )(?P<h>\d{1,2})\.(?P<min>[0-5]\d)\b(?! ?(?:%|percent|dollars?|bucks))(?P<mer>)", _clock),
        # "at 545" is a clock ("give me a call at 545 today"), not five hundred forty five
        (r"\bat (?P<h>[1-9]|1[0-2])(?P<min>[0-5][1-9]|[1-5]0)\b(?: ?(?P<mer>[ap]m)\b)?",
         lambda m: "at " + _clock_words(int(m["h"]), int(m["min"]), m["mer"])),
        (r"\b(?P<h>\d{1,2}):(?P<min>\d\d)(?: ?(?P<mer>[ap]m)\b)?", _clock),
        (rf"\$(?P<n>{_NUM})(?: ?(?P<scale>k|thousand|million|grand)\b)?(?: dollars?\b)?", _money),
        (rf"\b(?P<n>{_NUM}) ?k\b", lambda m: f"{_number(m['n'])} thousand"),
        (rf"\b(?P<n>{_NUM}) ?(?:%|percent\b)", lambda m: f"{_number(m['n'])} percent"),
        (rf"\b(?P<month>{_MONTH}) (?P<the>the )?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?: (?P<y>\d{{4}}))?\b", _month_day),
        (r"\b(\d{1,2})(?:st|nd|rd|th)\b", lambda m: _words(say_ordinal(int(m[1])))),
        (r"\b([a-z]+)(\d+)\b", lambda m: f"{m[1]} {_digits(m[2])}"),  # "w2" -> "w two"
        (rf"\b(?P<n>{_NUM}) (?P<unit>dollars?|bucks|grand)\b", lambda m: f"{_number(m['n'])} {m['unit']}"),
        (rf"\b{_NUM}\b", lambda m: _long_number(m) if "." not in m[0] else _number(m[0])),
        (r"\boclock\b", "o'clock"),
        (r"\b(the|a|an|my|to) \1\b", r"\1"),  # "talk to the the sales team" from nested optional words
        # one spelling per homophone the grammar allows both ways, so the recogniser's choice is not a coin toss
        (r"\bcheck up\b", "checkup"),
        (r"\bdoctor's\b", "doctors"),
        (r"\bgood bye\b", "goodbye"),
        (r"\bnevermind\b", "never mind"),
    )
)
_ARTICLE = re.compile(r"\b(a|an) ([a-z][a-z']*)")


def _article(m: re.Match[str]) -> str:
    """`a`/`an` as said before the next word: "an" before a vowel sound ("an hour", "a user")."""
    prons = load_cmudict().get(m[2])
    vowel = prons[0][0] in _VOWEL_PHONES if prons else m[2][0] in "aeiou"
    return f"{'an' if vowel else 'a'} {m[2]}"


def spoken_form(text: str) -> str:
    """Lowercase grammar text (as `core.grammar.text.normalize` leaves it) in the words people say:
    digits, times, dates, money, percentages and email addresses spelled out, articles agreeing."""
    return re.sub(r"\s+", " ", _ARTICLE.sub(_article, _spelled_out(text))).strip()


def _spelled_out(text: str) -> str:
    t = text
    for pattern, repl in _RULES:
        t = pattern.sub(repl, t)
    return t


_TRANSCRIPT_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b([ap])\.\s?m\b\.?"), r"\1m"),  # "8 p.m." -> "8 pm"
    (re.compile(r"\bto-do"), "todo"),  # "to-do", "to-dos"; a bare "to do" may be the verb
    (re.compile(r"(?<=[a-z0-9])@(?=[a-z0-9])"), " at "),
    (re.compile(r"(?<=[a-z0-9])\.(?=[a-z]{2,}\b)"), " dot "),  # "acme.io" -> "acme dot io"
)


def spoken_transcript(text: str) -> str:
    """A neural recogniser's written transcript ("Invite bob@acme.io at 3 p.m.") in the words the
    grammar's recogniser outputs and the local intent model reads ("invite bob at acme dot io at
    three pm"): lowercase, no punctuation, numbers, times and addresses spelled out. Its articles
    are what the caller said, so they are left alone (and the CMU dictionary stays unloaded)."""
    t = text.lower()
    for pattern, repl in _TRANSCRIPT_REWRITES:
        t = pattern.sub(repl, t)
    return re.sub(r"\s+", " ", _spelled_out(normalize(t))).strip()
