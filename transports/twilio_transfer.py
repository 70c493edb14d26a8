"""Transfer over the phone network: Twilio dials the department's FusionPBX extension.

Only when Twilio credentials and FUSIONPBX_SIP_DOMAIN are set (`pbx_enabled`), a phone call's
transfer leaves the in-app queue aside: the call's context is cached for the softphone's popup
(`callcenter:customer:{extension}:{call_sid}`), and the live call is redirected through the
Twilio REST API to

    <Response><Dial action="{PUBLIC_URL}/twilio/transfer_callback" timeout="{TRANSFER_TIMEOUT}">
      <Sip>sip:{extension}@{FUSIONPBX_SIP_DOMAIN}</Sip></Dial></Response>

which ends our media stream. Twilio then reports the dial's end to `/twilio/transfer_callback`
(`DialCallStatus`): `completed` hangs up; `busy`, `no-answer`, `failed` and `canceled` bring the
caller back to the assistant with a new `<Connect><Stream>`; that stream's caller skips the PIN
(`resume_caller`: a one-time mark our redirect left for that CallSid) and is offered a call back, as
after an in-app transfer nobody took (`unanswered_transfer`, `processors.callback_offer`). Every
outcome goes to the call center's history.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from xml.sax.saxutils import escape, quoteattr

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from core.config import Settings
from core.runtime import Runtime
from core.tools import TransferRequest
from domains.transfer.calls import Outcome, TransferCall
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from processors.pin_auth import Caller
from processors.transfer_bridge import TransferringCall
from transports.twilio_signature import public_url, stream_url
from transports.twilio_ticket import TICKET_PARAMETER, StreamTicket, issue_ticket

log = logging.getLogger(__name__)

CALLBACK_PATH = "/twilio/transfer_callback"
CONTEXT_TTL = 6 * 3600.0
REST_TIMEOUT = 10.0
RESUME_GRACE = 600.0  # how long after the dial gives up a returning stream may skip the PIN
BACK_TO_ASSISTANT = "One moment, please."  # then the stream's assistant offers a call back
OUTCOMES = {
    "completed": Outcome.ANSWERED,
    "answered": Outcome.ANSWERED,
    "busy": Outcome.BUSY,
    "no-answer": Outcome.NO_ANSWER,
    "failed": Outcome.FAILED,
    "canceled": Outcome.CANCELED,
}


def pbx_enabled(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.fusionpbx_sip_domain)


def customer_key(extension: str, call_sid: str) -> str:
    return f"callcenter:customer:{extension}:{call_sid}"


def pbx_key(call_sid: str) -> str:
    return f"callcenter:pbx:{call_sid}"


def resume_key(call_sid: str) -> str:
    return f"callcenter:resume:{call_sid}"


async def resume_caller(runtime: Runtime, call_sid: str) -> Caller | None:
    """The caller of a call coming back from an unanswered PBX transfer (once): they need no new PIN.

    Only our own redirect leaves this mark, keyed by the CallSid of a signed Media Stream."""
    if not call_sid:
        return None
    raw = await runtime.store.get(resume_key(call_sid))
    if raw is None or not await runtime.store.delete(resume_key(call_sid)):
        return None  # another stream of this call took it first
    data = json.loads(raw)
    return Caller(uuid.UUID(data["user_id"]), str(data.get("first_name") or ""))


async def unanswered_transfer(runtime: Runtime, call_sid: str, resume: str | None) -> TransferCall | None:
    """The PBX transfer a stream's caller comes back from unanswered (its ticket said so), for the offer
    of a call back; None for any other stream."""
    if not call_sid or not resume or not resume.startswith("transfer-") or resume == "transfer-completed":
        return None
    raw = await runtime.store.get(pbx_key(call_sid))
    return TransferCall.parse(raw) if raw else None


def dial_twiml(settings: Settings, extension: str) -> str:
    """The TwiML that rings `extension` at the FusionPBX domain and reports back to us."""
    action = public_url(settings, CALLBACK_PATH)
    sip = f"sip:{extension}@{settings.fusionpbx_sip_domain}"
    return (f"<Response><Dial action={quoteattr(action)} timeout=\"{int(settings.transfer_timeout)}\">"
            f"<Sip>{escape(sip)}</Sip></Dial></Response>")


def back_to_assistant_twiml(settings: Settings, *, from_number: str, to_number: str, call_sid: str, status: str,
                            ticket: str) -> str:
    """Say sorry, then a new Media Stream (opened with `ticket`): the caller is with the assistant again."""
    params = "".join(
        f"<Parameter name={quoteattr(name)} value={quoteattr(value)}/>"
        for name, value in (("From", from_number), ("To", to_number), ("CallSid", call_sid),
                            ("Resume", f"transfer-{status}"), (TICKET_PARAMETER, ticket))
    )
    return (f"<Response><Say>{escape(BACK_TO_ASSISTANT)}</Say>"
            f"<Connect><Stream url={quoteattr(stream_url(settings))}>{params}</Stream></Connect></Response>")


def hang_up_twiml() -> str:
    return "<Response><Hangup/></Response>"


async def redirect_call(settings: Settings, call_sid: str, twiml: str) -> None:
    """Replace a live call's TwiML through the REST API (TWILIO_API_BASE_URL points tests at a fake)."""
    http = AsyncTwilioHttpClient(timeout=REST_TIMEOUT)
    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)
    if settings.twilio_api_base_url:
        client.api.base_url = settings.twilio_api_base_url.rstrip("/")
    try:
        await client.calls(call_sid).update_async(twiml=twiml)
    finally:
        await http.close()


