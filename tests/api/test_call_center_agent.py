"""The agent's tools around a call: wrap-up codes filed on the call's outcome, availability over the
shift from the agent's time in each state, the activity timeline, and notes on a contact caller."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta

import httpx
import pytest

from core.contacts import open_for_call
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.helpers import Account, make_staff, register

API = "/call-center/api"


async def ready_agent(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    agent = await make_staff(runtime, await register(client, first_name="Kim", last_name="Agent"))
    assert (await client.post(f"{API}/agent/login", json={"departments": ["support"]}, headers=agent.auth)).is_success
    assert (await client.post(f"{API}/agent/ready", headers=agent.auth)).is_success
    return agent


async def answered_call(client: httpx.AsyncClient, runtime: Runtime, agent: Account, caller_id: str | None = None
                        ) -> str:
    call = await transfer_call(runtime.sessions, request=TransferRequest(department="support", reason="a refund"),
                               call_sid="CA-wrap", channel="phone", caller_id=caller_id, phone="+15551230000",
                               transcript=[])
    call = await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).enqueue(call)
    assert (await client.post(f"{API}/call/answer", json={"call_id": call.id}, headers=agent.auth)).is_success
    return call.id


async def test_a_finished_call_is_filed_under_a_wrap_up_code(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await ready_agent(client, runtime)
    lee = await make_staff(runtime, await register(client))
    call_id = await answered_call(client, runtime, kim)
    body = {"call_id": call_id, "code": "Resolved", "note": "refund issued"}
    early = await client.post(f"{API}/call/wrap-up", json=body, headers=kim.auth)
    assert early.status_code == 409 and "once the call has ended" in early.json()["detail"]
    assert (await client.post(f"{API}/call/drop", json={"call_id": call_id}, headers=kim.auth)).is_success

    status = (await client.get(f"{API}/agent/status", headers=kim.auth)).json()
    assert status["wrap_up_codes"][0] == "Resolved" and status["agent"]["state"] == "wrap_up"
    assert status["agent"]["wrapped_up"] is None
    bad = await client.post(f"{API}/call/wrap-up", json={**body, "code": "Whatever"}, headers=kim.auth)
    assert bad.status_code == 422 and "Choose a wrap-up code" in bad.json()["detail"]
    assert (await client.post(f"{API}/call/wrap-up", json=body, headers=lee.auth)).status_code == 404  # not Lee's
    filed = await client.post(f"{API}/call/wrap-up", json=body, headers=kim.auth)
    assert filed.status_code == 200 and filed.json()["wrap_up"] == "Resolved"

    [entry] = (await client.get(f"{API}/call/history", headers=kim.auth)).json()
    assert (entry["outcome"], entry["wrap_up"], entry["wrap_up_note"]) == ("answered", "Resolved", "refund issued")
    status = (await client.get(f"{API}/agent/status", headers=kim.auth)).json()
    assert status["agent"]["wrapped_up"] == "Resolved"


async def spend(runtime: Runtime, agent: Account, minutes: float) -> None:
    """Let `minutes` pass in the agent's current state (their state began that much earlier)."""
    board = CallCenter(runtime.store, runtime.settings.transfer_departments).agents
    status = await board.get(agent.id)
    status.since = (datetime.fromisoformat(status.since) - timedelta(minutes=minutes)).isoformat()
    await runtime.store.set(board.key(agent.id), json.dumps(asdict(status)))


async def test_availability_counts_ready_on_call_and_wrap_up_over_the_shift(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    agent = await make_staff(runtime, await register(client))
    assert (await client.post(f"{API}/agent/login", json={"departments": ["support"]}, headers=agent.auth)).is_success
    await spend(runtime, agent, 10)  # logged in, not yet Ready
    await client.post(f"{API}/agent/ready", headers=agent.auth)
    await spend(runtime, agent, 30)
    await client.post(f"{API}/agent/not-ready", json={"reason": "Lunch"}, headers=agent.auth)
    await spend(runtime, agent, 10)
    me = (await client.get(f"{API}/agent/status", headers=agent.auth)).json()["agent"]
    assert {k: round(v / 60) for k, v in me["totals"].items()} == {"logged_in": 10, "ready": 30, "not_ready": 10}
    assert me["availability"] == pytest.approx(0.6, abs=0.01)  # 30 of 50 minutes
    activity = (await client.get(f"{API}/agent/activity", headers=agent.auth)).json()
    assert [(a["from"], a["to"], round(a["seconds_in_previous"] / 60)) for a in activity] == [
        ("ready", "not_ready", 30), ("logged_in", "ready", 10), ("logged_out", "logged_in", 0)]
    await client.post(f"{API}/agent/logout", headers=agent.auth)
    await client.post(f"{API}/agent/login", json={"departments": ["support"]}, headers=agent.auth)
    me = (await client.get(f"{API}/agent/status", headers=agent.auth)).json()["agent"]
    assert list(me["totals"]) == ["logged_in"] and me["totals"]["logged_in"] < 5  # a new shift


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_notes_on_a_caller_show_in_the_popup(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await ready_agent(client, runtime)
    contact = await open_for_call(runtime.sessions, "+15551230000", utcnow())
    call_id = await answered_call(client, runtime, kim, caller_id=str(contact.user_id))
    saved = await client.put(f"{API}/customer/{call_id}/notes", json={"notes": " prefers mornings "}, headers=kim.auth)
    assert saved.status_code == 200 and saved.json() == {"contact_id": str(contact.id), "user_id": None, "notes": "prefers mornings"}
    popup = (await client.get(f"{API}/customer/{call_id}", headers=kim.auth)).json()
    assert popup["profile"]["notes"] == "prefers mornings"
    later = await transfer_call(runtime.sessions, request=TransferRequest(department="support"), call_sid="CA-2",
                                channel="phone", caller_id=str(contact.user_id), phone=None, transcript=[])
    assert later.profile["notes"] == "prefers mornings"  # the next call's popup has them too

    member = await register(client)
    assert (await client.put(f"{API}/customer/{call_id}/notes", json={"notes": "x"},
                             headers=member.auth)).status_code == 403
    await client.post(f"{API}/call/drop", json={"call_id": call_id}, headers=kim.auth)
    await client.post(f"{API}/agent/ready", headers=kim.auth)
    ann = await register(client, first_name="Ann")  # a caller with an account: the notes are on it, staff only
    account_call = await answered_call(client, runtime, kim, caller_id=ann.id)
    saved = await client.put(f"{API}/customer/{account_call}/notes", json={"notes": "hard of hearing"}, headers=kim.auth)
    assert saved.json() == {"contact_id": None, "user_id": ann.id, "notes": "hard of hearing"}
    assert (await client.get(f"{API}/customer/{account_call}", headers=kim.auth)).json()["profile"]["notes"] == (
        "hard of hearing")
    assert "hard of hearing" not in (await client.get("/api/auth/profile", headers=ann.auth)).text
    await client.post(f"{API}/call/drop", json={"call_id": account_call}, headers=kim.auth)
    await client.post(f"{API}/agent/ready", headers=kim.auth)
    stranger = await answered_call(client, runtime, kim)
    refused = await client.put(f"{API}/customer/{stranger}/notes", json={"notes": "x"}, headers=kim.auth)
    assert refused.status_code == 409
