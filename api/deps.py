"""Request dependencies: the current user and who may call a route, on top of `core.deps` (the runtime,
its settings and store, the request's database session), which this module re-exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import devices
from core.config import Settings

# The same dependencies as a domain's staff routes use, not copies: FastAPI runs a dependency once
# per request, so a route and the staff check it sits behind share one database session.
from core.deps import RuntimeDep as RuntimeDep
from core.deps import SessionDep as SessionDep
from core.deps import SettingsDep as SettingsDep
from core.deps import StoreDep as StoreDep
from core.models import User
from core.ratelimit import address_limit
from core.security import TokenError, decode_token
from core.store import Store

bearer = HTTPBearer(auto_error=False)


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


async def limit_sign_in_attempts(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """Count a sign-in attempt against the client's address: 429 past `AUTH_ATTEMPTS_PER_MINUTE`."""
    await address_limit(settings).hit(store, client_address(request))


SignInAttempt = Depends(limit_sign_in_attempts)


UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)


def access_token_claims(token: str, settings: Settings) -> tuple[uuid.UUID, int]:
    """The user id and token version of a valid access token; 401 for anything else (refresh tokens included)."""
    user_id, version, _ = access_token_session(token, settings)
    return user_id, version


def access_token_session(token: str, settings: Settings) -> tuple[uuid.UUID, int, str | None]:
    """`access_token_claims` and the device session the token belongs to (`core.devices`)."""
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


async def bearer_user(request: Request, settings: Settings, store: Store) -> uuid.UUID | None:
    """The signed-in user whose valid access token the request carries, if any (no database read:
    for routes that answer anyone, and a little more to a signed-in user)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        user_id, _, sid = access_token_session(token.strip(), settings)
        await device_signed_in(store, user_id, sid)
    except HTTPException:
        return None
    return user_id


async def get_current_user_no_session(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The current user, read in a session closed before the handler runs: for a handler that works
    for seconds (an agent turn) without a transaction, so it holds no pooled connection meanwhile."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UNAUTHORIZED
    user_id, version, sid = access_token_session(credentials.credentials, runtime.settings)
    await device_signed_in(runtime.store, user_id, sid)
    async with runtime.sessions() as session:
        user = await session.get(User, user_id)
    return signed_in(user, version)


CurrentUserNoSession = Annotated[User, Depends(get_current_user_no_session)]


async def get_staff_user(user: CurrentUser) -> User:
    """The current user, if they are staff (`convonet create-user --staff`, or `convonet grant-staff`)."""
    if not user.is_staff:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Staff only: ask an administrator to grant you staff access.")
    return user


StaffUser = Annotated[User, Depends(get_staff_user)]
