"""Healthcare tables: one patient record per user, symptom reports, clinic appointments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, Text, text
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


# One booked appointment per slot across the whole clinic, enforced by the database too.
_BOOKED_SQL = "status = 'booked'"


class Appointment(SQLModel, table=True):
    __tablename__ = "clinic_appointments"
    __table_args__ = (
        Index(
            "uq_clinic_appointments_booked_slot",
            "starts_at",
            unique=True,
            sqlite_where=text(_BOOKED_SQL),
            postgresql_where=text(_BOOKED_SQL),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    patient_id: uuid.UUID = Field(foreign_key="patients.id", index=True, ondelete="CASCADE")
    starts_at: datetime = Field(index=True)
    reason: str | None = Field(default=None, max_length=500)
    status: str = Field(default=AppointmentStatus.booked.value, max_length=16)
    confirmation_code: str | None = Field(default=None, max_length=8, unique=True, index=True)
    """Read to the caller when booked; proves the booking on a public line (None: booked before codes)."""
    created_at: datetime = Field(default_factory=utcnow)
    cancelled_at: datetime | None = None
