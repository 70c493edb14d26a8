"""Intent routing: which domain agent handles this turn."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, get_args

from core.grammar.registry import interpret

Domain = Literal["productivity", "mortgage", "healthcare", "restaurant", "transfer"]
DOMAINS: tuple[str, ...] = get_args(Domain)

_KEYWORDS: dict[str, re.Pattern[str]] = {
    "transfer": re.compile(r"\b(human|person|agent|operator|representative|someone real|transfer me)\b"),
    "mortgage": re.compile(r"\b(mortgage|loan|down payment|refinanc\w*|credit score|property value|pre-?approv\w*)\b"),
    "healthcare": re.compile(r"\b(doctor|appointment|symptom\w*|clinic|patient|sick|pain|fever|cough|medical|insurance)\b"),
    "restaurant": re.compile(r"\b(table|reservation|reserve|restaurant|dinner|hanok|party of|seating)\b"),
    "productivity": re.compile(r"\b(todo|to-do|task|remind\w*|calendar|meeting|event|team|schedule)\b"),
}


def route(text: str, previous: str | None, now: datetime) -> Domain:
    """The interpreter's reading when it has one; else keywords; else stay with the previous domain."""
    reading = interpret(text, now)
    if reading is not None and reading.domain in DOMAINS:
        return reading.domain  # type: ignore[return-value]
    lowered = text.lower()
    for domain, pattern in _KEYWORDS.items():
        if pattern.search(lowered):
            return domain  # type: ignore[return-value]
    if previous in DOMAINS:
        return previous  # type: ignore[return-value]
    return "productivity"
