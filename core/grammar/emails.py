"""Email addresses as people say them: "bob at example dot com" -> bob@example.com."""

from __future__ import annotations

import random
import re

from core.grammar.numbers import DIGIT_WORDS, ONES, TENS, parse_number

_WORD = r"[a-z0-9][a-z0-9._+-]*"
_NUMBER_WORD = "(?:" + "|".join((*ONES, *(t for t in TENS if t), "oh")) + ")"
_INITIAL = r"[b-hj-z]"
"""A letter said on its own in an address ("j zhang", "gladys m"); not "a" or "i", which are words."""
_LOCAL = rf"(?:\b{_INITIAL} )?{_WORD}(?: {_INITIAL}\b)?(?: {_NUMBER_WORD}){{0,3}}"
"""A spoken local part: "j zhang" (jzhang), "gladys m" (gladysm), "r kessler fifty eight" (rkessler58)."""
_JOINERS = {"dot": ".", "underscore": "_", "dash": "-", "hyphen": "-", "plus": "+"}
_JOIN_RE = "(?:" + "|".join(_JOINERS) + ")"
_DOMAIN = rf"{_WORD}(?: {_WORD})?(?: {_JOIN_RE} {_WORD})+"
"""A spoken domain: a name of one or two words ("brightside bakery"), then "dot" and one word at a time."""
EMAIL_RE = (
    rf"(?:[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+"
    rf"|{_LOCAL}(?: {_JOIN_RE} {_LOCAL})* (?:at|@) (?:{_DOMAIN}|{_WORD}))"
)
"""Regex for a written or spoken email address."""
_VALID = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_SPOKEN_TLDS = frozenset({
    "com", "org", "net", "edu", "gov", "mil", "info", "biz", "app", "dev", "tech", "online", "site", "xyz",
    "email", "mail", "cloud", "shop", "store", "health", "law", "realty", "pro", "name", "mobi", "club", "live",
    "life", "studio", "design", "agency", "media", "news", "blog", "page", "team", "world", "work", "school",
})
"""Top-level domains said after "dot" besides the two-letter ones: "anna at brightpath dot io down" ends
at "io", never at "down"."""


def parse_email(text: str) -> str | None:
    """Turn a spoken or written address into `local@domain.tld`; None when it is not one."""
    t = text.strip().lower()
    spoken = " dot " in f" {t} "
    if "@" not in t:
        local, sep, domain = t.rpartition(" at ")
        if not sep or (" " in domain and not re.fullmatch(_DOMAIN, domain)):
            return None
        t = f"{_numbers_in(local)}@{domain}"
    for word, char in _JOINERS.items():
        t = re.sub(rf" ?\b{word}\b ?", char, t)
    t = t.replace(" ", "")
    if _VALID.fullmatch(t) is None:
        return None
    tld = t.rsplit(".", 1)[-1]
    return t if not spoken or len(tld) == 2 or tld in _SPOKEN_TLDS else None


_NUMBER_RUN = re.compile(rf"\b{_NUMBER_WORD}(?: {_NUMBER_WORD})*\b")


def _numbers_in(local: str) -> str:
    """Numbers said in a local part as digits: "kessler fifty eight" -> "kessler58", "five eight" -> "58"."""
    def digits(m: re.Match[str]) -> str:
        words = m[0].split()
        if all(w in DIGIT_WORDS for w in words):
            return "".join(DIGIT_WORDS[w] for w in words)
        value = parse_number(m[0])
        return str(int(value)) if value is not None and value == int(value) else m[0]
    return _NUMBER_RUN.sub(digits, local)


def say_email(address: str) -> str:
    """bob.smith@example.com -> "bob dot smith at example dot com"."""
    local, _, domain = address.partition("@")
    spoken = {".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus "}

    def say(part: str) -> str:
        return "".join(spoken.get(c, c) for c in part)

    return f"{say(local)} at {say(domain)}"


def phrase_email(address: str, rng: random.Random) -> str:
    """Spoken most of the time, occasionally typed."""
    return address if rng.random() < 0.2 else say_email(address)
