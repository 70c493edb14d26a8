"""Request dependencies every layer's routers use (a domain's staff routes included): the runtime the
app was started with, its settings and store, one database session per request, and the signed-in
user (`CurrentUser`, `StaffUser`: a staff route reads who is asking, e.g. to withhold health details
from staff without the clinical role). Who may call a route is decided where it is mounted (`api.deps`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from core import devices
from core.config import Settings
from core.models import User
from core.runtime import Runtime
from core.security import TokenError, decode_token
from core.store import Store


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


def get_store(runtime: RuntimeDep) -> Store:
    return runtime.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    async with runtime.sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent, so a client that was
# told "created" can read it back at once, and a failed commit is an error response, not a lie.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


bearer = HTTPBearer(auto_error=False)


UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)


def access_token_session(token: str, settings: Settings) -> tuple[uuid.UUID, int, str | None]:
    """The user id and token version of a valid access token and the device session it belongs to
    (`core.devices`); 401 for anything else (refresh tokens included)."""
    try:
        claims = decode_token(token, "access", key=settings.signing_key)
        sid = claims.get("sid")
        return uuid.UUID(str(claims["sub"])), int(claims.get("ver", 0)), str(sid) if sid else None
    except (TokenError, ValueError, TypeError):
        raise UNAUTHORIZED from None


async def device_signed_in(store: Store, user_id: uuid.UUID, sid: str | None) -> None:
    """401 when the token's device session was ended (signed out from another device)."""
    if sid is not None and not await devices.alive(store, user_id, sid):
        raise UNAUTHORIZED


def signed_in(user: User | None, version: int) -> User:
    """The user, if the account is active and the token was issued under its current version; 401 otherwise."""
    if user is None or not user.is_active or user.token_version != version:
        raise UNAUTHORIZED
    return user


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UNAUTHORIZED
    user_id, version, sid = access_token_session(credentials.credentials, settings)
    await device_signed_in(store, user_id, sid)
    return signed_in(await session.get(User, user_id), version)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_staff_user(user: CurrentUser) -> User:
    """The current user, if they are staff (`convonet create-user --staff`, or `convonet grant-staff`)."""
    if not user.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Staff only: ask an administrator to grant you staff access.")
    return user


StaffUser = Annotated[User, Depends(get_staff_user)]
