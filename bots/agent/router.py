"""Intent routing: which domain agent handles this turn (a name from `domains.registry`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from core.grammar.registry import interpret
from domains import registry


def route(text: str, previous: str | None, now: datetime, serves: Collection[str] | None = None) -> str:
    """The interpreter's reading when it has one; else the domains' routing words (the default
    domain's, the most general, last); else stay with the previous domain; else the default.
    With `serves` (a line's domains), only those and transfer are chosen, and the first one served is the default."""
    names = tuple(n for n in registry.names() if serves is None or n in serves or n == "transfer")
    reading = interpret(text, now)
    if reading is not None and reading.domain in names:
        return reading.domain
    lowered = text.lower()
    ordered = sorted((d for d in registry.DOMAINS if d.name in names), key=lambda d: d.name == registry.DEFAULT)
    for domain in ordered:
        if domain.keywords.search(lowered):
            return domain.name
    if previous in names:
        return previous
    if registry.DEFAULT in names or serves is None:
        return registry.DEFAULT
    return next((n for n in serves if n in names), "transfer")
