"""Transfer over Twilio to FusionPBX: the exact TwiML a fake Twilio REST server receives when the
call's transfer tool fires, the context cached for the softphone popup, and each `DialCallStatus`
that Twilio reports to the signed `/twilio/transfer_callback`."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from sqlmodel import select

from bots.session import CallInfo, CallSession
from core.config import Settings
from core.models import CallRecording
from core.runtime import Runtime
from core.tools import TransferRequest
from domains.productivity.models import Todo
from domains.transfer.queue import CallCenter
from processors.pin_auth import Caller
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.helpers import make_staff, register
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller
from transports.twilio_signature import sign
from transports.twilio_ticket import redeem_ticket
from transports.twilio_transfer import customer_key, pbx_enabled, pbx_transfer, unanswered_transfer

ACCOUNT = "AC" + "1" * 32
TOKEN = "twilio-transfer-test-token-0123456789"
DOMAIN = "pbx.example.com"
CALL_SID = "CA" + "a" * 32


@dataclass
class FakeTwilioRest:
    """Twilio's REST call resource: records each update of a call."""

    url: str = ""
    updates: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
async def rest() -> AsyncIterator[FakeTwilioRest]:
    fake = FakeTwilioRest()

    async def update(request: web.Request) -> web.Response:
        form = await request.post()
        fake.updates.append({"account": request.match_info["account"], "call": request.match_info["call"],
                             "form": {k: str(v) for k, v in form.items()},
                             "authorization": request.headers.get("Authorization")})
        return web.json_response({"sid": request.match_info["call"], "account_sid": ACCOUNT, "status": "in-progress"})

    app = web.Application()
    app.router.add_post("/2010-04-01/Accounts/{account}/Calls/{call}.json", update)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield fake
    finally:
        await runner.cleanup()


@pytest.fixture
def settings(settings: Settings, rest: FakeTwilioRest) -> Settings:
    return settings.model_copy(update={
        "twilio_account_sid": ACCOUNT, "twilio_auth_token": TOKEN, "twilio_api_base_url": rest.url,
        "fusionpbx_sip_domain": DOMAIN, "public_url": "https://convonet.example.com",
    })


async def test_transfer_redirects_the_live_call_to_the_extension(
    runtime: Runtime, rest: FakeTwilioRest, client: httpx.AsyncClient
) -> None:
    assert pbx_enabled(runtime.settings)
    user = await register_caller(runtime)
    session = CallSession(runtime, None, CallInfo(CALL_SID, "phone", CALLER_PHONE))  # type: ignore[arg-type]
    session.caller = Caller(user.id, "Ann")
    session.transcript = [{"role": "user", "text": "transfer me to billing", "at": "2026-01-05T10:00:00+00:00"}]
    session.pbx_transfer = pbx_transfer(runtime, session)
    in_app: list[TransferRequest] = []

    async def queue(request: TransferRequest) -> None:
        in_app.append(request)

    session.transfer_handler = queue

    await session.request_transfer(TransferRequest(department="billing", extension="2003", reason="a refund"))

    assert in_app == []  # the PBX took it; the in-app queue did not ring
    assert len(rest.updates) == 1
    update = rest.updates[0]
    assert update["account"] == ACCOUNT and update["call"] == CALL_SID
    assert update["authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert update["form"] == {"Twiml": (
        '<Response><Dial action="https://convonet.example.com/twilio/transfer_callback" timeout="30" '
        'referUrl="https://convonet.example.com/twilio/transfer_refer" referMethod="POST">'  # REFER followed
        "<Sip>sip:2003@pbx.example.com</Sip></Dial></Response>"
    )}

    back = await unanswered_transfer(runtime, CALL_SID, "transfer-no-answer")  # the offer of a call back has it
    assert back is not None and back.reason == "a refund" and back.transcript[0]["text"] == "transfer me to billing"
    assert await unanswered_transfer(runtime, CALL_SID, None) is None  # a stream not back from a transfer
    cached = json.loads(await runtime.store.get(customer_key("2003", CALL_SID)) or "{}")
    assert cached["caller"]["name"] == "Ann" and cached["reason"] == "a refund"
    assert cached["transcript"][0]["text"] == "transfer me to billing"

    # The softphone's popup finds it by the CallSid.
    agent = await make_staff(runtime, await register(client, first_name="Kim"))
    popup = (await client.get(f"/call-center/api/customer/{CALL_SID}", headers=agent.auth)).json()
    assert popup["caller"]["phone"] == CALLER_PHONE and popup["extension"] == "2003"
    assert popup["summary"].startswith("Ann asked for billing about a refund.")


