"""Outbound phone calls through Twilio: an agent dials, Twilio rings the callee, and the callee's audio
comes back over Media Streams to be bridged to the agent's browser leg, as for an inbound transfer.

    POST {TWILIO_API_BASE_URL}/2010-04-01/Accounts/{sid}/Calls.json
        To, From (the caller ID from settings), Url = {PUBLIC_URL}/twilio/outbound/answer?call={id},
        StatusCallback = {PUBLIC_URL}/twilio/outbound/status?call={id}, Timeout

When the callee picks up, Twilio POSTs the signed `answer` webhook; its TwiML is a
`<Connect><Stream>` with a single-use ticket that names the outbound call, and that stream's
pipeline joins the agent at once (`processors.transfer_bridge.TransferBridge.join_outbound`).
`status` reports the end: busy, no-answer, failed or canceled end a call nobody answered.
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from core.config import Settings
from core.runtime import Runtime
from domains.transfer.calls import CallStatus, Outcome
from domains.transfer.outbound import Dialer
from domains.transfer.queue import CallCenter
from transports.twilio import answer_twiml
from transports.twilio_signature import public_url, stream_url
from transports.twilio_ticket import StreamTicket, issue_ticket

log = logging.getLogger(__name__)

ANSWER_PATH = "/twilio/outbound/answer"
STATUS_PATH = "/twilio/outbound/status"
REST_TIMEOUT = 10.0
GAVE_UP = {"busy": Outcome.BUSY, "no-answer": Outcome.NO_ANSWER, "failed": Outcome.FAILED,
           "canceled": Outcome.CANCELED}


def caller_id(settings: Settings) -> str | None:
    """The number outbound calls come from: OUTBOUND_CALLER_ID, else TWILIO_FROM_NUMBER."""
    return settings.outbound_caller_id or settings.twilio_from_number


def outbound_enabled(settings: Settings) -> bool:
    """Twilio credentials and a caller ID are set."""
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and caller_id(settings))


def _client(settings: Settings) -> tuple[Client, AsyncTwilioHttpClient]:
    http = AsyncTwilioHttpClient(timeout=REST_TIMEOUT)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    return client, http


async def place_call(settings: Settings, to: str, call_id: str) -> str:
    """Ask Twilio to ring `to` for the call center's call `call_id`; Twilio's CallSid. Raises Twilio's or
    the HTTP client's errors."""
    client, http = _client(settings)
    query = f"call={call_id}"
    try:
        call = await client.calls.create_async(
            to=to, from_=caller_id(settings) or "", url=public_url(settings, ANSWER_PATH, query), method="POST",
            status_callback=public_url(settings, STATUS_PATH, query), status_callback_method="POST",
            timeout=int(settings.transfer_timeout),
        )
    finally:
        await http.close()
    return str(call.sid)


async def end_call(settings: Settings, call_sid: str, *, ringing: bool) -> None:
    """Stop a call: `canceled` while it still rings, `completed` once answered."""
    client, http = _client(settings)
    try:
        await client.calls(call_sid).update_async(status="canceled" if ringing else "completed")
    finally:
        await http.close()


async def call_and_say(settings: Settings, to: str, twiml: str) -> str:
    """Ring `to` from the caller ID and play `twiml` when they answer (a reminder said by Twilio's voice);
    Twilio's CallSid. Raises Twilio's or the HTTP client's errors."""
    client, http = _client(settings)
    try:
        call = await client.calls.create_async(to=to, from_=caller_id(settings) or "", twiml=twiml,
                                               timeout=int(settings.transfer_timeout))
    finally:
        await http.close()
    return str(call.sid)


def say_twiml(text: str) -> str:
    """Say `text`, pause, say it again (the callee may have missed the start), then hang up."""
    said = escape(text)
    return (f'<Response><Say>{said}</Say><Pause length="1"/><Say>Once more: {said}</Say>'
            f"<Say>Goodbye.</Say><Hangup/></Response>")


def hang_up_twiml() -> str:
    return "<Response><Hangup/></Response>"


async def callee_answered(runtime: Runtime, call_id: str, form: dict[str, str]) -> str:
    """TwiML for a callee who picked up: their audio to our Media Streams websocket, with a ticket naming
    the outbound call. A call the agent has already given up on is hung up."""
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    call = await center.find(call_id)
    call_sid = form.get("CallSid", "")
    if call is None or call.status is not CallStatus.DIALING or (call.call_sid and call.call_sid != call_sid):
        log.info("outbound call %s answered after it ended: hanging up", call_id)
        return hang_up_twiml()
    from_number, to_number = form.get("From", ""), form.get("To", "")
    ticket = await issue_ticket(runtime.store, StreamTicket(call_sid, from_number, to_number, outbound=call_id))
    twiml = answer_twiml(stream_url(runtime.settings), from_number=from_number, to_number=to_number,
                         call_sid=call_sid, ticket=ticket)
    return twiml.removeprefix('<?xml version="1.0" encoding="UTF-8"?>')


async def call_ended(runtime: Runtime, call_id: str, form: dict[str, str]) -> None:
    """Twilio's last word on the call. A call that never connected is recorded with why; one that did
    was ended by its pipeline."""
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    status = form.get("CallStatus", "").lower()
    outcome = GAVE_UP.get(status, Outcome.FAILED)  # `completed` while still dialing: answered, never streamed
    ended = await Dialer(center).gave_up(call_id, outcome, status or "unknown")
    if ended is not None:
        log.info("outbound call %s ended unanswered: %s", call_id, status or "unknown")
