"""The hibari TTS service in a Pipecat pipeline: phone-rate chunks, sentence by sentence, first clause, barge-in."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InterruptionFrame,
    InterruptionWorkerFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test

from processors.speech.tts_service import HibariTTSService, first_clause
from tests.voice import VOICE


def audio_of(frames: Sequence[Frame]) -> list[TTSAudioRawFrame]:
    return [f for f in frames if isinstance(f, TTSAudioRawFrame)]


async def test_hibari_speaks_at_the_phone_rate_in_small_chunks() -> None:
    down, up = await run_test(
        HibariTTSService(voice=VOICE),
        frames_to_send=[TTSSpeakFrame("Your todo buy milk is added for tomorrow.")],
        pipeline_params=PipelineParams(audio_out_sample_rate=8000, enable_metrics=True),
    )
    names = [type(f).__name__ for f in down if not isinstance(f, (TTSAudioRawFrame, MetricsFrame))]
    assert names.index("TTSStartedFrame") < names.index("TTSStoppedFrame")
    chunks = audio_of(down)
    assert len(chunks) > 20
    assert {c.sample_rate for c in chunks} == {8000} and {c.num_channels for c in chunks} == {1}
    assert max(len(c.audio) for c in chunks) == 640  # 40 ms at 8 kHz
    seconds = sum(len(c.audio) for c in chunks) / 2 / 8000
    assert 1.5 < seconds < 5.0  # eight words
    first = down.index(chunks[0])
    assert any(isinstance(f, TTSStartedFrame) for f in down[:first])
    assert any(isinstance(f, TTSStoppedFrame) for f in down[down.index(chunks[-1]):])
    ttfb = [d for f in down if isinstance(f, MetricsFrame) for d in f.data
            if isinstance(d, TTFBMetricsData) and d.value > 0]
    assert ttfb and ttfb[0].value < 2.0
    assert not [f for f in up if isinstance(f, ErrorFrame)]


@pytest.mark.parametrize(("text", "parts"), [
    ("You have five todos: buy milk, call mom, pay rent, and walk the dog.",
     ["You have five todos:", "buy milk, call mom, pay rent, and walk the dog."]),
    ("Okay, I added buy milk to your todos for tomorrow.", ["Okay, I added buy milk to your todos for tomorrow."]),
    ("Your calendar is clear.", ["Your calendar is clear."]),
    ("Here is what I found for you, in short.", ["Here is what I found for you, in short."]),
])
def test_a_long_sentence_is_voiced_from_its_first_clause(text: str, parts: list[str]) -> None:
    assert first_clause(text) == parts


async def test_hibari_speaks_llm_text_sentence_by_sentence() -> None:
    down, _ = await run_test(
        HibariTTSService(voice=VOICE),
        frames_to_send=[LLMFullResponseStartFrame(), LLMTextFrame("Sure. Which day "), LLMTextFrame("works for you?"),
                        LLMFullResponseEndFrame()],
        pipeline_params=PipelineParams(audio_out_sample_rate=16000),
    )
    spoken = [f.text for f in down if isinstance(f, TTSTextFrame)]
    assert [s.strip() for s in spoken] == ["Sure.", "Which day works for you?"]
    first, second = (down.index(f) for f in down if isinstance(f, TTSTextFrame))
    assert audio_of(down[:first]) and audio_of(down[first:second])  # each sentence's audio precedes its text
    assert {c.sample_rate for c in audio_of(down)} == {16000}


class _InterruptOnFirstAudio(FrameProcessor):
    """Asks the worker for an interruption as soon as the first audio comes out, like a caller barging in."""

    def __init__(self) -> None:
        super().__init__()
        self.fired = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame) and not self.fired:
            self.fired = True
            await self.push_frame(InterruptionWorkerFrame(), FrameDirection.UPSTREAM)
        await self.push_frame(frame, direction)


async def test_hibari_stops_when_interrupted() -> None:
    long = ("This is the first sentence of a long answer. Here is the second one, which goes on for a while. "
            "A third follows it, so there is plenty left to say. And the fourth sentence ends it.")
    full, _ = VOICE.synthesize(long, 8000, seed=0)
    tts = HibariTTSService(voice=VOICE)
    down, _ = await run_test(
        Pipeline([tts, _InterruptOnFirstAudio()]),
        frames_to_send=[TTSSpeakFrame(long), SleepFrame(1.0), TTSSpeakFrame("Okay.")],
        pipeline_params=PipelineParams(audio_out_sample_rate=8000),
    )
    cut = next(i for i, f in enumerate(down) if isinstance(f, InterruptionFrame))
    before, after = audio_of(down[:cut]), audio_of(down[cut:])
    assert before and sum(len(c.audio) for c in before) / 2 < full.size / 4
    assert after and {c.context_id for c in after}.isdisjoint({c.context_id for c in before})
    assert sum(len(c.audio) for c in after) / 2 / 8000 < 1.5  # only "Okay." after the barge-in
