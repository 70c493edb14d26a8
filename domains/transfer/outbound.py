"""Calls an agent places from the call center: a number typed on the dialpad, or a callback request.

A phone is called through Twilio; without Twilio, the call goes to a user of the product in their
browser (`channel` "browser", `dialed` their user id): a notice rings their open pages, and answering
opens a browser call whose pipeline joins the agent.

A placed call is a `TransferCall` with direction "outbound" in the call center's store, so once it
is connected the page, hold, hang-up and blind transfer treat it like a transferred caller:

    dial → DIALING (the agent On Call, the callee's phone ringing)
         → answered: CONNECTED (the callee's pipeline carries the audio; the agent's audio leg joins it)
         → busy / no-answer / failed / canceled: recorded in the history, the agent goes to Wrap Up

Answering and giving up claim the call's ring like an inbound answer does, so a callee who picks
up just as the agent cancels gets exactly one of the two.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from core.accounts import get_user_by_phone, normalize_phone
from core.contacts import by_phone
from core.db import SessionFactory
from core.errors import Conflict, Invalid
from core.models import User
from core.timeutil import utcnow
from domains.transfer.agents import AgentState
from domains.transfer.callbacks import CallbackRequest
from domains.transfer.calls import CallStatus, Outcome, TransferCall, summarize
from domains.transfer.profile import caller_identity, caller_profile
from domains.transfer.queue import CallCenter

OUTBOUND = "outbound"
DEPARTMENT = "outbound"  # what the history shows for a call dialled by hand
ANSWERED = "callee-answered"
_NUMBER = re.compile(r"\+?[0-9]{3,15}")
_SEPARATORS = re.compile(r"[\s().-]")


def dialable(raw: str) -> str:
    """The number as Twilio takes it (digits, an optional leading +); Invalid for anything else."""
    text = _SEPARATORS.sub("", raw or "")
    if not _NUMBER.fullmatch(text):
        raise Invalid("Enter a phone number: 3 to 15 digits, optionally starting with +.")
    return normalize_phone(text)


INCOMING_CALL = "call"  # the `notice` of an in-app call on a user's notice feed (`api.routes.notices`)


async def app_user(sessions: SessionFactory, *, user_id: uuid.UUID | None = None, number: str | None = None
                   ) -> User | None:
    """The account an in-app call rings: by id or by phone number; only people who can sign in."""
    async with sessions() as session:
        user = await session.get(User, user_id) if user_id else await get_user_by_phone(session, number or "")
    return user if user is not None and user.is_active else None


def ring_notice(call: TransferCall, ring_seconds: float) -> dict[str, Any]:
    """What the callee's pages are told: who is calling and for how long it rings (no other personal data)."""
    return {"user_id": call.dialed, "notice": INCOMING_CALL, "call_id": call.id,
            "from": call.agent_name or "The team", "ring_seconds": ring_seconds}


async def callee(sessions: SessionFactory, number: str) -> dict[str, Any]:
    """Who a number belongs to, for the popup: a user or a contact with that number, else just the number."""
    async with sessions() as session:
        user = await get_user_by_phone(session, number)
        contact = None if user is not None else await by_phone(session, number)
    owner = user.id if user is not None else contact.user_id if contact is not None else None
    return await caller_identity(sessions, str(owner) if owner else None, number)


class Dialer:
    """The call center's outbound moves, over the same store as its queue."""

    def __init__(self, center: CallCenter) -> None:
        self.center = center

    async def start(
        self, agent_id: str, *, dialed: str, channel: str, caller: dict[str, Any], department: str = DEPARTMENT,
        reason: str = "", transcript: list[dict[str, Any]] | None = None, callback_id: str | None = None,
    ) -> TransferCall:
        """A new call from `agent_id` to `dialed`, ringing; the agent is On Call with it."""
        agent = await self.center.agents.get(agent_id)
        if agent.state is AgentState.LOGGED_OUT:
            raise Conflict("Log in to the call center first.")
        if agent.state is AgentState.ON_CALL:
            raise Conflict("You are on a call: finish it before placing another.")
        lines = [dict(line) for line in transcript or []]
        name = str(caller.get("name") or dialed)
        call = TransferCall(
            call_sid="", department=department, channel=channel, reason=reason, caller=caller,
            profile=await caller_profile(self.center.sessions, caller.get("user_id")) if self.center.sessions else {},
            transcript=lines, summary=summarize(name, department, reason, lines) if lines else "",
            status=CallStatus.DIALING, agent_id=agent_id, agent_name=agent.name or agent.email,
            direction=OUTBOUND, dialed=dialed, callback_id=callback_id,
        )
        await self.center.save(call)
        await self.center.agents.on_call(agent_id, call.id)
        await self.center.publish("dialing", call, agent_id=agent_id)
        return call

    async def placed(self, call_id: str, call_sid: str) -> TransferCall | None:
        """The carrier took the call and named it (Twilio's CallSid)."""
        call = await self.center.find(call_id)
        if call is None or call.status is not CallStatus.DIALING:
            return call
        call.call_sid = call_sid
        await self.center.save(call)
        return call

    async def answered(self, call_id: str, node: str) -> TransferCall | None:
        """The callee picked up and `node` carries their audio: the call is connected to its agent.
        None when the call had already ended (the agent cancelled it, or it timed out)."""
        call = await self.center.find(call_id)
        if call is None or call.status is not CallStatus.DIALING or not await self.center.claim(call, ANSWERED):
            return None
        call.status, call.node = CallStatus.CONNECTED, node
        call.answered_at = utcnow().isoformat()
        await self.center.save(call)
        await self.center.publish("answered", call, agent_id=call.agent_id, agent_name=call.agent_name)
        return call

    async def gave_up(self, call_id: str, outcome: Outcome, why: str) -> TransferCall | None:
        """The call ended before anyone answered (busy, no answer, failed, or the agent cancelled it):
        recorded once; None when it had already connected or ended."""
        call = await self.center.find(call_id)
        if call is None or call.status is not CallStatus.DIALING or not await self.center.claim(call, outcome.value):
            return None
        call.status, call.ended_at = CallStatus.ENDED, utcnow().isoformat()
        await self.center.save(call)
        await self.center.record(call, outcome, dial_status=why)
        if call.agent_id:
            await self.center.agents.wrap_up(call.agent_id, call.id)
        await self.center.publish("ended", call, why=outcome.value)
        return call


async def ring_out(dialer: Dialer, call_id: str, seconds: float) -> None:
    """An in-app call nobody answered within `seconds` ends as no-answer (if it is still ringing)."""
    await asyncio.sleep(seconds)
    await dialer.gave_up(call_id, Outcome.NO_ANSWER, "no-answer")


def callback_caller(request: CallbackRequest) -> dict[str, Any]:
    """The popup's caller for a callback request (its own record of who asked)."""
    user_id = request.caller_user_id
    return {"user_id": str(user_id) if user_id else None, "name": request.caller_name, "email": None,
            "phone": request.phone}
