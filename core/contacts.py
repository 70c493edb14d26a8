"""Contacts: callers of a public line, known by caller ID (`core.models.Contact`).

A contact owns its bookings and enquiries through an account of its own that cannot sign in, so
every tool keeps acting for "the caller's user" and sees that contact's records and no one else's.
Caller ID can be forged: on a public line, changing or cancelling an existing booking needs its
confirmation code, or the name on it plus a code texted to the caller's number (when Twilio is
configured: a forger does not get the real number's texts). Wrong codes are counted in the store
(`CODE_TRIES` per 15 minutes per caller) so codes cannot be guessed by trying.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_phone
from core.db import SessionFactory, transaction
from core.errors import Invalid, Question
from core.models import Contact, User
from core.ratelimit import Limit, RateLimited
from core.sms import send_sms, sms_enabled
from core.tools import ToolContext

CODE_TRIES = 5
CODE_WINDOW = 15 * 60
TEXT_CODE_TTL = 10 * 60
TEXTS_PER_WINDOW = 3
UNUSABLE_PASSWORD = "!"  # no bcrypt hash: nothing verifies against it
CONTACT_EMAIL_DOMAIN = "contacts.invalid"

# What carriers and Twilio put in `From` when the number is withheld: "anonymous" spelt on a keypad
# (+266696687), "restricted", "blocked", "unavailable" and the like.
_WITHHELD = frozenset({"+266696687", "+7378742833", "+2562533", "+86282452253", "+8656696"})


def caller_number(raw: str | None) -> str | None:
    """The caller's number in E.164, or None when it is withheld, empty or not a phone number."""
    text = (raw or "").strip()
    if not text or re.search(r"[a-z]", text, re.IGNORECASE):
        return None
    phone = normalize_phone(text)
    if not phone.startswith("+") or not 8 <= len(phone) - 1 <= 15 or phone in _WITHHELD:
        return None
    return phone


def clean_name(name: str | None) -> str | None:
    text = " ".join((name or "").split())
    return text[:120] or None


async def _create(session: AsyncSession, phone: str | None, now: datetime) -> Contact:
    key = uuid.uuid4().hex
    owner = User(
        email=f"contact-{key}@{CONTACT_EMAIL_DOMAIN}",
        username=f"contact-{key}",
        password_hash=UNUSABLE_PASSWORD,
        is_active=False,
    )
    session.add(owner)
    await session.flush()
    contact = Contact(user_id=owner.id, phone=phone, first_call_at=now, last_call_at=now)
    session.add(contact)
    await session.flush()
    return contact


async def by_phone(session: AsyncSession, phone: str) -> Contact | None:
    return (await session.exec(select(Contact).where(Contact.phone == phone))).first()


async def by_owner(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, Contact]:
    """The contacts among the owners `user_ids` of some records, by owner (account holders are absent)."""
    if not user_ids:
        return {}
    found = await session.exec(select(Contact).where(col(Contact.user_id).in_(user_ids)))
    return {c.user_id: c for c in found.all()}


async def open_for_call(sessions: SessionFactory, from_number: str | None, now: datetime) -> Contact:
    """The contact calling from `from_number` (made on their first call), with this call noted. A
    withheld or malformed number gets a contact of its own that no later call will find."""
    phone = caller_number(from_number)
    for _ in range(2):  # two first calls from one number at once: the loser reads the winner's contact
        try:
            async with transaction(sessions) as session:
                contact = await by_phone(session, phone) if phone else None
                if contact is None:
                    return await _create(session, phone, now)
                contact.last_call_at = now
                session.add(contact)
                return contact
        except IntegrityError:
            continue
    raise RuntimeError("could not record the caller as a contact")


async def open_for_web(sessions: SessionFactory, name: str | None, phone: str | None, now: datetime) -> Contact:
    """A caller of a public line on the web page: nothing they type proves who they are, so they are a
    contact of their own for this call, with the name and number they gave (for staff to call back)."""
    async with transaction(sessions) as session:
        contact = await _create(session, None, now)
        contact.name, contact.given_phone = clean_name(name), caller_number(phone)
        session.add(contact)
        return contact


