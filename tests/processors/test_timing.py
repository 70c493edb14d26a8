"""One timing record per turn, with every stage, from the real aggregators, agent and TTS."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pipecat.frames.frames import (
    Frame,
    OutputAudioRawFrame,
    StartFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import TransportParams
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from bots.agent.agent import Agent
from core.models import User
from core.monitor import TurnRecord
from core.runtime import Runtime
from core.tools import ToolContext
from processors.agent_bridge import AgentBridge
from processors.speech.tts_service import HibariTTSService
from processors.timing import TurnTimingObserver
from tests.voice import VOICE

# The observer keeps no state in the database or the store; what the turns do there (the agent's checkpoints,
# its todo tools) runs on both backends in tests/processors/test_agent_bridge.py and the domains' tests.
pytestmark = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)

STAGES = ("stt_ms", "turn_end_ms", "agent_ms", "llm_first_token_ms", "tts_first_audio_ms", "eos_to_first_audio_ms")


class Speaker(BaseOutputTransport):
    """An output that plays audio into the air at real-time pace (a transport's output, minus the wire)."""

    def __init__(self) -> None:
        super().__init__(TransportParams(audio_out_enabled=True))

    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        await asyncio.sleep(len(frame.audio) / 2 / frame.sample_rate)
        return True


def user_turn(text: str) -> list[Frame]:
    return [
        VADUserStartedSpeakingFrame(),
        SleepFrame(sleep=0.3),
        VADUserStoppedSpeakingFrame(stop_secs=0.2),
        SleepFrame(sleep=0.1),  # the recogniser's final pass
        TranscriptionFrame(text, "caller", "2026-01-01T00:00:00Z", finalized=True),
    ]


async def test_one_record_per_turn_with_every_stage(runtime: Runtime, agent: Agent, caller: User) -> None:
    records: list[dict[str, Any]] = []

    async def emit(record: TurnRecord) -> None:
        records.append(record.model_dump(mode="json"))  # as the monitor and the call record keep it

    session = agent.session(ToolContext.for_user(runtime, caller.id, channel="phone", call_sid="CA-timing"))
    user_agg, assistant_agg = LLMContextAggregatorPair(
        LLMContext(messages=[]),
        user_params=LLMUserAggregatorParams(
            user_turn_strategies=UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.2)]),
            empty_user_turn=None,
        ),
    )
    timing = TurnTimingObserver(emit, call_info=lambda: {"call_sid": "CA-timing", "channel": "phone"})
    pipeline = Pipeline([user_agg, AgentBridge(session), HibariTTSService(voice=VOICE, sample_rate=8000), Speaker(), assistant_agg])
    await run_test(
        pipeline,
        frames_to_send=[*user_turn("create a todo to buy milk"), SleepFrame(sleep=4.0),
                        *user_turn("what are my todos"), SleepFrame(sleep=4.0)],
        observers=[timing],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000, audio_out_sample_rate=8000),
    )
    await timing.flush()

    assert [r["turn"] for r in records] == [1, 2]
    first, second = records
    for record in records:
        for stage in STAGES:
            assert isinstance(record[stage], float) and record[stage] >= 0, (stage, record)
        assert record["completed"] and record["call_sid"] == "CA-timing" and record["channel"] == "phone"
        assert record["eos_to_first_audio_ms"] >= record["stt_ms"] + record["tts_first_audio_ms"]
    assert first["text_in"] == "create a todo to buy milk" and "milk" in first["text_out"].lower()
    assert [(c["name"], c["ok"]) for c in first["tool_calls"]] == [("create_todo", True)]
    made = first["tool_calls"][0]  # what the Agent Monitor's tool table shows for a call's tool
    assert made["arguments"]["title"] == "buy milk" and "buy milk" in str(made["result"]), made
    assert made["error"] is None and made["result_truncated"] is False
    assert first["stt_ms"] >= 250  # VAD's 0.2 s of silence plus the recogniser's 0.1 s
    assert second["tool_calls"][0]["name"] == "get_todos"
