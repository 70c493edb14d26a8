"""The staff callback queue: a caller nobody could take asked to be called back.

One row per request, in the database so it outlives restarts and every replica sees it: who
called, the number to ring, why, what was said so far. A staff member claims it (one at a time:
the claim is a conditional UPDATE), calls back, and closes it with an outcome.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel, col, select, update

from core.db import SessionFactory, transaction
from core.errors import Conflict, NotFound
from core.timeutil import utcnow
from domains.transfer.calls import TransferCall

CALLBACK_EVENT = "callback"  # the `type` of its notices on the call center's `callcenter:events`


class CallbackStatus(enum.StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CLOSED = "closed"


class CallbackOutcome(enum.StrEnum):
    REACHED = "reached"
    LEFT_MESSAGE = "left-message"
    NO_ANSWER = "no-answer"
    WRONG_NUMBER = "wrong-number"
    NOT_NEEDED = "not-needed"


class CallbackRequest(SQLModel, table=True):
    __tablename__ = "callback_requests"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: str = Field(max_length=64, unique=True, index=True)  # the transferred call's id in the call center
    call_sid: str | None = Field(default=None, max_length=64)
    department: str = Field(max_length=64)
    caller_user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    caller_name: str = Field(max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", max_length=500)
    summary: str = Field(default="", sa_type=Text)
    transcript: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    message_text: str | None = Field(default=None, sa_type=Text)  # the caller's voice message, as heard
    message_path: str | None = Field(default=None, max_length=255)  # its audio, under DATA_DIR
    created_at: datetime = Field(default_factory=utcnow, index=True)
    status: str = Field(default=CallbackStatus.OPEN.value, max_length=16, index=True)
    claimed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    claimed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, sa_type=Text)
    closed_at: datetime | None = None


def from_call(call: TransferCall) -> CallbackRequest:
    """The request a caller of `call` leaves: who, where to call, why, what was said."""
    user_id = call.caller.get("user_id")
    return CallbackRequest(
        call_id=call.id, call_sid=call.call_sid or None, department=call.department,
        caller_user_id=uuid.UUID(user_id) if user_id else None, caller_name=call.caller_name[:255],
        phone=(call.caller.get("phone") or None), reason=call.reason[:500], summary=call.summary,
        transcript=[{"role": str(t.get("role", "")), "text": str(t.get("text", ""))} for t in call.transcript],
    )


async def leave(sessions: SessionFactory, call: TransferCall, *, message_text: str | None = None,
                message_path: str | None = None) -> CallbackRequest:
    """Put `call`'s caller in the queue, with their voice message if they left one (once per call: a
    second "yes" finds the first request)."""
    async with transaction(sessions) as session:
        found = (await session.exec(select(CallbackRequest).where(CallbackRequest.call_id == call.id))).first()
        if found is not None:
            return found
        request = from_call(call)
        request.message_text = message_text or None
        request.message_path = message_path
        session.add(request)
        await session.flush()
        return request


async def listed(sessions: SessionFactory, status: CallbackStatus | None = None, limit: int = 100) -> list[CallbackRequest]:
    """Requests oldest first (the open ones are waiting longest at the top); closed ones newest first."""
    stmt = select(CallbackRequest)
    if status is not None:
        stmt = stmt.where(CallbackRequest.status == status.value)
    order = col(CallbackRequest.created_at)
    stmt = stmt.order_by(order.desc() if status is CallbackStatus.CLOSED else order).limit(limit)
    async with sessions() as session:
        return list((await session.exec(stmt)).all())


async def get(sessions: SessionFactory, request_id: uuid.UUID) -> CallbackRequest:
    async with sessions() as session:
        found = await session.get(CallbackRequest, request_id)
    if found is None:
        raise NotFound("No such callback request.")
    return found


async def claim(sessions: SessionFactory, request_id: uuid.UUID, staff_id: uuid.UUID) -> CallbackRequest:
    """Take an open request for `staff_id`; 409 when someone else has it or it is closed."""
    async with transaction(sessions) as session:
        result = await session.exec(
            update(CallbackRequest)
            .where(col(CallbackRequest.id) == request_id, col(CallbackRequest.status) == CallbackStatus.OPEN.value)
            .values(status=CallbackStatus.CLAIMED.value, claimed_by=staff_id, claimed_at=utcnow())
        )
    found = await get(sessions, request_id)
    if result.rowcount != 1 and not (found.status == CallbackStatus.CLAIMED and found.claimed_by == staff_id):
        raise Conflict("Someone else has claimed this callback." if found.status == CallbackStatus.CLAIMED
                       else "This callback is already closed.")
    return found


async def release(sessions: SessionFactory, request_id: uuid.UUID, staff_id: uuid.UUID) -> CallbackRequest:
    """Give back a request `staff_id` claimed, for anyone to take."""
    async with transaction(sessions) as session:
        result = await session.exec(
            update(CallbackRequest)
            .where(col(CallbackRequest.id) == request_id, col(CallbackRequest.status) == CallbackStatus.CLAIMED.value,
                   col(CallbackRequest.claimed_by) == staff_id)
            .values(status=CallbackStatus.OPEN.value, claimed_by=None, claimed_at=None)
        )
    found = await get(sessions, request_id)
    if result.rowcount != 1:
        raise Conflict("Only the staff member who claimed this callback can give it back.")
    return found


async def close(sessions: SessionFactory, request_id: uuid.UUID, staff_id: uuid.UUID, outcome: CallbackOutcome,
                note: str | None = None) -> CallbackRequest:
    """Close a request with how the call back went: one `staff_id` claimed, or an open one (claimed and
    closed at once)."""
    now = utcnow()
    async with transaction(sessions) as session:
        result = await session.exec(
            update(CallbackRequest)
            .where(col(CallbackRequest.id) == request_id,
                   (col(CallbackRequest.status) == CallbackStatus.OPEN.value)
                   | ((col(CallbackRequest.status) == CallbackStatus.CLAIMED.value)
                      & (col(CallbackRequest.claimed_by) == staff_id)))
            .values(status=CallbackStatus.CLOSED.value, claimed_by=staff_id, outcome=outcome.value,
                    note=(note or None), closed_at=now)
        )
    found = await get(sessions, request_id)
    if result.rowcount != 1:
        raise Conflict("This callback is already closed." if found.status == CallbackStatus.CLOSED
                       else "Someone else has claimed this callback.")
    return found


def notice(request: CallbackRequest) -> dict[str, Any]:
    """What the call center's event feed says of a change: which request, its status (no personal data)."""
    return {"type": CALLBACK_EVENT, "id": str(request.id), "status": request.status, "department": request.department}


def view(request: CallbackRequest) -> dict[str, Any]:
    return {
        "id": str(request.id), "call_id": request.call_id, "department": request.department,
        "caller_user_id": str(request.caller_user_id) if request.caller_user_id else None,
        "caller_name": request.caller_name, "phone": request.phone, "reason": request.reason,
        "summary": request.summary, "transcript": request.transcript, "created_at": request.created_at.isoformat(),
        "message_text": request.message_text, "has_message": bool(request.message_path),
        "status": request.status, "claimed_by": str(request.claimed_by) if request.claimed_by else None,
        "claimed_at": request.claimed_at.isoformat() if request.claimed_at else None,
        "outcome": request.outcome, "note": request.note,
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
    }
