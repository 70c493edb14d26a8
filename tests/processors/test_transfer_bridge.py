"""The transfer bridge in a running pipeline with the real agent and call session: the transfer tool
queues the call; nobody answers → the assistant comes back and, on "yes", takes a voice message and puts
the caller in the staff callback queue (not in their own todos), also with silence or a hang-up instead;
a caller hanging up while queued leaves the queue; an answered call is relayed and handed back."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from pipecat.frames.frames import (
    AudioRawFrame,
    Frame,
    InputAudioRawFrame,
    LLMContextFrame,
    LLMTextFrame,
    OutputAudioRawFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.workers.runner import WorkerRunner
from sqlmodel import select

from bots.agent.agent import Agent
from bots.session import CallInfo, CallSession
from core.config import Settings
from core.models import User
from core.runtime import Runtime
from domains.productivity.models import Todo
from domains.transfer import callbacks
from domains.transfer.agents import AgentBoard
from domains.transfer.calls import TransferCall
from domains.transfer.consult import Consults
from domains.transfer.queue import CallCenter
from processors.agent_bridge import AgentBridge
from processors.callback_offer import CALLBACK_LEFT, LEAVE_MESSAGE, MESSAGE_TAKEN, NO_ONE_FREE
from processors.pin_auth import Caller
from processors.transfer_bridge import (
    BACK,
    HOLD_BEEP,
    LIVE_CALLS,
    LOST_TRACK,
    Phase,
    TransferBridge,
)

TIMEOUT = 1.5


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"transfer_timeout": TIMEOUT})


class Sink(FrameProcessor):
    """The rest of the pipeline, as far as the bridge can tell: it keeps what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        self.frames.append(frame)
        await self.push_frame(frame, direction)

    def spoken(self) -> list[str]:
        return [f.text for f in self.frames if isinstance(f, (TTSSpeakFrame, LLMTextFrame))]


@dataclass
class Call:
    session: CallSession
    transfer: TransferBridge
    worker: PipelineWorker
    sink: Sink
    context: LLMContext = field(default_factory=lambda: LLMContext(messages=[]))

    async def say(self, text: str) -> None:
        """What the user aggregator does at the end of the caller's turn."""
        self.context.add_message({"role": "user", "content": text})
        await self.worker.queue_frame(LLMContextFrame(self.context))

    async def heard(self, text: str, within: float = 10.0) -> None:
        await eventually(lambda: _true(any(text.lower() in s.lower() for s in self.sink.spoken())), within)


async def _true(value: bool) -> bool:
    return value


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            assert value, "never happened"
            return value
        await asyncio.sleep(0.05)


@asynccontextmanager
async def phone_call(runtime: Runtime, agent: Agent, user: User) -> AsyncIterator[Call]:
    session = CallSession(runtime, agent, CallInfo("CA-transfer-test", "phone", "+15551234567"))
    await session.authenticate(Caller(user.id, "Ann"))
    transfer = TransferBridge(session)
    session.transfer_handler = transfer.request
    bridge = AgentBridge(session, filler_after=None, on_transfer=session.request_transfer)
    sink = Sink()
    worker = PipelineWorker(Pipeline([transfer, bridge, sink]), params=PipelineParams(), enable_rtvi=False,
                            idle_timeout_secs=None)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    task = asyncio.create_task(runner.run())
    try:
        yield Call(session, transfer, worker, sink)
    finally:
        if not task.done():
            await worker.cancel(reason="test over")
        await asyncio.wait_for(task, 10)
        await runtime.background.drain()


async def todos_of(runtime: Runtime, user: User) -> list[str]:
    async with runtime.sessions() as session:
        return [t.title for t in (await session.exec(select(Todo).where(Todo.creator_id == user.id))).all()]


