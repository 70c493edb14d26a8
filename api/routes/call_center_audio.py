"""The agent's audio leg for their call: `POST|PATCH /call-center/api/call/{id}/offer` (SmallWebRTC),
forwarded to the process that carries the caller's audio when the request lands on another (`api.forward`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request, status
from fastapi.responses import Response
from pipecat.transports.smallwebrtc.request_handler import (
    IceCandidate,
    SmallWebRTCPatchRequest,
    SmallWebRTCRequest,
)
from pydantic import BaseModel, Field

from api.deps import RuntimeDep
from api.forward import forward, owner_node
from api.routes.call_center import API, Agent, Center
from api.routes.call_center_models import OkOut, SdpAnswerOut
from processors.transfer_legs import LIVE_CALLS
from transports.agent_leg import AgentLegs
from transports.webrtc import OfferError, check_sdp

router = APIRouter(tags=["call-center"])


class CandidateIn(BaseModel):
    candidate: str = Field(max_length=1024)
    sdp_mid: str = Field(max_length=64)
    sdp_mline_index: int = Field(ge=0, le=16)


class CandidatesIn(BaseModel):
    pc_id: str = Field(max_length=128)
    candidates: list[CandidateIn] = Field(max_length=64)


def get_legs(request: Request) -> AgentLegs:
    legs: AgentLegs | None = getattr(request.app.state, "agent_legs", None)
    if legs is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "The call center's audio is not running.")
    return legs


@router.post(f"{API}/call/{{call_id}}/offer", response_model=SdpAnswerOut)
async def agent_offer(
    call_id: str, request: Request, body: Annotated[dict[str, Any], Body()], user: Agent, runtime: RuntimeDep,
    center: Center,
) -> SdpAnswerOut | Response:
    """The agent's microphone and speaker for their call: `{sdp, type: "offer", pc_id?}` → `{sdp, type, pc_id}`.
    Forwarded to the process carrying the caller's audio when that is another one."""
    call = await center.get(call_id)
    consult = call.consult or {}
    consulting = consult.get("agent_id") == str(user.id) and consult.get("status") == "talking"  # a warm transfer
    if not consulting and (call.agent_id != str(user.id) or not call.status.with_agent):
        raise HTTPException(status.HTTP_409_CONFLICT, "That call is not connected to you.")
    bridge = LIVE_CALLS.get(call_id)
    if bridge is None:
        if (owner := await owner_node(runtime, request, call.node or None)) is not None:
            return await forward(request, owner)
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"The caller's audio is carried by another server ({call.node or 'unknown'}).")
    try:
        check_sdp(body.get("sdp"), body.get("type"))
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    pc_id = body.get("pc_id")
    offer = SmallWebRTCRequest(sdp=body["sdp"], type="offer", pc_id=pc_id if isinstance(pc_id, str) else None)
    try:
        answer = await get_legs(request).answer(offer, bridge, str(user.id), call_id, consult=consulting)
        return SdpAnswerOut.model_validate(answer)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That connection is not open.") from None


@router.patch(f"{API}/call/{{call_id}}/offer", response_model=OkOut)
async def agent_ice(
    call_id: str, request: Request, body: CandidatesIn, user: Agent, runtime: RuntimeDep, center: Center
) -> OkOut | Response:
    """Trickle ICE for the agent's audio leg (forwarded, like the offer, to the process carrying the call)."""
    legs = get_legs(request)
    call = None if legs.holds(body.pc_id) else await center.find(call_id)
    if call is not None and (owner := await owner_node(runtime, request, call.node or None)) is not None:
        return await forward(request, owner)
    patch = SmallWebRTCPatchRequest(
        pc_id=body.pc_id,
        candidates=[IceCandidate(c.candidate.removeprefix("candidate:"), c.sdp_mid, c.sdp_mline_index)
                    for c in body.candidates],
    )
    try:
        await legs.add_candidates(patch, str(user.id))
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That connection is not open.") from None
    except (ValueError, IndexError, AssertionError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Unreadable ICE candidate ({type(exc).__name__}).") from None
    return OkOut(status="success")

