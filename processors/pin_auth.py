"""Who may use a call: the voice PIN check and the lockouts, shared by every process.

The caller's number (phone) or typed e-mail (browser) picks the account: its stored PIN hash is
what a spoken, keyed or typed PIN is checked against. `VOICE_PIN` is the fallback for an account
without a PIN of its own and, on the phone, for a number no account has: then it opens
`VOICE_PIN_USER`'s account and nobody else's (unset: it opens nothing for unknown numbers).

Three counters, all in the store (15 minutes each), so every process and both channels see them:
* per source (`pin:fail:{number}` / `pin:fail:email:{email}`): the fifth wrong PIN locks it out;
* per account (`pin:fail:user:{id}`), shared by phone and browser: the fifth wrong PIN for the
  account's own PIN locks the account out, whichever numbers or pages the guesses came from;
* one for `VOICE_PIN` across every caller: past `VOICE_PIN_MAX_FAILURES` it opens nothing until
  the window ends, so fresh numbers cannot guess the shared PIN without limit.
"""

from __future__ import annotations

import enum
import hmac
import logging
import uuid
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import get_user_by_email, get_user_by_phone, normalize_phone
from core.config import Settings
from core.db import SessionFactory
from core.models import User
from core.ratelimit import Limit, RateLimited
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


@dataclass(frozen=True)
class Target:
    """What a PIN is checked against: the account's own PIN hash, or `VOICE_PIN` (`fallback`) for it."""

    account: User | None
    fallback: bool


def _caller(user: User) -> Caller:
    return Caller(user.id, user.first_name or user.username)


def voice_pin_limit(settings: Settings) -> Limit:
    """Wrong tries of `VOICE_PIN`, all callers together."""
    return Limit("voice-pin-fail", settings.voice_pin_max_failures, LOCKOUT_SECONDS)


def account_keys(user_id: uuid.UUID) -> tuple[str, str]:
    """The failure counter and lock of one account's own PIN, shared by phone and browser."""
    return f"pin:fail:user:{user_id}", f"pin:lock:user:{user_id}"


class PinVerifier:
    """Checks PINs for one caller number and keeps the counts (number, account, `VOICE_PIN`)."""

    refuse_when_busy = False  # a caller already on the line waits for the hashing thread

    def __init__(
        self,
        sessions: SessionFactory,
        store: Store,
        settings: Settings,
        phone: str | None,
        *,
        max_failures: int = MAX_FAILURES,
        lockout_seconds: float = LOCKOUT_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._settings = settings
        self._phone = normalize_phone(phone) if phone else ""
        self._max_failures = max_failures
        self._lockout_seconds = lockout_seconds
        number = self._phone or "anonymous"
        self.fail_key = f"pin:fail:{number}"
        self.lock_key = f"pin:lock:{number}"

    async def locked(self) -> bool:
        """Whether this source, or the account it reaches with its own PIN, is locked out."""
        if await self._store.get(self.lock_key) is not None:
            return True
        async with self._sessions() as session:
            target = await self._target(session)
        return await self._account_locked(target)

    async def _account_locked(self, target: Target) -> bool:
        if target.account is None or target.fallback:
            return False
        return await self._store.get(account_keys(target.account.id)[1]) is not None

    async def check(self, pin: str) -> tuple[PinOutcome, Caller | None]:
        """Whether `pin` opens this call; a wrong PIN counts toward the lockouts."""
        if await self._store.get(self.lock_key) is not None:
            return PinOutcome.LOCKED, None
        async with self._sessions() as session:
            target = await self._target(session)
        if await self._account_locked(target):
            return PinOutcome.LOCKED, None
        limit = voice_pin_limit(self._settings)
        if target.fallback:
            try:
                await limit.check(self._store, "all")
            except RateLimited:
                return PinOutcome.LOCKED, None
        if await self._verify(target, pin.strip()):
            assert target.account is not None
            await self._store.delete(self.fail_key, *([] if target.fallback else [account_keys(target.account.id)[0]]))
            return PinOutcome.OK, _caller(target.account)
        outcome = await self._count_failure(self.fail_key, self.lock_key, self._phone or "anonymous")
        if target.account is not None and not target.fallback:
            fail_key, lock_key = account_keys(target.account.id)
            if await self._count_failure(fail_key, lock_key, f"account {target.account.id}") is PinOutcome.LOCKED:
                outcome = PinOutcome.LOCKED
        if target.fallback:
            try:
                await limit.hit(self._store, "all")
            except RateLimited:
                log.error("VOICE_PIN: %d wrong tries from all callers within %d minutes; it opens nothing until "
                          "the window ends", limit.count, LOCKOUT_SECONDS // 60)
        return outcome, None

    async def _count_failure(self, fail_key: str, lock_key: str, who: str) -> PinOutcome:
        failures = await self._store.incr(fail_key, ttl=self._lockout_seconds)
        if failures < self._max_failures:
            return PinOutcome.WRONG
        await self._store.set(lock_key, "1", ttl=self._lockout_seconds)
        await self._store.delete(fail_key)
        log.warning("voice PIN: %s locked out after %d wrong PINs", who, failures)
        return PinOutcome.LOCKED

    async def _verify(self, target: Target, pin: str) -> bool:
        if target.account is None:
            if target.fallback:
                log.error("VOICE_PIN was tried, but VOICE_PIN_USER (%s) names no active account: it opens nothing",
                          self._settings.voice_pin_user or "unset")
            return False
        if target.fallback:
            fallback = self._settings.voice_pin
            return bool(fallback) and hmac.compare_digest(pin.encode(), (fallback or "").encode())
        return await verify_secret_async(pin, target.account.voice_pin_hash, refuse_when_busy=self.refuse_when_busy)

    async def _voice_pin_owner(self, session: AsyncSession) -> User | None:
        """`VOICE_PIN_USER`'s account when it is set and active; None otherwise (never some other account)."""
        if not self._settings.voice_pin_user:
            return None
        user = await get_user_by_email(session, self._settings.voice_pin_user)
        return user if user is not None and user.is_active else None

    async def _target(self, session: AsyncSession) -> Target:
        user = await get_user_by_phone(session, self._phone)
        if user is not None and not user.is_active:
            return Target(None, False)
        if user is not None and user.voice_pin_hash:
            return Target(user, False)
        if not self._settings.voice_pin:
            return Target(None, False)
        return Target(user or await self._voice_pin_owner(session), True)
