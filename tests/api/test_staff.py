"""Staff views: who counts as staff, the mortgage applications and their status rules, and the
appointment and reservation lists with their date range."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest

from core.db import transaction
from core.redaction import WITHHELD
from core.runtime import Runtime
from core.timeutil import utcnow
from domains.healthcare.models import Appointment, AppointmentStatus, Patient
from domains.mortgage import service as mortgage
from domains.mortgage.models import MortgageApplication
from domains.restaurant.models import Reservation, ReservationStatus
from tests.helpers import Account, make_staff, register
from tests.helpers import make_clinical as clinical

STAFF_URLS = (
    "/api/staff/mortgage/applications",
    "/api/staff/appointments",
    "/api/staff/reservations",
)


@dataclass
class People:
    owner: Account
    admin: Account
    member: Account
    loner: Account


@pytest.fixture
async def people(client: httpx.AsyncClient, runtime: Runtime) -> People:
    """Staff (owner and admin here) are granted explicitly; a team role alone gives no staff access."""
    owner, admin, member, loner = [await register(client) for _ in range(4)]
    await make_staff(runtime, owner)
    await make_staff(runtime, admin)
    team = (await client.post("/api/teams/", json={"name": "Front desk"}, headers=owner.auth)).json()
    for account, role in ((admin, "admin"), (member, "member")):
        added = await client.post(
            f"/api/teams/{team['id']}/members",
            json={"user_id": account.id, "role": role},
            headers=owner.auth,
        )
        assert added.status_code == 201, added.text
    return People(owner, admin, member, loner)


async def seed_application(runtime: Runtime, applicant: Account, status: str = "submitted") -> uuid.UUID:
    """An employed buyer's application with the photo ID received and the other papers missing."""
    async with transaction(runtime.sessions) as session:
        app = MortgageApplication(
            user_id=uuid.UUID(applicant.id),
            status=status,
            annual_income=120_000,
            employment_status="employed",
            property_value=500_000,
            down_payment=100_000,
            loan_amount=400_000,
            credit_score_range="good",
            submitted_at=None if status == "draft" else utcnow(),
        )
        session.add(app)
        await session.flush()
        await mortgage.sync_documents(session, app)
        await mortgage.mark_received(session, app, "photo id")
        return app.id


@pytest.mark.parametrize("who", ["owner", "admin"])
async def test_staff_see_the_lists(client: httpx.AsyncClient, people: People, who: str) -> None:
    for url in STAFF_URLS:
        response = await client.get(url, headers=getattr(people, who).auth)
        assert response.status_code == 200, (url, response.text)
        assert response.json() == []


@pytest.mark.parametrize("who", ["member", "loner"])
async def test_everyone_else_gets_403(
    client: httpx.AsyncClient, runtime: Runtime, people: People, who: str
) -> None:
    app_id = await seed_application(runtime, people.loner)
    account = getattr(people, who)
    for url in (*STAFF_URLS, f"/api/staff/mortgage/applications/{app_id}"):
        response = await client.get(url, headers=account.auth)
        assert response.status_code == 403, url
        assert "Staff only" in response.json()["detail"]
    moved = await client.put(
        f"/api/staff/mortgage/applications/{app_id}/status",
        json={"status": "in_review"},
        headers=account.auth,
    )
    assert moved.status_code == 403
    assert (await client.get(STAFF_URLS[0])).status_code == 401  # no token at all


async def test_application_list_and_detail(
    client: httpx.AsyncClient, runtime: Runtime, people: People
) -> None:
    app_id = await seed_application(runtime, people.loner)
    listed = (await client.get(STAFF_URLS[0], headers=people.admin.auth)).json()
    assert [a["id"] for a in listed] == [str(app_id)]
    row = listed[0]
    assert row["applicant"]["email"] == people.loner.email
    assert (row["documents_received"], row["documents_required"]) == (1, 5)
    assert row["status"] == "submitted" and row["loan_amount"] == 400_000

    only_drafts = await client.get(STAFF_URLS[0], params={"status": "draft"}, headers=people.admin.auth)
    assert only_drafts.json() == []
    assert (
        await client.get(STAFF_URLS[0], params={"status": "lost"}, headers=people.admin.auth)
    ).status_code == 422

    detail = (await client.get(f"{STAFF_URLS[0]}/{app_id}", headers=people.admin.auth)).json()
    docs = {d["kind"]: d for d in detail["documents"]}
    assert set(docs) == {"photo_id", "bank_statements", "pay_stubs", "w2_forms", "purchase_agreement"}
    assert docs["photo_id"]["received"] is True and docs["photo_id"]["received_at"]
    assert docs["pay_stubs"]["received"] is False and "pay stubs" in docs["pay_stubs"]["label"]
    assert detail["missing_fields"] == []
    assert detail["next_statuses"] == ["draft", "in_review"]


