"""Staff see and annotate the people who called the public lines (`core.models.Contact`). Staff only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlmodel import col, select

from api.deps import SessionDep, get_staff_user
from core.models import Contact

router = APIRouter(prefix="/api/staff/contacts", tags=["staff"], dependencies=[Depends(get_staff_user)])


class ContactOut(BaseModel):
    id: uuid.UUID
    phone: str | None
    """Caller ID (None when withheld, or for a web-page caller)."""
    given_phone: str | None
    """A number the caller typed or gave, for a call back; unverified."""
    name: str | None
    email: str | None
    notes: str | None
    first_call_at: datetime
    last_call_at: datetime


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None


@router.get("")
async def list_contacts(
    session: SessionDep, limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0
) -> list[ContactOut]:
    """The most recent callers first."""
    stmt = select(Contact).order_by(col(Contact.last_call_at).desc()).offset(offset).limit(limit)
    return [ContactOut.model_validate(c, from_attributes=True) for c in (await session.exec(stmt)).all()]


@router.patch("/{contact_id}")
async def update_contact(contact_id: uuid.UUID, body: ContactPatch, session: SessionDep) -> ContactOut:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such contact.")
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(contact, name, value or None)
    session.add(contact)
    await session.flush()
    return ContactOut.model_validate(contact, from_attributes=True)
