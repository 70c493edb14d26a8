"""Wrap-up: once a call has left them, the agent files it under one of the install's codes
(WRAP_UP_CODES), with an optional note. The code goes on the agent's outcome row of that call (history
and reports read it there) and on the agent's board until their next call."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from core.db import transaction
from core.errors import Conflict, Invalid, NotFound
from core.timeutil import utcnow
from domains.transfer.calls import CallStatus
from domains.transfer.models import CallCenterOutcome
from domains.transfer.queue import CallCenter

MAX_NOTE = 2000


async def wrap_up(center: CallCenter, call_id: str, agent_id: str, code: str, note: str | None,
                  codes: list[str]) -> dict[str, Any]:
    """File the agent's part of `call_id` under `code`; the outcome entry it was written on."""
    if code not in codes:
        raise Invalid(f"Choose a wrap-up code: {', '.join(codes)}.")
    call = await center.find(call_id)
    if call is not None and call.agent_id == agent_id and (call.status.with_agent or call.status is CallStatus.DIALING):
        raise Conflict("Wrap up once the call has ended.")
    if center.sessions is None:
        raise NotFound("There is no call history to file it in.")
    async with transaction(center.sessions) as session:
        row = (await session.exec(
            select(CallCenterOutcome)
            .where(CallCenterOutcome.call_id == call_id, CallCenterOutcome.agent_id == agent_id,
                   col(CallCenterOutcome.outcome) != "rejected")
            .order_by(col(CallCenterOutcome.id).desc()).limit(1)
        )).first()
        if row is None:
            raise NotFound("No call of yours to wrap up.")
        row.entry = {**row.entry, "wrap_up": code, "wrap_up_note": (note or "").strip()[:MAX_NOTE] or None,
                     "wrapped_up_at": utcnow().isoformat()}  # a new dict: the JSON column sees the change
        session.add(row)
        entry = dict(row.entry)
    await center.agents.wrapped(agent_id, call_id, code)
    return entry
