"""Calls placed from the call center (the dialpad and "Call back"): what the fake Twilio REST server
receives from the real twilio library, the signed webhooks Twilio answers with, and how each ending
(busy, no answer, cancelled, refused) lands in the history once, with the agent free again."""

from __future__ import annotations

import asyncio
import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from core.config import Settings
from core.runtime import Runtime
from domains.productivity.reminder_firing import REMINDER_DUE as NOTICES
from domains.transfer import callbacks
from domains.transfer.calls import TransferCall
from domains.transfer.outbound import Dialer
from domains.transfer.queue import CallCenter
from tests.fakes.twilio_client import FakeTwilio, PlacedCall
from tests.helpers import Account, make_staff, register
from transports.twilio_signature import sign
from transports.twilio_ticket import redeem_ticket

API = "/call-center/api"
TOKEN = "twilio-dial-test-token-0123456789"
PUBLIC = "https://convonet.example.com"
CALLER_ID = "+15550100999"


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(PUBLIC, auth_token=TOKEN) as fake:
        yield fake


@pytest.fixture
def settings(settings: Settings, twilio: FakeTwilio) -> Settings:
    return settings.model_copy(update={
        "twilio_account_sid": twilio.account_sid, "twilio_auth_token": TOKEN, "twilio_api_base_url": twilio.rest_url,
        "outbound_caller_id": CALLER_ID, "public_url": PUBLIC, "transfer_timeout": 25,
    })


async def agent(client: httpx.AsyncClient, runtime: Runtime, first: str = "Kim") -> Account:
    account = await make_staff(runtime, await register(client, first_name=first, last_name="Agent"))
    response = await client.post(f"{API}/agent/login", json={"departments": ["support"]}, headers=account.auth)
    assert response.status_code == 200, response.text
    return account


async def webhook(client: httpx.AsyncClient, url: str, form: dict[str, str], *, signed: bool = True
                  ) -> httpx.Response:
    """What Twilio posts to one of the URLs the call was placed with (signed over that public URL)."""
    parts = urlsplit(url)
    headers = {"X-Twilio-Signature": sign(TOKEN, url, form)} if signed else {}
    return await client.post(f"{parts.path}?{parts.query}", data=form, headers=headers)


def status_form(placed: PlacedCall, status: str) -> dict[str, str]:
    return {"CallSid": placed.call_sid, "AccountSid": placed.account_sid, "From": placed.from_, "To": placed.to,
            "CallStatus": status, "Direction": "outbound-api"}


async def history(runtime: Runtime) -> list[dict[str, object]]:
    return await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).history()


async def state_of(client: httpx.AsyncClient, who: Account) -> dict[str, object]:
    status = (await client.get(f"{API}/agent/status", headers=who.auth)).json()
    return {"state": status["agent"]["state"], "call": status["call"]["status"] if status["call"] else None}


async def test_dialpad_call_rings_through_twilio_and_a_busy_callee_is_recorded_once(
    client: httpx.AsyncClient, runtime: Runtime, twilio: FakeTwilio
) -> None:
    kim = await agent(client, runtime)
    known = await register(client, first_name="Ann", last_name="Lee", phone_number="+15551234567")
    response = await client.post(f"{API}/call/dial", json={"number": "+1 (555) 123-4567"}, headers=kim.auth)
    assert response.status_code == 200, response.text
    call = response.json()
    assert call["status"] == "dialing" and call["direction"] == "outbound" and call["dialed"] == "+15551234567"
    assert call["caller"]["name"] == "Ann Lee" and call["caller"]["user_id"] == known.id  # the popup knows them

    [placed] = twilio.placed
    assert (placed.to, placed.from_, placed.timeout) == ("+15551234567", CALLER_ID, "25")
    assert placed.authorization == "Basic " + base64.b64encode(f"{twilio.account_sid}:{TOKEN}".encode()).decode()
    assert placed.url == f"{PUBLIC}/twilio/outbound/answer?call={call['id']}"
    assert placed.status_callback == f"{PUBLIC}/twilio/outbound/status?call={call['id']}"
    assert call["call_sid"] == placed.call_sid
    assert await state_of(client, kim) == {"state": "on_call", "call": "dialing"}
    again = await client.post(f"{API}/call/dial", json={"number": "5550001111"}, headers=kim.auth)
    assert again.status_code == 409 and "on a call" in again.json()["detail"]

    assert (await webhook(client, placed.status_callback, status_form(placed, "busy"), signed=False)).status_code == 403
    for _ in range(2):  # Twilio may retry a callback: recorded once
        assert (await webhook(client, placed.status_callback, status_form(placed, "busy"))).status_code == 204
    [entry] = await history(runtime)
    assert {k: entry[k] for k in ("outcome", "direction", "dialed", "agent_id", "dial_status")} == {
        "outcome": "busy", "direction": "outbound", "dialed": "+15551234567", "agent_id": kim.id, "dial_status": "busy"}
    assert await state_of(client, kim) == {"state": "wrap_up", "call": "ended"}

    # Answered after it ended (a late pick-up): Twilio is told to hang up.
    late = await webhook(client, placed.url, status_form(placed, "in-progress"))
    assert ET.fromstring(late.text).find("Hangup") is not None

    metrics = (await client.get(f"{API}/metrics", headers=kim.auth)).json()
    assert metrics["floor"]["calls_placed"] == 1 and metrics["floor"]["calls"] == 0  # not a caller who waited
    assert [a["calls_placed"] for a in metrics["agents"] if a["agent_id"] == kim.id] == [1]


