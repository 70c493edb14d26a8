"""Who may use a call: the voice PIN check and the per-number lockout, shared by every process.

The caller's number picks the account: its stored PIN hash is what a spoken or keyed PIN is
checked against. When no account has that number (or it has no PIN), `VOICE_PIN` is the
fallback. Wrong PINs are counted per number in the store (`pin:fail:{number}`, 15 minutes);
the fifth locks the number out (`pin:lock:{number}`) for 15 minutes in every process.
"""

from __future__ import annotations

import enum
import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import get_user_by_email, get_user_by_phone, normalize_phone
from core.config import Settings
from core.db import SessionFactory
from core.models import User
from core.security import verify_secret_async
from core.store import Store

log = logging.getLogger(__name__)

LOCKOUT_SECONDS = 15 * 60
MAX_FAILURES = 5


class PinOutcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Caller:
    """The account a call acts for once the PIN is right."""

    user_id: uuid.UUID
    first_name: str


async def oldest_active_user(session: AsyncSession) -> User | None:
    """The account `VOICE_PIN` opens when the caller's number matches none: the install's first user."""
    result = await session.exec(select(User).where(col(User.is_active)).order_by(col(User.created_at)).limit(1))
    return result.first()


FallbackUser = Callable[[AsyncSession], Awaitable[User | None]]


def _caller(user: User) -> Caller:
    return Caller(user.id, user.first_name or user.username)


class PinVerifier:
    """Checks PINs for one caller number and keeps that number's failure count."""

    def __init__(
        self,
        sessions: SessionFactory,
        store: Store,
        settings: Settings,
        phone: str | None,
        *,
        fallback_user: FallbackUser = oldest_active_user,
        max_failures: int = MAX_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._settings = settings
        self._phone = normalize_phone(phone) if phone else ""
        self._fallback_user = fallback_user
        self._max_failures = max_failures
        self._lockout_seconds = lockout_seconds
        number = self._phone or "anonymous"
        self.fail_key = f"pin:fail:{number}"
        self.lock_key = f"pin:lock:{number}"

    async def locked(self) -> bool:
        return await self._store.get(self.lock_key) is not None

    async def check(self, pin: str) -> tuple[PinOutcome, Caller | None]:
        """Whether `pin` opens this call; a wrong PIN counts toward the number's lockout."""
        if await self.locked():
            return PinOutcome.LOCKED, None
        caller = await self._match(pin.strip())
        if caller is not None:
            await self._store.delete(self.fail_key)
            return PinOutcome.OK, caller
        failures = await self._store.incr(self.fail_key, ttl=self._lockout_seconds)
        if failures >= self._max_failures:
            await self._store.set(self.lock_key, "1", ttl=self._lockout_seconds)
            await self._store.delete(self.fail_key)
            log.warning("voice PIN: %s locked out after %d wrong PINs", self._phone or "anonymous", failures)
            return PinOutcome.LOCKED, None
        return PinOutcome.WRONG, None

    async def _voice_pin_owner(self, session: AsyncSession) -> User | None:
        """`VOICE_PIN_USER`'s account when it is set (and active), else the fallback (the oldest)."""
        if not self._settings.voice_pin_user:
            return await self._fallback_user(session)
        user = await get_user_by_email(session, self._settings.voice_pin_user)
        return user if user is not None and user.is_active else None

    async def _match(self, pin: str) -> Caller | None:
        async with self._sessions() as session:
            user = await get_user_by_phone(session, self._phone)
            if user is not None and not user.is_active:
                return None
            if user is not None and user.voice_pin_hash:
                ok = await verify_secret_async(pin, user.voice_pin_hash, refuse_when_busy=False)
                return _caller(user) if ok else None
            fallback = self._settings.voice_pin
            if not fallback or not hmac.compare_digest(pin.encode(), fallback.encode()):
                return None
            owner = user or await self._voice_pin_owner(session)
        if owner is None:
            log.error("voice PIN matched VOICE_PIN but there is no active user to act for (VOICE_PIN_USER %s)",
                      self._settings.voice_pin_user or "unset")
            return None
        return _caller(owner)
