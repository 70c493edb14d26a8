"""Call-center agents: who is logged in, for which departments, and in which state since when.

An agent's status is one JSON value in the store (`callcenter:agent:{user_id}`), so every
process sees the same board. States move as a person works a shift:

    Logged Out → (login) Logged In → (ready) Ready ⇄ (not-ready) Not Ready
    Ready → (answer) On Call → (call ends) Wrap Up → (ready) Ready …

Only the agent's own requests change Logged In / Ready / Not Ready / Logged Out; answering and
ending calls (`domains.transfer.queue`) move On Call and Wrap Up. Nobody logs out or leaves
for a break in the middle of a call.
"""

from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from core.errors import Conflict, Invalid
from core.store import Store
from core.timeutil import utcnow

AGENT_PREFIX = "callcenter:agent:"
ACTIVITY_PREFIX = "callcenter:agent-log:"
EVENTS = "callcenter:events"
ACTIVITY_CAP = 50
AVAILABLE = frozenset({"ready", "on_call", "wrap_up"})  # the shift's time that counts as available


class AgentState(enum.StrEnum):
    LOGGED_OUT = "logged_out"
    LOGGED_IN = "logged_in"
    READY = "ready"
    NOT_READY = "not_ready"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").title()


# Which states each agent-initiated move may start from.
_ALLOWED: dict[AgentState, frozenset[AgentState]] = {
    AgentState.READY: frozenset({AgentState.LOGGED_IN, AgentState.NOT_READY, AgentState.WRAP_UP, AgentState.READY}),
    AgentState.NOT_READY: frozenset({AgentState.LOGGED_IN, AgentState.READY, AgentState.WRAP_UP, AgentState.NOT_READY}),
}


@dataclass
class AgentStatus:
    """One agent's place on the board."""

    user_id: str
    name: str = ""
    email: str = ""
    state: AgentState = AgentState.LOGGED_OUT
    since: str = field(default_factory=lambda: utcnow().isoformat())
    departments: list[str] = field(default_factory=list)
    call_id: str | None = None
    reason: str | None = None  # why Not Ready (break, lunch, training)
    logged_in_at: str | None = None
    totals: dict[str, float] = field(default_factory=dict)  # seconds in each state since logging in (past states)
    wrapped_up: str | None = None  # the wrap-up code given for `call_id`, once given

    def shift_seconds(self, now: datetime | None = None) -> dict[str, float]:
        """Seconds in each state since logging in, the current one included."""
        if self.state is AgentState.LOGGED_OUT:
            return {}
        out = dict(self.totals)
        out[self.state.value] = out.get(self.state.value, 0.0) + self.seconds_in_state(now)
        return out

    def availability(self, now: datetime | None = None) -> float | None:
        """The share of the shift spent Ready, On Call or in Wrap Up (None before any time has passed)."""
        seconds = self.shift_seconds(now)
        total = sum(seconds.values())
        return round(sum(v for k, v in seconds.items() if k in AVAILABLE) / total, 3) if total > 0 else None

    def seconds_in_state(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or utcnow()) - datetime.fromisoformat(self.since)).total_seconds())

    def view(self) -> dict[str, Any]:
        now = utcnow()
        return {**asdict(self), "state": self.state.value, "state_label": self.state.label,
                "seconds_in_state": round(self.seconds_in_state(now), 1),
                "totals": {k: round(v, 1) for k, v in self.shift_seconds(now).items()},
                "availability": self.availability(now)}

    def serves(self, department: str) -> bool:
        return department in self.departments

    @classmethod
    def parse(cls, raw: str) -> AgentStatus:
        data = json.loads(raw)
        data["state"] = AgentState(data["state"])
        return cls(**data)


