"""An agent's SIP account for the call-center softphone, and finding the customer of a SIP call.

The password itself is never stored: only the digest HA1, md5(extension:realm:password), which is
what a SIP user agent needs to answer the registrar's challenge (JsSIP takes `ha1` and `realm`).
The page fetches it after the staff member has signed in, so it is never in the page's source.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel, col, select

from core.db import SessionFactory
from core.models import Contact, User
from core.store import Store
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.transfer.calls import TransferCall
from domains.transfer.profile import transfer_call

EXTENSION = re.compile(r"^[A-Za-z0-9_.+-]{1,32}$")
CALL_SID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


class SipAccount(SQLModel, table=True):
    """One staff member's extension on the PBX."""

    __tablename__ = "sip_accounts"

    user_id: uuid.UUID = Field(primary_key=True, foreign_key="users.id")
    extension: str = Field(max_length=32)
    realm: str = Field(max_length=255)
    ha1: str = Field(max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


def digest_ha1(extension: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{extension}:{realm}:{password}".encode()).hexdigest()  # SIP digest is MD5


async def save_account(sessions: SessionFactory, user_id: uuid.UUID, extension: str, password: str,
                       realm: str) -> SipAccount:
    async with sessions() as session:
        account = await session.get(SipAccount, user_id) or SipAccount(user_id=user_id, extension="", realm="", ha1="")
        account.extension, account.realm = extension, realm
        account.ha1 = digest_ha1(extension, realm, password)
        account.updated_at = utcnow()
        session.add(account)
        await session.commit()
        await session.refresh(account)
        return account


async def get_account(sessions: SessionFactory, user_id: uuid.UUID) -> SipAccount | None:
    async with sessions() as session:
        return await session.get(SipAccount, user_id)


async def delete_account(sessions: SessionFactory, user_id: uuid.UUID) -> bool:
    async with sessions() as session:
        account = await session.get(SipAccount, user_id)
        if account is None:
            return False
        await session.delete(account)
        await session.commit()
        return True


def digits(number: str) -> str:
    return re.sub(r"[^0-9]", "", number)


async def find_customer(store: Store, sessions: SessionFactory, *, call_sid: str | None,
                        number: str | None) -> TransferCall | None:
    """The caller of a SIP call: the transfer context Twilio's CallSid names, else the newest context
    from the caller's number, else the account or contact with that number (no conversation)."""
    contexts = []
    for key in await store.keys("callcenter:customer:"):
        if raw := await store.get(key):
            contexts.append(TransferCall.parse(raw))
    if call_sid:
        for call in contexts:
            if call.call_sid == call_sid:
                return call
    if not number:
        return None
    wanted = digits(number)[-10:]
    by_number = [c for c in contexts if digits(str(c.caller.get("phone") or ""))[-10:] == wanted]
    if by_number:
        return max(by_number, key=lambda c: c.queued_at)
    candidates = {number, f"+{digits(number)}"} | ({f"+1{digits(number)}"} if len(digits(number)) == 10 else set())
    async with sessions() as session:
        user = (await session.exec(select(User).where(col(User.phone_number).in_(candidates)))).first()
        contact = None if user else (await session.exec(select(Contact).where(col(Contact.phone).in_(candidates)))).first()
    owner = user.id if user else contact.user_id if contact else None
    if owner is None:
        return None
    call = await transfer_call(sessions, request=TransferRequest(department=""), call_sid=call_sid or "",
                               channel="sip", caller_id=str(owner), phone=number, transcript=[])
    call.department, call.summary = "", "Called the PBX directly: no conversation with the assistant."
    return call
