"""The call center's API: agent states, the queue and its ring, the answer race (exactly one of two
agents wins), reject/hold/transfer/hang-up, the popup, history and metrics — on SQLite + the
in-process store and on PostgreSQL + Redis."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import select

from core import contacts
from core.db import transaction
from core.redaction import WITHHELD
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.healthcare.models import Appointment, Patient
from domains.restaurant.models import Reservation
from domains.transfer.calls import TransferCall
from domains.transfer.models import CallCenterOutcome
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.helpers import Account, make_clinical, make_staff, register

API = "/call-center/api"


_runtime: list[Runtime] = []


@pytest.fixture(autouse=True)
def _remember_runtime(runtime: Runtime) -> Iterator[None]:
    """`staff()` grants the flag through the test's database, like `convonet grant-staff`."""
    _runtime.append(runtime)
    yield
    _runtime.clear()


async def staff(client: httpx.AsyncClient, first: str) -> Account:
    """A user with staff access (only staff may use the call center)."""
    account = await register(client, first_name=first, last_name="Agent")
    return await make_staff(_runtime[-1], account)


async def post(client: httpx.AsyncClient, who: Account, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return await client.post(f"{API}{path}", json=body, headers=who.auth)


async def ready_agent(client: httpx.AsyncClient, first: str, departments: list[str]) -> Account:
    agent = await staff(client, first)
    assert (await post(client, agent, "/agent/login", {"departments": departments})).status_code == 200
    assert (await post(client, agent, "/agent/ready")).json()["agent"]["state"] == "ready"
    return agent


async def queue_call(runtime: Runtime, caller: Account | None, department: str = "support",
                     reason: str = "a question about my bill") -> TransferCall:
    """What the caller's pipeline does when the transfer tool fires (processors/transfer_bridge.py)."""
    transcript = [
        {"role": "user", "text": "what are my todos"},
        {"role": "assistant", "text": "You have no todos."},
        {"role": "user", "text": "transfer me to a person"},
    ]
    call = await transfer_call(
        runtime.sessions, request=TransferRequest(department=department, reason=reason), call_sid="CA-test-1",
        channel="phone", caller_id=caller.id if caller else None, phone="+15551234567", transcript=transcript,
    )
    return await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(call)


# --- agent state ---------------------------------------------------------------------------------


async def test_agent_state_machine(client: httpx.AsyncClient) -> None:
    agent = await staff(client, "Rosa")
    status = (await client.get(f"{API}/agent/status", headers=agent.auth)).json()
    assert status["agent"]["state"] == "logged_out" and status["agent"]["state_label"] == "Logged Out"
    assert status["departments"] == ["billing", "sales", "support"]

    refused = await post(client, agent, "/agent/ready")
    assert refused.status_code == 409 and "Log in" in refused.json()["detail"]
    unknown = await post(client, agent, "/agent/login", {"departments": ["plumbing"]})
    assert unknown.status_code == 422 and "plumbing" in unknown.json()["detail"]

    logged_in = (await post(client, agent, "/agent/login", {"departments": ["Support", "billing"]})).json()
    assert logged_in["agent"]["state"] == "logged_in" and logged_in["agent"]["departments"] == ["billing", "support"]
    assert logged_in["agent"]["name"] == "Rosa Agent"
    ready = (await post(client, agent, "/agent/ready")).json()["agent"]
    assert ready["state"] == "ready" and ready["seconds_in_state"] < 5
    await asyncio.sleep(0.3)
    again = (await post(client, agent, "/agent/ready")).json()["agent"]
    assert again["since"] == ready["since"]  # pressing Ready twice keeps the time in state
    assert (await client.get(f"{API}/agent/status", headers=agent.auth)).json()["agent"]["seconds_in_state"] >= 0.3

    brk = (await post(client, agent, "/agent/not-ready", {"reason": "lunch"})).json()["agent"]
    assert brk["state"] == "not_ready" and brk["reason"] == "lunch" and brk["state_label"] == "Not Ready"
    assert (await post(client, agent, "/agent/logout")).json()["agent"]["state"] == "logged_out"
    activity = (await client.get(f"{API}/agent/activity", headers=agent.auth)).json()
    assert [a["to"] for a in activity] == ["logged_out", "not_ready", "ready", "logged_in"]
    assert [a["from"] for a in activity] == ["not_ready", "ready", "logged_in", "logged_out"]


async def test_the_call_center_is_for_staff(client: httpx.AsyncClient) -> None:
    member = await register(client)
    owner = await register(client)  # owning a team does not make anyone staff
    assert (await client.post("/api/teams/", json={"name": "Desk"}, headers=owner.auth)).status_code == 201
    assert (await client.get(f"{API}/agent/status", headers=owner.auth)).status_code == 403
    assert (await client.get(f"{API}/agent/status", headers=member.auth)).status_code == 403
    assert (await client.get(f"{API}/agent/status")).status_code == 401
    page = await client.get("/call-center")
    assert page.status_code == 200 and "Call center" in page.text


# --- queue, ring, answer ---------------------------------------------------------------------------


async def test_two_agents_answering_at_once_exactly_one_wins(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ann = await register(client, first_name="Ann", last_name="Caller", phone_number="+15551234567")
    first = await ready_agent(client, "Kim", ["support"])
    second = await ready_agent(client, "Lee", ["support", "sales"])
    elsewhere = await ready_agent(client, "Max", ["billing"])

    events = await runtime.store.subscribe("callcenter:events")
    try:
        for round_ in range(5):
            call = await queue_call(runtime, ann)
            ringing = json.loads(await asyncio.wait_for(_next(events, "ringing"), 5))
            assert ringing["call_id"] == call.id and set(ringing["agents"]) == {first.id, second.id}
            assert ringing["ring"]["caller_name"] == "Ann Caller"
            for agent in (first, second):
                listed = (await client.get(f"{API}/call/ringing", headers=agent.auth)).json()
                assert [c["id"] for c in listed] == [call.id]
            assert (await client.get(f"{API}/call/ringing", headers=elsewhere.auth)).json() == []

            answers = await asyncio.gather(
                post(client, first, "/call/answer", {"call_id": call.id}),
                post(client, second, "/call/answer", {"call_id": call.id}),
            )
            codes = sorted(r.status_code for r in answers)
            assert codes == [200, 409], [r.text for r in answers]
            won = next(r for r in answers if r.status_code == 200).json()
            lost = next(r for r in answers if r.status_code == 409).json()
            assert "already answered" in lost["detail"]
            winner, loser = (first, second) if won["agent_id"] == first.id else (second, first)
            assert won["status"] == "connected" and won["caller"]["name"] == "Ann Caller"
            assert (await client.get(f"{API}/agent/status", headers=winner.auth)).json()["agent"]["state"] == "on_call"
            assert (await client.get(f"{API}/agent/status", headers=loser.auth)).json()["agent"]["state"] == "ready"
            assert (await client.get(f"{API}/call/ringing", headers=loser.auth)).json() == []
            assert await runtime.store.range("callcenter:queue:support") == []

            dropped = (await post(client, winner, "/call/drop", {"call_id": call.id})).json()
            assert dropped["status"] == "ended"
            assert (await client.get(f"{API}/agent/status", headers=winner.auth)).json()["agent"]["state"] == "wrap_up"
            assert (await post(client, winner, "/agent/ready")).status_code == 200, round_
    finally:
        await events.close()

    history = (await client.get(f"{API}/call/history", headers=first.auth)).json()
    assert [h["outcome"] for h in history] == ["answered"] * 5
    assert all(h["handle_s"] is not None and h["wait_s"] is not None for h in history)
    metrics = (await client.get(f"{API}/metrics", headers=first.auth)).json()
    rows = {row["agent_id"]: row for row in metrics["agents"]}
    assert rows[first.id]["calls_handled"] + rows[second.id]["calls_handled"] == 5
    assert rows[first.id]["calls_offered"] == rows[second.id]["calls_offered"] == 5
    assert rows[elsewhere.id]["calls_offered"] == 0 and rows[elsewhere.id]["answer_rate"] is None
    assert metrics["floor"]["outcomes"] == {"answered": 5} and metrics["floor"]["answer_rate"] == 1.0

    # The outcomes are rows in the database: emptying the store (a Redis restart) loses none of them.
    async with runtime.sessions() as session:
        rows_in_db = (await session.exec(select(CallCenterOutcome))).all()
    assert sorted(r.call_id for r in rows_in_db) == sorted(h["call_id"] for h in history)
    assert {(r.outcome, r.agent_id) for r in rows_in_db} <= {("answered", first.id), ("answered", second.id)}
    for key in await runtime.store.keys("callcenter:"):
        await runtime.store.delete(key)
    assert (await client.get(f"{API}/call/history", headers=first.auth)).json() == history


async def _next(subscription: Any, kind: str) -> str:
    while True:
        message = await subscription.get(wait=5)
        assert message is not None, f"no {kind} event"
        if json.loads(message)["type"] == kind:
            return str(message)


async def test_only_ready_agents_of_the_department_may_answer(client: httpx.AsyncClient, runtime: Runtime) -> None:
    busy = await staff(client, "Pat")
    await post(client, busy, "/agent/login", {"departments": ["support"]})
    billing = await ready_agent(client, "Sam", ["billing"])
    call = await queue_call(runtime, None)
    assert call.caller["name"] == "+15551234567"  # an unknown caller is their number
    not_ready = await post(client, busy, "/call/answer", {"call_id": call.id})
    assert not_ready.status_code == 409 and "Ready" in not_ready.json()["detail"]
    assert (await post(client, billing, "/call/answer", {"call_id": call.id})).status_code == 403
    assert (await post(client, billing, "/call/answer", {"call_id": "nope"})).status_code == 404

    # An agent going Ready later finds the call ringing.
    await post(client, busy, "/agent/ready")
    assert [c["id"] for c in (await client.get(f"{API}/call/ringing", headers=busy.auth)).json()] == [call.id]
    seen = await post(client, busy, "/call/ringing", {"call_id": call.id})
    assert seen.status_code == 200 and seen.json()["ringing"] is True
    assert busy.id in (await CallCenter(runtime.store, {"support": "2001"}).get(call.id)).offered_to

    # A colleague's page that rang just as Busy answered reports it late: not an error, and not counted.
    late = await ready_agent(client, "Late", ["support"])
    assert (await post(client, busy, "/call/answer", {"call_id": call.id})).status_code == 200
    seen_late = await post(client, late, "/call/ringing", {"call_id": call.id})
    assert seen_late.status_code == 200 and seen_late.json()["ringing"] is False
    assert late.id not in (await CallCenter(runtime.store, {"support": "2001"}).get(call.id)).offered_to


async def test_reject_hold_transfer_and_hand_back(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ann = await register(client, first_name="Ann", last_name="Caller")
    kim = await ready_agent(client, "Kim", ["support"])
    lee = await ready_agent(client, "Lee", ["support"])
    bo = await ready_agent(client, "Bo", ["billing"])
    call = await queue_call(runtime, ann)

    rejected = await post(client, kim, "/call/reject", {"call_id": call.id})
    assert rejected.status_code == 200
    assert (await client.get(f"{API}/call/ringing", headers=kim.auth)).json() == []  # not for Kim any more
    assert [c["id"] for c in (await client.get(f"{API}/call/ringing", headers=lee.auth)).json()] == [call.id]

    assert (await post(client, lee, "/call/answer", {"call_id": call.id})).status_code == 200
    assert (await post(client, kim, "/call/hold", {"call_id": call.id})).status_code == 409  # not Kim's call
    held = (await post(client, lee, "/call/hold", {"call_id": call.id, "hold": True})).json()
    assert held["status"] == "on_hold"
    assert (await post(client, lee, "/call/hold", {"call_id": call.id, "hold": False})).json()["status"] == "connected"

    # Blind transfer to billing: rings Bo, Lee wraps up.
    moved = (await post(client, lee, "/call/transfer", {"call_id": call.id, "department": "billing"})).json()
    assert moved["status"] == "queued" and moved["department"] == "billing" and moved["attempt"] == 2
    assert (await client.get(f"{API}/agent/status", headers=lee.auth)).json()["agent"]["state"] == "wrap_up"
    assert [c["id"] for c in (await client.get(f"{API}/call/ringing", headers=bo.auth)).json()] == [call.id]
    assert (await post(client, bo, "/call/answer", {"call_id": call.id})).status_code == 200

    # Transfer to one agent: only they ring.
    await post(client, kim, "/agent/ready")
    to_kim = (await post(client, bo, "/call/transfer", {"call_id": call.id, "agent_id": kim.id})).json()
    assert to_kim["target_agent"] == kim.id
    await post(client, lee, "/agent/ready")
    assert (await client.get(f"{API}/call/ringing", headers=lee.auth)).json() == []
    assert [c["id"] for c in (await client.get(f"{API}/call/ringing", headers=kim.auth)).json()] == [call.id]
    assert (await post(client, kim, "/call/answer", {"call_id": call.id})).status_code == 200

    both = await post(client, kim, "/call/transfer", {"call_id": call.id, "department": "sales", "to_assistant": True})
    assert both.status_code == 422
    back = (await post(client, kim, "/call/transfer", {"call_id": call.id, "to_assistant": True})).json()
    assert back["status"] == "returned"
    assert (await client.get(f"{API}/agent/status", headers=kim.auth)).json()["agent"]["state"] == "wrap_up"

    outcomes = [(h["outcome"], h["agent_name"]) for h in (await client.get(f"{API}/call/history",
                                                                           headers=kim.auth)).json()]
    assert outcomes == [("answered", "Kim Agent"), ("answered", "Bo Agent"), ("answered", "Lee Agent"),
                        ("rejected", "Kim Agent")]
    metrics = {r["agent_id"]: r for r in (await client.get(f"{API}/metrics", headers=kim.auth)).json()["agents"]}
    assert metrics[kim.id]["rejected"] == 1 and metrics[lee.id]["calls_handled"] == 1


async def test_customer_popup(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ann = await register(client, first_name="Ann", last_name="Caller", phone_number="+15551234567")
    await client.post("/api/todos/", json={"title": "buy milk"}, headers=ann.auth)
    kim = await ready_agent(client, "Kim", ["support"])
    call = await queue_call(runtime, ann, reason="billing question")
    popup = (await client.get(f"{API}/customer/{call.id}", headers=kim.auth)).json()
    assert popup["caller"] == {"user_id": ann.id, "name": "Ann Caller", "email": ann.email, "phone": "+15551234567"}
    assert popup["reason"] == "billing question" and popup["department"] == "support"
    assert [t["text"] for t in popup["transcript"]][-1] == "transfer me to a person"
    assert popup["summary"].startswith("Ann Caller asked for support about billing question.")
    assert "transfer me to a person" in popup["summary"]
    assert popup["profile"]["open_todos"] == 1 and popup["profile"]["teams"] == []
    assert (await client.get(f"{API}/customer/unknown", headers=kim.auth)).status_code == 404
    member = await register(client)
    assert (await client.get(f"{API}/customer/{call.id}", headers=member.auth)).status_code == 403


def test_response_models_match_the_views_they_are_built_from() -> None:
    """A field added to a view must be added to its response model too (FastAPI drops what the model
    does not name), and each route's OpenAPI schema names its model."""
    from api.app import create_app
    from api.routes import call_center_models as out
    from domains.transfer.agents import AgentStatus
    from domains.transfer.metrics import agent_metrics, floor_metrics

    call = TransferCall(call_sid="CA1", department="support")
    assert set(call.view()) == set(out.CallOut.model_fields)
    assert set(call.ring_view()) == set(out.RingOut.model_fields)
    assert set(out.CustomerOut.model_fields) - {"bookings"} < set(call.view())  # bookings: read with the popup
    assert set(AgentStatus(user_id="u1").view()) == set(out.AgentOut.model_fields)
    assert set(floor_metrics([])) == set(out.FloorOut.model_fields)
    assert {"name", *agent_metrics([], "u1")} == set(out.AgentMetricsOut.model_fields)
    paths = create_app().openapi()["paths"]
    named = {
        f"{API}/agent/status": ("get", "StatusOut"),
        f"{API}/call/answer": ("post", "CallOut"),
        f"{API}/call/history": ("get", "OutcomeOut"),
        f"{API}/metrics": ("get", "MetricsOut"),
        f"{API}/customer/{{call_id}}": ("get", "CustomerOut"),
        f"{API}/agent/activity": ("get", "ActivityOut"),
    }
    for path, (method, model) in named.items():
        schema = json.dumps(paths[path][method]["responses"]["200"])
        assert f"#/components/schemas/{model}" in schema, (path, schema)


async def test_the_popup_lists_a_public_line_callers_bookings(client: httpx.AsyncClient, runtime: Runtime) -> None:
    """A contact's upcoming reservation and appointment, read when the popup is; the visit's reason only for
    clinical staff; nothing of another caller's."""
    now = utcnow()
    guest = await contacts.open_for_call(runtime.sessions, "+15551110001", now)
    other = await contacts.open_for_call(runtime.sessions, "+15552220002", now)
    async with transaction(runtime.sessions) as session:
        patient = Patient(user_id=guest.user_id, first_name="Kim", last_name="Lee")
        session.add_all([patient, Reservation(user_id=guest.user_id, starts_at=now + timedelta(days=3), party_size=2,
                                              name="Kim", confirmation_code="HT-4K2P"),
                         Reservation(user_id=other.user_id, starts_at=now + timedelta(days=1), party_size=6,
                                     name="Bo", confirmation_code="HT-9XYZ"),
                         Reservation(user_id=guest.user_id, starts_at=now - timedelta(days=1), party_size=4,
                                     name="Kim", confirmation_code="HT-PAST")])
        await session.flush()
        session.add(Appointment(patient_id=patient.id, starts_at=now + timedelta(days=2), reason="sore knee",
                                confirmation_code="CL-7Q2M"))
    kim = await ready_agent(client, "Kim", ["support"])
    call = await transfer_call(runtime.sessions, request=TransferRequest(department="support", reason="my booking"),
                               call_sid="CA-public-1", channel="phone", caller_id=str(guest.user_id),
                               phone="+15551110001", transcript=[])
    await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(call)

    popup = (await client.get(f"{API}/customer/{call.id}", headers=kim.auth)).json()
    assert popup["caller"]["phone"] == "+15551110001" and popup["profile"]["contact"] is True
    assert [(b["business"], b["details"], b["confirmation_code"]) for b in popup["bookings"]] == [
        ("The clinic", WITHHELD, "CL-7Q2M"), ("Hanok Table", "party of 2 under Kim", "HT-4K2P")]
    nurse = await make_clinical(runtime, await ready_agent(client, "Nurse", ["support"]))
    popup = (await client.get(f"{API}/customer/{call.id}", headers=nurse.auth)).json()
    assert [b["details"] for b in popup["bookings"]] == ["sore knee", "party of 2 under Kim"]
