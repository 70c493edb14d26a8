"""The caller's side of an in-app transfer: queue, ring, talk to a person, come back to the assistant.

`TransferBridge` sits in the caller's pipeline between the user aggregator and the agent bridge,
and does nothing until the agent's `transfer_to_agent` tool fires (the session calls `request`).
Then the call goes into its department's queue (`domains.transfer.queue.CallCenter`) and the
bridge follows it through the store's `callcenter:events`:

* **queued** — the caller's turns and barge-ins stop here, so the assistant stays quiet; if no
  agent answers within `transfer_timeout` seconds the bridge claims the no-answer (exactly one
  of answer / no-answer / hang-up wins) and hands the caller to `processors.callback_offer`: the
  offer of a call back, a voice message, the request in the staff callback queue;
* **connected** — an agent answered. The caller's audio frames (`InputAudioRawFrame`, which the
  STT and aggregator pass through) are copied to the agent's audio leg (`attach`ed by the
  agent's SmallWebRTC connection, `transports.agent_leg`), and the agent's microphone comes back
  through `from_agent` as `OutputAudioRawFrame`s pushed toward the caller's output. The caller's
  words still reach the transcript, never the assistant;
* **held** — nothing is relayed either way; the caller hears a soft beep every few seconds. During a
  warm transfer (`domains.transfer.consult`) the agent's leg and the consulted colleague's leg
  (`attach(..., consult=True)`) are relayed to each other; `consult-joined` makes the colleague's leg
  the call's, `consult-ended` hangs it up;
* the agent hands the call back (`returned`), transfers it blind (`requeued`, ringing again),
  or hangs up (`ended`: the caller hears a goodbye and the call ends). A caller who hangs up
  while queued or connected is reported (`caller_left`), which takes the call out of the queue.

Pipelines are objects in one process, so the bridges of this process are listed in
`processors.transfer_legs.LIVE_CALLS` for the agent's audio leg to find; every other fact is in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import os
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    AudioRawFrame,
    CancelFrame,
    EndFrame,
    EndWorkerFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextFrame,
    OutputAudioRawFrame,
    TTSSpeakFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from redis.exceptions import RedisError

from core.cluster import node_id
from core.logging import describe_error, report_exception
from core.tools import TransferRequest
from domains.transfer.agents import EVENTS
from domains.transfer.calls import CallStatus, TransferCall
from domains.transfer.outbound import OUTBOUND, Dialer
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from processors.callback_offer import CallbackOffer, silence_unanswered
from processors.transfer_legs import LIVE_CALLS, AgentLeg, LiveCalls, TransferringCall

log = logging.getLogger(__name__)

NODE = node_id()  # this process, as named in a queued call's record (renamed in a forked worker)


def _renamed_after_fork() -> None:
    global NODE
    NODE = node_id()


os.register_at_fork(after_in_child=_renamed_after_fork)

POLL_SECONDS = 1.0
HOLD_BEEP_EVERY = 4.0  # a held caller hears a soft beep (which also keeps the call from idling out)
HOLD_RATE = 16000


def hold_beep(seconds: float = 0.25, freq: float = 440.0, level: float = 0.12) -> bytes:
    """A short, faded sine beep as 16-bit mono PCM at HOLD_RATE."""
    t = np.arange(int(HOLD_RATE * seconds)) / HOLD_RATE
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)
    return (np.sin(2 * np.pi * freq * t) * fade * level * 32767).astype("<i2").tobytes()


HOLD_BEEP = hold_beep()

TRANSFERRING = "Transferring your call. Please hold."
BACK = "You're back with the assistant. How else can I help?"
AGENT_HUNG_UP = "The agent has ended the call. Thank you for calling. Goodbye."
CALL_ENDED = "Thank you for your time. Goodbye."  # the agent hung up a call they placed
LOST_TRACK = "I'm sorry, I lost track of the transfer. You're back with the assistant. How else can I help?"


class Phase(enum.Enum):
    IDLE = "idle"
    QUEUED = "queued"
    CONNECTED = "connected"
    HELD = "held"
    OFFERING = "offering"  # nobody answered: `CallbackOffer` has the caller (the offer, then maybe a message)
    ENDED = "ended"


ACTIVE = (Phase.QUEUED, Phase.CONNECTED, Phase.HELD)




class TransferBridge(FrameProcessor):
    """Carries one call through the call center and back (see the module docstring)."""

    def __init__(
        self,
        call: TransferringCall,
        *,
        timeout: float | None = None,
        registry: LiveCalls = LIVE_CALLS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._call = call
        settings = call.runtime.settings
        self._center = CallCenter(call.runtime.store, settings.transfer_departments, call.runtime.sessions)
        self._timeout = float(timeout if timeout is not None else settings.transfer_timeout)
        self._registry = registry
        self.phase = Phase.IDLE
        self.call_id: str | None = None
        self._attempt = 1
        self._deadline = 0.0
        self._transfer: TransferCall | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._leg: AgentLeg | None = None
        self._consult_leg: AgentLeg | None = None  # a colleague on a warm transfer's consult
        self.relayed_to_agent = 0  # audio frames, for tests and logs
        self.relayed_to_caller = 0
        self.offer = CallbackOffer(call, self._say, lambda coro, name: self.create_task(coro, name=name),
                                   self.cancel_task)

    # --- the session's transfer hook ------------------------------------------------------------

    async def request(self, request: TransferRequest) -> None:
        """Queue the call for a person (the agent's transfer tool fired)."""
        if self.phase in ACTIVE or self.phase is Phase.ENDED:
            return
        runtime, info, caller = self._call.runtime, self._call.info, self._call.caller
        call = await transfer_call(
            runtime.sessions, request=request, call_sid=info.call_sid, channel=info.channel,
            caller_id=str(caller.user_id) if caller else None, phone=info.from_number,
            transcript=self._call.transcript,
        )
        call.node = NODE
        subscription = await runtime.store.subscribe(EVENTS)  # before the ring, so no answer is missed
        try:
            call = await self._center.enqueue(call)
        except BaseException:
            await subscription.close()
            raise
        self.call_id, self._transfer, self._attempt = call.id, call, call.attempt
        self._deadline = asyncio.get_running_loop().time() + self._timeout
        self.phase = Phase.QUEUED
        self._registry.add(call.id, self)
        self._watch_task = self.create_task(self._watch(subscription, call.id), name="transfer_watch")

    async def offer_callback(self, call: TransferCall) -> None:
        """The caller comes back from a transfer elsewhere (the PBX) that nobody answered: offer a call back."""
        if self.phase is Phase.IDLE:
            self.phase = Phase.OFFERING
            await self.offer.start(call)

    async def join_outbound(self, call_id: str) -> None:
        """An agent's outbound call was answered and this pipeline carries the callee: they talk to the
        agent from the first word (`domains.transfer.outbound`). Hangs up if the call ended meanwhile."""
        subscription = await self._call.runtime.store.subscribe(EVENTS)
        self.phase, self.call_id = Phase.CONNECTED, call_id
        self._registry.add(call_id, self)  # before the page hears "answered" and sends the agent's offer
        try:
            call = await Dialer(self._center).answered(call_id, NODE)
        except BaseException:
            self._registry.remove(call_id, self)
            await subscription.close()
            raise
        if call is None:
            self._registry.remove(call_id, self)
            await subscription.close()
            self.phase = Phase.ENDED
            await self.push_frame(EndWorkerFrame(reason="the outbound call had already ended"))
            return
        self._transfer, self._attempt = call, call.attempt
        self._watch_task = self.create_task(self._watch(subscription, call_id), name="transfer_watch")

    # --- the agent's audio leg ------------------------------------------------------------------

    def attach(self, leg: AgentLeg, *, consult: bool = False) -> AgentLeg | None:
        """Connect an agent's audio (or, `consult`, the consulted colleague's); returns the leg it replaces
        (the caller hangs that one up)."""
        if consult:
            previous, self._consult_leg = self._consult_leg, leg
        else:
            previous, self._leg = self._leg, leg
        return previous if previous is not leg else None

    def detach(self, leg: AgentLeg) -> None:
        if self._leg is leg:
            self._leg = None
        if self._consult_leg is leg:
            self._consult_leg = None

    async def from_agent(self, frame: AudioRawFrame, leg: AgentLeg | None = None) -> None:
        """An agent's microphone: played to the caller while connected; to the other agent on a consult."""
        if self.phase is Phase.CONNECTED and (leg is None or leg is self._leg):
            self.relayed_to_caller += 1
            await self.push_frame(OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels))
        elif self.phase is Phase.HELD and leg is not None and self._consult_leg is not None:
            other = self._consult_leg if leg is self._leg else self._leg if leg is self._consult_leg else None
            if other is not None:
                await other.to_agent(frame)

    # --- frames ---------------------------------------------------------------------------------

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame) and direction is FrameDirection.DOWNSTREAM:
            # The caller's audio ends here: to the agent while connected, to a voice message while one is
            # being left; nothing after the bridge reads it.
            if self.phase is Phase.CONNECTED and self._leg is not None:
                self.relayed_to_agent += 1
                await self._leg.to_agent(frame)
            elif self.phase is Phase.OFFERING:
                self.offer.handle(frame)
            return
        if isinstance(frame, (EndFrame, CancelFrame)):
            await self._pipeline_ending()
        elif direction is FrameDirection.DOWNSTREAM and self.phase in ACTIVE:
            if isinstance(frame, LLMContextFrame):
                silence_unanswered(frame.context)  # the caller is talking to a person, or waiting for one
                return
            if isinstance(frame, InterruptionFrame):
                return  # would cut the agent's voice (and send Twilio a `clear`)
        elif direction is FrameDirection.DOWNSTREAM and self.phase is Phase.OFFERING:
            if self.offer.handle(frame):
                return
            if not self.offer.active:
                self.phase = Phase.IDLE
        await self.push_frame(frame, direction)

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._pipeline_ending()

    # --- following the call ---------------------------------------------------------------------

    async def _watch(self, subscription: Any, call_id: str) -> None:
        loop = asyncio.get_running_loop()
        next_check = loop.time() + POLL_SECONDS
        next_beep = 0.0
        try:
            while self.phase in ACTIVE:
                now = loop.time()
                if self.phase is Phase.QUEUED and now >= self._deadline:
                    if await self._center.no_answer(call_id, self._attempt):
                        await self._no_answer()
                        return
                    await self._check(call_id)  # an agent got there first
                    continue
                if self.phase is Phase.HELD and now >= next_beep:
                    next_beep = now + HOLD_BEEP_EVERY
                    await self.push_frame(OutputAudioRawFrame(HOLD_BEEP, HOLD_RATE, 1))
                wait = min(POLL_SECONDS, self._deadline - now) if self.phase is Phase.QUEUED else POLL_SECONDS
                raw = await subscription.get(wait=max(0.02, wait))
                if raw is not None:
                    event = json.loads(raw)
                    if event.get("call_id") == call_id:
                        await self._on_event(event)
                elif loop.time() >= next_check:  # a missed message must not strand the caller
                    next_check = loop.time() + POLL_SECONDS
                    await self._check(call_id)
        except (RedisError, OSError) as exc:  # the store went away: never leave the caller on silent hold
            log.error("transfer %s: the store failed while following the call (%s); back to the assistant",
                      call_id, describe_error(exc))
            report_exception(exc)
            self.phase = Phase.IDLE
            await self._drop_leg()
            await self._say(LOST_TRACK)
            # Take the call out of the queue once the store answers again (tried in the background).
            self._call.runtime.background.spawn(self._center.caller_left(call_id), name="transfer_caller_left")
        finally:
            with contextlib.suppress(RedisError, OSError):
                await subscription.close()
            if self.phase not in ACTIVE:
                self._registry.remove(call_id, self)
                await self._drop_leg()

    async def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "answered" and event.get("attempt") == self._attempt and self.phase is Phase.QUEUED:
            self.phase = Phase.CONNECTED
        elif kind == "hold" and self.phase is Phase.CONNECTED:
            self.phase = Phase.HELD
        elif kind == "unhold" and self.phase is Phase.HELD:
            self.phase = Phase.CONNECTED
        elif kind == "requeued":
            await self._requeued(int(event.get("attempt") or self._attempt + 1))
        elif kind == "returned":
            await self._returned()
        elif kind == "consult-joined":  # the colleague's leg is the call's now; the first agent's goes
            old, self._leg, self._consult_leg = self._leg, self._consult_leg, None
            if old is not None:
                await old.hang_up()
        elif kind == "consult-ended":
            leg, self._consult_leg = self._consult_leg, None
            if leg is not None:
                await leg.hang_up()
        elif kind == "ended" and event.get("why") == "agent-hung-up":
            await self._agent_hung_up()

    async def _check(self, call_id: str) -> None:
        """Catch up with the call's record in the store."""
        call = await self._center.find(call_id)
        if call is None:
            return
        if call.attempt != self._attempt and call.status is CallStatus.QUEUED:
            await self._requeued(call.attempt)
        elif call.status is CallStatus.CONNECTED and self.phase in (Phase.QUEUED, Phase.HELD):
            self.phase = Phase.CONNECTED
        elif call.status is CallStatus.ON_HOLD and self.phase is Phase.CONNECTED:
            self.phase = Phase.HELD
        elif call.status is CallStatus.RETURNED:
            await self._returned()
        elif call.status is CallStatus.ENDED:
            await self._agent_hung_up()

    async def _requeued(self, attempt: int) -> None:
        if attempt == self._attempt and self.phase is Phase.QUEUED:
            return
        self._attempt = attempt
        self._deadline = asyncio.get_running_loop().time() + self._timeout
        self.phase = Phase.QUEUED
        await self._drop_leg()
        await self._say(TRANSFERRING)

    async def _no_answer(self) -> None:
        self.phase = Phase.OFFERING
        await self.offer.start(self._transfer)

    async def _returned(self) -> None:
        self.phase = Phase.IDLE
        await self._say(BACK)

    async def _agent_hung_up(self) -> None:
        self.phase = Phase.ENDED
        outbound = self._transfer is not None and self._transfer.direction == OUTBOUND
        await self._say(CALL_ENDED if outbound else AGENT_HUNG_UP)
        await self.push_frame(EndWorkerFrame(reason="the agent hung up"))

    async def _pipeline_ending(self) -> None:
        """The call is ending: a caller still waiting or talking to an agent has hung up."""
        if self._watch_task is not None:
            task, self._watch_task = self._watch_task, None
            await self.cancel_task(task)
        await self.offer.ending()  # a caller leaving a message has left it
        if self.call_id is not None and self.phase in ACTIVE:
            self.phase = Phase.ENDED
            self._registry.remove(self.call_id, self)
            self._call.runtime.background.spawn(self._center.caller_left(self.call_id), name="transfer_caller_left")
            await self._drop_leg()

    async def _drop_leg(self) -> None:
        legs, self._leg, self._consult_leg = (self._leg, self._consult_leg), None, None
        for leg in legs:
            if leg is not None:
                await leg.hang_up()

    async def _say(self, text: str) -> None:
        await self.push_frame(TTSSpeakFrame(text))
