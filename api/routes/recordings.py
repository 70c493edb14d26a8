"""Call recordings for staff: `GET /agent-monitor/api/calls/{id}/recording` plays a finished call's audio
(a stereo WAV: the caller left, what they heard right); `?download=true` saves it as a file.

Staff only (403 for anyone else, who never learns whether a recording exists), and a call that touched a
sensitive domain (the clinic's intake) only for clinical staff (`core.redaction`); 404 when the call kept
none (RECORD_CALLS off, the disk refused it) or retention has purged it.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse, Response

from api.deps import RuntimeDep, StaffUser
from core import redaction
from core.models import CallRecording
from core.recordings import recording_store
from domains import registry

router = APIRouter(prefix="/agent-monitor/api/calls", tags=["monitor"])

NONE_KEPT = "This call has no recording."


@router.get("/{call_id}/recording", response_class=Response)
async def recording(
    call_id: uuid.UUID, user: StaffUser, runtime: RuntimeDep,
    download: Annotated[bool, Query(description="Save as a file instead of playing.")] = False,
) -> Response:
    async with runtime.sessions() as session:
        row = await session.get(CallRecording, call_id)
    if row is None or not row.audio_path:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NONE_KEPT)
    call = {"call_sid": row.call_sid, "department": None}
    if not user.is_clinical and (await redaction.sensitive_views(runtime.sessions, runtime.store, [call],
                                                                 registry.sensitive()))[0]:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This call holds health details: clinical staff only.")
    store = recording_store(runtime.settings)
    name = f"call-{row.started_at:%Y%m%d-%H%M%S}-{row.channel}.wav"
    headers = {"Cache-Control": "no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
    path = store.local_path(row.audio_path)
    if path is not None:
        return FileResponse(path, media_type="audio/wav", headers=headers)
    data = await store.read(row.audio_path)
    if data is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NONE_KEPT)
    return Response(data, media_type="audio/wav", headers=headers)
