"""The softphone's server side: the agent's SIP account (only the digest HA1 is kept), the popup of a SIP
call by CallSid or caller number, and a SIP call's outcome in the agent's state and the history."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

from core.config import Settings
from core.runtime import Runtime
from core.tools import TransferRequest
from domains.transfer.profile import transfer_call
from domains.transfer.softphone import SipAccount
from tests.helpers import make_staff, register
from transports.twilio_transfer import cache_context

API = "/call-center/api/sip"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"sip_domain": "pbx.example.com"})


async def test_the_account_keeps_a_digest_never_the_password(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await make_staff(runtime, await register(client, first_name="Kim", last_name="Park"))
    lee = await make_staff(runtime, await register(client))
    assert (await client.get(f"{API}/account", headers=kim.auth)).json() is None
    bad = await client.put(f"{API}/account", json={"extension": "10 01", "password": "pw"}, headers=kim.auth)
    assert bad.status_code == 422

    saved = await client.put(f"{API}/account", json={"extension": "1001", "password": "s3cret!"}, headers=kim.auth)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["ha1"] == hashlib.md5(b"1001:pbx.example.com:s3cret!").hexdigest()
    assert (body["uri"], body["realm"], body["ws_url"]) == ("sip:1001@pbx.example.com", "pbx.example.com",
                                                              "wss://pbx.example.com:7443")
    assert body["departments"]["billing"] == "2003" and "s3cret" not in saved.text
    async with runtime.sessions() as session:
        row = await session.get(SipAccount, uuid.UUID(kim.id))
        assert row is not None and "s3cret" not in repr(row.model_dump())
    assert (await client.get(f"{API}/account", headers=kim.auth)).json()["extension"] == "1001"
    assert (await client.get(f"{API}/account", headers=lee.auth)).json() is None  # each agent sees their own
    assert (await client.delete(f"{API}/account", headers=kim.auth)).is_success
    assert (await client.get(f"{API}/account", headers=kim.auth)).json() is None

    caller = await register(client)  # not staff
    assert (await client.get(f"{API}/account", headers=caller.auth)).status_code == 403


async def test_the_popup_by_callsid_then_by_number(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await make_staff(runtime, await register(client, first_name="Kim", last_name="Park"))
    ann = await register(client, first_name="Ann", last_name="Lee", phone_number="+15551234567")
    context = await transfer_call(
        runtime.sessions, request=TransferRequest(department="billing", reason="a refund"), call_sid="CAabc123",
        channel="phone", caller_id=ann.id, phone="+15551234567",
        transcript=[{"role": "user", "text": "I want a refund", "at": "2026-01-05T10:00:00+00:00"}])
    context.extension = "2003"
    await cache_context(runtime, context)

    by_sid = (await client.get(f"{API}/customer", params={"call_sid": "CAabc123"}, headers=kim.auth)).json()
    assert by_sid["caller_name"] == "Ann Lee" and by_sid["transcript"][0]["text"] == "I want a refund"
    by_number = await client.get(f"{API}/customer", params={"call_sid": "CAother", "number": "5551234567"},
                                 headers=kim.auth)
    assert by_number.json()["reason"] == "a refund"  # the newest context from that number
    malformed = await client.get(f"{API}/customer", params={"call_sid": 'CA"><img>'}, headers=kim.auth)
    assert malformed.status_code == 400
    unknown = await client.get(f"{API}/customer", params={"number": "+15550000000"}, headers=kim.auth)
    assert unknown.status_code == 404
    assert (await client.get(f"{API}/customer", params={"number": "trunk"}, headers=kim.auth)).status_code == 404

    bob = await register(client, first_name="Bob", last_name="Day", phone_number="+15557654321")
    no_context = (await client.get(f"{API}/customer", params={"number": "+15557654321"}, headers=kim.auth)).json()
    assert no_context["caller"]["user_id"] == bob.id and no_context["transcript"] == []
    assert "no conversation" in no_context["summary"]


async def test_a_sip_call_moves_the_agent_and_goes_in_the_history(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await make_staff(runtime, await register(client, first_name="Kim", last_name="Park"))
    cc = "/call-center/api"
    assert (await client.post(f"{cc}/agent/login", json={"departments": ["support"]}, headers=kim.auth)).is_success
    assert (await client.post(f"{cc}/agent/ready", headers=kim.auth)).is_success

    call = {"call_id": "abc@127.0.0.1", "caller": "+15551234567", "name": "Ann Lee", "call_sid": "CAabc123"}
    assert (await client.post(f"{API}/call/answered", json=call, headers=kim.auth)).is_success
    assert (await client.get(f"{cc}/agent/status", headers=kim.auth)).json()["agent"]["state"] == "on_call"
    ended = {**call, "outcome": "transferred", "talked_s": 42.5, "transferred_to": "billing (2003)"}
    assert (await client.post(f"{API}/call/ended", json=ended, headers=kim.auth)).is_success
    assert (await client.get(f"{cc}/agent/status", headers=kim.auth)).json()["agent"]["state"] == "wrap_up"
    busy = {"call_id": "def@127.0.0.1", "caller": "+15550001111", "outcome": "busy"}
    assert (await client.post(f"{API}/call/ended", json=busy, headers=kim.auth)).is_success
    bad = {**busy, "outcome": "whatever"}
    assert (await client.post(f"{API}/call/ended", json=bad, headers=kim.auth)).status_code == 422

    history = (await client.get(f"{cc}/call/history", headers=kim.auth)).json()
    assert [(h["outcome"], h["caller_name"], h["channel"]) for h in history] == [
        ("busy", "+15550001111", "sip"), ("answered", "Ann Lee", "sip")]
    assert history[1]["handle_s"] == 42.5 and history[1]["reason"] == "Transferred to billing (2003)"


async def test_off_without_a_sip_domain(client: httpx.AsyncClient, runtime: Runtime) -> None:
    runtime.settings.sip_domain = None
    kim = await make_staff(runtime, await register(client))
    assert (await client.get(f"{API}/account", headers=kim.auth)).status_code == 409
