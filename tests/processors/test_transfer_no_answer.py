"""The transfer bridge when nobody answers: the assistant comes back and, on "yes", takes a voice message and
puts the caller in the staff callback queue (not in their own todos), also with silence or a hang-up
instead of a message, and after an unanswered transfer on the PBX."""

from __future__ import annotations

import asyncio
import time
import wave

import pytest
from pipecat.frames.frames import InputAudioRawFrame, UserStartedSpeakingFrame

from bots.agent.agent import Agent
from core.config import Settings
from core.models import User
from core.runtime import Runtime
from domains.transfer import callbacks
from domains.transfer.calls import TransferCall
from domains.transfer.queue import CallCenter
from processors.callback_offer import CALLBACK_LEFT, LEAVE_MESSAGE, MESSAGE_TAKEN, NO_ONE_FREE
from processors.transfer_bridge import Phase
from processors.transfer_legs import LIVE_CALLS
from tests.processors.transfer_calls import (
    TIMEOUT,
    Call,
    eventually,
    has_todo,
    holds,
    phone_call,
    todos_of,
    tone,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"transfer_timeout": TIMEOUT})


async def test_nobody_answers_the_assistant_comes_back_and_leaves_a_callback(
    runtime: Runtime, agent: Agent, caller: User
) -> None:
    assert runtime.settings.transfer_timeout == TIMEOUT
    center = CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions)
    async with phone_call(runtime, agent, caller) as call:
        await call.say("transfer me to the billing department")
        await eventually(lambda: holds(call.transfer.phase is Phase.QUEUED))
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
        await eventually(lambda: has_todo(runtime, caller, "buy milk"))


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
        await eventually(lambda: has_todo(runtime, caller, "buy milk"))


async def test_hanging_up_while_leaving_a_message_leaves_it(runtime: Runtime, agent: Agent, caller: User) -> None:
    async with phone_call(runtime, agent, caller) as call:
        await no_answer(call)
        await call.worker.queue_frame(UserStartedSpeakingFrame())
        await call.worker.queue_frames([InputAudioRawFrame(audio=tone(0.02), sample_rate=8000, num_channels=1)
                                        for _ in range(25)])
        await eventually(lambda: holds(call.transfer.offer._recorder is not None
                                       and call.transfer.offer._recorder.seconds >= 0.5))
    # (phone_call ends the pipeline as a hang-up does, and waits for background work)
    [request] = await callbacks.listed(runtime.sessions, callbacks.CallbackStatus.OPEN)
    assert request.message_text is None and request.message_path is not None
    with wave.open(str(runtime.settings.data_dir / request.message_path)) as message:
        assert message.getnframes() == 25 * 160
