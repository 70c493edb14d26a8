"""Intent routing: which domain agent handles this turn (a name from `domains.registry`)."""

from __future__ import annotations

from datetime import datetime

from core.grammar.registry import interpret
from domains import registry


def route(text: str, previous: str | None, now: datetime) -> str:
    """The interpreter's reading when it has one; else the domains' routing words (the default
    domain's, the most general, last); else stay with the previous domain; else the default."""
    names = registry.names()
    reading = interpret(text, now)
    if reading is not None and reading.domain in names:
        return reading.domain
    lowered = text.lower()
    ordered = sorted(registry.DOMAINS, key=lambda d: d.name == registry.DEFAULT)
    for domain in ordered:
        if domain.keywords.search(lowered):
            return domain.name
    if previous in names:
        return previous
    return registry.DEFAULT
