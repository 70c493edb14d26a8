"""The in-app call-center queue: calls wait per department, ring Ready agents, and are answered once.

Everything lives in the store, so any process may serve an agent's request for a call whose
audio another process carries:

* `callcenter:call:{id}` — the call (`TransferCall`), `callcenter:queue:{department}` (or
  `callcenter:queue:agent:{user_id}` after a blind transfer to one agent) — ids waiting, oldest last;
* `callcenter:claim:{id}:{attempt}` — who won this ring. Answering, the no-answer timeout and
  the caller hanging up all `set(only_if_absent)` it, so exactly one of them happens, whichever
  process and however close together;
* `callcenter:events` — what pages and the caller's pipeline react to (`ringing`, `answered`,
  `rejected`, `removed`, `hold`, `unhold`, `requeued`, `returned`, `ended`, and agents' `agent`);

Each ring's outcome is a row of `call_center_outcomes` in the database, the source of history and
metrics (without a database, as in some unit tests, a capped store list `callcenter:history`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlmodel import col, select

from core.db import SessionFactory, transaction
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.store import Store
from core.timeutil import utcnow
from domains.transfer.agents import EVENTS, AgentBoard, AgentState, AgentStatus
from domains.transfer.calls import CallStatus, Outcome, TransferCall, queue_key, seconds_between
from domains.transfer.models import CallCenterOutcome

log = logging.getLogger(__name__)

CALL_PREFIX = "callcenter:call:"
CLAIM_PREFIX = "callcenter:claim:"
HISTORY = "callcenter:history"
HISTORY_CAP = 2000
CALL_TTL = 24 * 3600.0
NO_ANSWER = "no-answer"
ABANDONED = "abandoned"


class CallCenter:
    """Queue, ring, answer, hold, drop, transfer: the call center's moves over the store."""

    def __init__(self, store: Store, departments: dict[str, str], sessions: SessionFactory | None = None) -> None:
        self.store = store
        self.sessions = sessions
        self.departments = {name.lower(): ext for name, ext in departments.items()}
        self.agents = AgentBoard(store, departments)

    # --- reading -----------------------------------------------------------------------------

    async def get(self, call_id: str) -> TransferCall:
        raw = await self.store.get(f"{CALL_PREFIX}{call_id}")
        if raw is None:
            raise NotFound("That call is not in the call center (it may have ended).")
        return TransferCall.parse(raw)

    async def find(self, call_id: str) -> TransferCall | None:
        raw = await self.store.get(f"{CALL_PREFIX}{call_id}")
        return TransferCall.parse(raw) if raw else None

    async def waiting(self, key: str) -> list[TransferCall]:
        """Calls waiting in one queue, oldest first."""
        calls = [await self.find(call_id) for call_id in reversed(await self.store.range(key))]
        return [c for c in calls if c is not None and c.status.waiting and c.queue_key == key]

    async def ringing_for(self, agent: AgentStatus) -> list[TransferCall]:
        """The calls ringing at this agent: waiting in their departments or for them, not refused by them."""
        if agent.state is not AgentState.READY:
            return []
        keys = [queue_key("", agent.user_id)] + [queue_key(d) for d in agent.departments]
        found: list[TransferCall] = []
        for key in keys:
            found += [c for c in await self.waiting(key) if agent.user_id not in c.rejected_by]
        return sorted(found, key=lambda c: c.queued_at)

    async def claim_holder(self, call: TransferCall) -> str | None:
        return await self.store.get(self._claim_key(call))

    # --- the caller's side -------------------------------------------------------------------

    async def enqueue(self, call: TransferCall) -> TransferCall:
        """Put a call in its queue and ring the Ready agents who serve it."""
        if call.department not in self.departments and call.target_agent is None:
            raise Invalid(f"There is no {call.department} department.")
        call.status = CallStatus.QUEUED
        call.extension = call.extension or self.departments.get(call.department, "")
        call.offered_to = [a.user_id for a in await self._ready_agents(call)]
        await self._save(call)
        await self.store.push(call.queue_key, call.id)
        await self._publish("ringing", call, agents=call.offered_to, ring=call.ring_view())
        log.info("call %s queued for %s (ringing %d agents)", call.id, call.target_agent or call.department,
                 len(call.offered_to))
        return call

    async def no_answer(self, call_id: str, attempt: int) -> bool:
        """The ring timed out: True when it really went unanswered (no agent got there first)."""
        call = await self.get(call_id)
        if call.attempt != attempt or not await self._claim(call, NO_ANSWER):
            return False
        await self._leave_queue(call, CallStatus.NO_ANSWER)
        await self._record(call, Outcome.NO_ANSWER)
        await self._publish("removed", call, why=NO_ANSWER)
        return True

    async def caller_left(self, call_id: str) -> None:
        """The caller hung up: a waiting call leaves the queue; a call with an agent ends."""
        call = await self.find(call_id)
        if call is None or call.status not in (CallStatus.QUEUED, CallStatus.CONNECTED, CallStatus.ON_HOLD):
            return
        if call.status.waiting:
            if await self._claim(call, ABANDONED):
                await self._leave_queue(call, CallStatus.ABANDONED)
                await self._record(call, Outcome.CALLER_HUNG_UP)
                await self._publish("removed", call, why=ABANDONED)
                return
            holder = await self.claim_holder(call)
            if holder in (None, NO_ANSWER, ABANDONED):
                return  # the assistant already took the caller back
            call = await self.get(call_id)  # an agent won the race: the call was theirs
            call.agent_id = call.agent_id or holder
        await self._end_with_agent(call, why="caller-hung-up")

    # --- the agent's side --------------------------------------------------------------------

    async def acknowledge(self, call_id: str, agent_id: str) -> TransferCall:
        """The agent's page is ringing for this call (counted as offered to them). A page that rang just
        as a colleague answered reports it late: that is the normal race, so the call comes back as it is
        now (its status tells the page it has gone) rather than as an error."""
        call = await self.get(call_id)
        if call.status.waiting and agent_id not in call.offered_to:
            call.offered_to.append(agent_id)
            await self._save(call)
        return call

    async def answer(self, call_id: str, agent_id: str) -> TransferCall:
        """Answer a ringing call. When several agents answer at once, exactly one wins; the rest get 409."""
        agent = await self.agents.get(agent_id)
        call = await self.get(call_id)
        if not call.status.waiting:
            raise Conflict(self._gone(call))
        if agent.state is not AgentState.READY:
            raise Conflict(f"You are {agent.state.label}: go Ready to answer calls.")
        if not (call.target_agent == agent_id or (call.target_agent is None and agent.serves(call.department))):
            raise Forbidden("That call is not ringing for you.")
        if not await self._claim(call, agent_id):
            raise Conflict(self._gone(await self.get(call_id), await self.claim_holder(call)))
        call.status = CallStatus.CONNECTED
        call.agent_id, call.agent_name = agent_id, agent.name or agent.email
        call.answered_at = utcnow().isoformat()
        if agent_id not in call.offered_to:
            call.offered_to.append(agent_id)
        await self._save(call)
        await self.store.remove(call.queue_key, call.id)
        await self.agents.on_call(agent_id, call.id)
        await self._publish("answered", call, agent_id=agent_id, agent_name=call.agent_name)
        return call

    async def reject(self, call_id: str, agent_id: str) -> TransferCall:
        """The agent declines a ringing call; it keeps ringing for the others until the timeout."""
        call = await self.get(call_id)
        if not call.status.waiting:
            raise Conflict(self._gone(call))
        if agent_id not in call.rejected_by:
            call.rejected_by.append(agent_id)
            await self._save(call)
            agent = await self.agents.get(agent_id)
            await self._record(call, Outcome.REJECTED, agent_id=agent_id, agent_name=agent.name or agent.email)
        await self._publish("rejected", call, agent_id=agent_id)
        return call

    async def hold(self, call_id: str, agent_id: str, on: bool) -> TransferCall:
        call = await self._own(call_id, agent_id)
        call.status = CallStatus.ON_HOLD if on else CallStatus.CONNECTED
        await self._save(call)
        await self._publish("hold" if on else "unhold", call)
        return call

    async def drop(self, call_id: str, agent_id: str) -> TransferCall:
        """Hang up: the agent's own call ends for both sides; a call only ringing is rejected."""
        call = await self.get(call_id)
        if call.status.waiting:
            return await self.reject(call_id, agent_id)
        call = await self._own(call_id, agent_id)
        return await self._end_with_agent(call, why="agent-hung-up")

    async def transfer(
        self, call_id: str, agent_id: str, *, department: str | None = None, to_agent: str | None = None,
        to_assistant: bool = False,
    ) -> TransferCall:
        """Blind transfer: ring another department or agent, or hand the caller back to the assistant."""
        if sum((bool(department), bool(to_agent), to_assistant)) != 1:
            raise Invalid("Transfer to exactly one of: a department, an agent, or the assistant.")
        call = await self._own(call_id, agent_id)
        if to_assistant and call.direction == "outbound":
            raise Invalid("The assistant has nobody to go back to on a call you placed: hang up instead.")
        if department is not None and department.lower() not in self.departments:
            raise Invalid(f"There is no {department} department.")
        if to_agent is not None:
            if to_agent == agent_id:
                raise Invalid("That call is already yours.")
            target = await self.agents.get(to_agent)
            if target.state is AgentState.LOGGED_OUT:
                raise Conflict("That agent is not logged in.")
        ended_at = utcnow().isoformat()
        await self._record(call, Outcome.ANSWERED, ended_at=ended_at)
        await self.agents.wrap_up(agent_id, call.id)
        if to_assistant:
            call.status, call.ended_at = CallStatus.RETURNED, ended_at
            await self._save(call)
            await self._publish("returned", call, agent_id=agent_id)
            return call
        call.attempt += 1
        call.department = department.lower() if department else call.department
        call.target_agent = to_agent
        call.agent_id = call.agent_name = call.answered_at = None
        call.queued_at, call.rejected_by = utcnow().isoformat(), []
        await self._publish("requeued", call, by=agent_id)
        return await self.enqueue(call)

    # --- history -----------------------------------------------------------------------------

    async def history(self, limit: int = 100) -> list[dict[str, Any]]:
        """The newest `limit` outcomes, newest first."""
        if self.sessions is None:
            return [json.loads(item) for item in await self.store.range(HISTORY, 0, limit - 1)]
        async with self.sessions() as session:
            rows = await session.exec(
                select(CallCenterOutcome).order_by(col(CallCenterOutcome.id).desc()).limit(limit)
            )
            return [row.entry for row in rows]

    async def record(self, call: TransferCall, outcome: Outcome, **extra: Any) -> None:
        """Add one outcome to the history (also used by the PBX path, which has no queue)."""
        await self._record(call, outcome, **extra)

    async def save(self, call: TransferCall) -> None:
        """Store the call's record as it is now (the outbound dialler's moves)."""
        await self._save(call)

    async def claim(self, call: TransferCall, who: str) -> bool:
        """Win this ring of `call` for `who` (exactly one claimant wins, whichever process)."""
        return await self._claim(call, who)

    async def publish(self, kind: str, call: TransferCall, **extra: Any) -> None:
        """Tell the pages and the call's pipeline that `call` changed."""
        await self._publish(kind, call, **extra)

    # --- inside ------------------------------------------------------------------------------

    def _claim_key(self, call: TransferCall) -> str:
        return f"{CLAIM_PREFIX}{call.id}:{call.attempt}"

    async def _claim(self, call: TransferCall, who: str) -> bool:
        return await self.store.set(self._claim_key(call), who, ttl=CALL_TTL, only_if_absent=True)

    async def _ready_agents(self, call: TransferCall) -> list[AgentStatus]:
        if call.target_agent:
            target = await self.agents.get(call.target_agent)
            return [target] if target.state is AgentState.READY else []
        return await self.agents.ready_for(call.department)

    async def _own(self, call_id: str, agent_id: str) -> TransferCall:
        call = await self.get(call_id)
        if call.agent_id != agent_id or not call.status.with_agent:
            raise Conflict("That call is not connected to you.")
        return call

    async def _end_with_agent(self, call: TransferCall, *, why: str) -> TransferCall:
        call.status, call.ended_at = CallStatus.ENDED, utcnow().isoformat()
        await self._save(call)
        await self._record(call, Outcome.ANSWERED, ended_at=call.ended_at)
        if call.agent_id:
            await self.agents.wrap_up(call.agent_id, call.id)
        if call.consult and call.consult.get("agent_id"):  # a colleague on a consult is free again
            await self.agents.back_to_ready(call.consult["agent_id"], call.id)
        await self._publish("ended", call, why=why)
        return call

    async def _leave_queue(self, call: TransferCall, status: CallStatus) -> None:
        call.status, call.ended_at = status, utcnow().isoformat()
        await self._save(call)
        await self.store.remove(call.queue_key, call.id)

    def _gone(self, call: TransferCall, holder: str | None = None) -> str:
        if holder == NO_ANSWER or call.status is CallStatus.NO_ANSWER:
            return "Too late: nobody answered in time and the caller went back to the assistant."
        if holder == ABANDONED or call.status is CallStatus.ABANDONED:
            return "The caller hung up."
        if call.status.with_agent or holder:
            return f"{call.agent_name or 'Another agent'} already answered that call."
        return "That call is no longer ringing."

    async def _save(self, call: TransferCall) -> None:
        await self.store.set(f"{CALL_PREFIX}{call.id}", call.dump(), ttl=CALL_TTL)

    async def _record(self, call: TransferCall, outcome: Outcome, **extra: Any) -> None:
        now = utcnow().isoformat()
        entry: dict[str, Any] = {
            "call_id": call.id, "call_sid": call.call_sid, "attempt": call.attempt, "department": call.department,
            "channel": call.channel, "caller_name": call.caller_name, "caller_id": call.caller.get("user_id"),
            "reason": call.reason, "outcome": outcome.value, "agent_id": call.agent_id,
            "agent_name": call.agent_name, "queued_at": call.queued_at, "answered_at": call.answered_at,
            "ended_at": call.ended_at, "offered_to": list(call.offered_to), "at": now,
            "direction": call.direction, "dialed": call.dialed or None, "callback_id": call.callback_id,
        }
        entry.update(extra)
        if outcome in (Outcome.REJECTED,):
            entry["answered_at"] = None
        if "wait_s" not in extra:
            entry["wait_s"] = seconds_between(entry["queued_at"], entry["answered_at"] or entry["ended_at"] or now)
        if "handle_s" not in extra:
            entry["handle_s"] = seconds_between(entry["answered_at"], entry["ended_at"]) if entry["answered_at"] else None
        if self.sessions is None:
            await self.store.push(HISTORY, json.dumps(entry, default=str), cap=HISTORY_CAP)
            return
        entry = json.loads(json.dumps(entry, default=str))
        async with transaction(self.sessions) as session:
            session.add(CallCenterOutcome(
                call_id=call.id, call_sid=call.call_sid, department=call.department, outcome=entry["outcome"],
                agent_id=entry.get("agent_id"), wait_s=entry.get("wait_s"), handle_s=entry.get("handle_s"),
                entry=entry,
            ))

    async def _publish(self, kind: str, call: TransferCall, **extra: Any) -> None:
        event = {"type": kind, "call_id": call.id, "call_sid": call.call_sid, "attempt": call.attempt,
                 "department": call.department, "status": call.status.value, **extra}
        await self.store.publish(EVENTS, json.dumps(event, default=str))

