"""The call center: its page, the agents' state, the calls' controls, the popup, history and metrics.

Every route needs a staff member's bearer token (the user's staff flag); the agent is the
logged-in user. The URL contract:

* `POST /call-center/api/agent/{login,logout,ready,not-ready}`, `GET /call-center/api/agent/status`
* `GET|POST /call-center/api/call/ringing`, `POST /call-center/api/call/{answer,reject,drop,hold,transfer}`
* `GET /call-center/api/customer/{id}` (a call id, or a PBX call's CallSid)
* `GET /call-center/api/events` — server-sent events from the store's `callcenter:events`
* `POST|PATCH /call-center/api/call/{id}/offer` — the agent's audio leg (`api.routes.call_center_audio`)
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, StaffUser
from api.popup import customer_popup
from api.routes.call_center_models import (
    ActivityOut,
    CallCenterEvent,
    CallOut,
    CustomerOut,
    MetricsOut,
    OutcomeOut,
    RingOut,
    StatusOut,
)
from api.sse import EventStream
from api.web import page
from core import redaction
from core.models import User
from core.runtime import Runtime
from domains import registry
from domains.transfer.agents import EVENTS, AgentStatus
from domains.transfer.calls import TransferCall
from domains.transfer.consult import Consults
from domains.transfer.metrics import floor_metrics, per_agent
from domains.transfer.queue import CallCenter
from transports.agent_leg import AgentLegs
from transports.webrtc import ice_servers

STREAM_MAX_SECONDS = 300.0  # then the page reconnects (and its token is checked again)
PING_SECONDS = 15.0


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[None]:
    """The agents' audio legs of this process, for the app's lifetime."""
    legs = AgentLegs(ice_servers(app.state.runtime.settings))
    app.state.agent_legs = legs
    try:
        yield
    finally:
        app.state.agent_legs = None
        await legs.close()


router = APIRouter(tags=["call-center"], lifespan=serving)
API = "/call-center/api"


Agent = StaffUser


def get_center(runtime: RuntimeDep) -> CallCenter:
    return CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)


Center = Annotated[CallCenter, Depends(get_center)]


class CallRef(BaseModel):
    call_id: str = Field(min_length=1, max_length=64)


class LoginIn(BaseModel):
    departments: list[Annotated[str, Field(max_length=64)]] = Field(min_length=1, max_length=20)


class NotReadyIn(BaseModel):
    reason: str | None = Field(default=None, max_length=100)


class HoldIn(CallRef):
    hold: bool = True


class TransferIn(CallRef):
    department: str | None = Field(default=None, max_length=64)
    agent_id: str | None = Field(default=None, max_length=64)
    to_assistant: bool = False


# --- the page ------------------------------------------------------------------------------------


@router.get("/call-center", include_in_schema=False)
async def call_center_page() -> FileResponse:
    return page("call_center")


# --- agents --------------------------------------------------------------------------------------


async def readable(runtime: Runtime, user: User, views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls' views (`TransferCall.view()`, `ring_view()`, history entries) as `user` may read them: a
    call that touched a sensitive domain shows its words only to clinical staff (`core.redaction`)."""
    return await redaction.readable(runtime.sessions, runtime.store, views, clinical=user.is_clinical,
                                    domains=registry.sensitive())


async def call_out(runtime: Runtime, user: User, call: TransferCall) -> CallOut:
    [view] = await readable(runtime, user, [call.view()])
    return CallOut.model_validate(view)


async def ring_out(runtime: Runtime, user: User, call: TransferCall) -> RingOut:
    [view] = await readable(runtime, user, [call.ring_view()])
    return RingOut.model_validate(view)


async def status_view(runtime: Runtime, center: CallCenter, agent: AgentStatus, user: User) -> StatusOut:
    """Everything the page shows about its agent: state, ringing calls, current call, colleagues."""
    settings = runtime.settings
    call = await center.find(agent.call_id) if agent.call_id else None
    offered = await Consults(center).offered(agent.user_id)
    ringing = [c.ring_view() for c in await center.ringing_for(agent)]
    shown = await readable(runtime, user, ringing + [c.view() for c in (call, offered) if c is not None])
    rest = iter(shown[len(ringing):])
    call_view, offer_view = next(rest) if call else None, next(rest) if offered else None
    sip_enabled = bool(settings.sip_domain)
    return StatusOut.model_validate({
        "agent": agent.view(),
        "ringing": shown[:len(ringing)],
        "call": call_view,
        "departments": sorted(center.departments),
        "agents": [a.view() for a in await center.agents.all()],
        "transfer_timeout": settings.transfer_timeout,
        "wrap_up_codes": settings.wrap_up_codes,
        "consult_offer": _consult_offer(offer_view),
        "sip": {"enabled": sip_enabled, "domain": settings.sip_domain, "wss_port": settings.sip_wss_port,
                "url": (settings.sip_ws_url or f"wss://{settings.sip_domain}:{settings.sip_wss_port}")
                if sip_enabled else None},
    })


