"""Staff views of every caller's mortgage application, with status changes (mounted under `/api/staff`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import contacts
from core.deps import SessionDep
from core.models import User
from domains.mortgage import rates
from domains.mortgage import service as mortgage
from domains.mortgage.documents import CATALOG, required_kinds
from domains.mortgage.models import ApplicationStatus, MortgageApplication, MortgageDocument

router = APIRouter(tags=["staff"])


class Person(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str
    phone: str | None = None
    """The caller ID of an applicant who called a public line (a contact); their email is the one they gave."""


class ApplicationOut(BaseModel):
    id: uuid.UUID
    status: str
    loan_purpose: str
    applicant: Person | None
    annual_income: float | None
    employment_status: str | None
    property_value: float | None
    loan_amount: float | None
    down_payment: float | None
    credit_score_range: str | None
    documents_received: int
    documents_required: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None


class DocumentOut(BaseModel):
    kind: str
    label: str
    received: bool
    received_at: datetime | None


class ApplicationDetailOut(ApplicationOut):
    documents: list[DocumentOut]
    missing_fields: list[str]
    next_statuses: list[str]


class StatusIn(BaseModel):
    status: ApplicationStatus


async def _people(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, Person]:
    if not user_ids:
        return {}
    users = (await session.exec(select(User).where(col(User.id).in_(user_ids)))).all()
    callers = await contacts.by_owner(session, user_ids)
    people = {}
    for u in users:
        if (c := callers.get(u.id)) is not None:
            people[u.id] = Person(user_id=u.id, name=c.name or c.reach or "Unknown caller", email=c.email or "",
                                  phone=c.reach)
        else:
            people[u.id] = Person(user_id=u.id, name=u.display_name, email=u.email)
    return people


def _application(
    app: MortgageApplication, applicant: Person | None, docs: Sequence[MortgageDocument]
) -> ApplicationOut:
    required = required_kinds(app.loan_purpose, app.employment_status)
    received = {d.kind for d in docs if d.received}
    return ApplicationOut(
        **app.model_dump(exclude={"user_id"}),
        applicant=applicant,
        documents_received=len(received & set(required)),
        documents_required=len(required),
    )


@router.get("/mortgage/applications")
async def list_applications(
    session: SessionDep,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
    limit: int = Query(200, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[ApplicationOut]:
    apps = await mortgage.list_all_applications(
        session, status=status_.value if status_ else None, limit=limit, offset=offset
    )
    people = await _people(session, {a.user_id for a in apps})
    docs: dict[uuid.UUID, list[MortgageDocument]] = {a.id: [] for a in apps}
    if apps:
        stmt = select(MortgageDocument).where(col(MortgageDocument.application_id).in_(list(docs)))
        for doc in (await session.exec(stmt)).all():
            docs[doc.application_id].append(doc)
    return [_application(a, people.get(a.user_id), docs[a.id]) for a in apps]


async def _detail(session: AsyncSession, app: MortgageApplication) -> ApplicationDetailOut:
    docs = await mortgage.required_documents(session, app)
    people = await _people(session, {app.user_id})
    summary = _application(app, people.get(app.user_id), docs)
    return ApplicationDetailOut(
        **summary.model_dump(),
        documents=[
            DocumentOut(
                kind=d.kind, label=CATALOG[d.kind].label, received=d.received, received_at=d.received_at
            )
            for d in docs
        ],
        missing_fields=mortgage.missing_fields(app),
        next_statuses=sorted(mortgage.TRANSITIONS.get(app.status, frozenset())),
    )


@router.get("/mortgage/applications/{application_id}")
async def get_application(application_id: uuid.UUID, session: SessionDep) -> ApplicationDetailOut:
    app = await session.get(MortgageApplication, application_id)
    if app is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That mortgage application does not exist.")
    return await _detail(session, app)


@router.put("/mortgage/applications/{application_id}/status")
async def set_application_status(
    application_id: uuid.UUID, body: StatusIn, session: SessionDep
) -> ApplicationDetailOut:
    """Move an application along: draft → submitted → in review → approved or denied (or back to draft)."""
    app = await mortgage.set_status(session, application_id, body.status.value)
    return await _detail(session, app)


class RatesBody(BaseModel):
    """Typical yearly rates in percent by credit score range, used when a caller asks for an estimate."""

    model_config = ConfigDict(extra="forbid")

    excellent: float = Field(ge=0, le=rates.MAX_RATE)
    good: float = Field(ge=0, le=rates.MAX_RATE)
    fair: float = Field(ge=0, le=rates.MAX_RATE)
    poor: float = Field(ge=0, le=rates.MAX_RATE)


@router.get("/mortgage/rates")
async def get_rates(session: SessionDep) -> RatesBody:
    return RatesBody.model_validate(await rates.load_rates(session))


@router.put("/mortgage/rates")
async def put_rates(body: RatesBody, session: SessionDep) -> RatesBody:
    """Replace the typical rates; the voice agent's estimates use them from its next tool call."""
    return RatesBody.model_validate(await rates.save_rates(session, body.model_dump()))
