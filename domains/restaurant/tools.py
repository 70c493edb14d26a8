"""Hanok Table tools: check a seating, book, change, cancel and list the caller's reservations."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from sqlmodel.ext.asyncio.session import AsyncSession

from core import contacts
from core.db import transaction
from core.errors import Invalid, NotFound
from core.tools import ToolContext, ToolSpec, tool
from domains.common import local_iso, parse_date, parse_time, pick_one
from domains.restaurant import service
from domains.restaurant.models import Reservation

_GENERIC = frozenset({"my", "the", "a", "an", "reservation", "booking", "table", "on", "at", "for", "one"})

Date = Annotated[str, Field(description="ISO date, e.g. 2026-11-27.")]
Time = Annotated[str, Field(description="24-hour time on the hour or half hour, e.g. 19:30.")]
PartySize = Annotated[int, Field(description="Number of guests.")]
NameOnBooking = Annotated[
    str | None, Field(description="On a public line without the confirmation code: the name the booking is under "
                                  "(a code is then texted to the caller).")
]
TextedCode = Annotated[str | None, Field(description="The six-digit code the caller was texted, once they say it.")]


@dataclass(frozen=True)
class Proof:
    name_on_booking: str | None = None
    texted_code: str | None = None


def _label(ctx: ToolContext, r: Reservation) -> str:
    requests = (r.special_requests or "")[:60]
    return f"{r.starts_at.astimezone(ctx.zone):%A %Y-%m-%d %H:%M} party of {r.party_size} {r.name} {requests}".strip()


def _reservation(ctx: ToolContext, r: Reservation, *, code: bool = True) -> dict[str, Any]:
    return {
        "reservation_id": str(r.id),
        **({"confirmation_code": r.confirmation_code} if code else {}),
        "when": local_iso(ctx, r.starts_at),
        "day": f"{r.starts_at.astimezone(ctx.zone):%A}",
        "party_size": r.party_size,
        "name": r.name,
        "special_requests": r.special_requests,
        "status": r.status,
    }


def _find(ctx: ToolContext, ref: str, reservations: list[Reservation]) -> Reservation:
    """The caller's upcoming reservation `ref` names: id, confirmation code, date/time, or name."""
    if not reservations:
        raise NotFound("You have no upcoming reservations at Hanok Table.")
    code = re.sub(r"[^A-Z0-9]", "", ref.upper()).removeprefix("HT")
    for r in reservations:
        if code and code == r.confirmation_code.removeprefix("HT-"):
            return r
    words = [w for w in re.sub(r"(\d)T(\d)", r"\1 \2", ref).lower().split() if w not in _GENERIC]
    if not words and len(reservations) == 1:
        return reservations[0]
    try:
        return pick_one(" ".join(words) or ref, reservations, lambda r: _label(ctx, r), lambda r: r.id, "reservation")
    except NotFound:
        listing = "; ".join(f"{r.confirmation_code} {_label(ctx, r)}" for r in reservations[:5])
        raise NotFound(f"I couldn't find a reservation matching {ref!r}. You have: {listing}.") from None


async def _proven(
    ctx: ToolContext, session: AsyncSession, ref: str, reservations: list[Reservation], proof: Proof
) -> Reservation:
    """The reservation to change or cancel. On a public line caller ID proves nothing: only the
    confirmation code names one, or the name on it plus a code texted to the caller's number
    (`core.contacts`); wrong codes are counted."""
    if ctx.contact_id is None:
        return _find(ctx, ref, reservations)
    if not reservations:
        raise NotFound("You have no upcoming reservations at Hanok Table.")
    await contacts.check_code_tries(ctx)
    code = contacts.code_in(ref, "HT", service.CODE_ALPHABET)
    if code is not None:
        for r in reservations:
            if r.confirmation_code == code:
                return r
        raise await contacts.wrong_code(ctx, "reservation")
    texted = await contacts.texted_proof(ctx, ref, proof.texted_code)
    if texted is not None:
        named = [r for r in reservations if contacts.same_name(texted.name, r.name)]
        return named[0] if len(named) == 1 else _find(ctx, re.sub(r"\b\d{6}\b", "", ref), named)
    if proof.name_on_booking and proof.name_on_booking.strip():
        if not any(contacts.same_name(proof.name_on_booking, r.name) for r in reservations):
            raise NotFound("None of your upcoming reservations is under that name.")
        raise await contacts.text_a_code(session, ctx, proof.name_on_booking, service.RESTAURANT)
    if (name := contacts.name_in(ref)) and any(contacts.same_name(name, r.name) for r in reservations):
        # "cancel the reservation under pemberton": the name it is under, as if asked for
        raise await contacts.text_a_code(session, ctx, name, service.RESTAURANT)
    raise contacts.code_needed(ctx, "reservation")


def _times(ctx: ToolContext, slots: list[datetime]) -> list[str | None]:
    return [local_iso(ctx, s) for s in slots]


