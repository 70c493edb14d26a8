"""What the agent's popup says about a caller: their account, teams, open work and past calls."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from core.db import SessionFactory
from core.models import CallRecording, Contact, User
from core.tools import TransferRequest
from domains.productivity.models import Team, TeamMembership, Todo
from domains.transfer.calls import TransferCall, summarize


async def caller_identity(sessions: SessionFactory, user_id: str | None, phone: str | None = None) -> dict[str, Any]:
    """Name, email and phone of the caller (an unknown caller is their number)."""
    user = await _user(sessions, user_id)
    if user is None:
        return {"user_id": None, "name": phone or "Unknown caller", "email": None, "phone": phone}
    contact = await _contact(sessions, user.id)
    if contact is not None:  # a caller of a public line: who they said they are, and their caller ID
        return {"user_id": str(user.id), "name": contact.name or contact.reach or phone or "Unknown caller",
                "email": contact.email, "phone": contact.reach or phone, "contact_id": str(contact.id)}
    return {"user_id": str(user.id), "name": user.display_name, "email": user.email,
            "phone": user.phone_number or phone}


async def caller_profile(sessions: SessionFactory, user_id: str | None) -> dict[str, Any]:
    """The account as the popup shows it; empty for a caller with no account."""
    user = await _user(sessions, user_id)
    if user is None:
        return {}
    contact = await _contact(sessions, user.id)
    if contact is not None:
        return {
            "contact": True,
            "first_call_at": contact.first_call_at.isoformat(),
            "last_call_at": contact.last_call_at.isoformat(),
            "notes": contact.notes,
        }
    async with sessions() as session:
        teams = (await session.exec(
            select(Team.name, TeamMembership.role)
            .join(TeamMembership, col(TeamMembership.team_id) == col(Team.id))
            .where(TeamMembership.user_id == user.id)
            .order_by(col(Team.name))
        )).all()
        open_todos = (await session.exec(
            select(func.count()).select_from(Todo).where(
                (col(Todo.creator_id) == user.id) | (col(Todo.assignee_id) == user.id), col(Todo.completed).is_(False)
            )
        )).one()
        calls = (await session.exec(
            select(CallRecording.started_at).where(CallRecording.user_id == user.id)
            .order_by(col(CallRecording.started_at).desc())
        )).all()
    return {
        "notes": user.staff_notes,
        "member_since": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "verified": user.is_verified,
        "teams": [{"name": name, "role": role} for name, role in teams],
        "open_todos": int(open_todos),
        "previous_calls": len(calls),
        "last_call_at": calls[0].isoformat() if calls else None,
    }


async def _contact(sessions: SessionFactory, user_id: uuid.UUID) -> Contact | None:
    async with sessions() as session:
        return (await session.exec(select(Contact).where(Contact.user_id == user_id))).first()


async def _user(sessions: SessionFactory, user_id: str | None) -> User | None:
    if not user_id:
        return None
    try:
        key = uuid.UUID(str(user_id))
    except ValueError:
        return None
    async with sessions() as session:
        return await session.get(User, key)


async def transfer_call(
    sessions: SessionFactory,
    *,
    request: TransferRequest,
    call_sid: str,
    channel: str,
    caller_id: str | None,
    phone: str | None,
    transcript: list[dict[str, Any]],
) -> TransferCall:
    """A call about to be handed to a person, with everything their screen shows about it."""
    caller = await caller_identity(sessions, caller_id, phone)
    department = (request.department or "support").lower()
    reason = request.reason
    lines = [dict(line) for line in transcript]
    return TransferCall(
        call_sid=call_sid,
        department=department,
        channel=channel,
        extension=request.extension,
        reason=reason,
        caller=caller,
        profile=await caller_profile(sessions, caller_id),
        transcript=lines,
        summary=summarize(caller["name"], department, reason, lines),
    )
