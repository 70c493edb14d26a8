"""The browser's doors: `POST /api/offer` (SDP offer + email and voice PIN → answer, and a call;
or + a public line's number, with no PIN: the caller is a contact for that call) and
`PATCH /api/offer` (trickled ICE candidates).

An offer is answered only once its PIN is right: 400 for an offer pipecat could not serve,
401 for a wrong email/PIN (counted toward the lockout), 423 while the email is locked out.
None of those creates a peer connection.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, FastAPI, HTTPException, Request, Response, status
from pipecat.transports.smallwebrtc.request_handler import IceCandidate, SmallWebRTCPatchRequest
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, SettingsDep, SignInAttempt, StoreDep, bearer_user
from api.forward import claimed_by, forward, was_forwarded
from api.voice import get_agent
from bots.session import find_line
from core import contacts
from core.lines import Access
from core.runtime import Runtime
from core.timeutil import utcnow
from processors.pin_auth import LOCKOUT_SECONDS, Caller, PinOutcome
from transports.turn import page_ice_servers
from transports.webrtc import (
    CLAIM,
    BrowserCalls,
    BrowserOffer,
    BrowserPinVerifier,
    OfferError,
    PublicCaller,
    parse_offer,
)

log = logging.getLogger(__name__)

WRONG_PIN = "That email and voice PIN don't match an account. Check both and try again."
LOCKED = "Too many wrong PINs for this email: it is locked for 15 minutes. Try again later."
BUSY = "All lines are busy right now. Try again in a minute."
NO_LINE = "No public line has that number."
MAX_CANDIDATES = 64


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """The process's browser calls, for the app's lifetime; every peer is hung up on the way out."""
    runtime: Runtime = app.state.runtime
    calls = BrowserCalls(runtime)
    app.state.browser_calls = calls
    try:
        yield
    finally:
        app.state.browser_calls = None
        await calls.close()


router = APIRouter(prefix="/api", tags=["webrtc"], lifespan=serving)


def get_calls(request: Request) -> BrowserCalls:
    calls: BrowserCalls | None = getattr(request.app.state, "browser_calls", None)
    if calls is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "The voice service is not running.")
    return calls


class CandidateIn(BaseModel):
    candidate: str = Field(max_length=1024)
    sdp_mid: str = Field(max_length=64)
    sdp_mline_index: int = Field(ge=0, le=16)


class CandidatesIn(BaseModel):
    pc_id: str = Field(max_length=128)
    candidates: list[CandidateIn] = Field(max_length=MAX_CANDIDATES)


class IceServerOut(BaseModel):
    """A STUN or TURN server, as `RTCPeerConnection({iceServers})` takes it; the TURN account only when set."""

    urls: str | list[str]
    username: str | None = None
    credential: str | None = None


class PinIn(BaseModel):
    email: str = Field(max_length=255)
    pin: str = Field(pattern=r"^\d{4,6}$")


class IceServersOut(BaseModel):
    ice_servers: list[IceServerOut] = Field(serialization_alias="iceServers")


class AnswerOut(BaseModel):
    """The SDP answer to a browser's offer, and the connection's id for trickled ICE (`PATCH /api/offer`)."""

    sdp: str
    type: str
    pc_id: str


class CandidatesAdded(BaseModel):
    status: Literal["success"] = "success"


@router.get("/ice-servers", response_model_exclude_none=True)
async def get_ice_servers(request: Request, runtime: RuntimeDep, settings: SettingsDep, store: StoreDep) -> IceServersOut:
    """`{iceServers}` for the pages' `RTCPeerConnection`: the `WEBRTC_ICE_URLS` STUN servers for anyone;
    the TURN servers with an account (time-limited with `WEBRTC_TURN_SECRET`) only with a signed-in
    user's bearer token. A voice-PIN page gets them from `POST /api/ice-servers`."""
    user = await bearer_user(request, settings, store)
    return _servers(runtime, str(user) if user else None)


@router.post("/ice-servers", dependencies=[SignInAttempt], response_model_exclude_none=True)
async def post_ice_servers(runtime: RuntimeDep, body: PinIn) -> IceServersOut:
    """The ICE servers with a TURN account, after the voice PIN (wrong PINs count as at `/api/offer`)."""
    verifier = BrowserPinVerifier(runtime.sessions, runtime.store, runtime.settings, body.email)
    outcome, caller = await verifier.check(body.pin)
    if outcome is PinOutcome.LOCKED:
        raise HTTPException(status.HTTP_423_LOCKED, LOCKED, headers={"Retry-After": str(int(LOCKOUT_SECONDS))})
    if outcome is not PinOutcome.OK or caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_PIN)
    return _servers(runtime, str(caller.user_id))


