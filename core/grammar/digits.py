"""Digit strings: voice PINs ("one two three four") and phone numbers."""

from __future__ import annotations

import random
import re

from core.grammar.numbers import DIGIT_WORDS, ONES, parse_number
from core.grammar.text import normalize

_PIN_FILLER = frozenset(
    {"my", "pin", "is", "it", "the", "code", "number", "pass", "passcode", "password", "digits", "um", "uh",
     "er", "okay", "ok", "please", "yes", "so", "its", "that", "would", "be", "enter", "i", "am", "say", "sure"}
)
_TEENS_AND_TENS = {w: i for i, w in enumerate(ONES) if i >= 10} | {
    w: i * 10 for i, w in enumerate(("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy",
                                     "eighty", "ninety")) if w
}


def spoken_digits(tokens: list[str]) -> str | None:
    """Digits from tokens like ["one", "2", "double", "five", "twenty", "three"]; None on any other word."""
    out: list[str] = []
    repeat = 1
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("double", "triple"):
            repeat = 2 if tok == "double" else 3
        elif tok.isdigit():
            out.append(tok * repeat)
            repeat = 1
        elif tok in DIGIT_WORDS:
            out.append(DIGIT_WORDS[tok] * repeat)
            repeat = 1
        elif tok in _TEENS_AND_TENS:
            pair = _TEENS_AND_TENS[tok]
            if pair % 10 == 0 and pair >= 20 and i + 1 < len(tokens) and tokens[i + 1] in ONES[1:10]:
                pair += ONES.index(tokens[i + 1])
                i += 1
            out.append(f"{pair:02d}")
        elif tok == "hundred" and out:
            out.append("00")
        else:
            return None
        i += 1
    return "".join(out) or None


def parse_pin(text: str) -> str | None:
    """A 4-6 digit voice PIN from an utterance ("my pin is 1 2 3 4", "twelve thirty four"); else None."""
    tokens = [t for t in re.split(r"[ -]", normalize(text)) if t and t not in _PIN_FILLER]
    digits = spoken_digits(tokens) if tokens else None
    if digits is None and tokens:
        # a recogniser that writes "4821" is read back in words ("four thousand eight hundred twenty one")
        number = parse_number(" ".join(tokens))
        digits = str(number) if isinstance(number, int) and number >= 1000 else None
    return digits if digits is not None and 4 <= len(digits) <= 6 else None


_DIGIT_TOKEN = r"(?:\d+(?:-\d+)*|zero|oh|one|two|three|four|five|six|seven|eight|nine|double|triple)"
PHONE_RE = rf"(?:\+?{_DIGIT_TOKEN}(?: {_DIGIT_TOKEN}){{0,14}})"
"""Regex for a phone number said digit by digit or written."""


def parse_phone(text: str) -> str | None:
    """A phone number as a digit string (7-15 digits)."""
    tokens = [t for t in re.split(r"[ -]", text.strip().lstrip("+")) if t]
    digits = spoken_digits(tokens)
    return digits if digits is not None and 7 <= len(digits) <= 15 else None


def say_digits(digits: str) -> str:
    """"5551234" -> "five five five, one two three four" (grouped like a phone number)."""
    groups = [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else [digits[:3], digits[3:]]
    return ", ".join(" ".join(ONES[int(d)] for d in g) for g in groups if g)


def phrase_phone(digits: str, rng: random.Random) -> str:
    """Said digit by digit, or written with dashes."""
    if rng.random() < 0.3 and len(digits) == 10:
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    return say_digits(digits).replace(",", "")
