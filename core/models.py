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
    voice_pin_hash: str | None = Field(default=None, max_length=255)
    phone_number: str | None = Field(default=None, max_length=32, unique=True, index=True)
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
