"""A user answering (or declining) a call from the call center in their browser — the in-app path of
outbound calls, when Twilio is not configured (`domains.transfer.outbound`).

* `POST /api/calls/{call_id}/answer` — `{sdp, type: "offer"}` → `{sdp, type, pc_id}`: the user's
  microphone and speaker, joined to the agent who called (ICE trickles through `PATCH /api/offer`)
* `POST /api/calls/{call_id}/decline` — the user does not take it (recorded as busy)

Only the user the call rings may answer or decline it (404 for anyone else).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequest

from api.deps import CurrentUser, RuntimeDep
from api.routes.call_center_models import OkOut
from api.routes.webrtc import AnswerOut, get_calls
from api.voice import get_agent
from domains.transfer.calls import CallStatus, Outcome, TransferCall
from domains.transfer.outbound import OUTBOUND, Dialer
from domains.transfer.queue import CallCenter
from processors.pin_auth import Caller
from transports.webrtc import OfferError, check_sdp

router = APIRouter(prefix="/api/calls", tags=["webrtc"])
log = logging.getLogger(__name__)

GONE = "That call has ended."


async def _ringing_for(center: CallCenter, call_id: str, user_id: str) -> TransferCall:
    call = await center.find(call_id)
    if call is None or call.direction != OUTBOUND or call.channel != "browser" or call.dialed != user_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No such call for you.")
    if call.status is not CallStatus.DIALING:
        raise HTTPException(status.HTTP_409_CONFLICT, GONE if not call.status.with_agent
                            else "That call was answered on another page.")
    return call


@router.post("/{call_id}/answer")
async def answer(
    call_id: str, request: Request, body: Annotated[dict[str, Any], Body()], user: CurrentUser, runtime: RuntimeDep
) -> AnswerOut:
    """Take the call: the browser's offer is answered, and its pipeline connects the user to the agent."""
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    await _ringing_for(center, call_id, str(user.id))
    try:
        check_sdp(body.get("sdp"), body.get("type"))
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    offer = SmallWebRTCRequest(sdp=body["sdp"], type="offer")
    caller = Caller(user.id, user.first_name or "")
    try:
        answered = await get_calls(request).answer(offer, caller, get_agent(request), outbound=call_id)
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    log.info("in-app call %s answered in the browser", call_id)
    return AnswerOut.model_validate(answered)


@router.post("/{call_id}/decline")
async def decline(call_id: str, user: CurrentUser, runtime: RuntimeDep) -> OkOut:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    await _ringing_for(center, call_id, str(user.id))
    if await Dialer(center).gave_up(call_id, Outcome.BUSY, "declined") is None:
        raise HTTPException(status.HTTP_409_CONFLICT, GONE)
    return OkOut(status="declined")