async def test_browser_calls_and_unconfigured_installs_stay_in_app(runtime: Runtime) -> None:
    browser = CallSession(runtime, None, CallInfo("web-1", "browser"))  # type: ignore[arg-type]
    assert pbx_transfer(runtime, browser) is None
    bare = Runtime.build(runtime.settings.model_copy(update={"fusionpbx_sip_domain": None}))
    try:
        phone = CallSession(bare, None, CallInfo(CALL_SID, "phone", CALLER_PHONE))  # type: ignore[arg-type]
        assert pbx_transfer(bare, phone) is None
    finally:
        await bare.close()


async def outcomes_of(runtime: Runtime) -> list[dict[str, Any]]:
    """The call center's recorded outcomes (database rows), newest first."""
    return await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).history()


def callback_form(status: str, **extra: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT, "CallSid": CALL_SID, "From": CALLER_PHONE, "To": "+15550100000",
            "DialCallSid": "CA" + "d" * 32, "DialCallStatus": status, **extra}


async def post_callback(client: httpx.AsyncClient, form: dict[str, str], *, signed: bool = True) -> httpx.Response:
    url = "https://convonet.example.com/twilio/transfer_callback"
    headers = {"X-Twilio-Signature": sign(TOKEN, url, form)} if signed else {}
    return await client.post("/twilio/transfer_callback", data=form, headers=headers)


async def test_dial_completed_hangs_up_and_counts_as_answered(runtime: Runtime, client: httpx.AsyncClient) -> None:
    response = await post_callback(client, callback_form("completed", DialCallDuration="42"))
    assert response.status_code == 200
    assert ET.fromstring(response.text).find("Hangup") is not None
    history = (await outcomes_of(runtime))[0]
    assert history["outcome"] == "answered" and history["handle_s"] == 42.0 and history["call_sid"] == CALL_SID


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed", "canceled"])
async def test_dial_failures_bring_the_caller_back_to_the_assistant(
    runtime: Runtime, client: httpx.AsyncClient, status: str
) -> None:
    response = await post_callback(client, callback_form(status))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    twiml = ET.fromstring(response.text)
    assert twiml.find("Say") is not None
    stream = twiml.find("./Connect/Stream")
    assert stream is not None and stream.get("url") == "wss://convonet.example.com/twilio/ws"
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    ticket = await redeem_ticket(runtime.store, parameters.pop("StreamTicket"), CALL_SID)
    assert ticket is not None and ticket.resume == f"transfer-{status}"  # its stream offers a call back
    assert parameters == {"From": CALLER_PHONE, "To": "+15550100000", "CallSid": CALL_SID,
                          "Resume": f"transfer-{status}"}
    history = (await outcomes_of(runtime))[0]
    assert history["outcome"] == status and history["dial_status"] == status


async def test_callback_must_be_signed(runtime: Runtime, client: httpx.AsyncClient) -> None:
    assert (await post_callback(client, callback_form("busy"), signed=False)).status_code == 403
    forged = callback_form("busy")
    response = await client.post("/twilio/transfer_callback", data=forged,
                                 headers={"X-Twilio-Signature": sign("wrong-token", "https://x/y", forged)})
    assert response.status_code == 403
    assert await outcomes_of(runtime) == []


def refer_form(target: str) -> dict[str, str]:
    return {"AccountSid": ACCOUNT, "CallSid": CALL_SID, "From": CALLER_PHONE, "To": "+15550100000",
            "ReferTransferTarget": target, "ReferredBy": "<sip:2003@pbx.example.com>"}


async def post_refer(client: httpx.AsyncClient, form: dict[str, str], *, token: str = TOKEN) -> httpx.Response:
    headers = {"X-Twilio-Signature": sign(token, "https://convonet.example.com/twilio/transfer_refer", form)}
    return await client.post("/twilio/transfer_refer", data=form, headers=headers)


