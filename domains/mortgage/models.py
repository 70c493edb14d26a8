"""Mortgage tables: an application per caller and the documents it needs."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from core.timeutil import utcnow


class ApplicationStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    approved = "approved"
    denied = "denied"


ACTIVE_STATUSES = (ApplicationStatus.draft, ApplicationStatus.submitted, ApplicationStatus.in_review)

# At most one active application per user, enforced by the database as well as the service.
_ACTIVE_SQL = "status IN ('draft', 'submitted', 'in_review')"


class MortgageApplication(SQLModel, table=True):
    __tablename__ = "mortgage_applications"
    __table_args__ = (
        Index(
            "uq_mortgage_applications_active_user",
            "user_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    status: str = Field(default=ApplicationStatus.draft.value, max_length=16, index=True)
    loan_purpose: str = Field(default="purchase", max_length=16)
    annual_income: float | None = None
    employment_status: str | None = Field(default=None, max_length=16)
    property_value: float | None = None
    loan_amount: float | None = None
    down_payment: float | None = None
    credit_score_range: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    submitted_at: datetime | None = None
    decided_at: datetime | None = None


class MortgageDocument(SQLModel, table=True):
    """One document an application needs; `kind` is a key of documents.CATALOG."""

    __tablename__ = "mortgage_documents"
    __table_args__ = (UniqueConstraint("application_id", "kind", name="uq_mortgage_document_kind"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="mortgage_applications.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=32)
    received: bool = Field(default=False)
    received_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class MortgageSettings(SQLModel, table=True):
    """The desk's typical yearly rates by credit score range, used for payment estimates
    (`rates.Rates`); with no row, the defaults there. One row, id 1."""

    __tablename__ = "mortgage_settings"

    id: int = Field(default=1, primary_key=True)
    rates: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