def _servers(runtime: Runtime, user: str | None) -> IceServersOut:
    found = page_ice_servers(runtime.settings, user=user, now=utcnow())
    return IceServersOut(ice_servers=[IceServerOut.model_validate(server) for server in found])


@router.post("/offer", dependencies=[SignInAttempt], response_model=AnswerOut)
async def offer(request: Request, body: Annotated[dict[str, Any], Body()]) -> AnswerOut | Response:
    """Start a browser call: `{sdp, type: "offer", requestData: {email, pin}}` → `{sdp, type, pc_id}`.

    A renegotiation (`pc_id`) of a call another process holds is forwarded to it; a new call that this
    process is too busy for goes to a process that takes it, and only when none does is it refused (503).
    """
    try:
        checked = parse_offer(body)
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    calls = get_calls(request)
    runtime: Runtime = request.app.state.runtime
    pc_id = checked.request.pc_id
    if pc_id is not None and not calls.holds(pc_id) and (owner := await claimed_by(runtime, request, CLAIM, pc_id)):
        return await forward(request, owner)
    if pc_id is None and not runtime.calls.accepting():
        peer = None if was_forwarded(request) or runtime.cluster is None else await runtime.cluster.accepting_peer()
        if peer is not None:
            return await forward(request, peer)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, BUSY, headers={"Retry-After": "30"})
    if checked.line is not None:
        return await _public_call(request, calls, checked)
    outcome, caller = await calls.check_pin(checked.email, checked.pin)
    if outcome is PinOutcome.LOCKED:
        raise HTTPException(status.HTTP_423_LOCKED, LOCKED, headers={"Retry-After": str(int(LOCKOUT_SECONDS))})
    if outcome is not PinOutcome.OK or caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, WRONG_PIN)
    try:
        answer = await calls.answer(checked.request, caller, get_agent(request))
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That connection is not open.") from None
    log.info("browser call answered for user %s (%s)", caller.user_id, answer["pc_id"])
    return AnswerOut.model_validate(answer)


async def _public_call(request: Request, calls: BrowserCalls, checked: BrowserOffer) -> AnswerOut:
    """A public line's call from the web page: no PIN; whoever it is, a contact of their own."""
    runtime: Runtime = request.app.state.runtime
    line = await find_line(runtime, checked.line)
    if line is None or line.access != Access.public:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_LINE)
    contact = await contacts.open_for_web(runtime.sessions, checked.name, checked.phone, utcnow())
    caller = Caller(contact.user_id, contact.name or "")
    try:
        answer = await calls.answer(checked.request, caller, get_agent(request), PublicCaller(line, contact))
    except OfferError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That connection is not open.") from None
    return AnswerOut.model_validate(answer)


@router.patch("/offer", response_model=CandidatesAdded)
async def add_ice_candidates(request: Request, body: CandidatesIn) -> CandidatesAdded | Response:
    """Trickle ICE: `{pc_id, candidates: [{candidate, sdp_mid, sdp_mline_index}]}`; "" ends the candidates.
    Candidates for a call another process holds are forwarded to it."""
    calls = get_calls(request)
    runtime: Runtime = request.app.state.runtime
    if not calls.holds(body.pc_id) and (owner := await claimed_by(runtime, request, CLAIM, body.pc_id)):
        return await forward(request, owner)
    patch = SmallWebRTCPatchRequest(
        pc_id=body.pc_id,
        # Browsers send "candidate:<foundation> ..."; aiortc reads the line without that prefix.
        candidates=[
            IceCandidate(c.candidate.removeprefix("candidate:"), c.sdp_mid, c.sdp_mline_index)
            for c in body.candidates
        ],
    )
    try:
        await calls.add_candidates(patch)
    except LookupError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "That connection is not open.") from None
    except (ValueError, IndexError, AssertionError) as exc:  # aiortc could not read a candidate line
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"Unreadable ICE candidate ({type(exc).__name__}).") from None
    return CandidatesAdded()
