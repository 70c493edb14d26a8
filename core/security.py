"""Password and PIN hashing (bcrypt) and JWT tokens (HS256): access, refresh, and the short-lived
stream tokens that live pages pass in a URL where they cannot send a header (EventSource)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import bcrypt
import jwt

TokenType = Literal["access", "refresh", "stream"]
ALGORITHM = "HS256"
PIN_PATTERN = re.compile(r"^\d{4,6}$")
BCRYPT_MAX_BYTES = 72


class TokenError(Exception):
    """The token is missing, malformed, forged, expired or of the wrong type."""


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
