"""The call-center softphone's server side: the agent's SIP account, the popup of a SIP call, its outcome.

* `GET|PUT|DELETE /call-center/api/sip/account` — the signed-in staff member's extension (null when
  none); PUT takes `{extension, password}` and keeps only the digest HA1, which GET gives the page
* `GET /call-center/api/sip/customer?call_sid=&number=` — the caller of a SIP call, from Twilio's
  `X-Twilio-CallSid` header or the caller's number, with the conversation so far
* `POST /call-center/api/sip/call/{answered,ended}` — the agent's state (On Call, then Wrap Up) and
  the call's outcome in the history

Staff only, and only when SIP_DOMAIN is configured (409 otherwise).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from api.deps import RuntimeDep, StaffUser
from api.popup import customer_popup
from api.routes.call_center import Center
from api.routes.call_center_models import CustomerOut, OkOut
from core.config import Settings
from domains.transfer import softphone
from domains.transfer.calls import Outcome, TransferCall

router = APIRouter(tags=["call-center"])
API = "/call-center/api/sip"


class SipAccountIn(BaseModel):
    extension: str = Field(pattern=softphone.EXTENSION.pattern)
    password: str = Field(min_length=1, max_length=128)


class SipAccountOut(BaseModel):
    """What JsSIP needs to register as the agent's extension."""

    extension: str
    realm: str
    ha1: str
    uri: str
    ws_url: str
    display_name: str
    departments: dict[str, str]
    """Each department's extension, the targets of a blind transfer."""


class SipCallIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=128)
    caller: str = Field(default="", max_length=128)
    """The caller's SIP user (a phone number from Twilio)."""
    name: str = Field(default="", max_length=120)
    """Who the popup found, if anyone."""
    call_sid: str | None = Field(default=None, pattern=softphone.CALL_SID.pattern)


class SipEndedIn(SipCallIn):
    outcome: Literal["answered", "busy", "rejected", "caller-hung-up", "transferred"]
    talked_s: float | None = Field(default=None, ge=0, le=86400)
    transferred_to: str | None = Field(default=None, max_length=64)


def ws_url(settings: Settings) -> str:
    return settings.sip_ws_url or f"wss://{settings.sip_domain}:{settings.sip_wss_port}"


def sip_domain(settings: Settings) -> str:
    if not settings.sip_domain:
        raise HTTPException(status.HTTP_409_CONFLICT, "The softphone is off: SIP_DOMAIN is not configured.")
    return settings.sip_domain


def account_view(account: softphone.SipAccount, settings: Settings, name: str) -> SipAccountOut:
    return SipAccountOut(extension=account.extension, realm=account.realm, ha1=account.ha1,
                         uri=f"sip:{account.extension}@{sip_domain(settings)}", ws_url=ws_url(settings),
                         display_name=name, departments=settings.transfer_departments)


@router.get(f"{API}/account")
async def get_account(user: StaffUser, runtime: RuntimeDep) -> SipAccountOut | None:
    """The agent's extension, or null when none is set up yet (the page then asks for it)."""
    sip_domain(runtime.settings)
    account = await softphone.get_account(runtime.sessions, user.id)
    return account_view(account, runtime.settings, user.display_name) if account else None


@router.put(f"{API}/account")
async def put_account(body: SipAccountIn, user: StaffUser, runtime: RuntimeDep) -> SipAccountOut:
    """Keep the agent's extension; the password is turned into the digest HA1 for the SIP domain (the realm)."""
    realm = sip_domain(runtime.settings)
    account = await softphone.save_account(runtime.sessions, user.id, body.extension, body.password, realm)
    return account_view(account, runtime.settings, user.display_name)


@router.delete(f"{API}/account")
async def delete_account(user: StaffUser, runtime: RuntimeDep) -> OkOut:
    await softphone.delete_account(runtime.sessions, user.id)
    return OkOut(status="success")


@router.get(f"{API}/customer")
async def customer(
    user: StaffUser, runtime: RuntimeDep,
    call_sid: Annotated[str | None, Query(max_length=64)] = None,
    number: Annotated[str | None, Query(max_length=64)] = None,
) -> CustomerOut:
    """The popup for a SIP call: by CallSid first, then by the caller's number (health details only for
    clinical staff, as in the in-app popup)."""
    if call_sid is not None and not softphone.CALL_SID.match(call_sid):
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "That CallSid is not readable.")
    if number is not None and not softphone.NUMBER.match(number):
        number = None  # a SIP user name rather than a phone number: nothing to look up by
    if not call_sid and not number:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No caller is known for that call.")
    call = await softphone.find_customer(runtime.store, runtime.sessions, call_sid=call_sid, number=number)
    if call is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No caller is known for that call.")
    return await customer_popup(runtime, call, user)


def sip_call(body: SipCallIn, user_name: str, user_id: str) -> TransferCall:
    return TransferCall(call_sid=body.call_sid or body.call_id, department="sip", channel="sip",
                        caller={"name": body.name or body.caller or "SIP caller", "phone": body.caller or None},
                        id=f"sip-{body.call_id}"[:64], agent_id=user_id, agent_name=user_name)


@router.post(f"{API}/call/answered")
async def answered(body: SipCallIn, user: StaffUser, center: Center) -> OkOut:
    """The agent answered a SIP call: On Call (no in-app transfer rings them meanwhile)."""
    await center.agents.on_call(str(user.id), sip_call(body, user.display_name, str(user.id)).id)
    return OkOut(status="success")


@router.post(f"{API}/call/ended")
async def ended(body: SipEndedIn, user: StaffUser, center: Center) -> OkOut:
    """A SIP call ended (or was turned away busy): Wrap Up after a talk, and one line of history."""
    call = sip_call(body, user.display_name, str(user.id))
    await center.agents.wrap_up(str(user.id), call.id)
    outcome = {"answered": Outcome.ANSWERED, "transferred": Outcome.ANSWERED, "busy": Outcome.BUSY,
               "rejected": Outcome.REJECTED, "caller-hung-up": Outcome.CALLER_HUNG_UP}[body.outcome]
    if body.transferred_to:
        call.reason = f"Transferred to {body.transferred_to}"
    await center.record(call, outcome, handle_s=body.talked_s, wait_s=None)
    return OkOut(status="success")
