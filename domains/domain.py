"""A domain in one value: what `domains.registry` lists and every layer reads (the agent's router and
prompts, the grammar, the MCP server, the staff API, the migrations)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.grammar.templates import DomainGrammar
from core.tools import ToolSpec


@dataclass(frozen=True)
class Booking:
    """One of a caller's upcoming bookings as a staff screen lists it beside the caller (the call-center popup)."""

    business: str
    kind: str
    """"reservation", "appointment"."""
    starts_at: datetime
    """Aware, in UTC."""
    details: str
    """What was booked, in a few words: "party of 2 under Kim", the visit's reason."""
    confirmation_code: str | None


BookingsOf = Callable[[AsyncSession, uuid.UUID, datetime], Awaitable[list[Booking]]]
"""The upcoming bookings (after `now`) of the account `user_id`, soonest first."""


@dataclass(frozen=True, eq=False)
class Domain:
    name: str
    tools: tuple[ToolSpec, ...]
    grammar: DomainGrammar
    prompt: str
    """The domain agent's instructions, after the voice rules every agent shares."""
    keywords: re.Pattern[str]
    """Words that send a turn here when the grammar finds no reading (matched on the lowercased text)."""
    tables: tuple[type[SQLModel], ...] = ()
    staff: APIRouter | None = None
    """Routes for the business's staff, mounted under `/api/staff` behind the staff check."""
    page: str | None = None
    """A dashboard page, `web/<page>/index.html`, served at `/<page>`."""
    sensitive: bool = False
    """What callers say here is health data: withheld from staff without the clinical role wherever a
    conversation is shown (the monitor, the call-center popup, saved transcripts)."""
    bookings: BookingsOf | None = None
    """The caller's upcoming bookings here, shown with the caller in the call-center popup."""

    def __post_init__(self) -> None:
        if self.grammar.domain != self.name:
            raise ValueError(f"domain {self.name!r} has the grammar of {self.grammar.domain!r}")
        strangers = [spec.name for spec in self.tools if spec.domain != self.name]
        if strangers:
            raise ValueError(f"domain {self.name!r} lists other domains' tools: {strangers}")
