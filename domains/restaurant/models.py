"""Restaurant tables: reservations at Hanok Table."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class ReservationStatus(StrEnum):
    confirmed = "confirmed"
    cancelled = "cancelled"
    no_show = "no_show"


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


class RestaurantSettings(SQLModel, table=True):
    """Hanok Table's seating rules as staff set them (`service.Rules`); with no row, the defaults in
    `service` apply. One row, id 1."""

    __tablename__ = "restaurant_settings"

    id: int = Field(default=1, primary_key=True)
    hours: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """By weekday name: {"first": "17:00", "last": "21:00"} (first and last seating), or null when closed."""
    closures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """ISO dates the restaurant is closed, whatever the weekday."""
    capacity: int
    """Guests seated at most per half-hour seating."""
    max_party: int
    updated_at: datetime = Field(default_factory=utcnow)
