"""The transfer bridge in a running pipeline with the real agent and call session: a caller hanging up
while queued leaves the queue; a store outage hands the caller back with words; an answered call is relayed
and handed back; a warm transfer relays the two agents, then hands the caller over. (Nobody answering:
test_transfer_no_answer.py.)"""

from __future__ import annotations

import asyncio
import json

import pytest
from pipecat.frames.frames import InputAudioRawFrame, OutputAudioRawFrame

from bots.agent.agent import Agent
from core.config import Settings
from core.models import User
from core.runtime import Runtime
from domains.transfer.agents import AgentBoard
from domains.transfer.consult import Consults
from domains.transfer.queue import CallCenter
from processors.callback_offer import NO_ONE_FREE
from processors.transfer_bridge import BACK, HOLD_BEEP, LOST_TRACK, Phase
from tests.processors.transfer_calls import TIMEOUT, RecordingLeg, eventually, has_todo, holds, phone_call


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"transfer_timeout": TIMEOUT})


async def test_caller_hanging_up_while_queued_leaves_the_queue(runtime: Runtime, agent: Agent, caller: User) -> None:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    events = await runtime.store.subscribe("callcenter:events")
    try:
        async with phone_call(runtime, agent, caller) as call:
            await call.say("transfer me to a person")
            await eventually(lambda: holds(call.transfer.phase is Phase.QUEUED))
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
                await eventually(lambda: holds(call.transfer.phase is Phase.QUEUED))
                await link.cut()
                await call.heard(LOST_TRACK, within=5)
                assert call.transfer.phase is Phase.IDLE
        finally:
            await linked.background.drain()
            await store.close()


async def test_answered_call_is_relayed_and_handed_back(runtime: Runtime, agent: Agent, caller: User) -> None:
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    board = AgentBoard(runtime.store, runtime.settings.transfer_departments)
    await board.login("agent-1", "Kim", "kim@example.com", ["support"])
    await board.ready("agent-1")
    async with phone_call(runtime, agent, caller) as call:
        await call.say("transfer me to a person")
        await eventually(lambda: holds(call.transfer.phase is Phase.QUEUED))
        call_id = call.transfer.call_id
        assert call_id is not None
        await center.answer(call_id, "agent-1")
        await eventually(lambda: holds(call.transfer.phase is Phase.CONNECTED))

        leg = RecordingLeg()
        call.transfer.attach(leg)
        caller_audio = InputAudioRawFrame(b"\x10\x00" * 160, 8000, 1)
        await call.worker.queue_frame(caller_audio)
        await eventually(lambda: holds(len(leg.heard) == 1))
        await call.transfer.from_agent(InputAudioRawFrame(b"\x20\x00" * 320, 16000, 1))
        await eventually(lambda: holds(any(isinstance(f, OutputAudioRawFrame) for f in call.sink.frames)))

        await asyncio.sleep(TIMEOUT + 0.5)  # answered: the no-answer timer must not fire
        assert NO_ONE_FREE not in call.sink.spoken()

        played = sum(isinstance(f, OutputAudioRawFrame) for f in call.sink.frames)
        await center.hold(call_id, "agent-1", True)
        await eventually(lambda: holds(call.transfer.phase is Phase.HELD))
        await call.worker.queue_frame(caller_audio)
        await call.transfer.from_agent(InputAudioRawFrame(b"\x20\x00" * 320, 16000, 1))
        await asyncio.sleep(0.3)
        assert len(leg.heard) == 1  # nothing relayed on hold, either way…
        held = [f for f in call.sink.frames if isinstance(f, OutputAudioRawFrame)][played:]
        assert len(held) == 1 and held[0].audio == HOLD_BEEP  # …but the caller hears the hold beep
        await center.hold(call_id, "agent-1", False)
        await eventually(lambda: holds(call.transfer.phase is Phase.CONNECTED))

        await center.transfer(call_id, "agent-1", to_assistant=True)
        await call.heard(BACK)
        assert call.transfer.phase is Phase.IDLE and leg.hung_up
        await call.say("create a todo to buy milk")
        await eventually(lambda: has_todo(runtime, caller, "buy milk"))
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
        await eventually(lambda: holds(call.transfer.phase is Phase.QUEUED))
        call_id = call.transfer.call_id
        assert call_id is not None
        await center.answer(call_id, "agent-1")
        await eventually(lambda: holds(call.transfer.phase is Phase.CONNECTED))
        first, colleague = RecordingLeg(), RecordingLeg()
        call.transfer.attach(first)

        consults = Consults(center)
        await consults.start(call_id, "agent-1", to_agent="agent-2")
        await eventually(lambda: holds(call.transfer.phase is Phase.HELD))  # the caller on hold, with the beep
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
        await eventually(lambda: holds(call.transfer.phase is Phase.CONNECTED and first.hung_up))
        await call.transfer.from_agent(InputAudioRawFrame(b"\x22\x00" * 320, 16000, 1), colleague)
        await eventually(lambda: holds(sum(isinstance(f, OutputAudioRawFrame) and f.audio != HOLD_BEEP
                                           for f in call.sink.frames) == played + 1))  # the caller hears them now
        await call.worker.queue_frame(InputAudioRawFrame(b"\x10\x00" * 160, 8000, 1))
        await eventually(lambda: holds(len(colleague.heard) == 2))
        assert not colleague.hung_up
        assert (await center.get(call_id)).agent_id == "agent-2"
