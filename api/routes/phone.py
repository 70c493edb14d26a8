"""Proving the phone number on an account: a code texted to it, said back. A proved number brings
the history of the public-line caller who called from it (`core.contacts.adopt_history`): their
bookings, appointments and enquiries become the account's, and so do later calls from it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, StringConstraints

from api.deps import CurrentUser, SessionDep, SettingsDep, StoreDep
from core import contacts
from core.accounts import normalize_phone
from core.ratelimit import Limit, RateLimited
from core.sms import send_sms, sms_enabled

router = APIRouter(prefix="/phone", tags=["auth"])

CODE_TTL = 10 * 60
SENDS = Limit("phone-code-send", 3, 15 * 60)
TRIES = Limit("phone-code-fail", 5, 15 * 60)


class CodeIn(BaseModel):
    code: Annotated[str, StringConstraints(pattern=r"^\s*\d{6}\s*$", max_length=32)]


class VerifiedOut(BaseModel):
    phone_number: str
    kept_apart: list[str]
    """Tables where the caller's earlier record stayed apart because the account has its own (one per person)."""


def _key(user_id: object, phone: str) -> str:
    return f"phone-code:{user_id}:{hashlib.sha256(phone.encode()).hexdigest()[:24]}"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _refused(exc: RateLimited, message: str) -> HTTPException:
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": str(exc.retry_after)})


@router.post("/code", status_code=status.HTTP_204_NO_CONTENT)
async def send_code(user: CurrentUser, settings: SettingsDep, store: StoreDep) -> None:
    """Text a six-digit code to the account's phone number (valid 10 minutes)."""
    if not user.phone_number:
        raise HTTPException(status.HTTP_409_CONFLICT, "Add a phone number to your profile first.")
    if not sms_enabled(settings):
        raise HTTPException(status.HTTP_409_CONFLICT, "Text messages are not set up on this server.")
    try:
        await SENDS.hit(store, str(user.id))
    except RateLimited as exc:
        raise _refused(exc, "Too many codes sent; try again later.") from None
    phone = normalize_phone(user.phone_number)
    code = f"{secrets.randbelow(10**6):06d}"
    await store.set(_key(user.id, phone), _digest(code), ttl=CODE_TTL)
    await send_sms(settings, phone, f"Your Convonet code is {code}. It works for 10 minutes.")


@router.post("/verify")
async def verify(body: CodeIn, user: CurrentUser, session: SessionDep, store: StoreDep) -> VerifiedOut:
    """Prove the number with the texted code; the history of calls from it joins the account."""
    if not user.phone_number:
        raise HTTPException(status.HTTP_409_CONFLICT, "Add a phone number to your profile first.")
    try:
        await TRIES.check(store, str(user.id))
    except RateLimited as exc:
        raise _refused(exc, "Too many wrong codes; try again later.") from None
    phone = normalize_phone(user.phone_number)
    expected = await store.get(_key(user.id, phone))
    if expected is None or not hmac.compare_digest(expected, _digest(body.code.strip())):
        await TRIES.hit(store, str(user.id))
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "That code is not right, or it has run out.")
    await store.delete(_key(user.id, phone))
    kept = await contacts.adopt_history(session, user)
    return VerifiedOut(phone_number=phone, kept_apart=kept)