async def test_status_follows_the_rules(client: httpx.AsyncClient, runtime: Runtime, people: People) -> None:
    app_id = await seed_application(runtime, people.loner)
    url = f"{STAFF_URLS[0]}/{app_id}/status"

    async def move(status: str) -> httpx.Response:
        return await client.put(url, json={"status": status}, headers=people.owner.auth)

    refused = await move("approved")  # submitted must be reviewed first
    assert refused.status_code == 422 and "in_review" in refused.json()["detail"]
    reviewed = await move("in_review")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "in_review"
    assert reviewed.json()["next_statuses"] == ["approved", "denied", "draft"]
    approved = await move("approved")
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["decided_at"] is not None
    assert approved.json()["next_statuses"] == []
    final = await move("draft")
    assert final.status_code == 422 and "decided" in final.json()["detail"]
    assert (await move("lost")).status_code == 422  # not a status at all


async def test_unknown_or_malformed_application_ids(client: httpx.AsyncClient, people: People) -> None:
    missing = uuid.uuid4()
    auth = people.owner.auth
    assert (await client.get(f"{STAFF_URLS[0]}/{missing}", headers=auth)).status_code == 404
    moved = await client.put(f"{STAFF_URLS[0]}/{missing}/status", json={"status": "in_review"}, headers=auth)
    assert moved.status_code == 404
    assert (await client.get(f"{STAFF_URLS[0]}/not-an-id", headers=auth)).status_code == 422
    assert (await client.put(f"{STAFF_URLS[0]}/{missing}/status", json={}, headers=auth)).status_code == 422


async def test_appointments_and_reservations_by_date(
    client: httpx.AsyncClient, runtime: Runtime, people: People
) -> None:
    march_3 = datetime(2031, 3, 3, 9, 30, tzinfo=UTC)
    march_4 = datetime(2031, 3, 4, 14, 0, tzinfo=UTC)
    async with transaction(runtime.sessions) as session:
        patient = Patient(
            user_id=uuid.UUID(people.loner.id), first_name="Ann", last_name="Lee", phone="+15550100"
        )
        session.add(patient)
        await session.flush()
        session.add(Appointment(patient_id=patient.id, starts_at=march_3, reason="checkup"))
        session.add(Appointment(patient_id=patient.id, starts_at=march_4, reason="follow-up"))
        session.add(
            Appointment(
                patient_id=patient.id,
                starts_at=march_3.replace(hour=11),
                status=AppointmentStatus.cancelled.value,
            )
        )
        for starts, code, status in (
            (march_3.replace(hour=18), "ABC234", ReservationStatus.confirmed),
            (march_4.replace(hour=19), "DEF567", ReservationStatus.confirmed),
            (march_3.replace(hour=19), "GHJ789", ReservationStatus.cancelled),
        ):
            session.add(
                Reservation(
                    user_id=uuid.UUID(people.loner.id),
                    starts_at=starts,
                    party_size=4,
                    name="Lee",
                    confirmation_code=code,
                    status=status.value,
                )
            )
    auth = people.admin.auth

    everything = (await client.get("/api/staff/appointments", headers=auth)).json()
    assert [a["reason"] for a in everything] == [WITHHELD, WITHHELD] and everything[0]["reason_withheld"]
    await clinical(runtime, people.admin)  # `convonet grant-staff --clinical`: the reasons are theirs to read
    everything = (await client.get("/api/staff/appointments", headers=auth)).json()
    assert [a["reason"] for a in everything] == ["checkup", "follow-up"]  # soonest first, none cancelled
    assert everything[0]["patient"]["last_name"] == "Lee"
    one_day = {"start": "2031-03-03", "end": "2031-03-03"}
    day = (await client.get("/api/staff/appointments", params=one_day, headers=auth)).json()
    assert [a["reason"] for a in day] == ["checkup"]
    with_cancelled = await client.get(
        "/api/staff/appointments", params={**one_day, "include_cancelled": "true"}, headers=auth
    )
    assert [a["status"] for a in with_cancelled.json()] == ["booked", "cancelled"]

    codes = [
        r["confirmation_code"] for r in (await client.get("/api/staff/reservations", headers=auth)).json()
    ]
    assert codes == ["ABC234", "DEF567"]
    later = await client.get("/api/staff/reservations", params={"start": "2031-03-04"}, headers=auth)
    assert [r["confirmation_code"] for r in later.json()] == ["DEF567"]
    with_cancelled = await client.get(
        "/api/staff/reservations", params={**one_day, "include_cancelled": "true"}, headers=auth
    )
    assert [r["confirmation_code"] for r in with_cancelled.json()] == ["ABC234", "GHJ789"]

    for url in STAFF_URLS[1:]:
        backwards = await client.get(url, params={"start": "2031-03-04", "end": "2031-03-03"}, headers=auth)
        assert backwards.status_code == 422 and "before" in backwards.json()["detail"]
        assert (await client.get(url, params={"start": "March"}, headers=auth)).status_code == 422


async def test_dashboard_page_is_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/mortgage_dashboard")
    assert page.status_code == 200 and "/static/mortgage_dashboard/app.js" in page.text
    assert (await client.get("/static/mortgage_dashboard/app.js")).status_code == 200
