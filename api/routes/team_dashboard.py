"""The team dashboard page and its live feed: todo change notices for the teams the viewer is in.

The page reads and writes through `/api/teams/…` and `/api/todos/…`. EventSource cannot send an
Authorization header, so the feed takes a short-lived stream token in its URL instead; the
token is good only for opening the feed, never for the API, and an access token never opens it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel

from api.deps import CurrentUser, RuntimeDep, SettingsDep
from api.web import page
from core.models import User
from core.runtime import Runtime
from core.security import TokenError, create_token, decode_token
from domains.productivity.notices import TODOS_CHANGED
from domains.productivity.teams import membership

router = APIRouter(tags=["team dashboard"])

STREAM_TOKEN_LIFETIME = timedelta(seconds=60)
# A feed ends after this long and the page reopens it with a fresh token: a server shutting
# down never waits long on an open feed, and a removed or disabled account stops receiving.
STREAM_LIFETIME_SECONDS = 300.0


class StreamTokenOut(BaseModel):
    token: str
    expires_in: int


@router.get("/team-dashboard", include_in_schema=False)
async def team_dashboard_page() -> FileResponse:
    return page("team_dashboard")


@router.post("/team-dashboard/api/stream-token")
async def stream_token(user: CurrentUser, settings: SettingsDep) -> StreamTokenOut:
    """A token that opens the caller's live feed once, within a minute."""
    token = create_token(str(user.id), "stream", key=settings.signing_key, lifetime=STREAM_TOKEN_LIFETIME)
    return StreamTokenOut(token=token, expires_in=int(STREAM_TOKEN_LIFETIME.total_seconds()))


async def stream_viewer(runtime: RuntimeDep, token: Annotated[str, Query(max_length=2000)]) -> uuid.UUID:
    """The active user an unused stream token names; 401 for anything else. Holds no session open."""
    invalid = HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid, used or expired stream token.")
    try:
        claims = decode_token(token, "stream", key=runtime.settings.signing_key)
        user_id = uuid.UUID(str(claims["sub"]))
    except (TokenError, ValueError):
        raise invalid from None
    ttl = STREAM_TOKEN_LIFETIME.total_seconds()
    if not await runtime.store.set(f"auth:stream-used:{claims['jti']}", "1", ttl=ttl, only_if_absent=True):
        raise invalid
    async with runtime.sessions() as session:
        user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise invalid
    return user_id


async def _concerns(runtime: Runtime, user_id: uuid.UUID, change: dict[str, Any]) -> bool:
    """Whether the viewer may hear of this change: a team they are in now, or their own todo."""
    team_id = change.get("team_id")
    if team_id is None:
        return change.get("user_id") == str(user_id)
    async with runtime.sessions() as session:
        return await membership(session, uuid.UUID(team_id), user_id) is not None


@router.get("/team-dashboard/api/stream", response_class=EventSourceResponse)
async def stream(
    user_id: Annotated[uuid.UUID, Depends(stream_viewer)], runtime: RuntimeDep
) -> AsyncIterator[ServerSentEvent]:
    """`ready` once listening, then a `todos:changed` event per change the viewer may see."""
    subscription = await runtime.store.subscribe(TODOS_CHANGED)
    try:
        yield ServerSentEvent(event="ready", data={})
        loop = asyncio.get_running_loop()
        ends = loop.time() + STREAM_LIFETIME_SECONDS
        while (left := ends - loop.time()) > 0:
            message = await subscription.get(wait=left)
            if message is None:
                break
            try:
                change = json.loads(message)
                relevant = await _concerns(runtime, user_id, change)
            except (ValueError, TypeError, AttributeError):
                continue  # not a notice this feed understands
            if relevant:
                yield ServerSentEvent(event=TODOS_CHANGED, data=change)
    finally:
        with anyio.CancelScope(shield=True):
            await subscription.close()
