"""Registration, login, token refresh and the caller's profile."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from api.deps import CurrentUser, SessionDep, SettingsDep, SignInAttempt, StoreDep
from core import accounts
from core.config import Settings
from core.models import User
from core.ratelimit import account_failure_limit
from core.security import TokenError, create_token, decode_token

router = APIRouter(prefix="/api/auth", tags=["auth"])

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
    refresh_token: str


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    last_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    phone_number: Phone | None = None
    voice_pin: Pin | None = None
    password: Password | None = None


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


def issue_tokens(user: User, settings: Settings) -> TokensOut:
    access_life = timedelta(minutes=settings.access_token_minutes)
    subject = str(user.id)
    return TokensOut(
        access_token=create_token(subject, "access", key=settings.signing_key, lifetime=access_life),
        refresh_token=create_token(
            subject, "refresh", key=settings.signing_key, lifetime=timedelta(days=settings.refresh_token_days)
        ),
        expires_in=int(access_life.total_seconds()),
        user=UserOut.of(user),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, dependencies=[SignInAttempt])
async def register(body: RegisterIn, session: SessionDep, settings: SettingsDep) -> TokensOut:
    user = await accounts.register_user(session, **body.model_dump(), rounds=settings.bcrypt_rounds)
    return issue_tokens(user, settings)


@router.post("/login", dependencies=[SignInAttempt])
async def login(body: LoginIn, session: SessionDep, settings: SettingsDep, store: StoreDep) -> TokensOut:
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
    return issue_tokens(user, settings)


REFRESH_USED_TTL = timedelta(days=8)


@router.post("/refresh", dependencies=[SignInAttempt])
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep, store: StoreDep) -> TokensOut:
    """Swap a refresh token for a new pair. Each refresh token works once (rotation)."""
    invalid = HTTPException(status.HTTP_401_UNAUTHORIZED, "Invalid or expired refresh token.")
    try:
        claims = decode_token(body.refresh_token, "refresh", key=settings.signing_key)
        user_id = uuid.UUID(str(claims["sub"]))
    except (TokenError, ValueError):
        raise invalid from None
    first_use = await store.set(
        f"auth:refresh-used:{claims['jti']}", "1", ttl=REFRESH_USED_TTL.total_seconds(), only_if_absent=True
    )
    if not first_use:
        raise invalid
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise invalid
    return issue_tokens(user, settings)


@router.get("/profile")
async def get_profile(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.put("/profile")
async def update_profile(body: ProfileIn, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> UserOut:
    changes = body.model_dump(exclude_unset=True)
    await accounts.update_profile(session, user, **changes, rounds=settings.bcrypt_rounds)
    return UserOut.of(user)

