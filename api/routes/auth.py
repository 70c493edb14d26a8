"""Registration, login, token refresh and the caller's profile."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from api.deps import CurrentUser, RuntimeDep, SessionDep, SettingsDep, SignInAttempt, StoreDep
from api.routes import devices as device_routes
from api.routes import phone
from core import accounts, devices
from core.config import Settings
from core.db import transaction
from core.models import User
from core.ratelimit import account_failure_limit
from core.security import TokenError, create_token, decode_token
from core.store import Store

router = APIRouter(prefix="/api/auth", tags=["auth"])
router.include_router(phone.router)
router.include_router(device_routes.router)
log = logging.getLogger(__name__)

Password = Annotated[str, StringConstraints(min_length=8, max_length=72)]
Pin = Annotated[str, StringConstraints(pattern=r"^\d{4,6}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[\d\s().-]{7,20}$")]


class RegisterIn(BaseModel):
    email: EmailStr
    password: Password
    username: Annotated[str, StringConstraints(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")] | None = None
    first_name: Annotated[str, StringConstraints(max_length=100)] = ""
    last_name: Annotated[str, StringConstraints(max_length=100)] = ""
    voice_pin: Pin | None = None
    phone_number: Phone | None = None


class LoginIn(BaseModel):
    email: EmailStr
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class RefreshIn(BaseModel):
    refresh_token: Annotated[str, StringConstraints(max_length=4096)]


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone_number: Phone | None = None
    voice_pin: Pin | None = None
    password: Password | None = None
    current_password: Annotated[str, StringConstraints(max_length=200)] | None = Field(
        None, description="Required to change password, voice_pin or phone_number."
    )


class UserOut(BaseModel):
    id: uuid.UUID
    email: str
    username: str
    first_name: str
    last_name: str
    is_active: bool
    is_verified: bool
    phone_number: str | None
    has_voice_pin: bool
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            **user.model_dump(exclude={"password_hash", "voice_pin_hash"}),
            has_voice_pin=user.voice_pin_hash is not None,
        )


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Access-token lifetime in seconds.")
    user: UserOut


def issue_tokens(user: User, settings: Settings, *, sid: str, signed_in_at: int | None = None) -> TokensOut:
    """A new token pair under the account's current `token_version`, for device session `sid`
    (`core.devices`). The refresh token carries when the user signed in (`auth_time`), so refreshing
    cannot stretch a sign-in past SESSION_MAX_DAYS."""
    access_life = timedelta(minutes=settings.access_token_minutes)
    subject = str(user.id)
    now = datetime.now(UTC)
    refresh_life = timedelta(days=settings.refresh_token_days)
    auth_time = signed_in_at if signed_in_at is not None else int(now.timestamp())
    session_end = datetime.fromtimestamp(auth_time, UTC) + timedelta(days=settings.session_max_days)
    return TokensOut(
        access_token=create_token(subject, "access", key=settings.signing_key, lifetime=access_life, now=now,
                                  extra={"ver": user.token_version, "sid": sid}),
        refresh_token=create_token(
            subject, "refresh", key=settings.signing_key, lifetime=min(refresh_life, session_end - now), now=now,
            extra={"ver": user.token_version, "auth_time": auth_time, "sid": sid},
        ),
        expires_in=int(access_life.total_seconds()),
        user=UserOut.of(user),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, dependencies=[SignInAttempt])
async def register(
    body: RegisterIn, request: Request, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> TokensOut:
    user = await accounts.register_user(session, **body.model_dump(), rounds=settings.bcrypt_rounds)
    return issue_tokens(user, settings, sid=await _new_device(request, store, settings, user))


async def _new_device(request: Request, store: Store, settings: Settings, user: User) -> str:
    lifetime = timedelta(days=settings.session_max_days).total_seconds()
    return await devices.start(store, user.id, request.headers.get("user-agent"), lifetime)


@router.post("/login", dependencies=[SignInAttempt])
async def login(
    body: LoginIn, request: Request, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> TokensOut:
    """Password sign-in. Wrong passwords count against the account; past `AUTH_FAILURES_PER_ACCOUNT` in
    15 minutes its logins get 429 (unknown e-mails are counted the same way, so 429 tells nothing)."""
    email = accounts.normalize_email(body.email)
    failures = account_failure_limit(settings)
    await failures.check(store, email)
    user = await accounts.authenticate(session, email, body.password, settings.bcrypt_rounds)
    if user is None:
        await failures.hit(store, email)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Incorrect email or password.")
    await failures.clear(store, email)
    return issue_tokens(user, settings, sid=await _new_device(request, store, settings, user))


REFRESH_USED_TTL = timedelta(days=8)


@router.post("/refresh", dependencies=[SignInAttempt])
async def refresh(
    body: RefreshIn, session: SessionDep, settings: SettingsDep, store: StoreDep, runtime: RuntimeDep
) -> TokensOut:
    """Swap a refresh token for a new pair. Each refresh token works once (rotation); one used a second
    time means a copy is in someone else's hands, so every session of the account ends."""
    invalid = HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid or expired refresh token.")
    try:
        claims = decode_token(body.refresh_token, "refresh", key=settings.signing_key)
        user_id = uuid.UUID(str(claims["sub"]))
        version, auth_time = int(claims.get("ver", 0)), int(claims.get("auth_time", claims["iat"]))
        sid = str(claims["sid"])
    except (TokenError, ValueError, TypeError, KeyError):
        raise invalid from None
    first_use = await store.set(
        f"auth:refresh-used:{claims['jti']}", "1", ttl=REFRESH_USED_TTL.total_seconds(), only_if_absent=True
    )
    if not first_use:
        # In its own transaction: this request's is rolled back by the 401.
        async with transaction(runtime.sessions) as revoking:
            user = await revoking.get(User, user_id)
            if user is not None and user.token_version == version:
                accounts.end_sessions(user)
                log.warning("refresh token reused for user %s: every session of the account ended", user_id)
        raise invalid
    if datetime.now(UTC).timestamp() >= auth_time + timedelta(days=settings.session_max_days).total_seconds():
        raise invalid
    user = await session.get(User, user_id)
    if user is None or not user.is_active or user.token_version != version:
        raise invalid
    if not await devices.touch(store, user.id, sid, timedelta(days=settings.session_max_days).total_seconds()):
        raise invalid  # signed out from another device
    return issue_tokens(user, settings, sid=sid, signed_in_at=auth_time)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(user: CurrentUser, store: StoreDep) -> None:
    """End every session of the account: all its access and refresh tokens stop working. (One device
    alone: `DELETE /api/auth/sessions/{id}`.)"""
    accounts.end_sessions(user)
    await devices.end_all(store, user.id)


@router.get("/profile")
async def get_profile(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


SENSITIVE_FIELDS = frozenset({"password", "voice_pin", "phone_number"})


@router.put("/profile")
async def update_profile(
    body: ProfileIn, user: CurrentUser, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> UserOut:
    """Change the profile. A new password, voice PIN or phone number needs `current_password`; a new
    password or PIN ends every session (sign in again with the new password)."""
    changes = body.model_dump(exclude_unset=True)
    current = changes.pop("current_password", None)
    if SENSITIVE_FIELDS & changes.keys():
        failures = account_failure_limit(settings)
        await failures.check(store, user.email)
        if current is None or not await accounts.check_password(user, current):
            await failures.hit(store, user.email)
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "Give your current password (current_password) to change the password, PIN or phone.")
    await accounts.update_profile(session, user, **changes, rounds=settings.bcrypt_rounds)
    return UserOut.of(user)