async def test_sip_refer_from_the_softphone_dials_its_target(runtime: Runtime, client: httpx.AsyncClient) -> None:
    response = await post_refer(client, refer_form("<sip:2004@PBX.example.com;transport=ws?X-Foo=1>"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    dial = ET.fromstring(response.text).find("Dial")
    assert dial is not None and dial.findtext("Sip") == "sip:2004@pbx.example.com"
    assert dial.get("referUrl") == "https://convonet.example.com/twilio/transfer_refer"  # may be transferred again
    assert dial.get("action") == "https://convonet.example.com/twilio/transfer_callback"

    number = ET.fromstring((await post_refer(client, refer_form("<tel:+1-555-010-0199>"))).text).find("Dial")
    assert number is not None and number.findtext("Number") == "+15550100199"


@pytest.mark.parametrize("target", [
    "<sip:2004@evil.example.org>", "<http://pbx.example.com/>", "sip:@pbx.example.com", "<tel:12345>",
    "<sip:" + "9" * 300 + "@pbx.example.com>", "", "<sip:20 04@pbx.example.com>",
])
async def test_refer_to_a_target_not_allowed_is_refused_and_keeps_the_call(
    runtime: Runtime, client: httpx.AsyncClient, target: str
) -> None:
    response = await post_refer(client, refer_form(target))
    assert response.status_code == 200
    twiml = ET.fromstring(response.text)
    assert twiml.findtext("Say") == "Sorry, that transfer could not be made."
    assert twiml.find("Dial") is None and twiml.find("Hangup") is not None  # no known extension to go back to


async def test_refused_refer_rings_the_agent_who_had_the_call(runtime: Runtime, client: httpx.AsyncClient) -> None:
    from domains.transfer.calls import TransferCall
    from transports.twilio_transfer import cache_context

    await cache_context(runtime, TransferCall(call_sid=CALL_SID, department="billing", extension="2003"))
    twiml = ET.fromstring((await post_refer(client, refer_form("<sip:2004@evil.example.org>"))).text)
    assert twiml.findtext("./Dial/Sip") == "sip:2003@pbx.example.com"
    ok = ET.fromstring((await post_refer(client, refer_form("<sip:2004@pbx.example.com>"))).text)
    assert ok.findtext("./Dial/Sip") == "sip:2004@pbx.example.com"
    assert await runtime.store.get(customer_key("2004", CALL_SID)) is not None  # the new agent's popup


async def test_refer_must_be_signed(client: httpx.AsyncClient) -> None:
    assert (await post_refer(client, refer_form("<sip:2004@pbx.example.com>"), token="wrong")).status_code == 403
    unsigned = await client.post("/twilio/transfer_refer", data=refer_form("<sip:2004@pbx.example.com>"))
    assert unsigned.status_code == 403


# --- the phone path end to end: redirect, no answer at the PBX, back to the assistant without a PIN ---


@pytest.fixture
async def pbx_phone(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> AsyncIterator[PhoneServer]:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, fusionpbx_sip_domain=DOMAIN) as server:
        yield server


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)  # a whole call: once
@pytest.mark.slow
async def test_unanswered_pbx_transfer_offers_a_call_back_then_the_assistant(pbx_phone: PhoneServer) -> None:
    runtime, twilio = pbx_phone.runtime, pbx_phone.twilio
    user = await register_caller(runtime)
    call = await twilio.place_call(CALLER_PHONE)
    await call.wait_for_bot(time.monotonic() - 1, within=20)
    await call.wait_quiet()
    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(time.monotonic() - 1)
    await call.wait_quiet()
    await call.say("transfer me to the billing department")

    deadline = time.monotonic() + 15
    redirect: list[Any] = []
    while not redirect and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        redirect = [h for h in twilio.hang_ups if h.status is None]
    assert redirect and redirect[0].call_sid == call.call_sid  # the REST update carrying the <Dial>
    assert await runtime.store.get(customer_key("2003", call.call_sid)) is not None
    await call.close()  # Twilio leaves our stream for the <Dial>

    # FusionPBX's extension did not answer: Twilio asks what next.
    url = f"{pbx_phone.url}/twilio/transfer_callback"
    form = {"AccountSid": twilio.account_sid, "CallSid": call.call_sid, "From": CALLER_PHONE, "To": "+15550100000",
            "DialCallStatus": "no-answer"}
    async with httpx.AsyncClient() as http:
        response = await http.post(url, data=form, headers={"X-Twilio-Signature": sign(twilio.auth_token or "", url,
                                                                                        form)})
    assert response.status_code == 200, response.text
    stream = ET.fromstring(response.text).find("./Connect/Stream")
    assert stream is not None
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
    back = await twilio.open_stream(stream.get("url", ""), call.call_sid, parameters)

    # Straight back to the assistant, no PIN prompt: it offers a call back; the caller asks for something else.
    await back.wait_for_bot(time.monotonic() - 1, within=10)
    await back.wait_quiet()
    await back.say("create a todo to buy milk")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        async with runtime.sessions() as session:
            titles = [t.title for t in (await session.exec(select(Todo).where(Todo.creator_id == user.id))).all()]
        if titles:
            break
        await asyncio.sleep(0.1)
    assert titles == ["buy milk"]
    outcomes = [h["outcome"] for h in await outcomes_of(runtime)]
    assert outcomes == ["no-answer"]
    await back.hang_up()
    deadline = time.monotonic() + 10
    said: list[str] = []
    while not any("call you back" in line for line in said) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        async with runtime.sessions() as session:
            row = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call.call_sid))).first()
        said = [line["text"] for line in (row.transcript if row and row.status != "in-progress" else [])]
    assert any("call you back" in line for line in said), said
