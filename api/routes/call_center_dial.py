"""Calls placed from the call center: the dialpad and the callback queue's "Call back".

* `POST /call-center/api/call/dial` — `{number}` or `{callback_id}` (claims the request for the agent)
  → the call, ringing (`dialing`); it connects to the agent's audio leg once the callee answers
* `POST /call-center/api/call/cancel` — `{call_id}`: stop a call of yours that is still ringing

Staff only. Phones are called through Twilio (`transports.twilio_outbound`), from OUTBOUND_CALLER_ID.
"""

from __future__ import annotations

import logging
import uuid

import aiohttp
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from twilio.base.exceptions import TwilioException, TwilioRestException

from api.deps import RuntimeDep, StaffUser
from api.routes.call_center import CallRef, Center
from api.routes.call_center_models import CallOut
from core.errors import Invalid
from core.events import publish_change
from core.logging import describe_error
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.calls import CallStatus, Outcome
from domains.transfer.outbound import OUTBOUND, Dialer, callback_caller, callee, dialable
from transports.twilio_outbound import end_call, outbound_enabled, place_call

router = APIRouter(prefix="/call-center/api/call", tags=["call-center"])
log = logging.getLogger(__name__)

NO_TWILIO = ("Calls to phones need Twilio: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and OUTBOUND_CALLER_ID "
             "(or TWILIO_FROM_NUMBER).")


class DialIn(BaseModel):
    number: str | None = Field(default=None, max_length=40)
    callback_id: uuid.UUID | None = None


def _refusal(exc: Exception) -> str:
    if isinstance(exc, TwilioRestException):
        return f"Twilio refused the call: {exc.msg}"
    return "Twilio could not be reached to place the call. Try again in a moment."


@router.post("/dial")
async def dial(body: DialIn, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    """Call a number, or the caller of a callback request; the call rings until the callee answers."""
    settings = runtime.settings
    if not outbound_enabled(settings):
        raise HTTPException(status.HTTP_409_CONFLICT, NO_TWILIO)
    dialer = Dialer(center)
    if body.callback_id is not None:
        request = await callbacks.claim(runtime.sessions, body.callback_id, user.id)
        await publish_change(runtime.store, EVENTS, callbacks.notice(request))
        if not request.phone:
            raise Invalid("This callback request has no number to call.")
        number = dialable(request.phone)
        call = await dialer.start(str(user.id), dialed=number, channel="phone", caller=callback_caller(request),
                                  department=request.department, reason=request.reason,
                                  transcript=request.transcript, callback_id=str(request.id))
    elif body.number:
        number = dialable(body.number)
        call = await dialer.start(str(user.id), dialed=number, channel="phone",
                                  caller=await callee(runtime.sessions, number))
    else:
        raise Invalid("Enter a number to call.")
    try:
        call_sid = await place_call(settings, number, call.id)
    except (TwilioException, aiohttp.ClientError, TimeoutError, OSError) as exc:
        log.warning("outbound call %s was not placed: %s", call.id,
                    f"HTTP {exc.status}, code {exc.code}" if isinstance(exc, TwilioRestException)
                    else describe_error(exc))
        await dialer.gave_up(call.id, Outcome.FAILED, "not-placed")
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, _refusal(exc)) from None
    placed = await dialer.placed(call.id, call_sid)
    log.info("outbound call %s placed (%s)", call.id, call_sid)
    return CallOut.model_validate((placed or call).view())


@router.post("/cancel")
async def cancel(body: CallRef, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    """Stop ringing the callee of your outbound call (409 once they have answered: hang up instead)."""
    call = await center.get(body.call_id)
    if call.direction != OUTBOUND or call.agent_id != str(user.id):
        raise HTTPException(status.HTTP_409_CONFLICT, "That is not a call you placed.")
    ended = await Dialer(center).gave_up(call.id, Outcome.CANCELED, "canceled")
    if ended is None:
        now = await center.get(call.id)
        raise HTTPException(status.HTTP_409_CONFLICT, "The callee has answered: hang up instead."
                            if now.status.with_agent else "That call is no longer ringing.")
    if call.call_sid and outbound_enabled(runtime.settings):
        try:
            await end_call(runtime.settings, call.call_sid, ringing=call.status is CallStatus.DIALING)
        except (TwilioException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("outbound call %s: Twilio did not confirm the cancel: %s", call.id, describe_error(exc))
    return CallOut.model_validate(ended.view())
