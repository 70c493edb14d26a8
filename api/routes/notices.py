"""A user's own live notices, for every page they have open: their reminders as they fire, and a call
from the call center ringing them (`domains.transfer.outbound`, the in-app path).

Like the team dashboard's feed, it opens with a short-lived single-use stream token in its URL
(EventSource cannot send an Authorization header), and ends after a while for the page to reopen.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from api.deps import CurrentUser, RuntimeDep, SettingsDep
from api.routes.team_dashboard import (
    STREAM_LIFETIME_SECONDS,
    STREAM_TOKEN_LIFETIME,
    StreamTokenOut,
    stream_viewer,
)
from core.security import create_token
from domains.productivity.reminder_firing import REMINDER_DUE
from domains.transfer.outbound import INCOMING_CALL

router = APIRouter(tags=["notices"])


@router.post("/api/notices/stream-token")
async def stream_token(user: CurrentUser, settings: SettingsDep) -> StreamTokenOut:
    """A token that opens the caller's notice feed once, within a minute."""
    token = create_token(str(user.id), "stream", key=settings.signing_key, lifetime=STREAM_TOKEN_LIFETIME)
    return StreamTokenOut(token=token, expires_in=int(STREAM_TOKEN_LIFETIME.total_seconds()))


@router.get("/api/notices/stream", response_class=EventSourceResponse)
async def stream(
    user_id: Annotated[uuid.UUID, Depends(stream_viewer)], runtime: RuntimeDep
) -> AsyncIterator[ServerSentEvent]:
    """`ready` once listening, then a `reminder` event for each of the viewer's reminders as it fires, and a
    `call` event when an agent calls them."""
    subscription = await runtime.store.subscribe(REMINDER_DUE)
    mine = str(user_id)
    try:
        yield ServerSentEvent(event="ready", data={})
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_LIFETIME_SECONDS
        while (left := ends - loop.time()) > 0:
            message = await subscription.get(wait=left)
            if message is None:
                break
            try:
                notice = json.loads(message)
            except ValueError:
                continue
            if isinstance(notice, dict) and notice.get("user_id") == mine:
                kind = "call" if notice.get("notice") == INCOMING_CALL else "reminder"
                yield ServerSentEvent(event=kind, data=notice)
    finally:
        with anyio.CancelScope(shield=True):
            await subscription.close()
