"""What the call-center routes answer with: one model per shape, so the OpenAPI schema documents them.
tests/api/test_call_center.py keeps each model's fields and the view it is built from in step."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class AgentOut(_Out):
    """One agent on the board."""

    user_id: str
    name: str
    email: str
    state: str
    state_label: str
    since: str
    seconds_in_state: float
    departments: list[str]
    call_id: str | None
    reason: str | None
    logged_in_at: str | None
    totals: dict[str, float]
    availability: float | None
    wrapped_up: str | None


class RingOut(_Out):
    """A ringing call, as a banner shows it."""

    id: str
    call_sid: str
    department: str
    reason: str
    caller_name: str
    queued_at: str
    attempt: int
    target_agent: str | None
    channel: str
    ringing: bool = Field(description="false once the call was answered, dropped or moved on")


class CallOut(_Out):
    """A transferred call, everything the page shows."""

    id: str
    call_sid: str
    department: str
    channel: str
    extension: str
    reason: str
    caller: dict[str, Any]
    profile: dict[str, Any]
    transcript: list[dict[str, Any]]
    summary: str
    status: str
    attempt: int
    queued_at: str
    answered_at: str | None
    ended_at: str | None
    agent_id: str | None
    agent_name: str | None
    target_agent: str | None
    offered_to: list[str]
    rejected_by: list[str]
    node: str
    direction: str
    dialed: str
    callback_id: str | None
    consult: dict[str, Any] | None
    caller_name: str
    waiting_s: float | None
    talking_s: float | None


class BookingOut(_Out):
    """One of the caller's upcoming bookings (`domains.domain.Booking`)."""

    business: str
    kind: str
    starts_at: str
    details: str
    confirmation_code: str | None


class CustomerOut(_Out):
    """The popup: who is calling, why, the conversation so far and a summary, and the caller's bookings."""

    id: str
    call_sid: str
    channel: str
    department: str
    extension: str
    reason: str
    caller: dict[str, Any]
    profile: dict[str, Any]
    transcript: list[dict[str, Any]]
    summary: str
    status: str
    queued_at: str
    answered_at: str | None
    agent_name: str | None
    caller_name: str
    waiting_s: float | None
    bookings: list[BookingOut] = Field(default_factory=list)
    """Upcoming, soonest first, read when the popup is; not part of the call's record."""


class SipOut(_Out):
    enabled: bool
    domain: str | None
    wss_port: int
    url: str | None


class StatusOut(_Out):
    """Everything the page shows about its agent: state, ringing calls, current call, colleagues."""

    agent: AgentOut
    ringing: list[RingOut]
    call: CallOut | None
    departments: list[str]
    agents: list[AgentOut]
    transfer_timeout: int
    sip: SipOut
    wrap_up_codes: list[str] = Field(default_factory=list)
    consult_offer: dict[str, Any] | None = None


class ActivityOut(_Out):
    """One change of an agent's state."""

    from_: str = Field(alias="from")
    to: str
    at: str
    seconds_in_previous: float
    call_id: str | None = None


class OutcomeOut(_Out):
    """How one ring of a call ended (the PBX path adds its dial status and id). Kept history may
    predate a field, hence the defaults."""

    call_id: str
    call_sid: str = ""
    attempt: int = 1
    department: str = ""
    channel: str = "phone"
    caller_name: str = "Caller"
    caller_id: str | None = None
    reason: str = ""
    outcome: str
    agent_id: str | None = None
    agent_name: str | None = None
    queued_at: str | None = None
    answered_at: str | None = None
    ended_at: str | None = None
    offered_to: list[str] = Field(default_factory=list)
    at: str
    wait_s: float | None = None
    handle_s: float | None = None
    dial_status: str | None = None
    dial_sid: str | None = None
    wrap_up: str | None = None
    wrap_up_note: str | None = None
    direction: str = "inbound"
    dialed: str | None = None
    callback_id: str | None = None


class FloorOut(_Out):
    calls: int
    outcomes: dict[str, int]
    answer_rate: float | None
    average_wait_s: float | None
    average_handle_s: float | None
    calls_placed: int


class AgentMetricsOut(_Out):
    name: str
    agent_id: str
    calls_handled: int
    calls_offered: int
    rejected: int
    answer_rate: float | None
    average_handle_s: float | None
    average_wait_s: float | None
    calls_placed: int


class MetricsOut(_Out):
    floor: FloorOut
    agents: list[AgentMetricsOut]
    window: int


class OkOut(_Out):
    status: str


class SdpAnswerOut(_Out):
    """The server's answer to the agent's WebRTC offer."""

    sdp: str
    type: str
    pc_id: str


class CallCenterEvent(BaseModel):
    """One `data:` line of `GET /call-center/api/events`: a change on the floor, named by `type`
    (`ringing`, `answered`, `dropped`, `held`, `transferred`, `agent`, `callback`, …), with the call's
    view or the agent's status alongside as the kind needs."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="what happened: ringing, answered, agent, callback, …")