def _consult_offer(call: dict[str, Any] | None) -> dict[str, Any] | None:
    """A colleague asks this agent to talk about their caller first (a warm transfer); `call` is its view."""
    if call is None or not call["consult"]:
        return None
    return {"call_id": call["id"], "by_name": call["consult"]["by_name"], "caller_name": call["caller_name"],
            "reason": call["reason"], "department": call["department"]}


@router.post(f"{API}/agent/login")
async def agent_login(body: LoginIn, user: Agent, runtime: RuntimeDep, center: Center) -> StatusOut:
    agent = await center.agents.login(str(user.id), user.display_name, user.email, body.departments)
    return await status_view(runtime, center, agent, user)


@router.post(f"{API}/agent/logout")
async def agent_logout(user: Agent, runtime: RuntimeDep, center: Center) -> StatusOut:
    return await status_view(runtime, center, await center.agents.logout(str(user.id)), user)


@router.post(f"{API}/agent/ready")
async def agent_ready(user: Agent, runtime: RuntimeDep, center: Center) -> StatusOut:
    return await status_view(runtime, center, await center.agents.ready(str(user.id)), user)


@router.post(f"{API}/agent/not-ready")
async def agent_not_ready(
    user: Agent, runtime: RuntimeDep, center: Center, body: Annotated[NotReadyIn | None, Body()] = None
) -> StatusOut:
    agent = await center.agents.not_ready(str(user.id), body.reason if body else None)
    return await status_view(runtime, center, agent, user)


@router.get(f"{API}/agent/status")
async def agent_status(user: Agent, runtime: RuntimeDep, center: Center) -> StatusOut:
    return await status_view(runtime, center, await center.agents.get(str(user.id)), user)


@router.get(f"{API}/agent/activity")
async def agent_activity(user: Agent, center: Center) -> list[ActivityOut]:
    """The agent's recent state changes, newest first."""
    return [ActivityOut.model_validate(change) for change in await center.agents.activity(str(user.id))]


# --- calls ---------------------------------------------------------------------------------------


@router.get(f"{API}/call/ringing")
async def ringing(user: Agent, runtime: RuntimeDep, center: Center) -> list[RingOut]:
    """Calls ringing for this agent now (none unless they are Ready)."""
    calls = await center.ringing_for(await center.agents.get(str(user.id)))
    return [RingOut.model_validate(view) for view in await readable(runtime, user, [c.ring_view() for c in calls])]


@router.post(f"{API}/call/ringing")
async def ringing_seen(body: CallRef, user: Agent, runtime: RuntimeDep, center: Center) -> RingOut:
    """The agent's page is ringing for this call."""
    return await ring_out(runtime, user, await center.acknowledge(body.call_id, str(user.id)))


@router.post(f"{API}/call/answer")
async def answer(body: CallRef, user: Agent, runtime: RuntimeDep, center: Center) -> CallOut:
    """Answer a ringing call; when two agents answer at once, one gets the call and the other 409."""
    return await call_out(runtime, user, await center.answer(body.call_id, str(user.id)))


@router.post(f"{API}/call/reject")
async def reject(body: CallRef, user: Agent, runtime: RuntimeDep, center: Center) -> RingOut:
    return await ring_out(runtime, user, await center.reject(body.call_id, str(user.id)))


@router.post(f"{API}/call/drop")
async def drop(body: CallRef, user: Agent, runtime: RuntimeDep, center: Center) -> CallOut:
    """Hang up the agent's call (or decline one that is only ringing). Mid-consult, the caller goes to the
    colleague on the line, or rings them as a blind transfer (`domains.transfer.consult`)."""
    found = await center.find(body.call_id)
    if found is not None and found.consult and found.agent_id == str(user.id):
        return await call_out(runtime, user, await Consults(center).hang_up(body.call_id, str(user.id)))
    return await call_out(runtime, user, await center.drop(body.call_id, str(user.id)))


