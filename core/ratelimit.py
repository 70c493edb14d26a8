"""Rate limits kept in the store, so every replica counts the same attempts.

A limit allows `count` events per `window` seconds for one subject (a client address, an account,
a phone number). Windows are fixed and numbered from the epoch: the counter's key carries the
window's number and expires with it, which both backends can do with one INCR, and which tells
the refused client exactly when to come back (`Retry-After`). Subjects are hashed into the key,
so the store holds no e-mail addresses or numbers.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from core.config import Settings
from core.store import Store


class RateLimited(Exception):
    """Too many attempts; `retry_after` is how many seconds until the next one is allowed."""

    def __init__(self, retry_after: int, message: str = "Too many attempts. Try again later.") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message


@dataclass(frozen=True)
class Limit:
    """`count` events per `window` seconds for one subject of `name` (e.g. "login-ip")."""

    name: str
    count: int
    window: float

    def _slot(self, subject: str, now: float) -> tuple[str, int]:
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        number = int(now // self.window)
        retry_after = max(1, math.ceil((number + 1) * self.window - now))
        return f"rl:{self.name}:{digest}:{number}", retry_after

    async def hit(self, store: Store, subject: str, *, now: float | None = None) -> None:
        """Count one event; RateLimited when it is past the limit (the refused event counts too)."""
        key, retry_after = self._slot(subject, time.time() if now is None else now)
        if await store.incr(key, ttl=self.window + 1) > self.count:
            raise RateLimited(retry_after)

    async def check(self, store: Store, subject: str, *, now: float | None = None) -> None:
        """RateLimited when the subject has used up this window, without counting an event."""
        key, retry_after = self._slot(subject, time.time() if now is None else now)
        used = await store.get(key)
        if used is not None and int(used) >= self.count:
            raise RateLimited(retry_after)

    async def clear(self, store: Store, subject: str, *, now: float | None = None) -> None:
        """Forget the subject's count in the current window (a right password resets its failures)."""
        key, _ = self._slot(subject, time.time() if now is None else now)
        await store.delete(key)


def address_limit(settings: Settings) -> Limit:
    """Sign-in attempts of any kind from one client address."""
    return Limit("auth-addr", settings.auth_attempts_per_minute, 60)


def account_failure_limit(settings: Settings) -> Limit:
    """Wrong passwords for one account (by its normalised e-mail)."""
    return Limit("login-fail", settings.auth_failures_per_account, 15 * 60)
