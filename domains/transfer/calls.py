"""A transferred call as the call center sees it: who is calling, why, what was said, where it is.

One JSON value per call in the store (`callcenter:call:{id}`), written by the process that
carries the caller's audio and by whichever process serves the agent's request.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.timeutil import utcnow


class CallStatus(enum.StrEnum):
    DIALING = "dialing"  # an agent's outbound call, ringing the callee (`domains.transfer.outbound`)
    QUEUED = "queued"  # waiting in a department's (or an agent's) queue, ringing Ready agents
    CONNECTED = "connected"  # an agent answered; the caller talks to them
    ON_HOLD = "on_hold"
    ENDED = "ended"  # hung up (by either side) after an agent answered
    NO_ANSWER = "no_answer"  # nobody answered in time: back to the assistant
    ABANDONED = "abandoned"  # the caller hung up while waiting
    RETURNED = "returned"  # the agent handed the caller back to the assistant

    @property
    def waiting(self) -> bool:
        return self is CallStatus.QUEUED

    @property
    def with_agent(self) -> bool:
        return self in (CallStatus.CONNECTED, CallStatus.ON_HOLD)


class Outcome(enum.StrEnum):
    """How one ring of a call ended, for history and metrics."""

    ANSWERED = "answered"
    NO_ANSWER = "no-answer"
    CALLER_HUNG_UP = "caller-hung-up"
    REJECTED = "rejected"
    BUSY = "busy"  # the PBX path reports these three as well
    FAILED = "failed"
    CANCELED = "canceled"


def _now() -> str:
    return utcnow().isoformat()


def seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


@dataclass
class TransferCall:
    """One call handed from the assistant to the call center."""

    call_sid: str
    department: str
    channel: str = "phone"
    extension: str = ""
    reason: str = ""
    caller: dict[str, Any] = field(default_factory=dict)  # user_id, name, email, phone
    profile: dict[str, Any] = field(default_factory=dict)  # from the database, for the popup
    transcript: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: CallStatus = CallStatus.QUEUED
    attempt: int = 1  # each (re)queue of the call is one attempt; each attempt is answered at most once
    queued_at: str = field(default_factory=_now)
    answered_at: str | None = None
    ended_at: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    target_agent: str | None = None  # a blind transfer to one agent rings only them
    offered_to: list[str] = field(default_factory=list)  # agents it rang, this attempt
    rejected_by: list[str] = field(default_factory=list)
    node: str = ""  # the process carrying the caller's audio (the agent's audio leg must reach it)
    direction: str = "inbound"  # inbound: a caller handed over by the assistant; outbound: an agent dialled
    dialed: str = ""  # the number (or user) an outbound call rings
    callback_id: str | None = None  # the callback request an outbound call answers
    consult: dict[str, Any] | None = None  # a warm transfer under way (`domains.transfer.consult`)

    @property
    def queue_key(self) -> str:
        return queue_key(self.department, self.target_agent)

    @property
    def caller_name(self) -> str:
        return str(self.caller.get("name") or self.caller.get("phone") or "Caller")

    def dump(self) -> str:
        return json.dumps(asdict(self), default=str)

    def view(self) -> dict[str, Any]:
        """What the page shows (everything, plus times in seconds)."""
        now = _now()
        return {
            **asdict(self),
            "status": self.status.value,
            "caller_name": self.caller_name,
            "waiting_s": seconds_between(self.queued_at, self.answered_at or self.ended_at or now),
            "talking_s": seconds_between(self.answered_at, self.ended_at or now) if self.answered_at else None,
        }

    def ring_view(self) -> dict[str, Any]:
        """The short form a ringing banner needs."""
        return {"id": self.id, "call_sid": self.call_sid, "department": self.department, "reason": self.reason,
                "caller_name": self.caller_name, "queued_at": self.queued_at, "attempt": self.attempt,
                "target_agent": self.target_agent, "channel": self.channel, "ringing": self.status.waiting}

    @classmethod
    def parse(cls, raw: str) -> TransferCall:
        data = json.loads(raw)
        data["status"] = CallStatus(data["status"])
        return cls(**data)


def queue_key(department: str, target_agent: str | None = None) -> str:
    return f"callcenter:queue:agent:{target_agent}" if target_agent else f"callcenter:queue:{department}"


def summarize(caller_name: str, department: str, reason: str, transcript: list[dict[str, Any]], lines: int = 3) -> str:
    """A one-paragraph summary: who, for which department, why, and the caller's last few lines."""
    said = [str(t.get("text", "")) for t in transcript if t.get("role") == "user" and t.get("text")]
    head = f"{caller_name} asked for {department}" + (f" about {reason}" if reason else "") + "."
    if not said:
        return head
    tail = " / ".join(f"“{s}”" for s in said[-lines:])
    return f"{head} Last said: {tail}"
