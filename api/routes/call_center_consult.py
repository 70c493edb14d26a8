"""Warm transfer on the call center (`domains.transfer.consult`):

* `POST /call-center/api/call/consult` — `{call_id, agent_id | department}`: hold the caller, ring a colleague
* `POST /call-center/api/call/consult/accept` / `decline` — `{call_id}`: the colleague's answer
* `POST /call-center/api/call/consult/join` — `{call_id}`: hand the caller to the colleague on the line
* `POST /call-center/api/call/consult/back` — `{call_id}`: end the consult (either agent); the caller is off hold

The consult ringing for an agent comes with their status (`consult_offer`). Staff only.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from api.deps import RuntimeDep, StaffUser
from api.routes.call_center import CallRef, Center, call_out
from api.routes.call_center_models import CallOut
from domains.transfer.consult import Consults

router = APIRouter(prefix="/call-center/api/call/consult", tags=["call-center"])


class ConsultIn(CallRef):
    agent_id: str | None = Field(default=None, max_length=64)
    department: str | None = Field(default=None, max_length=64)


@router.post("")
async def consult(body: ConsultIn, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    """Put your caller on hold and ring a colleague (or a department's Ready agents) to talk first."""
    call = await Consults(center).start(body.call_id, str(user.id), to_agent=body.agent_id,
                                        department=body.department)
    return await call_out(runtime, user, call)


@router.post("/accept")
async def accept(body: CallRef, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    return await call_out(runtime, user, await Consults(center).accept(body.call_id, str(user.id)))


@router.post("/decline")
async def decline(body: CallRef, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    return await call_out(runtime, user, await Consults(center).decline(body.call_id, str(user.id)))


@router.post("/join")
async def join(body: CallRef, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    return await call_out(runtime, user, await Consults(center).join(body.call_id, str(user.id)))


@router.post("/back")
async def back(body: CallRef, user: StaffUser, runtime: RuntimeDep, center: Center) -> CallOut:
    return await call_out(runtime, user, await Consults(center).back(body.call_id, str(user.id)))
