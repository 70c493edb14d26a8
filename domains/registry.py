"""Every domain, in one list. Importing this module registers all tables with SQLModel's metadata;
everything that offers a domain's tools, words or pages (the agent, the grammar, the MCP server, the
staff API, the monitor) reads `DOMAINS` when it is built.

Adding a domain means adding its package (exporting `DOMAIN`) and one line in `DOMAINS`.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from functools import cache

from sqlmodel.ext.asyncio.session import AsyncSession

import core.models  # noqa: F401  (registers users and call_recordings)
from core.grammar.registry import GrammarSet
from core.tools import ToolSpec
from domains import healthcare, mortgage, productivity, restaurant, transfer
from domains.domain import Booking, Domain

DOMAINS: tuple[Domain, ...] = (
    productivity.DOMAIN,
    transfer.DOMAIN,
    mortgage.DOMAIN,
    healthcare.DOMAIN,
    restaurant.DOMAIN,
)

DEFAULT = "productivity"
"""The domain a turn goes to when nothing names another; its routing words are the most general."""


def names() -> tuple[str, ...]:
    return tuple(d.name for d in DOMAINS)


def sensitive() -> frozenset[str]:
    """The domains whose conversations only clinical staff read (`Domain.sensitive`)."""
    return frozenset(d.name for d in DOMAINS if d.sensitive)


async def caller_bookings(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, *, clinical: bool, withheld: str
) -> list[Booking]:
    """The account's upcoming bookings in every domain, soonest first; a sensitive domain's details read
    `withheld` unless the reader is `clinical`."""
    found: list[Booking] = []
    for domain in DOMAINS:
        if domain.bookings is not None:
            hide = domain.sensitive and not clinical
            found += [replace(b, details=withheld) if hide and b.details else b
                      for b in await domain.bookings(session, user_id, now)]
    return sorted(found, key=lambda b: b.starts_at)


def get(name: str) -> Domain:
    for domain in DOMAINS:
        if domain.name == name:
            return domain
    raise KeyError(f"no domain {name!r}")


def all_tools() -> list[ToolSpec]:
    return [spec for domain in DOMAINS for spec in domain.tools]


def tools_by_name() -> dict[str, ToolSpec]:
    return {spec.name: spec for spec in all_tools()}


def grammar_set() -> GrammarSet:
    """The grammars of `DOMAINS`, built into a set once per list of domains."""
    return _grammar_set(DOMAINS)


@cache
def _grammar_set(domains: tuple[Domain, ...]) -> GrammarSet:
    return GrammarSet(d.grammar for d in domains)
