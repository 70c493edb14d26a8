"""Mortgage applications: the rules for starting, filling in, documenting, submitting and deciding one.

A caller has at most one active application (draft, submitted or in review). A draft moves to
submitted by itself once every figure is in and every required document has been received;
from then on only staff move it (in review, then approved or denied, or back to draft).
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import Conflict, Invalid, NotFound
from core.timeutil import utcnow
from domains.mortgage.documents import CATALOG, required_kinds, resolve_document
from domains.mortgage.models import ACTIVE_STATUSES, ApplicationStatus, MortgageApplication, MortgageDocument
from domains.mortgage.rates import CREDIT_RANGES

LOAN_PURPOSES = ("purchase", "refinance")
EMPLOYMENT_STATUSES = ("employed", "self_employed", "retired", "unemployed")
FIELDS = ("annual_income", "employment_status", "property_value", "loan_amount", "down_payment", "credit_score_range")
MAX_AMOUNT = 100_000_000.0
MIN_PROPERTY_VALUE = 10_000.0
MIN_LOAN = 1_000.0
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted"}),
    "submitted": frozenset({"in_review", "draft"}),
    "in_review": frozenset({"approved", "denied", "draft"}),
}


def field_label(name: str) -> str:
    return name.replace("_", " ")


async def active_application(session: AsyncSession, user_id: uuid.UUID) -> MortgageApplication | None:
    stmt = select(MortgageApplication).where(
        MortgageApplication.user_id == user_id,
        col(MortgageApplication.status).in_([s.value for s in ACTIVE_STATUSES]),
    )
    return (await session.exec(stmt)).first()


async def current_application(session: AsyncSession, user_id: uuid.UUID) -> MortgageApplication:
    """The caller's active application, else their most recent decided one."""
    app = await active_application(session, user_id)
    if app is None:
        stmt = (
            select(MortgageApplication)
            .where(MortgageApplication.user_id == user_id)
            .order_by(col(MortgageApplication.created_at).desc())
        )
        app = (await session.exec(stmt)).first()
    if app is None:
        raise NotFound("You don't have a mortgage application yet; I can start one for you.")
    return app


async def require_draft(session: AsyncSession, user_id: uuid.UUID) -> MortgageApplication:
    app = await current_application(session, user_id)
    if app.status != ApplicationStatus.draft:
        raise Conflict(
            f"Your application is {field_label(app.status)}, so it can't be changed by phone; "
            "I can connect you with a loan officer."
        )
    return app


async def documents(session: AsyncSession, app: MortgageApplication) -> list[MortgageDocument]:
    stmt = select(MortgageDocument).where(MortgageDocument.application_id == app.id)
    return list((await session.exec(stmt)).all())


async def required_documents(session: AsyncSession, app: MortgageApplication) -> list[MortgageDocument]:
    """The documents the application needs now, read without writing."""
    rows = {d.kind: d for d in await documents(session, app)}
    required = required_kinds(app.loan_purpose, app.employment_status)
    return [rows.get(k) or MortgageDocument(application_id=app.id, kind=k) for k in required]


async def sync_documents(session: AsyncSession, app: MortgageApplication) -> list[MortgageDocument]:
    """Make the documents table match what the application now needs; received papers are kept."""
    required = required_kinds(app.loan_purpose, app.employment_status)
    rows = {d.kind: d for d in await documents(session, app)}
    for kind, row in list(rows.items()):
        if kind not in required and not row.received:
            await session.delete(row)
            del rows[kind]
    for kind in required:
        if kind not in rows:
            rows[kind] = MortgageDocument(application_id=app.id, kind=kind)
            session.add(rows[kind])
    await session.flush()
    return [rows[k] for k in required]


def missing_fields(app: MortgageApplication) -> list[str]:
    needed = [f for f in FIELDS if not (f == "down_payment" and app.loan_purpose == "refinance")]
    return [f for f in needed if getattr(app, f) is None]


async def start_application(
    session: AsyncSession, user_id: uuid.UUID, loan_purpose: str = "purchase"
) -> tuple[MortgageApplication, bool]:
    """The caller's active application (a draft switches to `loan_purpose`), or a new draft."""
    if loan_purpose not in LOAN_PURPOSES:
        raise Invalid("A loan purpose is purchase or refinance.")
    app = await active_application(session, user_id)
    created = app is None
    if app is None:
        app = MortgageApplication(user_id=user_id, loan_purpose=loan_purpose)
        session.add(app)
        await session.flush()
    elif app.status == ApplicationStatus.draft and app.loan_purpose != loan_purpose:
        app.loan_purpose = loan_purpose
        app.updated_at = utcnow()
        session.add(app)
    await sync_documents(session, app)
    return app, created


def validate_amount(name: str, value: float, low: float) -> float:
    if not math.isfinite(value) or value < low or value > MAX_AMOUNT:
        raise Invalid(f"The {field_label(name)} should be between ${low:,.0f} and ${MAX_AMOUNT:,.0f}; I heard {value:,.2f}.")
    return round(value, 2)


