"""Warm (attended) transfer: before handing a caller over, the agent talks to a colleague first.

    consult (to an agent, or the Ready agents of a department) → the caller is on hold with the beep,
      the colleague's page rings for the consult
    → accepted: the two agents talk (their audio legs are relayed to each other by the caller's bridge)
    → join: the caller is the colleague's now; the first agent wraps up
    → return: the colleague goes back to Ready; the caller is off hold with the first agent

The consult is a part of the call's record (`TransferCall.consult`), so every process sees it. The
first agent hanging up hands the caller to a colleague who is on the line, or rings the consult's
target as a blind transfer when nobody has accepted yet; a caller who hangs up ends it for both
(`CallCenter` frees the colleague).
"""

from __future__ import annotations

from typing import Any

from core.errors import Conflict, Forbidden, Invalid
from core.timeutil import utcnow
from domains.transfer.agents import AgentState
from domains.transfer.calls import CallStatus, Outcome, TransferCall
from domains.transfer.queue import CallCenter

RINGING, TALKING = "ringing", "talking"


def offer_key(agent_id: str) -> str:
    return f"callcenter:consult-offer:{agent_id}"


class Consults:
    def __init__(self, center: CallCenter) -> None:
        self.center = center

    async def _mine(self, call_id: str, agent_id: str) -> TransferCall:
        call = await self.center.get(call_id)
        if call.agent_id != agent_id or not call.status.with_agent:
            raise Conflict("That call is not connected to you.")
        return call

    async def start(self, call_id: str, agent_id: str, *, to_agent: str | None = None,
                    department: str | None = None) -> TransferCall:
        """Put the caller on hold and ring a colleague (or a department's Ready agents) for a consult."""
        if bool(to_agent) == bool(department):
            raise Invalid("Consult exactly one of: an agent, or a department.")
        call = await self._mine(call_id, agent_id)
        if call.consult:
            raise Conflict("A consult is already under way on this call.")
        if to_agent:
            if to_agent == agent_id:
                raise Invalid("Consult someone other than yourself.")
            target = await self.center.agents.get(to_agent)
            if target.state is not AgentState.READY:
                raise Conflict(f"{target.name or 'That agent'} is not Ready ({target.state.label}).")
            offered = [target.user_id]
        else:
            name = (department or "").lower()
            if name not in self.center.departments:
                raise Invalid(f"There is no {department} department.")
            offered = [a.user_id for a in await self.center.agents.ready_for(name) if a.user_id != agent_id]
            if not offered:
                raise Conflict(f"No one in {name} is Ready to consult.")
        me = await self.center.agents.get(agent_id)
        call.status = CallStatus.ON_HOLD
        call.consult = {"by": agent_id, "by_name": me.name or me.email, "to_agent": to_agent,
                        "department": department.lower() if department else None, "offered_to": offered,
                        "status": RINGING, "agent_id": None, "agent_name": None, "at": utcnow().isoformat()}
        await self.center.save(call)
        for agent in offered:
            await self.center.store.set(offer_key(agent), call.id, ttl=float(3600))
        await self.center.publish("hold", call)
        await self.center.publish("consult", call, agents=offered, by=agent_id)
        return call

    async def offered(self, agent_id: str) -> TransferCall | None:
        """The consult ringing for this agent now, if any."""
        call_id = await self.center.store.get(offer_key(agent_id))
        call = await self.center.find(call_id) if call_id else None
        consult = call.consult if call else None
        if call is None or not consult or consult["status"] != RINGING or agent_id not in consult["offered_to"]:
            return None
        return call

    async def accept(self, call_id: str, agent_id: str) -> TransferCall:
        """Take the consult (when several are rung, the first wins; the rest get 409)."""
        call = await self.center.get(call_id)
        consult = call.consult
        if not consult or consult["status"] != RINGING:
            raise Conflict("That consult is no longer ringing.")
        if agent_id not in consult["offered_to"]:
            raise Forbidden("That consult is not ringing for you.")
        me = await self.center.agents.get(agent_id)
        if me.state is not AgentState.READY:
            raise Conflict(f"You are {me.state.label}: go Ready to take a consult.")
        if not await self.center.store.set(f"callcenter:consult-claim:{call.id}:{consult['at']}", agent_id,
                                           ttl=float(3600), only_if_absent=True):
            raise Conflict("A colleague took that consult first.")
        consult.update(status=TALKING, agent_id=agent_id, agent_name=me.name or me.email)
        await self.center.save(call)
        await self.center.agents.on_call(agent_id, call.id)
        await self.center.publish("consult-talking", call, agent_id=agent_id)
        return call

    async def decline(self, call_id: str, agent_id: str) -> TransferCall:
        call = await self.center.get(call_id)
        consult = call.consult
        if not consult or consult["status"] != RINGING or agent_id not in consult["offered_to"]:
            raise Conflict("That consult is no longer ringing for you.")
        consult["offered_to"] = [a for a in consult["offered_to"] if a != agent_id]
        consult.setdefault("declined_by", []).append(agent_id)
        await self.center.save(call)
        await self.center.publish("consult-declined", call, agent_id=agent_id)
        return call

    async def join(self, call_id: str, agent_id: str) -> TransferCall:
        """Hand the caller to the colleague on the line; the first agent's part ends (Wrap Up)."""
        call = await self._mine(call_id, agent_id)
        consult = call.consult
        if not consult or consult["status"] != TALKING:
            raise Conflict("No colleague is on the line yet.")
        now = utcnow().isoformat()
        await self.center.record(call, Outcome.ANSWERED, ended_at=now, warm_transfer_to=consult["agent_id"])
        await self.center.agents.wrap_up(agent_id, call.id)
        call.agent_id, call.agent_name = consult["agent_id"], consult["agent_name"]
        call.answered_at, call.status, call.consult = now, CallStatus.CONNECTED, None
        await self.center.save(call)
        await self.center.publish("consult-joined", call, agent_id=call.agent_id, by=agent_id)
        await self.center.publish("unhold", call)
        return call

    async def back(self, call_id: str, agent_id: str) -> TransferCall:
        """End the consult (either agent may): the colleague goes back to Ready, the caller off hold."""
        call = await self.center.get(call_id)
        consult = call.consult
        if not consult or agent_id not in (consult["by"], consult.get("agent_id")):
            raise Conflict("There is no consult of yours on that call.")
        await self._release(call, consult)
        call.consult = None
        if call.status is CallStatus.ON_HOLD:
            call.status = CallStatus.CONNECTED
        await self.center.save(call)
        await self.center.publish("consult-ended", call, by=agent_id)
        await self.center.publish("unhold", call)
        return call

    async def hang_up(self, call_id: str, agent_id: str) -> TransferCall:
        """The first agent hangs up mid-consult: the caller goes to the colleague on the line, or rings the
        consult's target as a blind transfer when nobody has accepted yet."""
        call = await self._mine(call_id, agent_id)
        consult = call.consult or {}
        if consult.get("status") == TALKING:
            return await self.join(call_id, agent_id)
        call.consult = None
        await self.center.save(call)
        await self.center.publish("consult-ended", call, by=agent_id)
        return await self.center.transfer(call_id, agent_id, department=consult.get("department"),
                                          to_agent=consult.get("to_agent"))

    async def _release(self, call: TransferCall, consult: dict[str, Any]) -> None:
        colleague = consult.get("agent_id")
        if colleague:
            await self.center.agents.back_to_ready(colleague, call.id)