async def test_nobody_answers_the_assistant_comes_back_and_leaves_a_callback(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    assert runtime.settings.transfer_timeout == TIMEOUT
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    async with phone_call(runtime, agent, caller) as call:
        await call.say("transfer me to the billing department")
        await eventually(lambda: _true(call.transfer.phase is Phase.QUEUED))
        call_id = call.transfer.call_id
        assert call_id is not None and LIVE_CALLS.get(call_id) is call.transfer
        queued = await center.get(call_id)
        assert queued.department == "billing" and queued.status.value == "queued"
        assert await runtime.store.range("callcenter:queue:billing") == [call_id]

        # While queued the caller's words do not reach the assistant.
        await call.say("hello is anyone there")
        await asyncio.sleep(0.3)
        assert not any("hello" in s.lower() for s in call.sink.spoken())

        started = time.monotonic()
        await call.heard(NO_ONE_FREE, within=TIMEOUT + 3)
        assert time.monotonic() - started >= TIMEOUT - 0.5
        assert call.transfer.phase is Phase.OFFERING
        assert (await center.get(call_id)).status.value == "no_answer"
        assert await runtime.store.range("callcenter:queue:billing") == []
        assert [h["outcome"] for h in await center.history()] == ["no-answer"]
        assert LIVE_CALLS.get(call_id) is None

        # (this harness has no transcript processor: the lines are added as bots/pipeline.py would)
        call.session.add_line("user", "transfer me to the billing department")
        call.session.add_line("user", "hello is anyone there")
        await call.say("yes please")
        await call.heard(LEAVE_MESSAGE)
        # The message: the caller's audio (as the transport would send it) and, at the turn's end, its words.
        await call.worker.queue_frame(UserStartedSpeakingFrame())
        await call.worker.queue_frames([InputAudioRawFrame(audio=tone(0.02), sample_rate=8000, num_channels=1)
                                        for _ in range(50)])
        await call.say("please call me about the double charge")
        await call.heard(MESSAGE_TAKEN)
        [request] = await eventually(lambda: callbacks.listed(runtime.sessions, callbacks.CallbackStatus.OPEN))
        assert (request.call_id, request.department, request.phone) == (call_id, "billing", "+15551234567")
        assert request.caller_user_id == caller.id
        assert request.transcript == [{"role": "user", "text": "transfer me to the billing department"},
                                      {"role": "user", "text": "hello is anyone there"}]
        assert request.message_text == "please call me about the double charge"
        assert request.message_path is not None
        with wave.open(str(runtime.settings.data_dir / request.message_path)) as message:
            assert (message.getframerate(), message.getnframes()) == (8000, 50 * 160)  # one second, all of it
        assert not any("double charge" in s for s in call.sink.spoken())  # the message is not for the assistant
        assert await todos_of(runtime, caller) == []  # not a todo in the caller's own list any more

        # The conversation carries on with the assistant, the earlier words forgotten.
        await call.say("create a todo to buy milk")
        await eventually(lambda: _has(runtime, caller, "buy milk"))


async def test_back_from_an_unanswered_pbx_transfer_the_caller_is_offered_a_call_back(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    """What the stream that brings a caller back from the PBX does (transports/twilio.py): the offer first."""
    earlier = TransferCall(
        call_sid="CA-transfer-test", department="billing", extension="2003", reason="a refund",
        caller={"user_id": str(caller.id), "name": "Ann", "phone": "+15551234567"},
        transcript=[{"role": "user", "text": "transfer me to billing", "at": "2026-12-06T10:00:00+00:00"}])
    async with phone_call(runtime, agent, caller) as call:
        await call.transfer.offer_callback(earlier)
        await call.heard(NO_ONE_FREE)
        assert call.transfer.phase is Phase.OFFERING
        call.session.add_line("assistant", NO_ONE_FREE)
        await call.say("yes")
        await call.heard(LEAVE_MESSAGE)
        await call.say("please call me back about my refund")
        await call.heard(MESSAGE_TAKEN)
        [request] = await eventually(lambda: callbacks.listed(runtime.sessions, callbacks.CallbackStatus.OPEN))
        assert (request.call_id, request.department, request.reason) == (earlier.id, "billing", "a refund")
        assert request.transcript == [{"role": "user", "text": "transfer me to billing"},  # before the PBX
                                      {"role": "assistant", "text": NO_ONE_FREE}]  # and after it
        assert request.message_text == "please call me back about my refund"


def tone(seconds: float, rate: int = 8000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 300 * t) * 8000).astype("<i2").tobytes()


async def no_answer(call: Call) -> None:
    await call.say("transfer me to support")
    await call.heard(NO_ONE_FREE, within=TIMEOUT + 3)
    await call.say("yes")
    await call.heard(LEAVE_MESSAGE)


async def test_silence_instead_of_a_message_still_asks_for_the_call_back(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    async with phone_call(runtime, agent, caller) as call:
        call.transfer.offer.message_wait = 0.5
        await no_answer(call)
        await call.heard(CALLBACK_LEFT)
        [request] = await callbacks.listed(runtime.sessions, callbacks.CallbackStatus.OPEN)
        assert (request.message_text, request.message_path) == (None, None)
        await call.say("create a todo to buy milk")  # back with the assistant
        await eventually(lambda: _has(runtime, caller, "buy milk"))


async def test_hanging_up_while_leaving_a_message_leaves_it(runtime: Runtime, agent: Agent, caller: User) -> None:
    async with phone_call(runtime, agent, caller) as call:
        await no_answer(call)
        await call.worker.queue_frame(UserStartedSpeakingFrame())
        await call.worker.queue_frames([InputAudioRawFrame(audio=tone(0.02), sample_rate=8000, num_channels=1)
                                        for _ in range(25)])
        await eventually(lambda: _true(call.transfer.offer._recorder is not None
                                       and call.transfer.offer._recorder.seconds >= 0.5))
    # (phone_call ends the pipeline as a hang-up does, and waits for background work)
    [request] = await callbacks.listed(runtime.sessions, callbacks.CallbackStatus.OPEN)
    assert request.message_text is None and request.message_path is not None
    with wave.open(str(runtime.settings.data_dir / request.message_path)) as message:
        assert message.getnframes() == 25 * 160


async def _has(runtime: Runtime, user: User, title: str) -> bool:
    return title in await todos_of(runtime, user)


async def test_caller_hanging_up_while_queued_leaves_the_queue(runtime: Runtime, agent: Agent, caller: User) -> None:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    events = await runtime.store.subscribe("callcenter:events")
    try:
        async with phone_call(runtime, agent, caller) as call:
            await call.say("transfer me to a person")
            await eventually(lambda: _true(call.transfer.phase is Phase.QUEUED))
            call_id = call.transfer.call_id
            assert call_id is not None
            await call.worker.cancel(reason="the caller hung up")
        found = await center.get(call_id)
        assert found.status.value == "abandoned"
        assert await runtime.store.range("callcenter:queue:support") == []
        assert [h["outcome"] for h in await center.history()] == ["caller-hung-up"]
        kinds = []
        while (message := await events.get(wait=0.5)) is not None:
            kinds.append(json.loads(message)["type"])
        assert "ringing" in kinds and "removed" in kinds
        await asyncio.sleep(TIMEOUT + 0.5)  # the ring's timer died with the call: no no-answer afterwards
        assert [h["outcome"] for h in await center.history()] == ["caller-hung-up"]
    finally:
        await events.close()


async def test_a_store_outage_while_queued_hands_the_caller_back_with_words(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    """Redis goes away while the caller waits for a person: they hear what happened and are back with
    the assistant, never left on silent hold."""
    from urllib.parse import urlsplit

    from core.store import create_store
    from tests.fakes.tcp_link import CuttableLink

    if runtime.settings.redis_url is None:
        pytest.skip("the in-process store cannot fail apart from the process")
    target = urlsplit(runtime.settings.redis_url)
    async with CuttableLink(target.hostname or "127.0.0.1", target.port or 6379) as link:
        store = create_store(f"redis://127.0.0.1:{link.port}{target.path}", timeout=1.0)
        linked = Runtime(runtime.settings, runtime.engine, runtime.sessions, store)
        try:
            async with phone_call(linked, agent, caller) as call:
                await call.say("transfer me to the billing department")
                await eventually(lambda: _true(call.transfer.phase is Phase.QUEUED))
                await link.cut()
                await call.heard(LOST_TRACK, within=5)
                assert call.transfer.phase is Phase.IDLE
        finally:
            await linked.background.drain()
            await store.close()


class RecordingLeg:
    """The bridge's side of an agent's audio leg (the SmallWebRTC one is in tests/e2e): keeps the caller's audio."""

    def __init__(self) -> None:
        self.heard: list[AudioRawFrame] = []
        self.hung_up = False

    async def to_agent(self, frame: AudioRawFrame) -> None:
        self.heard.append(frame)

    async def hang_up(self) -> None:
        self.hung_up = True


async def test_answered_call_is_relayed_and_handed_back(runtime: Runtime, agent: Agent, caller: User) -> None:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    board = AgentBoard(runtime.store, runtime.settings.transfer_departments)
    await board.login("agent-1", "Kim", "kim@example.com", ["support"])
    await board.ready("agent-1")
    async with phone_call(runtime, agent, caller) as call:
        await call.say("transfer me to a person")
        await eventually(lambda: _true(call.transfer.phase is Phase.QUEUED))
        call_id = call.transfer.call_id
        assert call_id is not None
        await center.answer(call_id, "agent-1")
        await eventually(lambda: _true(call.transfer.phase is Phase.CONNECTED))

        leg = RecordingLeg()
        call.transfer.attach(leg)
        caller_audio = InputAudioRawFrame(b"\x10\x00" * 160, 8000, 1)
        await call.worker.queue_frame(caller_audio)
        await eventually(lambda: _true(len(leg.heard) == 1))
        await call.transfer.from_agent(InputAudioRawFrame(b"\x20\x00" * 320, 16000, 1))
        await eventually(lambda: _true(any(isinstance(f, OutputAudioRawFrame) for f in call.sink.frames)))

        await asyncio.sleep(TIMEOUT + 0.5)  # answered: the no-answer timer must not fire
        assert NO_ONE_FREE not in call.sink.spoken()

        played = sum(isinstance(f, OutputAudioRawFrame) for f in call.sink.frames)
        await center.hold(call_id, "agent-1", True)
        await eventually(lambda: _true(call.transfer.phase is Phase.HELD))
        await call.worker.queue_frame(caller_audio)
        await call.transfer.from_agent(InputAudioRawFrame(b"\x20\x00" * 320, 16000, 1))
        await asyncio.sleep(0.3)
        assert len(leg.heard) == 1  # nothing relayed on hold, either way…
        held = [f for f in call.sink.frames if isinstance(f, OutputAudioRawFrame)][played:]
        assert len(held) == 1 and held[0].audio == HOLD_BEEP  # …but the caller hears the hold beep
        await center.hold(call_id, "agent-1", False)
        await eventually(lambda: _true(call.transfer.phase is Phase.CONNECTED))

        await center.transfer(call_id, "agent-1", to_assistant=True)
        await call.heard(BACK)
        assert call.transfer.phase is Phase.IDLE and leg.hung_up
        await call.say("create a todo to buy milk")
        await eventually(lambda: _has(runtime, caller, "buy milk"))
    assert [h["outcome"] for h in await center.history()] == ["answered"]


async def test_a_warm_transfer_relays_the_two_agents_then_hands_the_caller_over(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    board = AgentBoard(runtime.store, runtime.settings.transfer_departments)
    for who in ("agent-1", "agent-2"):
        await board.login(who, who, f"{who}@example.com", ["support"])
        await board.ready(who)
    async with phone_call(runtime, agent, caller) as call:
        await call.say("transfer me to a person")
        await eventually(lambda: _true(call.transfer.phase is Phase.QUEUED))
        call_id = call.transfer.call_id
        assert call_id is not None
        await center.answer(call_id, "agent-1")
        await eventually(lambda: _true(call.transfer.phase is Phase.CONNECTED))
        first, colleague = RecordingLeg(), RecordingLeg()
        call.transfer.attach(first)

        consults = Consults(center)
        await consults.start(call_id, "agent-1", to_agent="agent-2")
        await eventually(lambda: _true(call.transfer.phase is Phase.HELD))  # the caller on hold, with the beep
        await consults.accept(call_id, "agent-2")
        call.transfer.attach(colleague, consult=True)
        played = sum(isinstance(f, OutputAudioRawFrame) and f.audio != HOLD_BEEP for f in call.sink.frames)
        await call.transfer.from_agent(InputAudioRawFrame(b"\x11\x00" * 320, 16000, 1), first)
        await call.transfer.from_agent(InputAudioRawFrame(b"\x22\x00" * 320, 16000, 1), colleague)
        assert [f.audio[:2] for f in colleague.heard] == [b"\x11\x00"]  # the agents hear each other…
        assert [f.audio[:2] for f in first.heard] == [b"\x22\x00"]
        await call.worker.queue_frame(InputAudioRawFrame(b"\x10\x00" * 160, 8000, 1))
        await asyncio.sleep(0.2)
        assert len(first.heard) == 1 and len(colleague.heard) == 1  # …not the caller, who hears neither
        assert sum(isinstance(f, OutputAudioRawFrame) and f.audio != HOLD_BEEP for f in call.sink.frames) == played

        await consults.join(call_id, "agent-1")
        await eventually(lambda: _true(call.transfer.phase is Phase.CONNECTED and first.hung_up))
        await call.transfer.from_agent(InputAudioRawFrame(b"\x22\x00" * 320, 16000, 1), colleague)
        await eventually(lambda: _true(sum(isinstance(f, OutputAudioRawFrame) and f.audio != HOLD_BEEP
                                           for f in call.sink.frames) == played + 1))  # the caller hears them now
        await call.worker.queue_frame(InputAudioRawFrame(b"\x10\x00" * 160, 8000, 1))
        await eventually(lambda: _true(len(colleague.heard) == 2))
        assert not colleague.hung_up
        assert (await center.get(call_id)).agent_id == "agent-2"