def pbx_transfer(runtime: Runtime, call: TransferringCall) -> Callable[[TransferRequest], Awaitable[None]] | None:
    """The session's PBX transfer handler for a phone call, or None when the PBX is not configured."""
    settings = runtime.settings
    if not pbx_enabled(settings) or call.info.channel != "phone":
        return None

    async def transfer(request: TransferRequest) -> None:
        caller = call.caller
        context = await transfer_call(
            runtime.sessions, request=request, call_sid=call.info.call_sid, channel="phone",
            caller_id=str(caller.user_id) if caller else None, phone=call.info.from_number,
            transcript=call.transcript,
        )
        center = CallCenter(runtime.store, settings.transfer_departments, runtime.sessions)
        context.extension = context.extension or center.departments.get(context.department, "")
        await cache_context(runtime, context)
        if caller is not None:
            mark = json.dumps({"user_id": str(caller.user_id), "first_name": getattr(caller, "first_name", "")})
            await runtime.store.set(resume_key(context.call_sid), mark, ttl=settings.transfer_timeout + RESUME_GRACE)
        await redirect_call(settings, context.call_sid, dial_twiml(settings, context.extension))
        log.info("call %s redirected to sip:%s@%s", context.call_sid, context.extension,
                 settings.fusionpbx_sip_domain)

    return transfer


async def cache_context(runtime: Runtime, call: TransferCall) -> None:
    """Keep the call's context for the softphone popup and for the dial's callback."""
    raw = call.dump()
    await runtime.store.set(customer_key(call.extension, call.call_sid), raw, ttl=CONTEXT_TTL)
    await runtime.store.set(pbx_key(call.call_sid), raw, ttl=CONTEXT_TTL)


async def dial_finished(runtime: Runtime, form: dict[str, str]) -> str:
    """Handle Twilio's report of the `<Dial>`: record the outcome; TwiML for what the caller hears next."""
    settings = runtime.settings
    call_sid = form.get("CallSid", "")
    status = form.get("DialCallStatus", "").lower()
    outcome = OUTCOMES.get(status, Outcome.FAILED)
    raw = await runtime.store.get(pbx_key(call_sid)) if call_sid else None
    call = TransferCall.parse(raw) if raw else TransferCall(call_sid=call_sid, department="unknown")
    center = CallCenter(runtime.store, settings.transfer_departments, runtime.sessions)
    duration = _seconds(form.get("DialCallDuration"))
    await center.record(call, outcome, agent_name=f"ext {call.extension}" if call.extension else None,
                        handle_s=duration if outcome is Outcome.ANSWERED else None,
                        dial_status=status, dial_sid=form.get("DialCallSid"))
    await runtime.store.publish("callcenter:events", json.dumps(
        {"type": "pbx", "call_sid": call_sid, "status": status, "extension": call.extension}))
    log.info("transfer of %s ended: %s", call_sid, status or "unknown")
    if outcome is Outcome.ANSWERED:
        await runtime.store.delete(resume_key(call_sid))
        return hang_up_twiml()
    from_number, to_number = form.get("From", ""), form.get("To", "")
    resume = f"transfer-{status or 'failed'}"
    ticket = await issue_ticket(runtime.store, StreamTicket(call_sid, from_number, to_number, resume=resume))
    return back_to_assistant_twiml(settings, from_number=from_number, to_number=to_number,
                                   call_sid=call_sid, status=status or "failed", ticket=ticket)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
