"""The staff callback queue on the call center: callers nobody could take, waiting to be called back.

* `GET /call-center/api/callbacks?status=open|claimed|closed` — the queue (default: open and claimed)
* `POST /call-center/api/callbacks/{id}/claim` — take one (409 when someone else has it)
* `POST /call-center/api/callbacks/{id}/release` — give it back
* `POST /call-center/api/callbacks/{id}/close` — done, with an outcome and an optional note
* `GET /call-center/api/callbacks/{id}/message` — the caller's voice message (WAV), when they left one

Staff only. Each change goes out on the call center's event feed, so every open page updates.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, StaffUser
from core import redaction
from core.events import publish_change
from core.models import User
from core.runtime import Runtime
from domains import registry
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.callbacks import CallbackOutcome, CallbackRequest, CallbackStatus

router = APIRouter(prefix="/call-center/api/callbacks", tags=["call-center"])


class TranscriptLine(BaseModel):
    role: str
    text: str


class CallbackOut(BaseModel):
    """One callback request as the queue shows it."""

    id: str
    call_id: str
    department: str
    caller_user_id: str | None
    caller_name: str
    phone: str | None
    reason: str
    summary: str
    transcript: list[TranscriptLine]
    message_text: str | None
    has_message: bool
    created_at: str
    status: CallbackStatus
    claimed_by: str | None
    claimed_at: str | None
    outcome: CallbackOutcome | None
    note: str | None
    closed_at: str | None


class CloseIn(BaseModel):
    outcome: CallbackOutcome
    note: str | None = Field(default=None, max_length=2000)


async def _readable(runtime: Runtime, user: User, requests: list[CallbackRequest]) -> list[dict[str, Any]]:
    """The requests' views as `user` may read them (`core.redaction.readable`: a call that touched a
    sensitive domain shows no words to staff without the clinical role)."""
    views = [callbacks.view(r) | {"call_sid": r.call_sid} for r in requests]
    return await redaction.readable(runtime.sessions, runtime.store, views, clinical=user.is_clinical,
                                    domains=registry.sensitive())


async def _shown(runtime: Runtime, user: User, requests: list[CallbackRequest]) -> list[CallbackOut]:
    return [CallbackOut.model_validate(view) for view in await _readable(runtime, user, requests)]


async def _changed(runtime: Runtime, user: User, request: CallbackRequest) -> CallbackOut:
    await publish_change(runtime.store, EVENTS, callbacks.notice(request))
    [shown] = await _shown(runtime, user, [request])
    return shown


@router.get("")
async def queue(
    user: StaffUser, runtime: RuntimeDep, status: CallbackStatus | None = None,
    limit: int = Query(100, ge=1, le=500),
) -> list[CallbackOut]:
    """The waiting requests (open, then claimed, oldest first), or those of one status."""
    if status is not None:
        return await _shown(runtime, user, await callbacks.listed(runtime.sessions, status, limit))
    found = [*await callbacks.listed(runtime.sessions, CallbackStatus.OPEN, limit),
             *await callbacks.listed(runtime.sessions, CallbackStatus.CLAIMED, limit)]
    return await _shown(runtime, user, found[:limit])


@router.post("/{request_id}/claim")
async def claim(request_id: uuid.UUID, user: StaffUser, runtime: RuntimeDep) -> CallbackOut:
    return await _changed(runtime, user, await callbacks.claim(runtime.sessions, request_id, user.id))


@router.post("/{request_id}/release")
async def release(request_id: uuid.UUID, user: StaffUser, runtime: RuntimeDep) -> CallbackOut:
    return await _changed(runtime, user, await callbacks.release(runtime.sessions, request_id, user.id))


@router.post("/{request_id}/close")
async def close(request_id: uuid.UUID, body: CloseIn, user: StaffUser, runtime: RuntimeDep) -> CallbackOut:
    request = await callbacks.close(runtime.sessions, request_id, user.id, body.outcome, body.note)
    return await _changed(runtime, user, request)


@router.get("/{request_id}/message", response_class=FileResponse)
async def voice_message(request_id: uuid.UUID, user: StaffUser, runtime: RuntimeDep) -> FileResponse:
    """The caller's voice message as WAV; 404 when they left none (or it has been purged); 403 to staff
    without the clinical role when the call touched a sensitive domain."""
    request = await callbacks.get(runtime.sessions, request_id)
    call = {"call_sid": request.call_sid, "department": request.department}
    if not user.is_clinical and (await redaction.sensitive_views(runtime.sessions, runtime.store, [call],
                                                                 registry.sensitive()))[0]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This call holds health details: clinical staff only.")
    root = runtime.settings.data_dir.resolve()
    path = (root / request.message_path).resolve() if request.message_path else None
    if path is None or not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "This callback has no voice message.")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-store"})
