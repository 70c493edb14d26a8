"""The agent's tools around a call on the call-center page:

* `POST /call-center/api/call/wrap-up` — `{call_id, code, note?}`: file a finished call under one of
  WRAP_UP_CODES (on the call's outcome in the history)
* `PUT /call-center/api/customer/{call_id}/notes` — `{notes}`: the staff's notes on the caller (kept on
  the contact of a public line, or on the caller's account; shown in every later popup, never to them)

Staff only. Availability and the activity timeline come with `GET /call-center/api/agent/status` and
`GET /call-center/api/agent/activity`.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, StaffUser
from api.routes.call_center import Center
from api.routes.call_center_models import OutcomeOut
from core.db import transaction
from core.models import Contact, User
from domains.transfer.wrap_up import MAX_NOTE, wrap_up

router = APIRouter(prefix="/call-center/api", tags=["call-center"])


class WrapUpIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=MAX_NOTE)


class NotesIn(BaseModel):
    notes: str = Field(max_length=5000)


class NotesOut(BaseModel):
    contact_id: str | None = None
    user_id: str | None = None
    notes: str | None


@router.post("/call/wrap-up")
async def file_call(body: WrapUpIn, user: StaffUser, runtime: RuntimeDep, center: Center) -> OutcomeOut:
    entry = await wrap_up(center, body.call_id, str(user.id), body.code, body.note, runtime.settings.wrap_up_codes)
    return OutcomeOut.model_validate(entry)


@router.put("/customer/{call_id}/notes")
async def customer_notes(call_id: str, body: NotesIn, _user: StaffUser, runtime: RuntimeDep,
                         center: Center) -> NotesOut:
    """Replace the notes on the caller of `call_id` (a contact, or an account); the popup of this call shows
    them at once."""
    call = await center.find(call_id)
    if call is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No caller is known for that call.")
    contact_id, user_id = call.caller.get("contact_id"), call.caller.get("user_id")
    if not contact_id and not user_id:
        raise HTTPException(status.HTTP_409_CONFLICT, "This caller has no account or contact to keep notes on.")
    notes = body.notes.strip() or None
    async with transaction(runtime.sessions) as session:
        found = (await session.get(Contact, uuid.UUID(str(contact_id))) if contact_id
                 else await session.get(User, uuid.UUID(str(user_id))))
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "That caller is no longer on file.")
        if isinstance(found, Contact):
            found.notes = notes
        else:
            found.staff_notes = notes
        session.add(found)
    call.profile = {**call.profile, "notes": notes}
    await center.save(call)
    if contact_id:
        return NotesOut(contact_id=str(contact_id), notes=notes)
    return NotesOut(user_id=str(user_id), notes=notes)
