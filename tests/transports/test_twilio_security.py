"""Twilio's doors refuse anything Twilio did not sign: the webhook (403) and the stream (1008)."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import Backend, make_settings
from tests.fakes.phone_server import AUTH_TOKEN, PhoneServer, open_phone_server
from tests.fakes.twilio_client import FakeCall
from transports.twilio_signature import sign, stream_url

# The doors' checks need no database: they run once, on the embedded backends. The stream tickets and the
# PIN-failure counts they lean on are tested on both backends (test_twilio_ticket.py, the PIN gate's tests).
embedded = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)

CALL = {"CallSid": "CA123", "AccountSid": "AC0", "From": "+15551234567", "To": "+15550100000"}


@embedded
async def test_signed_webhook_gets_twiml_that_streams_to_us(phone: PhoneServer) -> None:
    response = await phone.twilio.webhook(CALL)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    stream = ET.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None
    assert stream.get("url") == f"{phone.url.replace('http://', 'ws://')}/twilio/ws"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    ticket = params.pop("StreamTicket")
    assert len(ticket) >= 32
    assert params == {"From": "+15551234567", "To": "+15550100000", "CallSid": "CA123"}


@embedded
@pytest.mark.parametrize(
    "signature",
    [
        "",  # missing
        "bm90IGEgc2lnbmF0dXJl",  # forged
        sign("some-other-token", "http://127.0.0.1/twilio/call", CALL),  # another account
    ],
)
async def test_unsigned_or_forged_webhook_is_refused(phone: PhoneServer, signature: str) -> None:
    async with httpx.AsyncClient() as client:
        headers = {"X-Twilio-Signature": signature} if signature else {}
        response = await client.post(f"{phone.url}/twilio/call", data=CALL, headers=headers)
    assert response.status_code == 403


@embedded
async def test_signature_over_other_parameters_is_refused(phone: PhoneServer) -> None:
    signed_for = {**CALL, "From": "+15550000000"}
    response = await phone.twilio.webhook(CALL, signature=sign(AUTH_TOKEN, f"{phone.url}/twilio/call", signed_for))
    assert response.status_code == 403


@embedded
async def test_without_a_token_the_webhook_is_open(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> None:
    async with (
        open_phone_server(backend, tmp_path, auth_token=None, data_dir=voice_data_dir) as server,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(f"{server.url}/twilio/call", data=CALL)
    assert response.status_code == 200


def test_stream_url_is_wss_behind_https(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///x.db", None, public_url="https://voice.example.com/cn/")
    assert stream_url(settings) == "wss://voice.example.com/cn/twilio/ws"
    plain = make_settings(tmp_path, "sqlite+aiosqlite:///x.db", None, public_url="http://10.0.0.5:8000")
    assert stream_url(plain) == "ws://10.0.0.5:8000/twilio/ws"


@embedded
@pytest.mark.parametrize("forged", [True, False])
async def test_unsigned_or_forged_stream_is_closed_1008(phone: PhoneServer, forged: bool) -> None:
    url = f"{phone.url.replace('http://', 'ws://')}/twilio/ws"
    headers = {"X-Twilio-Signature": sign("wrong-token", url)} if forged else {}
    async with websockets.connect(url, additional_headers=headers) as ws:
        with pytest.raises(websockets.ConnectionClosed):
            await ws.recv()
    assert ws.close_code == 1008


async def ticket_for(phone: PhoneServer, call: dict[str, str]) -> tuple[str, dict[str, str]]:
    """What Twilio would take from our TwiML: the stream URL and its parameters (the ticket among them)."""
    response = await phone.twilio.webhook(call)
    assert response.status_code == 200, response.text
    stream = ET.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None
    return stream.get("url", ""), {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}


async def closed_with(call: FakeCall, within: float = 5.0) -> int | None:
    await asyncio.wait_for(call.closed.wait(), within)
    return call.close_code


@embedded
async def test_a_signed_stream_without_a_ticket_is_closed_1008(phone: PhoneServer) -> None:
    url, params = await ticket_for(phone, CALL)
    del params["StreamTicket"]
    call = await phone.twilio.open_stream(url, CALL["CallSid"], params)  # signed, but no ticket
    assert await closed_with(call) == 1008


@embedded
async def test_a_ticket_opens_one_stream_only(phone: PhoneServer) -> None:
    url, params = await ticket_for(phone, CALL)
    first = await phone.twilio.open_stream(url, CALL["CallSid"], params)
    await first.wait_for_bot(time.monotonic() - 1, within=20)  # the greeting: the call is up
    replayed = await phone.twilio.open_stream(url, CALL["CallSid"], params)
    assert await closed_with(replayed) == 1008
    assert not first.closed.is_set()


@embedded
async def test_a_ticket_opens_only_the_call_it_was_issued_for(phone: PhoneServer) -> None:
    url, params = await ticket_for(phone, CALL)
    other = await phone.twilio.open_stream(url, "CA" + "9" * 32, params)
    assert await closed_with(other) == 1008


@embedded
async def test_an_old_ticket_is_refused(phone: PhoneServer) -> None:
    url, params = await ticket_for(phone, CALL)
    for key in await phone.runtime.store.keys("twilio:stream-ticket:"):
        await phone.runtime.store.delete(key)  # what its minute running out does
    call = await phone.twilio.open_stream(url, CALL["CallSid"], params)
    assert await closed_with(call) == 1008


@embedded
async def test_the_caller_is_who_the_signed_webhook_said(phone: PhoneServer) -> None:
    """`start` naming another number (the victim's) changes nothing: the webhook's From is the caller."""
    url, params = await ticket_for(phone, CALL)
    victim = "+15559990000"
    call = await phone.twilio.open_stream(url, CALL["CallSid"], {**params, "From": victim})
    await call.wait_for_bot(time.monotonic() - 1, within=20)
    await call.press("1111#")
    store = phone.runtime.store
    for _ in range(200):
        if await store.get(f"pin:fail:{CALL['From']}") is not None:
            break
        await asyncio.sleep(0.05)
    assert await store.get(f"pin:fail:{CALL['From']}") == "1"
    assert await store.get(f"pin:fail:{victim}") is None


@embedded
async def test_without_twilio_the_routes_are_not_served(backend: Backend, tmp_path: Path,
                                                        voice_data_dir: Path) -> None:
    async with (
        open_phone_server(backend, tmp_path, auth_token=None, data_dir=voice_data_dir, twilio_enabled=False) as server,
        httpx.AsyncClient() as client,
    ):
        assert (await client.post(f"{server.url}/twilio/call", data=CALL)).status_code == 404
        assert (await client.post(f"{server.url}/twilio/transfer_callback", data=CALL)).status_code == 404