def _check_figures(app: MortgageApplication, changed: set[str]) -> None:
    """Keep the figures consistent; for a purchase, a new price or down payment recomputes the loan."""
    value, down, loan = app.property_value, app.down_payment, app.loan_amount
    if value is not None and down is not None:
        if down > value:
            raise Invalid("The down payment can't be more than the property value.")
        derive = app.loan_purpose == "purchase" and "loan_amount" not in changed
        if derive and changed & {"property_value", "down_payment"}:
            if value - down < MIN_LOAN:
                raise Invalid("That down payment covers the whole price, so there is no loan to apply for.")
            app.loan_amount = loan = round(value - down, 2)
    if value is None or loan is None:
        return
    if loan > value:
        raise Invalid("The loan amount can't be more than the property value.")
    if app.loan_purpose == "purchase" and down is not None and loan + down > value + 1:
        raise Invalid("For a purchase, the loan plus the down payment can't be more than the price.")


async def update_application(session: AsyncSession, app: MortgageApplication, changes: dict[str, Any]) -> bool:
    """Apply the given figures (None means unchanged); True when this completed and submitted it."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise Invalid("Tell me at least one detail to update, such as your annual income or the property value.")
    if set(changes) - set(FIELDS):
        raise Invalid(f"These details can't be changed: {', '.join(sorted(set(changes) - set(FIELDS)))}.")
    if "employment_status" in changes and changes["employment_status"] not in EMPLOYMENT_STATUSES:
        raise Invalid("Employment status is employed, self-employed, retired or unemployed.")
    if "credit_score_range" in changes and changes["credit_score_range"] not in CREDIT_RANGES:
        raise Invalid("A credit score range is excellent, good, fair or poor.")
    lows = {"annual_income": 0.0, "property_value": MIN_PROPERTY_VALUE, "loan_amount": MIN_LOAN, "down_payment": 0.0}
    for name, low in lows.items():
        if name in changes:
            changes[name] = validate_amount(name, float(changes[name]), low)
    for name, value in changes.items():
        setattr(app, name, value)
    _check_figures(app, set(changes))
    app.updated_at = utcnow()
    session.add(app)
    return await submit_if_complete(session, app, await sync_documents(session, app))


async def submit_if_complete(session: AsyncSession, app: MortgageApplication, docs: list[MortgageDocument]) -> bool:
    if app.status != ApplicationStatus.draft or missing_fields(app) or not all(d.received for d in docs):
        return False
    app.status = ApplicationStatus.submitted.value
    app.submitted_at = app.updated_at = utcnow()
    session.add(app)
    await session.flush()
    return True


async def mark_received(session: AsyncSession, app: MortgageApplication, ref: str) -> tuple[MortgageDocument, bool]:
    """Mark the named document received; also True when that completed and submitted the application."""
    docs = await sync_documents(session, app)
    kind = resolve_document(ref, [d.kind for d in docs])
    doc = next(d for d in docs if d.kind == kind)
    if not doc.received:
        doc.received, doc.received_at = True, utcnow()
        session.add(doc)
        await session.flush()
    return doc, await submit_if_complete(session, app, docs)


def monthly_payment(principal: float, annual_rate_percent: float, term_years: int) -> float:
    """Principal and interest per month, by the standard amortization formula."""
    n = term_years * 12
    r = annual_rate_percent / 100 / 12
    if r == 0:
        return principal / n
    return principal * r / (1 - (1 + r) ** -n)


def describe_documents(docs: list[MortgageDocument]) -> dict[str, list[str]]:
    return {
        "received": [CATALOG[d.kind].label for d in docs if d.received],
        "missing": [CATALOG[d.kind].label for d in docs if not d.received],
    }


# Staff-facing (dashboards); not tools: the caller never picks another user's application.


async def list_all_applications(
    session: AsyncSession, status: str | None = None, limit: int = 200, offset: int = 0
) -> list[MortgageApplication]:
    stmt = select(MortgageApplication)
    if status is not None:
        stmt = stmt.where(MortgageApplication.status == status)
    stmt = stmt.order_by(col(MortgageApplication.updated_at).desc()).offset(offset).limit(limit)
    return list((await session.exec(stmt)).all())


async def set_status(session: AsyncSession, application_id: uuid.UUID, status: str) -> MortgageApplication:
    app = await session.get(MortgageApplication, application_id)
    if app is None:
        raise NotFound("That mortgage application does not exist.")
    allowed = TRANSITIONS.get(app.status, frozenset())
    if status not in allowed:
        options = ", ".join(sorted(allowed)) or "nothing: it is decided"
        raise Invalid(f"An application that is {field_label(app.status)} can move to {options}, not {status}.")
    now = utcnow()
    app.status, app.updated_at = status, now
    if status == ApplicationStatus.submitted:
        app.submitted_at = now
    if status in (ApplicationStatus.approved, ApplicationStatus.denied):
        app.decided_at = now
    session.add(app)
    await session.flush()
    return app
