"""Mortgage tools through run_tool: an application from start to decision, documents, estimates,
bad input, and that one caller never reaches another's application."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import func, select

from core.errors import Invalid
from core.runtime import Runtime
from domains.mortgage import service
from domains.mortgage.models import MortgageApplication
from domains.mortgage.tools import TOOLS
from tests.domains.conftest import MakeCaller
from tests.domains.tool_calls import call, fails, ok, undocumented_arguments


def test_every_argument_is_described() -> None:
    assert [t.name for t in TOOLS] == [
        "start_mortgage_application",
        "update_mortgage_application",
        "get_mortgage_application_status",
        "get_required_documents",
        "mark_document_received",
        "estimate_monthly_payment",
    ]
    assert undocumented_arguments(TOOLS) == []


async def test_purchase_application_from_start_to_approval(runtime: Runtime, caller: MakeCaller) -> None:
    alice = await caller("alice")
    started = ok(await call(alice, "start_mortgage_application"))
    assert started["created"] is True and started["status"] == "draft" and started["loan_purpose"] == "purchase"
    assert "annual income" in started["missing_information"]
    again = ok(await call(alice, "start_mortgage_application", loan_purpose="purchase"))
    assert again["created"] is False and again["application_id"] == started["application_id"]

    updated = ok(
        await call(
            alice,
            "update_mortgage_application",
            annual_income=120000,
            employment_status="employed",
            property_value=500000,
            down_payment=100000,
            credit_score_range="excellent",
        )
    )
    assert updated["loan_amount"] == 400000  # price minus down payment
    assert updated["missing_information"] == [] and updated["submitted_now"] is False

    docs = ok(await call(alice, "get_required_documents"))["documents"]
    labels = [d["document"] for d in docs]
    assert any("pay stubs" in d for d in labels) and any("W-2" in d for d in labels)
    assert any("purchase agreement" in d for d in labels) and not any("tax returns" in d for d in labels)
    assert not any(d["received"] for d in docs)

    for spoken in ("pay stubs", "my W-2s", "driver's license", "bank statement"):
        marked = ok(await call(alice, "mark_document_received", document=spoken))
        assert marked["status"] == "draft" and marked["submitted_now"] is False
    status = ok(await call(alice, "get_mortgage_application_status"))
    assert status["documents"]["missing"] == ["signed purchase agreement"]
    assert len(status["documents"]["received"]) == 4
    assert "missing documents" in status["next_step"]

    last = ok(await call(alice, "mark_document_received", document="purchase agreement"))
    assert last["submitted_now"] is True and last["status"] == "submitted" and last["documents_missing"] == []
    fails(await call(alice, "update_mortgage_application", annual_income=1), "submitted", "loan officer")

    async with runtime.sessions() as session, session.begin():
        listed = await service.list_all_applications(session, status="submitted")
        assert len(listed) == 1 and listed[0].user_id == alice.user_id
        with pytest.raises(Invalid):
            await service.set_status(session, listed[0].id, "approved")  # must be reviewed first
        await service.set_status(session, listed[0].id, "in_review")
        decided = await service.set_status(session, listed[0].id, "approved")
        assert decided.decided_at is not None
    assert ok(await call(alice, "get_mortgage_application_status"))["status"] == "approved"
    fresh = ok(await call(alice, "start_mortgage_application"))
    assert fresh["created"] is True and fresh["application_id"] != started["application_id"]


async def test_documents_follow_employment_and_purpose(caller: MakeCaller) -> None:
    bob = await caller("bob")
    ok(await call(bob, "start_mortgage_application", loan_purpose="refinance"))
    ok(await call(bob, "update_mortgage_application", employment_status="self_employed"))
    labels = [d["document"] for d in ok(await call(bob, "get_required_documents"))["documents"]]
    assert any("tax returns" in d for d in labels) and any("profit and loss" in d for d in labels)
    assert any("mortgage statement" in d for d in labels)
    assert not any("pay stubs" in d or "purchase agreement" in d for d in labels)

    ok(await call(bob, "mark_document_received", document="tax returns"))
    ok(await call(bob, "update_mortgage_application", employment_status="retired"))
    labels = [d["document"] for d in ok(await call(bob, "get_required_documents"))["documents"]]
    assert any("retirement income" in d for d in labels) and not any("tax returns" in d for d in labels)
    fails(await call(bob, "mark_document_received", document="purchase agreement"), "isn't needed")
    fails(await call(bob, "mark_document_received", document="birth certificate"), "don't know")
    # a refinance needs no down payment
    ok(await call(bob, "update_mortgage_application", annual_income=60000, property_value=300000, loan_amount=150000))
    status = ok(await call(bob, "get_mortgage_application_status"))
    assert status["missing_information"] == ["credit score range"]


async def test_estimate_monthly_payment(caller: MakeCaller) -> None:
    carol = await caller("carol")
    given = ok(await call(carol, "estimate_monthly_payment", loan_amount=300000, interest_rate=6.5))
    assert given["monthly_payment"] == 1896.20 and given["term_years"] == 30
    assert ok(await call(carol, "estimate_monthly_payment", loan_amount=120000, interest_rate=0, term_years=10))[
        "monthly_payment"
    ] == 1000.0
    typical = ok(await call(carol, "estimate_monthly_payment", loan_amount=400000))
    assert typical["interest_rate"] == 6.75 and typical["monthly_payment"] == 2594.39
    fails(await call(carol, "estimate_monthly_payment"), "loan amount")

    ok(await call(carol, "start_mortgage_application"))
    ok(await call(carol, "update_mortgage_application", property_value=500000, down_payment=100000))
    ok(await call(carol, "update_mortgage_application", credit_score_range="excellent"))
    mine = ok(await call(carol, "estimate_monthly_payment"))
    assert mine["loan_amount"] == 400000 and mine["interest_rate"] == 6.25 and mine["monthly_payment"] == 2462.87
    assert "excellent" in mine["rate_basis"]


async def test_bad_input_is_refused_and_writes_nothing(caller: MakeCaller) -> None:
    dave = await caller("dave")
    fails(await call(dave, "update_mortgage_application", annual_income=50000), "don't have a mortgage application")
    fails(await call(dave, "get_mortgage_application_status"), "don't have")
    ok(await call(dave, "start_mortgage_application"))
    fails(await call(dave, "start_mortgage_application", loan_purpose="boat"), "loan_purpose")
    fails(await call(dave, "update_mortgage_application", annual_income="lots"), "annual_income")
    fails(await call(dave, "update_mortgage_application", employment_status="astronaut"), "employment_status")
    fails(await call(dave, "update_mortgage_application", annual_income=-5), "annual income")
    fails(await call(dave, "update_mortgage_application", property_value=1e12), "property value")
    fails(await call(dave, "update_mortgage_application", annual_income=float("inf")), "annual income")
    fails(await call(dave, "update_mortgage_application"), "at least one")
    fails(
        await call(dave, "update_mortgage_application", property_value=300000, down_payment=400000),
        "down payment can't be more",
    )
    fails(await call(dave, "update_mortgage_application", property_value=300000, loan_amount=400000), "loan amount")
    fails(await call(dave, "mark_document_received", document="   "), "which document")
    for arguments, word in (
        ({"loan_amount": -1}, "loan amount"),
        ({"loan_amount": 200000, "interest_rate": 45}, "interest rate"),
        ({"loan_amount": 200000, "term_years": 100}, "term"),
        ({"loan_amount": 200000, "term_years": "thirty"}, "term_years"),
    ):
        fails(await call(dave, "estimate_monthly_payment", **arguments), word)
    status = ok(await call(dave, "get_mortgage_application_status"))
    assert all(status[f] is None for f in service.FIELDS)


async def test_another_caller_cannot_see_or_change_an_application(runtime: Runtime, caller: MakeCaller) -> None:
    alice, mallory = await caller("alice"), await caller("mallory")
    ok(await call(alice, "start_mortgage_application"))
    ok(await call(alice, "update_mortgage_application", property_value=400000, down_payment=80000))

    fails(await call(mallory, "get_mortgage_application_status"), "don't have")
    fails(await call(mallory, "get_required_documents"), "don't have")
    fails(await call(mallory, "update_mortgage_application", annual_income=1), "don't have")
    fails(await call(mallory, "mark_document_received", document="photo id"), "don't have")
    fails(await call(mallory, "estimate_monthly_payment"), "loan amount")  # never Alice's figures

    own = ok(await call(mallory, "start_mortgage_application"))
    ok(await call(mallory, "update_mortgage_application", property_value=100000, down_payment=10000))
    ok(await call(mallory, "mark_document_received", document="photo id"))
    mine = ok(await call(alice, "get_mortgage_application_status"))
    assert mine["application_id"] != own["application_id"]
    assert mine["property_value"] == 400000 and mine["loan_amount"] == 320000
    assert mine["documents"]["received"] == []


async def test_concurrent_starts_make_one_application(runtime: Runtime, caller: MakeCaller) -> None:
    erin = await caller("erin")
    results = await asyncio.gather(*(call(erin, "start_mortgage_application") for _ in range(4)))
    assert any(r.ok for r in results)
    async with runtime.sessions() as session:
        count = (
            await session.exec(
                select(func.count()).select_from(MortgageApplication).where(MortgageApplication.user_id == erin.user_id)
            )
        ).one()
    assert count == 1