@tool("restaurant", mutates=False)
async def check_availability(ctx: ToolContext, date: Date, time: Time, party_size: PartySize) -> dict[str, Any]:
    """Whether Hanok Table can seat the party at that date and time; if not, why (closed, outside
    the day's seatings, full), and the nearest seatings that can. Seatings are every 30 minutes."""
    day, at = parse_date(date), parse_time(time)
    now = ctx.clock()
    wanted = service.local_start(day, at, ctx.zone)
    service.check_window(wanted, now)
    async with transaction(ctx.sessions) as session:
        rules = await service.load_rules(session)
        service.check_party(party_size, rules)
        problem = service.seating_problem(day, at, rules)
        left = 0 if problem else await service.seats_left(session, wanted, capacity=rules.capacity)
        available = problem is None and party_size <= left
        near = [] if available else await service.nearest_open(session, wanted, party_size, ctx.zone, now,
                                                                rules=rules)
    if problem is None and not available:
        problem = f"That seating has room for only {max(left, 0)} more guests."
    return {
        "date": day.isoformat(),
        "time": f"{at:%H:%M}",
        "party_size": party_size,
        "available": available,
        "reason": problem,
        "alternatives": _times(ctx, near),
    }


@tool("restaurant")
async def create_reservation(
    ctx: ToolContext,
    date: Date,
    time: Time,
    party_size: PartySize,
    name: Annotated[str | None, Field(description="Name for the booking; defaults to the caller's name.")] = None,
    special_requests: Annotated[
        str | None, Field(description="Allergies, occasions, seating wishes, in the caller's words.")
    ] = None,
) -> dict[str, Any]:
    """Reserve a table at Hanok Table for the caller. Returns a confirmation code to read back (it is
    needed to change or cancel the booking later).
    If the seating is full, the error names the nearest seatings with room."""
    day, at = parse_date(date), parse_time(time)
    now = ctx.clock()
    async with transaction(ctx.sessions) as session:
        rules = await service.load_rules(session)
        service.check_party(party_size, rules)
        starts = service.slot_start(day, at, ctx.zone, now, rules)
        name = await contacts.booking_name(session, ctx, name)
        reservation = await service.create(
            session, ctx.user_id, starts, party_size, name, special_requests, ctx.zone, now, rules
        )
        return {"reserved": True, "restaurant": service.RESTAURANT, **_reservation(ctx, reservation)}


@tool("restaurant", mutates=False)
async def list_reservations(ctx: ToolContext) -> dict[str, Any]:
    """The caller's upcoming Hanok Table reservations, soonest first."""
    async with transaction(ctx.sessions) as session:
        reservations = await service.upcoming(session, ctx.user_id, ctx.clock())
        # On a public line the code is the proof for changes, so a listing never says it.
        return {"reservations": [_reservation(ctx, r, code=ctx.contact_id is None) for r in reservations]}


@tool("restaurant")
async def change_reservation(
    ctx: ToolContext,
    reservation: Annotated[
        str, Field(description="Which one: its confirmation code (HT-4K2P), id, date and time, or name.")
    ],
    date: Annotated[str | None, Field(description="New ISO date; leave out to keep it.")] = None,
    time: Annotated[str | None, Field(description="New time, e.g. 19:30; leave out to keep it.")] = None,
    party_size: Annotated[int | None, Field(description="New number of guests.")] = None,
    name_on_booking: NameOnBooking = None,
    texted_code: TextedCode = None,
) -> dict[str, Any]:
    """Move one of the caller's upcoming reservations or change its party size; pass only what changes."""
    if date is None and time is None and party_size is None:
        raise Invalid("Tell me the new date, time or party size.")
    new_day = parse_date(date) if date else None
    new_at = parse_time(time) if time else None
    now = ctx.clock()
    async with transaction(ctx.sessions) as session:
        rules = await service.load_rules(session)
        if party_size is not None:
            service.check_party(party_size, rules)
        mine = await service.upcoming(session, ctx.user_id, now)
        chosen = await _proven(ctx, session, reservation, mine, Proof(name_on_booking, texted_code))
        local = chosen.starts_at.astimezone(ctx.zone)
        starts = service.slot_start(new_day or local.date(), new_at or local.time(), ctx.zone, now, rules)
        await service.change(session, chosen, starts, party_size or chosen.party_size, ctx.zone, now, rules)
        return {"changed": True, **_reservation(ctx, chosen)}


@tool("restaurant")
async def cancel_reservation(
    ctx: ToolContext,
    reservation: Annotated[
        str, Field(description="Which one: its confirmation code (HT-4K2P), id, date and time, or name.")
    ],
    name_on_booking: NameOnBooking = None,
    texted_code: TextedCode = None,
) -> dict[str, Any]:
    """Cancel one of the caller's upcoming Hanok Table reservations."""
    async with transaction(ctx.sessions) as session:
        mine = await service.upcoming(session, ctx.user_id, ctx.clock())
        chosen = await _proven(ctx, session, reservation, mine, Proof(name_on_booking, texted_code))
        await service.cancel(session, chosen)
        return {"cancelled": True, **_reservation(ctx, chosen)}


TOOLS: list[ToolSpec] = [
    check_availability,
    create_reservation,
    list_reservations,
    change_reservation,
    cancel_reservation,
]
