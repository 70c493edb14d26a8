"""Healthcare tables: one patient record per user, symptom reports, clinic appointments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class AppointmentStatus(StrEnum):
    booked = "booked"
    cancelled = "cancelled"


class Patient(SQLModel, table=True):
    __tablename__ = "patients"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", unique=True, index=True, ondelete="CASCADE")
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=32)
    insurance_provider: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class SymptomRecord(SQLModel, table=True):
    """What a caller said about how they feel; kept even before they register as a patient."""

    __tablename__ = "symptom_records"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    patient_id: uuid.UUID | None = Field(default=None, foreign_key="patients.id", index=True, ondelete="SET NULL")
    symptoms: str = Field(sa_type=Text)
    duration: str | None = Field(default=None, max_length=120)
    emergency: bool = Field(default=False)
    recorded_at: datetime = Field(default_factory=utcnow)


# One booked appointment per slot and provider, enforced by the database too.
_BOOKED_SQL = "status = 'booked'"
NO_PROVIDER = 0
"""`Appointment.provider_id` of a clinic with no providers listed: one patient per slot."""


class Provider(SQLModel, table=True):
    """A doctor or nurse who sees patients; never deleted (appointments name them), only made inactive."""

    __tablename__ = "clinic_providers"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ClinicSettings(SQLModel, table=True):
    """The clinic's hours as staff set them (`schedule.ClinicRules`); with no row, the defaults there.
    One row, id 1."""

    __tablename__ = "clinic_settings"

    id: int = Field(default=1, primary_key=True)
    hours: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """By weekday name: {"first": "08:00", "last": "16:30"} (first and last appointment start), or null when closed."""
    closures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    slot_minutes: int
    updated_at: datetime = Field(default_factory=utcnow)


class Appointment(SQLModel, table=True):
    __tablename__ = "clinic_appointments"
    __table_args__ = (
        Index(
            "uq_clinic_appointments_booked_slot",
            "starts_at",
            "provider_id",
            unique=True,
            sqlite_where=text(_BOOKED_SQL),
            postgresql_where=text(_BOOKED_SQL),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patients.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(index=True)
    provider_id: int = Field(default=NO_PROVIDER)
    """A `Provider`'s id, or NO_PROVIDER (no foreign key: 0 names no row)."""
    reason: str | None = Field(default=None, max_length=500)
    status: str = Field(default=AppointmentStatus.booked.value, max_length=16)
    confirmation_code: str | None = Field(default=None, max_length=8, unique=True, index=True)
    """Read to the caller when booked; proves the booking on a public line (None: booked before codes)."""
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
