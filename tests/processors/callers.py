"""A registered caller for the voice tests: a phone number, a voice PIN, a first name."""

from __future__ import annotations

from core import accounts
from core.models import User
from core.runtime import Runtime

CALLER_PHONE = "+15551234567"
CALLER_PIN = "4821"


async def register_caller(
    runtime: Runtime,
    *,
    email: str = "ann@example.com",
    first_name: str = "Ann",
    phone: str | None = CALLER_PHONE,
    pin: str | None = CALLER_PIN,
) -> User:
    async with runtime.sessions() as session, session.begin():
        return await accounts.register_user(
            session, email=email, password="pw-secret-123", first_name=first_name, phone_number=phone,
            voice_pin=pin, rounds=4,
        )