async def test_an_answered_call_streams_to_us_with_a_ticket_naming_it(
    client: httpx.AsyncClient, runtime: Runtime, twilio: FakeTwilio
) -> None:
    kim = await agent(client, runtime)
    call = (await client.post(f"{API}/call/dial", json={"number": "+15557654321"}, headers=kim.auth)).json()
    [placed] = twilio.placed
    response = await webhook(client, placed.url, status_form(placed, "in-progress"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    stream = ET.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://convonet.example.com/twilio/ws"
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    ticket = await redeem_ticket(runtime.store, parameters["StreamTicket"], placed.call_sid)
    assert ticket is not None and ticket.outbound == call["id"] and ticket.to_number == "+15557654321"

    # The stream's pipeline takes the call (`TransferBridge.join_outbound`): connected, and the agent's.
    assert await Dialer(CallCenter(runtime.store, {}, runtime.sessions)).answered(call["id"], "node-1") is not None
    assert await state_of(client, kim) == {"state": "on_call", "call": "connected"}
    cancel = await client.post(f"{API}/call/cancel", json={"call_id": call["id"]}, headers=kim.auth)
    assert cancel.status_code == 409 and "hang up instead" in cancel.json()["detail"]
    back = await client.post(f"{API}/call/transfer", json={"call_id": call["id"], "to_assistant": True},
                             headers=kim.auth)
    assert back.status_code == 422  # nobody to go back to on a call the agent placed
    # Twilio's `completed` after a call that connected changes nothing (its pipeline records it).
    await webhook(client, placed.status_callback, status_form(placed, "completed"))
    assert await history(runtime) == []


async def test_cancel_stops_the_ringing_and_a_late_answer_is_hung_up(
    client: httpx.AsyncClient, runtime: Runtime, twilio: FakeTwilio
) -> None:
    kim, lee = await agent(client, runtime), await agent(client, runtime, "Lee")
    call = (await client.post(f"{API}/call/dial", json={"number": "5550001111"}, headers=kim.auth)).json()
    [placed] = twilio.placed
    assert (await client.post(f"{API}/call/cancel", json={"call_id": call["id"]}, headers=lee.auth)).status_code == 409
    response = await client.post(f"{API}/call/cancel", json={"call_id": call["id"]}, headers=kim.auth)
    assert response.status_code == 200 and response.json()["status"] == "ended"
    assert [(h.call_sid, h.status) for h in twilio.hang_ups] == [(placed.call_sid, "canceled")]
    assert [h["outcome"] for h in await history(runtime)] == ["canceled"]
    late = await webhook(client, placed.url, status_form(placed, "in-progress"))
    assert ET.fromstring(late.text).find("Hangup") is not None
    await webhook(client, placed.status_callback, status_form(placed, "canceled"))
    assert len(await history(runtime)) == 1
    assert await state_of(client, kim) == {"state": "wrap_up", "call": "ended"}


async def test_bad_numbers_and_refusals_get_clear_answers_and_free_the_agent(
    client: httpx.AsyncClient, runtime: Runtime, twilio: FakeTwilio
) -> None:
    kim = await agent(client, runtime)
    for bad in ("12", "call mom", "+1555123456789012", ""):
        response = await client.post(f"{API}/call/dial", json={"number": bad}, headers=kim.auth)
        assert response.status_code == 422, (bad, response.text)
    assert twilio.placed == [] and await state_of(client, kim) == {"state": "logged_in", "call": None}

    twilio.unreachable.add("+15559999999")
    refused = await client.post(f"{API}/call/dial", json={"number": "+15559999999"}, headers=kim.auth)
    assert refused.status_code == 502 and "not a valid phone number" in refused.json()["detail"]
    assert [h["outcome"] for h in await history(runtime)] == ["failed"]
    assert await state_of(client, kim) == {"state": "wrap_up", "call": "ended"}

    member = await register(client)
    assert (await client.post(f"{API}/call/dial", json={"number": "5550001111"}, headers=member.auth)).status_code == 403
    logged_out = await make_staff(runtime, await register(client))
    response = await client.post(f"{API}/call/dial", json={"number": "5550001111"}, headers=logged_out.auth)
    assert response.status_code == 409 and "Log in" in response.json()["detail"]


async def test_call_back_claims_the_request_and_rings_its_number(
    client: httpx.AsyncClient, runtime: Runtime, twilio: FakeTwilio
) -> None:
    request = await callbacks.leave(runtime.sessions, TransferCall(
        call_sid="CA-cb", department="billing", reason="a double charge",
        caller={"user_id": None, "name": "Ann Caller", "phone": "+15551234567"},
        transcript=[{"role": "user", "text": "I was charged twice"}]))
    kim, lee = await agent(client, runtime), await agent(client, runtime, "Lee")
    response = await client.post(f"{API}/call/dial", json={"callback_id": str(request.id)}, headers=kim.auth)
    assert response.status_code == 200, response.text
    call = response.json()
    assert (call["caller_name"], call["department"], call["reason"], call["callback_id"]) == (
        "Ann Caller", "billing", "a double charge", str(request.id))
    assert call["transcript"] == [{"role": "user", "text": "I was charged twice"}]
    assert [p.to for p in twilio.placed] == ["+15551234567"]
    claimed = await callbacks.get(runtime.sessions, request.id)
    assert claimed.status == "claimed" and str(claimed.claimed_by) == kim.id
    taken = await client.post(f"{API}/call/dial", json={"callback_id": str(request.id)}, headers=lee.auth)
    assert taken.status_code == 409 and "Someone else" in taken.json()["detail"]


# --- without Twilio: the call rings a user of the product in their browser ---------------------------


@pytest.fixture
def in_app(runtime: Runtime) -> Runtime:
    runtime.settings = runtime.settings.model_copy(update={"outbound_caller_id": None, "twilio_from_number": None,
                                                          "transfer_timeout": 1})
    return runtime


async def test_without_twilio_a_user_is_rung_in_their_pages_and_may_decline(
    client: httpx.AsyncClient, in_app: Runtime, twilio: FakeTwilio
) -> None:
    runtime = in_app
    kim = await agent(client, runtime)
    ann = await register(client, first_name="Ann", last_name="Lee", phone_number="+15551234567")
    lee = await register(client, first_name="Lee")
    feed = await runtime.store.subscribe(NOTICES)
    try:
        response = await client.post(f"{API}/call/dial", json={"number": "555-123-4567"}, headers=kim.auth)
        assert response.status_code == 409 and "No user of Convonet has that number" in response.json()["detail"]
        response = await client.post(f"{API}/call/dial", json={"number": "+15551234567"}, headers=kim.auth)
        assert response.status_code == 200, response.text
        call = response.json()
        assert (call["channel"], call["dialed"], call["status"]) == ("browser", ann.id, "dialing")
        assert call["caller"]["name"] == "Ann Lee" and twilio.placed == []
        notice = json.loads(await feed.get(wait=2) or "{}")
        assert {k: notice[k] for k in ("user_id", "notice", "call_id", "from")} == {
            "user_id": ann.id, "notice": "call", "call_id": call["id"], "from": "Kim Agent"}
    finally:
        await feed.close()

    answer = f"/api/calls/{call['id']}/answer"
    assert (await client.post(answer, json={"sdp": "v=0", "type": "offer"}, headers=lee.auth)).status_code == 404
    assert (await client.post(f"/api/calls/{call['id']}/decline", headers=lee.auth)).status_code == 404
    assert (await client.post(answer, json={"sdp": "", "type": "offer"}, headers=ann.auth)).status_code == 400
    assert (await client.post(f"/api/calls/{call['id']}/decline", headers=ann.auth)).status_code == 200
    assert (await client.post(f"/api/calls/{call['id']}/decline", headers=ann.auth)).status_code == 409
    assert [(h["outcome"], h["dial_status"], h["channel"]) for h in await history(runtime)] == [
        ("busy", "declined", "browser")]
    assert await state_of(client, kim) == {"state": "wrap_up", "call": "ended"}


async def test_an_in_app_call_nobody_answers_ends_as_no_answer(client: httpx.AsyncClient, in_app: Runtime) -> None:
    kim = await agent(client, in_app)
    ann = await register(client, first_name="Ann")
    response = await client.post(f"{API}/call/dial", json={"user_id": ann.id}, headers=kim.auth)
    assert response.status_code == 200 and response.json()["dialed"] == ann.id
    deadline = asyncio.get_running_loop().time() + 5
    while not await history(in_app):
        assert asyncio.get_running_loop().time() < deadline, "the ring never timed out"
        await asyncio.sleep(0.1)
    assert [h["outcome"] for h in await history(in_app)] == ["no-answer"]
    assert await state_of(client, kim) == {"state": "wrap_up", "call": "ended"}
