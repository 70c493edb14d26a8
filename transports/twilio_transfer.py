"""Transfer over the phone network: Twilio dials the department's FusionPBX extension.

Only when Twilio credentials and FUSIONPBX_SIP_DOMAIN are set (`pbx_enabled`), a phone call's
transfer leaves the in-app queue aside: the call's context is cached for the softphone's popup
(`callcenter:customer:{extension}:{call_sid}`), and the live call is redirected through the
Twilio REST API to

    <Response><Dial action="{PUBLIC_URL}/twilio/transfer_callback" timeout="{TRANSFER_TIMEOUT}">
      <Sip>sip:{extension}@{FUSIONPBX_SIP_DOMAIN}</Sip></Dial></Response>

which ends our media stream. The `<Dial>` also carries `referUrl` (POST, `/twilio/transfer_refer`):
Twilio follows a SIP REFER from the agent's softphone (blind transfer) only then, by requesting that
URL with the Refer-To in `ReferTransferTarget` and running the TwiML we answer on the caller's leg
(`refer_twiml`): a `sip:` user at FUSIONPBX_SIP_DOMAIN is dialled with `<Sip>`, an E.164 `tel:` with
`<Number>`; anything else (another domain, a malformed or over-long target) is refused with a short
apology and the caller is dialled back to the extension they were with, so no call is lost. Twilio
then reports the dial's end reports the dial's end to `/twilio/transfer_callback`
(`DialCallStatus`): `completed` hangs up; `busy`, `no-answer`, `failed` and `canceled` bring the
caller back to the assistant with a new `<Connect><Stream>`; that stream's caller skips the PIN
(`resume_caller`: a one-time mark our redirect left for that CallSid) and is offered a call back, as
after an in-app transfer nobody took (`unanswered_transfer`, `processors.callback_offer`). Every
outcome goes to the call center's history.
"""

from __future__ import annotations

import json
import logging
import re
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
from processors.transfer_legs import TransferringCall
from transports.twilio_signature import public_url, stream_url
from transports.twilio_ticket import TICKET_PARAMETER, StreamTicket, issue_ticket

log = logging.getLogger(__name__)

CALLBACK_PATH = "/twilio/transfer_callback"
REFER_PATH = "/twilio/transfer_refer"
REFER_TARGET_MAX = 256
REFER_REFUSED = "Sorry, that transfer could not be made."
_SIP_USER = re.compile(r"^[A-Za-z0-9._~+\-]{1,64}$")
_TEL = re.compile(r"^\+[1-9][0-9]{6,14}$")
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
    return f"<Response>{_dial(settings, 'Sip', _sip(settings, extension))}</Response>"


def _dial(settings: Settings, noun: str, target: str) -> str:
    action = public_url(settings, CALLBACK_PATH)
    refer = public_url(settings, REFER_PATH)
    return (f"<Dial action={quoteattr(action)} timeout=\"{int(settings.transfer_timeout)}\" "
            f"referUrl={quoteattr(refer)} referMethod=\"POST\"><{noun}>{escape(target)}</{noun}></Dial>")


def refer_target(settings: Settings, raw: str) -> tuple[str, str] | None:
    """The `(noun, target)` to dial for a REFER's `ReferTransferTarget`, or None when it is refused.

    Accepted: `<sip:USER@FUSIONPBX_SIP_DOMAIN>` (URI parameters and headers dropped) and `<tel:+E164>`."""
    value = raw.strip()
    if not value or len(value) > REFER_TARGET_MAX:
        return None
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    scheme, _, rest = value.partition(":")
    scheme = scheme.lower()
    if scheme == "tel":
        number = rest.split(";", 1)[0].replace("-", "")
        return ("Number", number) if _TEL.match(number) else None
    if scheme != "sip":
        return None
    user, at, host = rest.split("?", 1)[0].split(";", 1)[0].partition("@")
    domain = (settings.fusionpbx_sip_domain or "").lower()
    if not at or not domain or host.lower() != domain or not _SIP_USER.match(user):
        return None
    return "Sip", f"sip:{user}@{settings.fusionpbx_sip_domain}"


async def refer_twiml(runtime: Runtime, form: dict[str, str]) -> str:
    """Answer Twilio's `referUrl` request: dial the REFER's target, or refuse it and keep the call."""
    settings = runtime.settings
    call_sid = form.get("CallSid", "")
    raw = await runtime.store.get(pbx_key(call_sid)) if call_sid else None
    call = TransferCall.parse(raw) if raw else None
    target = refer_target(settings, form.get("ReferTransferTarget", ""))
    if target is None:
        log.warning("call %s: refused a SIP REFER to a target that is not allowed", call_sid or "unknown")
        if call is not None and call.extension:
            back = _dial(settings, "Sip", _sip(settings, call.extension))
            return f"<Response><Say>{escape(REFER_REFUSED)}</Say>{back}</Response>"
        return f"<Response><Say>{escape(REFER_REFUSED)}</Say><Hangup/></Response>"
    noun, address = target
    if call is not None and noun == "Sip":  # the new extension's softphone popup finds the context
        call.extension = address[4:].split("@", 1)[0]
        await cache_context(runtime, call)
    await runtime.store.publish("callcenter:events", json.dumps(
        {"type": "pbx", "call_sid": call_sid, "status": "referred",
         "extension": address[4:].split("@", 1)[0] if noun == "Sip" else None}))
    log.info("call %s: blind transfer by SIP REFER", call_sid or "unknown")
    return f"<Response>{_dial(settings, noun, address)}</Response>"


def _sip(settings: Settings, extension: str) -> str:
    return f"sip:{extension}@{settings.fusionpbx_sip_domain}"


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