async def for_staff(session: AsyncSession, phone: str | None, name: str | None, now: datetime) -> Contact:
    """The contact a staff member books for: the one with that number (made if new), or with no number
    a contact of its own. A number that is not a phone number is Invalid."""
    number = caller_number(phone) if phone and phone.strip() else None
    if phone and phone.strip() and number is None:
        raise Invalid("That phone number doesn't look right; give it with its country code, such as +15550100000.")
    contact = await by_phone(session, number) if number else None
    if contact is None:
        contact = await _create(session, number, now)
    cleaned = clean_name(name)
    if contact.name is None and cleaned:
        contact.name = cleaned
        session.add(contact)
    return contact


async def contact_of(session: AsyncSession, ctx: ToolContext) -> Contact | None:
    if ctx.contact_id is None:
        return None
    return await session.get(Contact, ctx.contact_id)


async def remember_name(session: AsyncSession, ctx: ToolContext, name: str) -> None:
    """A public-line caller's name, as they first gave it (to a booking or the clinic), kept on their contact."""
    contact = await contact_of(session, ctx)
    cleaned = clean_name(name)
    if contact is not None and contact.name is None and cleaned:
        contact.name = cleaned
        session.add(contact)


async def booking_name(session: AsyncSession, ctx: ToolContext, given: str | None) -> str:
    """The name a booking is made under: the one given (a contact's first one is remembered), else
    the contact's or the account's; a contact who has given none is asked for it."""
    name = clean_name(given)
    if ctx.contact_id is None:
        if name:
            return name
        user = await session.get(User, ctx.user_id)
        return user.display_name if user is not None else "Guest"
    if name:
        await remember_name(session, ctx, name)
        return name
    contact = await contact_of(session, ctx)
    if contact is not None and contact.name:
        return contact.name
    raise Question("What name should I put the booking under?", ("name",))


def code_in(ref: str, prefix: str, alphabet: str) -> str | None:
    """The confirmation code `ref` says (`HT-4K2P`, "ht 4k2p", "4K2P", "the one with code HT-4K2P"), as
    stored; None when it says none."""
    named = re.search(rf"\b{prefix}[\s-]*([A-Z0-9]{{4}})\b", ref.upper())
    if named and all(c in alphabet for c in named.group(1)):
        return f"{prefix}-{named.group(1)}"
    letters = re.sub(r"[^A-Z0-9]", "", ref.upper())
    letters = letters.removeprefix(prefix) if len(letters) == len(prefix) + 4 else letters
    if len(letters) != 4 or any(c not in alphabet for c in letters):
        return None
    return f"{prefix}-{letters}"


def code_limit() -> Limit:
    return Limit("booking-code-fail", CODE_TRIES, CODE_WINDOW)


def _subject(ctx: ToolContext) -> str:
    return f"contact:{ctx.contact_id}"


async def check_code_tries(ctx: ToolContext) -> None:
    """Invalid when this caller has used up its wrong confirmation codes for now."""
    try:
        await code_limit().check(ctx.store, _subject(ctx))
    except RateLimited:
        raise Invalid(
            "Too many wrong confirmation codes; I can't change bookings on this call. "
            "Please try again later, or ask for a person."
        ) from None


def code_needed(ctx: ToolContext, what: str) -> Question:
    """The question for a caller who named a booking without proof; `what` is the kind of booking, and
    the tool's argument that names it (the answer, a code, goes there; a name, to `name_on_booking`)."""
    texting = sms_enabled(ctx.settings)
    article = "an" if what[:1] in "aeiou" else "a"
    return Question(
        f"To change or cancel {article} {what} on this line, I need its confirmation code, the one I read out "
        "when it was made" + (", or the name on it, and I'll text a code to the number you're calling from."
                              if texting else "."),
        (what, "name_on_booking") if texting else (what,),
    )


_NOT_A_NAME = frozenset({
    "the", "my", "our", "a", "reservation", "booking", "table", "appointment", "visit", "under", "name", "for", "in",
    "of", "it", "is", "one",
})


def name_in(ref: str) -> str:
    """The words of a booking reference that could be the name it is under ("the reservation under the
    name lindqvist" -> "lindqvist"); empty when a word of it is a number or the reference says none."""
    words = [w for w in re.sub(r"[^\w' -]", " ", ref.lower()).split() if w not in _NOT_A_NAME]
    return "" if any(c.isdigit() for w in words for c in w) else " ".join(words)


def same_name(given: str, on_booking: str) -> bool:
    """Whether the name a caller gives is the booking's ("Kim" for "Kim Lee", any case)."""
    words = set(given.lower().split())
    return bool(words) and words <= set(on_booking.lower().split())


@dataclass(frozen=True)
class TextProof:
    """What a caller proved with a texted code: the bookings under `name` are theirs to change."""

    name: str