class AgentBoard:
    """The agents' states in the store, for one install's departments."""

    def __init__(self, store: Store, departments: dict[str, str]) -> None:
        self._store = store
        self._departments = {name.lower() for name in departments}

    @staticmethod
    def key(user_id: str) -> str:
        return f"{AGENT_PREFIX}{user_id}"

    async def get(self, user_id: str) -> AgentStatus:
        raw = await self._store.get(self.key(user_id))
        return AgentStatus.parse(raw) if raw else AgentStatus(user_id=user_id)

    async def all(self) -> list[AgentStatus]:
        """Every agent who is not logged out (a small scan: agents number in the tens)."""
        found: list[AgentStatus] = []
        for key in await self._store.keys(AGENT_PREFIX):
            raw = await self._store.get(key)
            if raw:
                status = AgentStatus.parse(raw)
                if status.state is not AgentState.LOGGED_OUT:
                    found.append(status)
        return sorted(found, key=lambda a: (a.name.lower(), a.user_id))

    async def ready_for(self, department: str) -> list[AgentStatus]:
        return [a for a in await self.all() if a.state is AgentState.READY and a.serves(department)]

    # --- the agent's own moves ---------------------------------------------------------------

    async def login(self, user_id: str, name: str, email: str, departments: list[str]) -> AgentStatus:
        wanted = sorted({d.strip().lower() for d in departments if d.strip()})
        if not wanted:
            raise Invalid("Choose at least one department to take calls for.")
        unknown = [d for d in wanted if d not in self._departments]
        if unknown:
            raise Invalid(f"There is no {unknown[0]} department. Departments: {', '.join(sorted(self._departments))}.")
        current = await self.get(user_id)
        if current.state in (AgentState.ON_CALL,):
            raise Conflict("You are on a call: finish it before logging in again.")
        status = AgentStatus(user_id=user_id, name=name, email=email, state=AgentState.LOGGED_IN,
                             departments=wanted, logged_in_at=utcnow().isoformat())
        await self._save(status, current)
        return status

    async def logout(self, user_id: str) -> AgentStatus:
        current = await self.get(user_id)
        if current.state is AgentState.ON_CALL:
            raise Conflict("You are on a call: hang up or transfer it before logging out.")
        status = AgentStatus(user_id=user_id, name=current.name, email=current.email)
        await self._save(status, current)
        return status

    async def ready(self, user_id: str) -> AgentStatus:
        return await self._move(user_id, AgentState.READY)

    async def not_ready(self, user_id: str, reason: str | None = None) -> AgentStatus:
        return await self._move(user_id, AgentState.NOT_READY, reason=reason)

    async def _move(self, user_id: str, state: AgentState, *, reason: str | None = None) -> AgentStatus:
        current = await self.get(user_id)
        if current.state is AgentState.LOGGED_OUT:
            raise Conflict("Log in to the call center first.")
        if current.state not in _ALLOWED[state]:
            raise Conflict(f"You can't go {state.label} while {current.state.label}.")
        if current.state is state and current.reason == reason:
            return current  # pressing Ready twice keeps the time in state
        status = AgentStatus(**{**asdict(current), "state": state, "since": utcnow().isoformat(),
                                "reason": reason, "call_id": None})
        await self._save(status, current)
        return status

    # --- moves made by calls -----------------------------------------------------------------

    async def on_call(self, user_id: str, call_id: str) -> AgentStatus:
        current = await self.get(user_id)
        status = AgentStatus(**{**asdict(current), "state": AgentState.ON_CALL, "since": utcnow().isoformat(),
                                "call_id": call_id, "reason": None, "wrapped_up": None})
        await self._save(status, current)
        return status

    async def wrap_up(self, user_id: str, call_id: str) -> AgentStatus | None:
        """The agent's call ended: Wrap Up, unless they have already moved on to another call."""
        current = await self.get(user_id)
        if current.state is not AgentState.ON_CALL or current.call_id != call_id:
            return None
        status = AgentStatus(**{**asdict(current), "state": AgentState.WRAP_UP, "since": utcnow().isoformat()})
        await self._save(status, current)
        return status

    async def back_to_ready(self, user_id: str, call_id: str) -> AgentStatus | None:
        """A consult on `call_id` is over for this colleague: Ready again (unless they have moved on)."""
        current = await self.get(user_id)
        if current.state is not AgentState.ON_CALL or current.call_id != call_id:
            return None
        status = AgentStatus(**{**asdict(current), "state": AgentState.READY, "since": utcnow().isoformat(),
                                "call_id": None})
        await self._save(status, current)
        return status

    async def wrapped(self, user_id: str, call_id: str, code: str) -> AgentStatus:
        """The agent gave `code` for their call `call_id` (shown until their next call)."""
        current = await self.get(user_id)
        if current.call_id != call_id:
            return current
        status = AgentStatus(**{**asdict(current), "wrapped_up": code})
        await self._save(status, current)
        return status

    async def activity(self, user_id: str, limit: int = ACTIVITY_CAP) -> list[dict[str, Any]]:
        """The agent's recent state changes, newest first."""
        return [json.loads(item) for item in await self._store.range(f"{ACTIVITY_PREFIX}{user_id}", 0, limit - 1)]

    async def _save(self, status: AgentStatus, previous: AgentStatus) -> None:
        same_shift = status.logged_in_at is not None and status.logged_in_at == previous.logged_in_at
        if same_shift and previous.state is not status.state:  # the state just left adds to the shift's totals
            status.totals = dict(previous.totals)
            key = previous.state.value
            status.totals[key] = round(status.totals.get(key, 0.0) + previous.seconds_in_state(), 1)
        await self._store.set(self.key(status.user_id), json.dumps(asdict(status)))
        if previous.state is not status.state or previous.call_id != status.call_id:
            change = {"from": previous.state.value, "to": status.state.value, "at": status.since,
                      "seconds_in_previous": round(previous.seconds_in_state(), 1), "call_id": status.call_id}
            await self._store.push(f"{ACTIVITY_PREFIX}{status.user_id}", json.dumps(change), cap=ACTIVITY_CAP)
        await self._store.publish(EVENTS, json.dumps({"type": "agent", "user_id": status.user_id,
                                                      "state": status.state.value}))
