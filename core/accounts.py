"""Accounts: registration, login, profile and voice-PIN checks over the users table."""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Conflict, Invalid
from core.models import User
from core.security import BCRYPT_MAX_BYTES, hash_secret_async, is_valid_pin, verify_secret_async
from core.timeutil import utcnow

# bcrypt hashes of a random string, by cost: verifying against one costs the same as a real check,
# so a login for an unknown e-mail takes as long as one with a wrong password.
_dummy_hashes: dict[int, str] = {}


async def _dummy_hash(rounds: int) -> str:
    if rounds not in _dummy_hashes:
        _dummy_hashes[rounds] = await hash_secret_async(uuid.uuid4().hex, rounds)
    return _dummy_hashes[rounds]


def check_password_length(password: str) -> None:
    """bcrypt reads at most 72 bytes; a longer password (in UTF-8, not in characters) is refused."""
    if len(password.encode()) > BCRYPT_MAX_BYTES:
        raise Invalid(f"The password is too long: at most {BCRYPT_MAX_BYTES} bytes (fewer letters outside plain ASCII).")


# One answer whichever detail clashes, so registration does not say which e-mail or number exists.
REGISTRATION_CONFLICT = "That email, username or phone number cannot be used for a new account."

_USERNAME_CLEAN = re.compile(r"[^a-z0-9_.-]+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def normalize_phone(phone: str) -> str:
    """E.164-ish: keep a leading + and the digits."""
    phone = phone.strip()
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if phone.startswith("+") or len(digits) > 10 else digits


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.exec(select(User).where(User.email == normalize_email(email)))
    return result.first()


async def get_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    if not phone:
        return None
    result = await session.exec(select(User).where(User.phone_number == normalize_phone(phone)))
    return result.first()


async def _unique_username(session: AsyncSession, wanted: str) -> str:
    base = _USERNAME_CLEAN.sub("", wanted.lower())[:48] or "user"
    candidate, n = base, 1
    while (await session.exec(select(User.id).where(User.username == candidate))).first() is not None:
        n += 1
        candidate = f"{base}{n}"
    return candidate


async def register_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    voice_pin: str | None = None,
    phone_number: str | None = None,
    rounds: int = 12,
    is_staff: bool = False,
) -> User:
    """Create a user. Conflict when the e-mail, username or phone number is taken."""
    email = normalize_email(email)
    if await get_user_by_email(session, email) is not None:
        raise Conflict(REGISTRATION_CONFLICT)
    if username:
        taken = (await session.exec(select(User.id).where(func.lower(User.username) == username.lower()))).first()
        if taken is not None:
            raise Conflict(REGISTRATION_CONFLICT)
    else:
        username = await _unique_username(session, email.split("@")[0])
    phone = normalize_phone(phone_number) if phone_number else None
    if phone and await get_user_by_phone(session, phone) is not None:
        raise Conflict(REGISTRATION_CONFLICT)
    if voice_pin is not None and not is_valid_pin(voice_pin):
        raise Invalid("The voice PIN must be 4 to 6 digits.")
    check_password_length(password)
    user = User(
        email=email,
        username=username,
        password_hash=await hash_secret_async(password, rounds),
        first_name=first_name,
        last_name=last_name,
        voice_pin_hash=await hash_secret_async(voice_pin, rounds) if voice_pin else None,
        phone_number=phone,
        is_staff=is_staff,
    )
    session.add(user)
    await session.flush()
    return user


async def authenticate(session: AsyncSession, email: str, password: str, rounds: int = 12) -> User | None:
    """The user when e-mail and password match an active account; None otherwise, in constant-ish time."""
    user = await get_user_by_email(session, email)
    if user is None:
        await verify_secret_async(password, await _dummy_hash(rounds))
        return None
    if not await verify_secret_async(password, user.password_hash) or not user.is_active:
        return None
    user.last_login_at = utcnow()
    session.add(user)
    return user


async def update_profile(
    session: AsyncSession,
    user: User,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    phone_number: str | None = None,
    voice_pin: str | None = None,
    password: str | None = None,
    rounds: int = 12,
) -> User:
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    if phone_number is not None:
        phone = normalize_phone(phone_number) if phone_number else None
        if phone:
            other = await get_user_by_phone(session, phone)
            if other is not None and other.id != user.id:
                raise Conflict("That phone number belongs to another account.")
        user.phone_number = phone
    if voice_pin is not None:
        if not is_valid_pin(voice_pin):
            raise Invalid("The voice PIN must be 4 to 6 digits.")
        user.voice_pin_hash = await hash_secret_async(voice_pin, rounds)
    if password is not None:
        check_password_length(password)
        user.password_hash = await hash_secret_async(password, rounds)
    if voice_pin is not None or password is not None:
        end_sessions(user)
    session.add(user)
    await session.flush()
    return user


def end_sessions(user: User) -> None:
    """Make every token issued to the account so far worthless (logout everywhere)."""
    user.token_version += 1


async def check_password(user: User, password: str) -> bool:
    """Whether `password` is the account's (bcrypt off the event loop)."""
    return await verify_secret_async(password, user.password_hash)


def escape_like(text: str) -> str:
    """`text` for a LIKE pattern with `escape="\\"`: its % and _ match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_users(session: AsyncSession, query: str, *, among: Any, limit: int = 10) -> list[User]:
    """Active users among `among` (a select of user ids: the people the searcher may see) whose
    e-mail, username or name contains `query` (case-insensitive, wildcards taken literally)."""
    if len(query.strip()) < 2:
        raise Invalid("Give at least two letters to search for.")
    needle = f"%{escape_like(query.strip().lower())}%"
    stmt = (
        select(User)
        .where(User.is_active)
        .where(col(User.id).in_(among))
        .where(
            or_(
                func.lower(User.email).like(needle, escape="\\"),
                func.lower(User.username).like(needle, escape="\\"),
                func.lower(User.first_name + " " + User.last_name).like(needle, escape="\\"),
            )
        )
        .order_by(col(User.email))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())
