"""Request dependencies: who may call a route, on top of `core.deps` (the runtime, its settings and
store, the request's database session, the signed-in user and the staff check), which this module
re-exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from core.config import Settings

# The same dependencies as a domain's staff routes use, not copies: FastAPI runs a dependency once
# per request, so a route and the staff check it sits behind share one database session and user.
from core.deps import UNAUTHORIZED as UNAUTHORIZED
from core.deps import CurrentUser as CurrentUser
from core.deps import RuntimeDep as RuntimeDep
from core.deps import SessionDep as SessionDep
from core.deps import SettingsDep as SettingsDep
from core.deps import StaffUser as StaffUser
from core.deps import StoreDep as StoreDep
from core.deps import access_token_session as access_token_session
from core.deps import bearer as bearer
from core.deps import device_signed_in as device_signed_in
from core.deps import get_current_user as get_current_user
from core.deps import get_staff_user as get_staff_user
from core.deps import signed_in as signed_in
from core.models import User
from core.ratelimit import address_limit
from core.store import Store


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the proxy's, unless uvicorn trusts its forwarded headers)."""
    return request.client.host if request.client else "unknown"


async def limit_sign_in_attempts(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """Count a sign-in attempt against the client's address: 429 past `AUTH_ATTEMPTS_PER_MINUTE`."""
    await address_limit(settings).hit(store, client_address(request))


SignInAttempt = Depends(limit_sign_in_attempts)


def access_token_claims(token: str, settings: Settings) -> tuple[uuid.UUID, int]:
    """The user id and token version of a valid access token; 401 for anything else (refresh tokens included)."""
    user_id, version, _ = access_token_session(token, settings)
    return user_id, version


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
