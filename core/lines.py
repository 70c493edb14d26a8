"""Lines: which phone number answers how (`core.models.Line`), read by the voice channels and
managed by staff (API) and operators (`convonet line`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.accounts import normalize_phone
from core.errors import Invalid, NotFound
from core.models import Line
from core.timeutil import utcnow

MAX_GREETING = 500


class Access(StrEnum):
    pin = "pin"
    public = "public"


def clean_number(number: str) -> str:
    """The line's number as Twilio sends `To`: E.164, `+` and 7 to 15 digits."""
    phone = normalize_phone(number or "")
    if not phone.startswith("+") or not 7 <= len(phone) - 1 <= 15:
        raise Invalid(f"{number!r} is not a phone number in international form, such as +15550100000.")
    return phone


def _clean_domains(domains: Sequence[str], known: Iterable[str]) -> list[str]:
    known = set(known)
    chosen = list(dict.fromkeys(d.strip().lower() for d in domains if d.strip()))
    unknown = [d for d in chosen if d not in known]
    if unknown:
        raise Invalid(f"No such domain: {', '.join(unknown)}. Known: {', '.join(sorted(known))}.")
    return chosen


def _clean_text(value: str | None, what: str, limit: int) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > limit:
        raise Invalid(f"The {what} can be at most {limit} characters.")
    return text or None


async def get_line(session: AsyncSession, number: str) -> Line | None:
    try:
        number = clean_number(number)
    except Invalid:
        return None
    return (await session.exec(select(Line).where(Line.number == number))).first()


async def for_call(session: AsyncSession, to_number: str | None) -> Line | None:
    """The line a call to `to_number` came in on; None means the default (a PIN line serving everything)."""
    return await get_line(session, to_number) if to_number else None


async def list_lines(session: AsyncSession) -> list[Line]:
    return list((await session.exec(select(Line).order_by(col(Line.number)))).all())


async def set_line(
    session: AsyncSession,
    number: str,
    *,
    known_domains: Iterable[str],
    name: str | None = None,
    domains: Sequence[str] | None = None,
    greeting: str | None = None,
    access: str | None = None,
) -> tuple[Line, bool]:
    """Create the line for `number`, or change what is given of an existing one; (line, created)."""
    number = clean_number(number)
    line = (await session.exec(select(Line).where(Line.number == number))).first()
    created = line is None
    if access is not None and access not in Access.__members__:
        raise Invalid("A line's access is 'pin' or 'public'.")
    if line is None:
        if not (name or "").strip():
            raise Invalid("A new line needs a name.")
        line = Line(number=number, name="", access=access or Access.pin.value)
    if name is not None:
        cleaned = _clean_text(name, "name", 120)
        if cleaned is None:
            raise Invalid("A line needs a name.")
        line.name = cleaned
    if domains is not None:
        line.domains = _clean_domains(domains, known_domains)
    if greeting is not None:
        line.greeting = _clean_text(greeting, "greeting", MAX_GREETING)
    if access is not None:
        line.access = access
    line.updated_at = utcnow()
    session.add(line)
    await session.flush()
    return line, created


async def delete_line(session: AsyncSession, number: str) -> None:
    line = await get_line(session, number)
    if line is None:
        raise NotFound("There is no line with that number.")
    await session.delete(line)
    await session.flush()


def greeting_of(line: Line) -> str:
    """What a public line says when it answers."""
    return line.greeting or f"Thank you for calling {line.name}. How can I help?"
