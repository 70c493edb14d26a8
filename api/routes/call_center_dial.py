"""Calls placed from the call center: the dialpad and the callback queue's "Call back".

* `POST /call-center/api/call/dial` — `{number}`, `{user_id}` or `{callback_id}` (claims the request for
  the agent) → the call, ringing (`dialing`); it connects to the agent's audio leg once the callee answers
* `POST /call-center/api/call/cancel` — `{call_id}`: stop a call of yours that is still ringing

Staff only. With Twilio, phones are called (`transports.twilio_outbound`) from OUTBOUND_CALLER_ID. Without
it, the call rings a user of the product (found by id or by their phone number) in their open pages, for
TRANSFER_TIMEOUT seconds (`api.routes.incoming_calls` answers it).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from twilio.base.exceptions import TwilioException, TwilioRestException

from api.deps import RuntimeDep, StaffUser
from api.routes.call_center import CallRef, Center
from api.routes.call_center_models import CallOut
from core import redaction
from core.errors import Invalid, NotFound
from core.events import publish_change
from core.logging import describe_error
from core.models import User
from core.runtime import Runtime
from domains import registry
from domains.productivity.reminder_firing import REMINDER_DUE as NOTICES
from domains.transfer import callbacks
from domains.transfer.agents import EVENTS
from domains.transfer.calls import CallStatus, Outcome
from domains.transfer.outbound import (
    DEPARTMENT,
    OUTBOUND,
    Dialer,
    app_user,
    callback_caller,
    callee,
    dialable,
    ring_notice,
    ring_out,
)
from domains.transfer.profile import caller_identity
from transports.twilio_outbound import end_call, outbound_enabled, place_call

router = APIRouter(prefix="/call-center/api/call", tags=["call-center"])
log = logging.getLogger(__name__)

NO_TWILIO = ("No user of Convonet has that number, and calls to phones need Twilio: set TWILIO_ACCOUNT_SID, "
             "TWILIO_AUTH_TOKEN and OUTBOUND_CALLER_ID (or TWILIO_FROM_NUMBER).")


class DialIn(BaseModel):
    number: str | None = Field(default=None, max_length=40)
    user_id: uuid.UUID | None = None
    callback_id: uuid.UUID | None = None


@dataclass
class Callee:
    """Whom a dial rings and what the agent's popup says about them."""

    number: str | None
    user_id: uuid.UUID | None
    caller: dict[str, Any]
    department: str = DEPARTMENT
    reason: str = ""
    transcript: list[dict[str, Any]] = field(default_factory=list)
    callback_id: str | None = None


async def _callee(body: DialIn, staff: User, runtime: Runtime) -> Callee:
    if body.callback_id is not None:
        request = await callbacks.claim(runtime.sessions, body.callback_id, staff.id)
        await publish_change(runtime.store, EVENTS, callbacks.notice(request))
        if not request.phone and not request.caller_user_id:
            raise Invalid("This callback request has no number to call.")
        # The call's popup carries the request's words as this agent may read them (`core.redaction`).
        [words] = await redaction.readable(
            runtime.sessions, runtime.store, [{"call_sid": request.call_sid, "department": request.department,
                                               "reason": request.reason, "transcript": request.transcript}],
            clinical=staff.is_clinical, domains=registry.sensitive())
        return Callee(dialable(request.phone) if request.phone else None, request.caller_user_id,
                      callback_caller(request), request.department, words["reason"], words["transcript"],
                      str(request.id))
    if body.user_id is not None:
        user = await app_user(runtime.sessions, user_id=body.user_id)
        if user is None:
            raise NotFound("No such user.")
        return Callee(user.phone_number, user.id, await caller_identity(runtime.sessions, str(user.id)))
    if body.number:
        number = dialable(body.number)
        return Callee(number, None, await callee(runtime.sessions, number))
    raise Invalid("Enter a number to call.")


def _refusal(exc: Exception) -> str:
    if isinstance(exc, TwilioRestException):
        return f"Twilio refused the call: {exc.msg}"
    return "Twilio could not be reached to place the call. Try again in a moment."


@router.post("/dial")
async def dial(body: DialIn, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    """Call a number, or the caller of a callback request; the call rings until the callee answers."""
    settings = runtime.settings
    if not (body.number or body.user_id or body.callback_id):
        raise Invalid("Enter a number to call.")
    who = await _callee(body, user, runtime)
    dialer = Dialer(center)
    if not outbound_enabled(settings):
        return await _call_in_app(who, user.id, runtime, dialer)
    if who.number is None:
        raise Invalid("That user has no phone number to call.")
    number = dialable(who.number)
    call = await dialer.start(str(user.id), dialed=number, channel="phone", caller=who.caller,
                              department=who.department, reason=who.reason, transcript=who.transcript,
                              callback_id=who.callback_id)
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


async def _call_in_app(who: Callee, staff_id: uuid.UUID, runtime: Runtime, dialer: Dialer) -> CallOut:
    """Ring a user of the product in their open pages (no Twilio)."""
    target = await app_user(runtime.sessions, user_id=who.user_id, number=who.number if not who.user_id else None)
    if target is None:
        raise HTTPException(status.HTTP_409_CONFLICT, NO_TWILIO)
    call = await dialer.start(str(staff_id), dialed=str(target.id), channel="browser", caller=who.caller,
                              department=who.department, reason=who.reason, transcript=who.transcript,
                              callback_id=who.callback_id)
    ring_seconds = float(runtime.settings.transfer_timeout)
    await publish_change(runtime.store, NOTICES, ring_notice(call, ring_seconds))
    runtime.background.spawn(ring_out(dialer, call.id, ring_seconds), name="outbound-ring")
    log.info("in-app call %s ringing a user", call.id)
    return CallOut.model_validate(call.view())


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
