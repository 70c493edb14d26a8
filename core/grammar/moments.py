"""A record's new moment as the caller said it: a clock time alone keeps the record's own day."""

from __future__ import annotations

import re
from typing import Any

from core.grammar.dates import DATE_RE
from core.grammar.text import normalize

_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT(\d\d:\d\d)(?::\d\d)?")
_DAY_SAID = re.compile(rf"\b(?:{DATE_RE}|tonight|morning|afternoon|evening|night)\b")


def keep_day(args: dict[str, Any], text: str) -> dict[str, Any]:
    """A record's new moment said as a clock time alone keeps the record's day ("push dinner with the
    okonkwos to eight pm": the dinner is not moved to today): its date-time becomes the clock time
    ("20:00"), which the tools place on the record's own day. A day said anywhere but in the name of the
    record keeps the whole date-time ("move the vet reminder to thursday at four")."""
    moments = {k: m[1] for k, v in args.items() if isinstance(v, str) and (m := _MOMENT.fullmatch(v))}
    if not moments:
        return args
    rest = text
    for value in args.values():
        if isinstance(value, str) and not _MOMENT.fullmatch(value) and value.strip():
            rest = rest.replace(normalize(value), " ")
    if _DAY_SAID.search(rest):
        return args
    return {**args, **moments}
