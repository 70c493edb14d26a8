"""Restaurant tables: reservations at Hanok Table."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class ReservationStatus(StrEnum):
    confirmed = "confirmed"
    cancelled = "cancelled"


class Reservation(SQLModel, table=True):
    __tablename__ = "restaurant_reservations"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(index=True)
    party_size: int
    name: str = Field(max_length=120)
    special_requests: str | None = Field(default=None, sa_type=Text)
    status: str = Field(default=ReservationStatus.confirmed.value, max_length=16)
    confirmation_code: str = Field(max_length=8, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
