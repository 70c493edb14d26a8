"""The agent bridge with the real agent: reply framing, barge-in, filler, apology, goodbye, transfer."""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import (
    EndWorkerFrame,
    Frame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import SleepFrame, run_test
from sqlmodel import select

from bots.agent.agent import ERROR_APOLOGY, Agent, AgentSession
from core.config import Settings
from core.models import User
from core.runtime import Runtime
from core.tools import ToolContext, TransferRequest
from domains.productivity.models import Todo
from processors.agent_bridge import APOLOGY, FILLER, TRANSFER, AgentBridge
from processors.frames import AgentTurnFrame
from tests.fakes.llm_servers import FakeOpenAIServer, Mode
from tests.processors.run_until import Until, run_until

REPLY = [LLMFullResponseStartFrame, LLMTextFrame, LLMFullResponseEndFrame]


def said(frames: list[Frame] | Any) -> list[str]:
    return [f.text for f in frames if isinstance(f, LLMTextFrame)]


def user_context(*texts: str) -> LLMContext:
    return LLMContext(messages=[{"role": "user", "content": t} for t in texts])


def phone_session(agent: Agent, runtime: Runtime, user: User) -> AgentSession:
    return agent.session(ToolContext.for_user(runtime, user.id, channel="phone", call_sid="CA-test"))


def answered(bridge: AgentBridge, turns: int = 1) -> Until:
    """Until the bridge has answered `turns` turns and is done with the last (its task over: whatever the
    turn pushes, transfer and goodbye included, has been pushed)."""
    return Until(lambda down: sum(isinstance(f, AgentTurnFrame) for f in down) >= turns and not bridge.busy)


async def todo_titles(runtime: Runtime, user: User) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.exec(select(Todo).where(Todo.creator_id == user.id))
        return [t.title for t in rows.all()]


async def test_reply_is_framed_as_one_llm_response(runtime: Runtime, agent: Agent, caller: User) -> None:
    bridge = AgentBridge(phone_session(agent, runtime, caller))
    down = await run_until(
        bridge,
        steps=[LLMContextFrame(user_context("create a todo to buy milk")), answered(bridge)],
        expected_down_frames=[*REPLY, AgentTurnFrame],
    )
    assert "buy milk" in said(down)[0].lower()
    turn = down[-1]
    assert isinstance(turn, AgentTurnFrame)
    assert turn.text_in == "create a todo to buy milk"
    assert [c.name for c in turn.tool_calls] == ["create_todo"] and not turn.filler
    assert await todo_titles(runtime, caller) == ["buy milk"]


async def test_barge_in_cancels_the_turn_and_the_next_turn_hears_both(
    slow_runtime: Runtime, caller_on_slow: User
) -> None:
    async with Agent.open(slow_runtime) as agent:
        bridge = AgentBridge(phone_session(agent, slow_runtime, caller_on_slow), filler_after=None)
        first = user_context("create a todo to")
        second = user_context("create a todo to", "buy milk")
        down = await run_until(
            bridge,
            steps=[
                LLMContextFrame(first),
                SleepFrame(sleep=0.5),
                InterruptionFrame(),  # the caller speaks again mid-turn
                SleepFrame(sleep=0.3),
                LLMContextFrame(second),
                answered(bridge),
            ],
            expected_down_frames=[InterruptionFrame, *REPLY, AgentTurnFrame],
        )
    turn = down[-1]
    assert isinstance(turn, AgentTurnFrame)
    assert turn.text_in == "create a todo to buy milk"  # the cancelled words are asked again
    assert await todo_titles(slow_runtime, caller_on_slow) == ["buy milk"]


async def test_interruption_mid_answer_says_nothing(slow_runtime: Runtime, caller_on_slow: User) -> None:
    async with Agent.open(slow_runtime) as agent:
        bridge = AgentBridge(phone_session(agent, slow_runtime, caller_on_slow))
        await run_test(
            bridge,
            frames_to_send=[
                LLMContextFrame(user_context("create a todo to buy milk")),
                SleepFrame(sleep=0.5),
                InterruptionFrame(),
                SleepFrame(sleep=2.5),  # past when the filler and the answer would have come
            ],
            expected_down_frames=[InterruptionFrame],
        )
    assert not bridge.busy
    assert await todo_titles(slow_runtime, caller_on_slow) == []


async def test_slow_turn_gets_one_filler_then_the_answer(slow_runtime: Runtime, caller_on_slow: User) -> None:
    async with Agent.open(slow_runtime) as agent:
        bridge = AgentBridge(phone_session(agent, slow_runtime, caller_on_slow))
        down = await run_until(
            bridge,
            steps=[LLMContextFrame(user_context("create a todo to buy milk")), answered(bridge)],
            expected_down_frames=[*REPLY, *REPLY, AgentTurnFrame],
        )
    words = said(down)
    assert words[0] == FILLER and "buy milk" in words[1].lower()
    turn = down[-1]
    assert isinstance(turn, AgentTurnFrame) and turn.filler and turn.agent_ms > 1500


async def test_failed_turn_apologises_and_the_call_goes_on(runtime: Runtime, caller: User) -> None:
    async with Agent.open(runtime) as agent:
        session = phone_session(agent, runtime, caller)
    # The agent has closed its checkpointer: every turn now raises.
    bridge = AgentBridge(session)
    down = await run_until(
        bridge,
        steps=[
            LLMContextFrame(user_context("create a todo to buy milk")),
            answered(bridge),
            LLMContextFrame(user_context("create a todo to buy milk", "what are my todos")),
            answered(bridge, 2),
        ],
        expected_down_frames=[*REPLY, AgentTurnFrame, *REPLY, AgentTurnFrame],
    )
    assert said(down) == [APOLOGY, APOLOGY]
    turns = [f for f in down if isinstance(f, AgentTurnFrame)]
    assert all(t.failed for t in turns)
    assert turns[1].text_in == "what are my todos"


async def test_goodbye_speaks_then_ends_the_call(runtime: Runtime, agent: Agent, caller: User) -> None:
    bridge = AgentBridge(phone_session(agent, runtime, caller))
    down = await run_until(
        bridge,
        steps=[LLMContextFrame(user_context("goodbye")), answered(bridge)],
        expected_down_frames=[*REPLY, AgentTurnFrame, EndWorkerFrame],
    )
    assert "goodbye" in said(down)[0].lower()


async def test_transfer_announces_and_hands_over(runtime: Runtime, agent: Agent, caller: User) -> None:
    requests: list[TransferRequest] = []

    async def on_transfer(request: TransferRequest) -> None:
        requests.append(request)

    bridge = AgentBridge(phone_session(agent, runtime, caller), on_transfer=on_transfer)
    down = await run_until(
        bridge,
        steps=[LLMContextFrame(user_context("transfer me to a person")), answered(bridge)],
        expected_down_frames=[*REPLY, AgentTurnFrame],
    )
    assert said(down) == [TRANSFER]
    assert len(requests) == 1 and requests[0].department == "support"
    assert requests[0].call_sid == "CA-test"


async def streamed_turn(runtime: Runtime, settings: Settings, caller: User, mode: Mode,
                        then: list[Frame | Until] | None = None, event_delay: float = 0.02) -> list[Frame]:
    """One turn on the OpenAI client against the fake, whose answer comes in paced pieces; `then`: the steps
    after the caller's words (by default, until the turn is answered)."""
    async with FakeOpenAIServer(mode=mode, event_delay=event_delay) as fake:
        runtime.settings = settings.model_copy(
            update={"llm_providers": ["openai"], "openai_api_key": "sk-test", "openai_base_url": fake.base_url}
        )
        async with Agent.open(runtime) as agent:
            bridge = AgentBridge(phone_session(agent, runtime, caller), filler_after=None)
            return await run_until(bridge, steps=[LLMContextFrame(user_context("add buy milk to my list")),
                                                  *(then or [answered(bridge)])])


def responses(frames: list[Frame]) -> list[list[str]]:
    """The text of each LLM response (start ... end) in order."""
    out: list[list[str]] = []
    for f in frames:
        if isinstance(f, LLMFullResponseStartFrame):
            out.append([])
        elif isinstance(f, LLMTextFrame):
            out[-1].append(f.text)
    return out


async def test_a_cloud_models_reply_is_spoken_as_it_streams(runtime: Runtime, settings: Settings,
                                                              caller: User) -> None:
    down = await streamed_turn(runtime, settings, caller, "ok")
    [pieces] = responses(down)
    assert len(pieces) >= 4 and "".join(pieces) == "Done, I added buy milk to your list."
    assert sum(isinstance(f, LLMFullResponseEndFrame) for f in down) == 1
    [turn] = [f for f in down if isinstance(f, AgentTurnFrame)]
    assert turn.reply == "Done, I added buy milk to your list." and not turn.failed
    assert [c.name for c in turn.tool_calls] == ["create_todo"]
    assert await todo_titles(runtime, caller) == ["buy milk"]


async def test_a_reply_cut_off_mid_stream_ends_with_an_apology(runtime: Runtime, settings: Settings,
                                                                caller: User) -> None:
    """The model's connection drops half way through its reply: what was said stays said, no other
    model starts the reply over, the caller hears an apology, and the todo stays created."""
    down = await streamed_turn(runtime, settings, caller, "cut")
    first, apology = responses(down)
    assert first and "".join(first) != "Done, I added buy milk to your list."
    assert "".join(apology) == ERROR_APOLOGY
    assert await todo_titles(runtime, caller) == ["buy milk"]


async def test_a_barge_in_stops_a_streaming_reply(runtime: Runtime, settings: Settings, caller: User) -> None:
    """The caller speaks while the reply is still coming: nothing more of it is pushed, and no turn is
    recorded as answered."""
    # one event every 0.2 s: the tool call takes ~1 s, the words come from ~1.2 s to ~2.8 s
    down = await streamed_turn(runtime, settings, caller, "ok", event_delay=0.2,
                               then=[SleepFrame(sleep=2.0), InterruptionFrame(), SleepFrame(sleep=1.5)])
    cut = next(i for i, f in enumerate(down) if isinstance(f, InterruptionFrame))
    before = [f.text for f in down[:cut] if isinstance(f, LLMTextFrame)]
    assert before and "".join(before) != "Done, I added buy milk to your list."  # it had begun, not finished
    assert not [f for f in down[cut:] if isinstance(f, (LLMTextFrame, AgentTurnFrame))]
