"""Mortgage tools: what the assistant can do with the caller's own mortgage application."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from core.db import transaction
from core.errors import Invalid, NotFound
from core.tools import ToolContext, ToolSpec, tool
from domains.common import local_iso
from domains.mortgage import rates, service
from domains.mortgage.documents import CATALOG
from domains.mortgage.models import MortgageApplication, MortgageDocument

_NEXT_STEP = {
    "submitted": "It has been submitted; a loan officer will review it.",
    "in_review": "A loan officer is reviewing it now.",
    "approved": "It was approved; a loan officer will be in touch about closing.",
    "denied": "It was not approved; a loan officer can explain the options.",
}


def _next_step(app: MortgageApplication, docs: list[MortgageDocument]) -> str:
    if app.status in _NEXT_STEP:
        return _NEXT_STEP[app.status]
    missing = service.missing_fields(app)
    if missing:
        return "Next, tell me your " + ", ".join(service.field_label(f) for f in missing) + "."
    if any(not d.received for d in docs):
        return "Next, send the missing documents and tell me as each one arrives."
    return "Everything is in."


def _summary(ctx: ToolContext, app: MortgageApplication, docs: list[MortgageDocument]) -> dict[str, Any]:
    return {
        "application_id": str(app.id),
        "status": app.status,
        "loan_purpose": app.loan_purpose,
        **{name: getattr(app, name) for name in service.FIELDS},
        "started": local_iso(ctx, app.created_at),
        "submitted": local_iso(ctx, app.submitted_at),
        "missing_information": [service.field_label(f) for f in service.missing_fields(app)],
        "documents": service.describe_documents(docs),
        "next_step": _next_step(app, docs),
    }


@tool("mortgage")
async def start_mortgage_application(
    ctx: ToolContext,
    loan_purpose: Annotated[
        Literal["purchase", "refinance"], Field(description="Buying a home (purchase) or refinancing one.")
    ] = "purchase",
) -> dict[str, Any]:
    """Start the caller's mortgage application, or return the one already in progress (a caller has
    only one active application). Then ask for the details update_mortgage_application takes."""
    async with transaction(ctx.sessions) as session:
        app, created = await service.start_application(session, ctx.user_id, loan_purpose)
        docs = await service.sync_documents(session, app)
        return {"created": created, **_summary(ctx, app, docs)}


@tool("mortgage")
async def update_mortgage_application(
    ctx: ToolContext,
    annual_income: Annotated[float | None, Field(description="Yearly gross income in US dollars.")] = None,
    employment_status: Annotated[
        Literal["employed", "self_employed", "retired", "unemployed"] | None, Field(description="How the caller earns.")
    ] = None,
    property_value: Annotated[float | None, Field(description="Price or value of the home in US dollars.")] = None,
    loan_amount: Annotated[float | None, Field(description="How much to borrow, US dollars.")] = None,
    down_payment: Annotated[float | None, Field(description="Cash paid up front, US dollars.")] = None,
    credit_score_range: Annotated[
        Literal["excellent", "good", "fair", "poor"] | None, Field(description="The caller's own estimate.")
    ] = None,
) -> dict[str, Any]:
    """Fill in details of the caller's draft mortgage application; pass only what the caller said.
    For a purchase, a new price or down payment sets the loan amount to the difference. When the
    last detail and document are in, the application is submitted automatically."""
    changes = {
        "annual_income": annual_income,
        "employment_status": employment_status,
        "property_value": property_value,
        "loan_amount": loan_amount,
        "down_payment": down_payment,
        "credit_score_range": credit_score_range,
    }
    async with transaction(ctx.sessions) as session:
        app = await service.require_draft(session, ctx.user_id)
        submitted = await service.update_application(session, app, changes)
        docs = await service.sync_documents(session, app)
        return {"submitted_now": submitted, **_summary(ctx, app, docs)}


@tool("mortgage", mutates=False)
async def get_mortgage_application_status(ctx: ToolContext) -> dict[str, Any]:
    """The caller's mortgage application: its status, the details still missing, which documents
    have arrived and which are missing, and the next step."""
    async with transaction(ctx.sessions) as session:
        app = await service.current_application(session, ctx.user_id)
        docs = await service.required_documents(session, app)
        return _summary(ctx, app, docs)


@tool("mortgage", mutates=False)
async def get_required_documents(ctx: ToolContext) -> dict[str, Any]:
    """The documents the caller's mortgage application needs (they depend on employment and loan
    purpose), each with whether it has been received."""
    async with transaction(ctx.sessions) as session:
        app = await service.current_application(session, ctx.user_id)
        docs = await service.required_documents(session, app)
    result: dict[str, Any] = {
        "loan_purpose": app.loan_purpose,
        "employment_status": app.employment_status,
        "documents": [{"document": CATALOG[d.kind].label, "received": d.received} for d in docs],
    }
    if app.employment_status is None:
        result["note"] = "Income documents are added once the caller's employment status is known."
    return result


@tool("mortgage")
async def mark_document_received(
    ctx: ToolContext,
    document: Annotated[str, Field(description="The document as the caller named it, e.g. 'pay stubs' or 'W-2'.")],
) -> dict[str, Any]:
    """Record that the caller has provided one of the documents their application needs."""
    async with transaction(ctx.sessions) as session:
        app = await service.require_draft(session, ctx.user_id)
        doc, submitted = await service.mark_received(session, app, document)
        docs = await service.required_documents(session, app)
        missing = service.describe_documents(docs)["missing"]
        return {
            "document": CATALOG[doc.kind].label,
            "received": True,
            "documents_missing": missing,
            "submitted_now": submitted,
            "status": app.status,
            "next_step": _next_step(app, docs),
        }


@tool("mortgage", mutates=False)
async def estimate_monthly_payment(
    ctx: ToolContext,
    loan_amount: Annotated[
        float | None, Field(description="US dollars; leave out to use the caller's application.")
    ] = None,
    interest_rate: Annotated[
        float | None, Field(description="Yearly rate in percent, e.g. 6.5; leave out for a typical rate.")
    ] = None,
    term_years: Annotated[int, Field(description="Length of the loan in years.")] = 30,
) -> dict[str, Any]:
    """Estimate the monthly principal-and-interest payment. Without a loan amount it uses the
    caller's application; without a rate, a typical rate for their credit score range."""
    app: MortgageApplication | None = None
    typical: dict[str, float] = {}
    if loan_amount is None or interest_rate is None:
        async with transaction(ctx.sessions) as session:
            typical = await rates.load_rates(session)
            try:
                app = await service.current_application(session, ctx.user_id)
            except NotFound:
                app = None
    if loan_amount is None:
        loan_amount = app.loan_amount if app is not None else None
        if loan_amount is None:
            raise Invalid("Tell me the loan amount, or add it to your mortgage application first.")
    loan_amount = service.validate_amount("loan_amount", loan_amount, service.MIN_LOAN)
    rate_basis = "the rate you gave"
    if interest_rate is None:
        credit = app.credit_score_range if app is not None and app.credit_score_range else "good"
        interest_rate = typical[credit]
        rate_basis = f"a typical rate for {credit} credit"
    if not 0 <= interest_rate <= 30:
        raise Invalid("The interest rate is a yearly percentage between 0 and 30, such as 6.5.")
    if not 1 <= term_years <= 40:
        raise Invalid("The loan term should be between 1 and 40 years, usually 15 or 30.")
    monthly = service.monthly_payment(loan_amount, interest_rate, term_years)
    return {
        "loan_amount": loan_amount,
        "interest_rate": interest_rate,
        "rate_basis": rate_basis,
        "term_years": term_years,
        "monthly_payment": round(monthly, 2),
        "total_interest": round(monthly * term_years * 12 - loan_amount, 2),
        "note": "Principal and interest only; property tax, insurance and mortgage insurance are extra. "
        "This is an estimate, not a loan offer.",
    }


TOOLS: list[ToolSpec] = [
    start_mortgage_application,
    update_mortgage_application,
    get_mortgage_application_status,
    get_required_documents,
    mark_document_received,
    estimate_monthly_payment,
]