def _text_key(ctx: ToolContext) -> str:
    return f"booking-text-code:{ctx.contact_id}"


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


async def text_a_code(session: AsyncSession, ctx: ToolContext, name: str, business: str) -> Invalid:
    """Text a one-time code to the caller's number for their bookings under `name`; the error to raise
    (it asks the caller for the code), or one saying why no text can be sent."""
    if not sms_enabled(ctx.settings):
        return Invalid("I can't send text messages here, so I need the booking's confirmation code.")
    contact = await contact_of(session, ctx)
    if contact is None or contact.phone is None:
        return Invalid("Your number is withheld, so I can't text you a code; I need the booking's confirmation code.")
    try:
        await Limit("booking-code-text", TEXTS_PER_WINDOW, CODE_WINDOW).hit(ctx.store, _subject(ctx))
    except RateLimited:
        return Invalid("I've sent as many codes as I can for now; please use the confirmation code or try later.")
    code = f"{secrets.randbelow(10**6):06d}"
    pending = json.dumps({"digest": _digest(code), "name": name})
    await ctx.store.set(_text_key(ctx), pending, ttl=TEXT_CODE_TTL)
    await send_sms(ctx.settings, contact.phone, f"{business}: your code to change a booking is {code}. "
                                                "It works for 10 minutes.")
    return Question("I've texted a six-digit code to the number you're calling from. Tell me the code to go ahead.",
                    ("texted_code",))


async def texted_proof(ctx: ToolContext, ref: str, texted_code: str | None) -> TextProof | None:
    """The proof a texted code gives (the code in `texted_code` or as six digits in `ref`); None when
    no code was said; a wrong code is counted and raised."""
    said = re.sub(r"\D", "", texted_code or "") or next(iter(re.findall(r"\b\d{6}\b", ref)), "")
    if not said:
        return None
    pending = await ctx.store.get(_text_key(ctx))
    if pending is None:
        if texted_code:
            raise Question("There is no texted code waiting: it has run out or was never sent. Tell me the name "
                           "on the booking and I'll text a new one.", ("name_on_booking",))
        return None
    data = json.loads(pending)
    if not hmac.compare_digest(_digest(said), str(data["digest"])):
        raise await wrong_code(ctx, "booking", "texted_code")
    return TextProof(str(data["name"]))


async def wrong_code(ctx: ToolContext, what: str, fills: str | None = None) -> Invalid:
    """Count a wrong code; the error to raise: a question for the right one, in the tool's argument
    `fills` (by default `what`, the kind of booking), or a last warning when the tries run out."""
    try:
        await code_limit().hit(ctx.store, _subject(ctx))
        await code_limit().check(ctx.store, _subject(ctx))
    except RateLimited:
        return Invalid("That code isn't right, and that was the last try for now. Please try again later.")
    return Question(f"That confirmation code doesn't match any {what} of yours. Please check it and try again.",
                    (fills or what,))


def _owned_tables() -> list[tuple[Table, bool]]:
    """Every table with a `user_id` that points at users (but contacts), and whether one user may own
    only one row there (a unique column or index on it)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        column = table.c.get("user_id")
        if table.name in ("users", "contacts") or column is None:
            continue
        if not any(fk.column.table.name == "users" for fk in column.foreign_keys):
            continue
        single = bool(column.unique) or any(
            index.unique and "user_id" in index.columns for index in table.indexes
        ) or any(isinstance(c, UniqueConstraint) and "user_id" in c.columns for c in table.constraints)
        found.append((table, single))
    return found


async def adopt_history(session: AsyncSession, user: User) -> list[str]:
    """Give `user` the records of the contact that called from their number (which they have proved
    is theirs), and make later calls from it theirs too. Where one user may own only one row (a
    patient record, an active application) and they have one already, the contact's stays behind;
    the names of those tables are returned."""
    if not user.phone_number:
        return []
    contact = await by_phone(session, normalize_phone(user.phone_number))
    if contact is None or contact.user_id == user.id:
        return []
    kept = []
    connection = await session.connection()  # the session's transaction, for plain table statements
    for table, single in _owned_tables():
        column = table.c.user_id
        if single and (await connection.execute(select(column).where(column == user.id).limit(1))).first():
            kept.append(table.name)
            continue
        await connection.execute(update(table).where(column == contact.user_id).values(user_id=user.id))
    contact.user_id = user.id
    session.add(contact)
    await session.flush()
    return kept
