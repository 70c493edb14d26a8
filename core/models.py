"""Cross-cutting tables: the people who use Convonet, and the calls they make."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=255, unique=True, index=True)
    username: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    is_active: bool = Field(default=True)
    is_verified: bool = Field(default=False)
    is_staff: bool = Field(default=False)
    """Works the dashboards: sees every call on the monitor, the staff lists and the call center."""
    is_clinical: bool = Field(default=False)
    """A clinician: reads health details (a domain marked sensitive, the clinic's intake) where others who
    see a caller's conversation get them withheld (`core.monitor.redacted`)."""
    voice_pin_hash: str | None = Field(default=None, max_length=255)
    phone_number: str | None = Field(default=None, max_length=32, unique=True, index=True)
    staff_notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """What staff noted about this caller (the call-center popup); never shown to the user."""
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    token_version: int = Field(default=0)
    """Tokens carry the version they were issued under; bumping it (logout, a new password or PIN,
    a refresh token used twice) ends every session of the account."""

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.username


class CallRecording(SQLModel, table=True):
    """One phone call or browser session: who, when, what was said, how long each turn took."""

    __tablename__ = "call_recordings"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_sid: str = Field(max_length=64, unique=True, index=True)
    channel: str = Field(max_length=16)  # phone | browser
    from_number: str | None = Field(default=None, max_length=32)
    to_number: str | None = Field(default=None, max_length=32)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True, ondelete="SET NULL")
    transcript: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default="in-progress", max_length=32)
    started_at: datetime = Field(default_factory=utcnow, index=True)
    ended_at: datetime | None = None
    audio_path: str | None = Field(default=None, max_length=512)


class Line(SQLModel, table=True):
    """A phone number the business owns (the Twilio webhook's `To`): what answers it and who may use it.

    `pin`: the personal assistant, as a number with no line (caller ID and voice PIN open an account).
    `public`: anyone may call; the caller is a `Contact` known by caller ID, and no PIN is asked."""

    __tablename__ = "lines"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=120)
    domains: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The business domains the agent serves on this line (`domains.registry` names); empty: all of them."""
    greeting: str | None = Field(default=None, max_length=500)
    access: str = Field(default="pin", max_length=8)  # pin | public
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Contact(SQLModel, table=True):
    """Someone who called a public line, known by caller ID. Their bookings and enquiries are owned by
    `user_id`, an account of their own that cannot sign in (inactive, no password, no PIN): every
    tool and query that is scoped to "the caller's user" is scoped to this contact alone."""

    __tablename__ = "contacts"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", unique=True, index=True, ondelete="CASCADE")
    phone: str | None = Field(default=None, max_length=32, unique=True, index=True)
    """E.164 caller ID; None when it was withheld or malformed, or the caller came by the web page (such a
    contact lasts one call)."""
    given_phone: str | None = Field(default=None, max_length=32)
    """A number the caller gave (typed on the web page): for staff to call back, never to find the contact by."""
    name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=255)
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    first_call_at: datetime = Field(default_factory=utcnow)
    last_call_at: datetime = Field(default_factory=utcnow)

    @property
    def reach(self) -> str | None:
        """The number staff can call back: the caller ID, else the one the caller gave."""
        return self.phone or self.given_phone
