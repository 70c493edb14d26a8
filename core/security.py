"""Password and PIN hashing (bcrypt) and JWT tokens (HS256): access, refresh, and the short-lived
stream tokens that live pages pass in a URL where they cannot send a header (EventSource).

bcrypt costs about a quarter of a second of CPU at cost 12. Async code hashes and checks through
`hash_secret_async` / `verify_secret_async`, which run it on one worker thread (bcrypt releases
the GIL) so the event loop that carries every call's audio never waits on it, and which refuse
new work (`HashingBusy`) once a backlog has built up rather than queueing without end."""

from __future__ import annotations

import asyncio
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import bcrypt
import jwt

TokenType = Literal["access", "refresh", "stream"]
ALGORITHM = "HS256"
PIN_PATTERN = re.compile(r"^\d{4,6}$")
BCRYPT_MAX_BYTES = 72
# One thread: at most one core goes to hashing, whatever the load; the other carries the calls.
HASH_WORKERS = 1
# Hashes waiting or running before new ones are refused: ~4 s of work at cost 12.
MAX_PENDING_HASHES = 16


class TokenError(Exception):
    """The token is missing, malformed, forged, expired or of the wrong type."""


class HashingBusy(Exception):
    """Too many password or PIN checks are waiting already; the caller should try again shortly."""


def hash_secret(secret: str, rounds: int = 12) -> str:
    """bcrypt hash of a password or PIN. Refuses secrets bcrypt would silently truncate."""
    raw = secret.encode()
    if len(raw) > BCRYPT_MAX_BYTES:
        raise ValueError("secret is longer than 72 bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode()


def verify_secret(secret: str, hashed: str | None) -> bool:
    if not hashed:
        return False
    raw = secret.encode()
    if len(raw) > BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False


_hash_pool = ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix="bcrypt")
_pending = 0


async def _off_loop(fn: Any, *args: Any, refuse_when_busy: bool) -> Any:
    global _pending
    if refuse_when_busy and _pending >= MAX_PENDING_HASHES:
        raise HashingBusy("too many password checks are waiting")
    _pending += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_hash_pool, fn, *args)
    finally:
        _pending -= 1


async def hash_secret_async(secret: str, rounds: int = 12, *, refuse_when_busy: bool = True) -> str:
    """`hash_secret` on the hashing thread; HashingBusy when the backlog is full (with `refuse_when_busy`)."""
    result: str = await _off_loop(hash_secret, secret, rounds, refuse_when_busy=refuse_when_busy)
    return result


async def verify_secret_async(secret: str, hashed: str | None, *, refuse_when_busy: bool = True) -> bool:
    """`verify_secret` on the hashing thread. A caller already on a call passes `refuse_when_busy=False`:
    they wait their turn rather than being hung up because of someone else's login flood."""
    if not hashed:
        return False
    result: bool = await _off_loop(verify_secret, secret, hashed, refuse_when_busy=refuse_when_busy)
    return result


def is_valid_pin(pin: str) -> bool:
    return bool(PIN_PATTERN.match(pin))


def create_token(
    subject: str,
    token_type: TokenType,
    *,
    key: str,
    lifetime: timedelta,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "type": token_type,
        "iat": int(issued.timestamp()),
        "exp": int((issued + lifetime).timestamp()),
        "jti": uuid.uuid4().hex,
        **(extra or {}),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_token(token: str, expected_type: TokenType, *, key: str) -> dict[str, Any]:
    """The claims of a valid token of `expected_type`; TokenError otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "type", "jti"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise TokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise TokenError("invalid token") from exc
    if claims.get("type") != expected_type:
        raise TokenError(f"not an {expected_type} token")
    return claims
