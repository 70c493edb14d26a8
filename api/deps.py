"""Request dependencies: the runtime, a database session, the current user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.models import User
from core.ratelimit import address_limit
from core.runtime import Runtime
from core.security import TokenError, decode_token
from core.store import Store

bearer = HTTPBearer(auto_error=False)


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


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


async def limit_sign_in_attempts(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """Count a sign-in attempt against the client's address: 429 past `AUTH_ATTEMPTS_PER_MINUTE`."""
    await address_limit(settings).hit(store, client_address(request))


SignInAttempt = Depends(limit_sign_in_attempts)


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, rolled back when it raises."""
    async with runtime.sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the response is sent, so a client that was
# told "created" can read it back at once, and a failed commit is an error response, not a lie.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Not authenticated",
    headers={"WWW-Authenticate": "Bearer"},
)


def access_token_claims(token: str, settings: Settings) -> tuple[uuid.UUID, int]:
    """The user id and token version of a valid access token; 401 for anything else (refresh tokens included)."""
    try:
        claims = decode_token(token, "access", key=settings.signing_key)
        return uuid.UUID(str(claims["sub"])), int(claims.get("ver", 0))
    except (TokenError, ValueError, TypeError):
        raise UNAUTHORIZED from None


def signed_in(user: User | None, version: int) -> User:
    """The user, if the account is active and the token was issued under its current version; 401 otherwise."""
    if user is None or not user.is_active or user.token_version != version:
        raise UNAUTHORIZED
    return user


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UNAUTHORIZED
    user_id, version = access_token_claims(credentials.credentials, settings)
    return signed_in(await session.get(User, user_id), version)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_user_no_session(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The current user, read in a session closed before the handler runs: for a handler that works
    for seconds (an agent turn) without a transaction, so it holds no pooled connection meanwhile."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise UNAUTHORIZED
    user_id, version = access_token_claims(credentials.credentials, runtime.settings)
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
