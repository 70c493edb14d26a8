"""The account's signed-in devices: list them, and sign one out (its tokens stop working at once)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel

from api.deps import CurrentUser, SettingsDep, StoreDep, access_token_session, bearer
from core import devices

router = APIRouter(prefix="/sessions", tags=["auth"])


class DeviceOut(BaseModel):
    id: str
    device: str
    """The browser or app as it named itself (its User-Agent), cut to 200 characters."""
    created_at: datetime
    last_used_at: datetime
    current: bool
    """The session this request was made from."""


def _current_sid(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str | None:
    if credentials is None:
        return None
    return access_token_session(credentials.credentials, settings)[2]


CurrentSid = Annotated[str | None, Depends(_current_sid)]


@router.get("")
async def list_sessions(user: CurrentUser, store: StoreDep, current: CurrentSid) -> list[DeviceOut]:
    """The devices signed in to this account, most recently used first."""
    return [DeviceOut(id=s.id, device=s.device, created_at=s.created_at, last_used_at=s.last_used_at,
                      current=s.id == current) for s in await devices.list_for(store, user.id)]


@router.delete("/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def end_session(
    user: CurrentUser, store: StoreDep, session_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
) -> None:
    """Sign one device out; the account's other devices stay signed in."""
    if not await devices.end(store, user.id, session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such session.")