@router.post(f"{API}/call/hold")
async def hold(body: HoldIn, user: Agent, runtime: RuntimeDep, center: Center) -> CallOut:
    """`hold: true` puts the caller on hold, `false` takes them off it."""
    return await call_out(runtime, user, await center.hold(body.call_id, str(user.id), body.hold))


@router.post(f"{API}/call/transfer")
async def transfer(body: TransferIn, user: Agent, runtime: RuntimeDep, center: Center) -> CallOut:
    """Blind transfer to a department or an agent, or `to_assistant` to hand the caller back to the AI."""
    call = await center.transfer(body.call_id, str(user.id), department=body.department, to_agent=body.agent_id,
                                 to_assistant=body.to_assistant)
    return await call_out(runtime, user, call)


@router.get(f"{API}/call/history")
async def history(
    user: Agent, runtime: RuntimeDep, center: Center, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[OutcomeOut]:
    """Ring outcomes, newest first: answered, no-answer, caller-hung-up, rejected (and the PBX's)."""
    return [OutcomeOut.model_validate(entry) for entry in await readable(runtime, user, await center.history(limit))]


@router.get(f"{API}/metrics")
async def metrics(_user: Agent, center: Center) -> MetricsOut:
    """Per-agent calls handled, average handle time, answer rate and wait time, and the floor's totals."""
    records = await center.history(2000)
    agents = {a.user_id: a.name or a.email for a in await center.agents.all()}
    return MetricsOut.model_validate(
        {"floor": floor_metrics(records), "agents": per_agent(records, agents), "window": len(records)})


@router.get(f"{API}/customer/{{call_id}}")
async def customer(call_id: str, user: Agent, runtime: RuntimeDep, center: Center) -> CustomerOut:
    """The popup: who is calling (account and profile), why, the conversation so far and a summary.
    A call that touched a sensitive domain (the clinic's intake) shows its words only to clinical staff."""
    call = await center.find(call_id)
    if call is None:  # a PBX transfer's context, cached by CallSid for the softphone
        for key in await runtime.store.keys("callcenter:customer:"):
            if key.endswith(f":{call_id}") and (raw := await runtime.store.get(key)):
                call = TransferCall.parse(raw)
                break
    if call is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No caller is known for that call.")
    return await customer_popup(runtime, call, user)


# --- the live feed -------------------------------------------------------------------------------


@router.get(f"{API}/events", response_class=EventStream, status_code=200, responses={200: {
    "model": CallCenterEvent,
    "description": "Server-sent events: `event: ready` once subscribed, then one `data:` line per call-center "
                   "event (a CallCenterEvent), `: ping` comments between, and `event: bye` when the stream ends.",
}})
async def events(request: Request, user: Agent, runtime: RuntimeDep) -> EventStream:
    """`ready`, then one `data:` line per call-center event (ringing, answered, agent state…), pings between.
    A ringing call's banner (`ring`) is as `user` may read it (`readable`)."""
    return EventStream(_feed(request, runtime, clinical=user.is_clinical))


async def _shown_event(runtime: Runtime, message: str, *, clinical: bool) -> str:
    """The event as its reader may read it: a ringing call's reason withheld when it is health details."""
    if clinical or '"ring"' not in message:
        return message
    event = json.loads(message)
    if not isinstance(event.get("ring"), dict):
        return message
    [event["ring"]] = await redaction.readable(runtime.sessions, runtime.store, [event["ring"]], clinical=False,
                                              domains=registry.sensitive())
    return json.dumps(event)


async def _feed(request: Request, runtime: Runtime, *, clinical: bool) -> AsyncIterator[str]:
    subscription = await runtime.store.subscribe(EVENTS)
    try:
        yield "event: ready\ndata: {}\n\n"
        clock = anyio.current_time
        closes_at, quiet_since = clock() + STREAM_MAX_SECONDS, clock()
        while clock() < closes_at:
            message = await subscription.get(wait=1.0)
            if await request.is_disconnected():
                return
            if message is None:
                if clock() - quiet_since >= PING_SECONDS:
                    quiet_since = clock()
                    yield ": ping\n\n"
                continue
            quiet_since = clock()
            yield f"data: {await _shown_event(runtime, message, clinical=clinical)}\n\n"
        yield "event: bye\ndata: {}\n\n"
    finally:
        with anyio.CancelScope(shield=True):
            await subscription.close()
