"""Staff views: every caller's mortgage applications (with status changes), clinic appointments
and restaurant reservations, and the `/mortgage_dashboard` page that shows them.

Staff are users with the staff flag (`convonet grant-staff EMAIL`); everyone else gets 403.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import SessionDep, SettingsDep, get_staff_user
from api.web import page
from core.models import User
from domains.healthcare import service as healthcare
from domains.mortgage import service as mortgage
from domains.mortgage.documents import CATALOG, required_kinds
from domains.mortgage.models import ApplicationStatus, MortgageApplication, MortgageDocument
from domains.restaurant import service as restaurant

router = APIRouter(tags=["staff"])
api = APIRouter(prefix="/api/staff", tags=["staff"], dependencies=[Depends(get_staff_user)])


@router.get("/mortgage_dashboard", include_in_schema=False)
async def mortgage_dashboard_page() -> FileResponse:
    return page("mortgage_dashboard")


# --- shapes --------------------------------------------------------------------------------------


class Person(BaseModel):
    user_id: uuid.UUID
    name: str
    email: str


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


class PatientOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    phone: str | None
    date_of_birth: date | None
    insurance_provider: str | None


class AppointmentOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    reason: str | None
    status: str
    patient: PatientOut


class ReservationOut(BaseModel):
    id: uuid.UUID
    starts_at: datetime
    party_size: int
    name: str
    special_requests: str | None
    status: str
    confirmation_code: str


# --- helpers -------------------------------------------------------------------------------------


async def _people(session: AsyncSession, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, Person]:
    if not user_ids:
        return {}
    users = (await session.exec(select(User).where(col(User.id).in_(user_ids)))).all()
    return {u.id: Person(user_id=u.id, name=u.display_name, email=u.email) for u in users}


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


def _day_range(start: date | None, end: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """Whole local days `start`..`end` (both included) as UTC instants, end exclusive."""
    if start and end and end < start:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "The end date is before the start date.")
    tz = ZoneInfo(zone)

    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

    return (at_midnight(start) if start else None, at_midnight(end + timedelta(days=1)) if end else None)


StartDay = Annotated[date | None, Query(description="First day, in the business's time zone.")]
EndDay = Annotated[date | None, Query(description="Last day (included), in the business's time zone.")]


# --- mortgage ------------------------------------------------------------------------------------


@api.get("/mortgage/applications")
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


@api.get("/mortgage/applications/{application_id}")
async def get_application(application_id: uuid.UUID, session: SessionDep) -> ApplicationDetailOut:
    app = await session.get(MortgageApplication, application_id)
    if app is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That mortgage application does not exist.")
    return await _detail(session, app)


@api.put("/mortgage/applications/{application_id}/status")
async def set_application_status(
    application_id: uuid.UUID, body: StatusIn, session: SessionDep
) -> ApplicationDetailOut:
    """Move an application along: draft → submitted → in review → approved or denied (or back to draft)."""
    app = await mortgage.set_status(session, application_id, body.status.value)
    return await _detail(session, app)


# --- healthcare and restaurant -------------------------------------------------------------------


@api.get("/appointments")
async def list_appointments(
    session: SessionDep,
    settings: SettingsDep,
    start: StartDay = None,
    end: EndDay = None,
    include_cancelled: bool = False,
) -> list[AppointmentOut]:
    since, until = _day_range(start, end, settings.timezone)
    rows = await healthcare.list_all_appointments(session, since, until, include_cancelled=include_cancelled)
    return [
        AppointmentOut(
            id=a.id,
            starts_at=a.starts_at,
            reason=a.reason,
            status=a.status,
            patient=PatientOut.model_validate(p, from_attributes=True),
        )
        for a, p in rows
    ]


@api.get("/reservations")
async def list_reservations(
    session: SessionDep,
    settings: SettingsDep,
    start: StartDay = None,
    end: EndDay = None,
    include_cancelled: bool = False,
) -> list[ReservationOut]:
    since, until = _day_range(start, end, settings.timezone)
    found = await restaurant.list_all_reservations(session, since, until, include_cancelled=include_cancelled)
    return [ReservationOut.model_validate(r, from_attributes=True) for r in found]


router.include_router(api)
