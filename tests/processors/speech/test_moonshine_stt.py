"""The Moonshine STT service in small Pipecat pipelines, fed hibari speech as 20 ms frames with the
VAD frames around it: transcripts at both rates, the reading taken at the pause, a caller who goes
on, silence and torn frames, and one model shared by every call."""

from __future__ import annotations

import re

import numpy as np
import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    LLMContextFrame,
    MetricsFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from speech_pipeline import audio_frames, speech, texts, utterance
from test_stt_service import paused

from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from processors.speech.moonshine_stt import MoonshineSTTService
from speech.models import SpeechModels
from speech.moonshine import MoonshineRecognizer

COMMAND = "create a high priority task to call mom"
QUESTION = "what is on my calendar today"


def words(frames: list, cls: type = TranscriptionFrame) -> list[str]:
    return texts(frames, cls)


@pytest.mark.parametrize(("rate", "text"), [(8000, COMMAND), (16000, COMMAND), (16000, QUESTION)])
async def test_moonshine_transcribes_phone_and_browser_speech(rate: int, text: str, recognizer: MoonshineRecognizer) -> None:
    sent = utterance(text, rate)
    down, up = await run_test(
        MoonshineSTTService(recognizer=lambda: recognizer),
        frames_to_send=[*sent, SleepFrame(0.6)],
        pipeline_params=PipelineParams(audio_in_sample_rate=rate, enable_metrics=True),
    )
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert words(down) == [text] and finals[0].finalized
    assert not [f for f in down if isinstance(f, InterimTranscriptionFrame)]
    assert sum(isinstance(f, InputAudioRawFrame) for f in down) == sum(isinstance(f, InputAudioRawFrame) for f in sent)
    assert any(isinstance(d, TTFBMetricsData) and d.processor.startswith("MoonshineSTTService") and d.value > 0
               for f in down if isinstance(f, MetricsFrame) for d in f.data)
    assert not [f for f in up if isinstance(f, ErrorFrame)]


class _Counting(MoonshineRecognizer):
    """The real model, counting what it is asked to read."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        self.calls += 1
        return super().transcribe(pcm, sample_rate)


@pytest.fixture(scope="module")
def counting() -> _Counting:
    return _Counting()


async def test_moonshine_reads_at_the_pause_and_pushes_at_the_vad_stop(counting: _Counting) -> None:
    """The utterance is decoded during the VAD stop window; the VAD stop only releases the reading."""
    counting.calls = 0
    sent = paused(utterance(COMMAND, 8000))
    stop = len(sent) - 1
    down, _ = await run_test(
        MoonshineSTTService(recognizer=lambda: counting),
        frames_to_send=[*sent[:stop], SleepFrame(0.5), *sent[stop:], SleepFrame(0.3)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert words(down) == [COMMAND]
    assert counting.calls == 1  # read once, at the pause
    order = [type(f) for f in down if isinstance(f, (TranscriptionFrame, VADUserStoppedSpeakingFrame))]
    assert order == [VADUserStoppedSpeakingFrame, TranscriptionFrame]


async def test_moonshine_reads_it_all_when_the_caller_goes_on(counting: _Counting) -> None:
    """A pause in the middle of a sentence, then more speech: one final with all of it."""
    counting.calls = 0
    sent = utterance(COMMAND, 8000)
    middle = len(sent) - 40
    frames = [*sent[:middle], SpeechPauseFrame(), SleepFrame(0.3), *sent[middle: middle + 2],
              SpeechResumedFrame(), *sent[middle + 2:]]
    down, _ = await run_test(MoonshineSTTService(recognizer=lambda: counting),
                             frames_to_send=[*frames, SleepFrame(0.6)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert words(down) == [COMMAND]
    assert counting.calls == 2  # the reading at the pause was dropped


async def test_moonshine_two_utterances_at_48k(recognizer: MoonshineRecognizer) -> None:
    """A 48 kHz pipeline is read at 16 kHz; each utterance gets its own final, in order."""
    down, _ = await run_test(
        MoonshineSTTService(recognizer=lambda: recognizer),
        frames_to_send=[*utterance(COMMAND, 48000), *utterance(QUESTION, 48000, seed=1), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=48000),
    )
    assert words(down) == [COMMAND, QUESTION]


async def test_moonshine_says_nothing_for_silence_noise_or_a_torn_frame(recognizer: MoonshineRecognizer) -> None:
    """Audio outside speech is never read; a silent segment and a frame with an odd byte count give no
    transcript, no error, and the next utterance is still heard."""
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(8000 * 2) * 1500).astype(np.int16)
    silence = np.zeros(8000, np.int16)
    frames = [*audio_frames(noise, 8000), *audio_frames(silence, 8000),
              VADUserStartedSpeakingFrame(), *audio_frames(silence, 8000),
              InputAudioRawFrame(b"\x01\x02\x03", 8000, 1), InputAudioRawFrame(b"", 8000, 1),
              VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(0.5),
              *utterance(COMMAND, 8000), SleepFrame(0.6)]
    down, up = await run_test(MoonshineSTTService(recognizer=lambda: recognizer), frames_to_send=frames,
                              pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert words(down) == [COMMAND]
    assert not [f for f in up if isinstance(f, ErrorFrame)]


async def test_moonshine_behind_silero_in_the_user_aggregator(recognizer: MoonshineRecognizer) -> None:
    """The real order of events: audio at real-time pace, Silero's VAD frames coming back upstream
    from the user aggregator, and the aggregator turning the final transcript into the user turn."""
    context = LLMContext(messages=[])
    user, _ = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
        vad_analyzer=SileroVADAnalyzer(params=VADParams(stop_secs=0.2)),
        user_turn_strategies=UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.2)]),
    ))
    pcm = np.concatenate([np.zeros(4000, np.int16), speech(COMMAND, 8000), np.zeros(8000, np.int16)])
    paced = [x for f in audio_frames(pcm, 8000) for x in (f, SleepFrame(0.02))]
    down, _ = await run_test(Pipeline([MoonshineSTTService(recognizer=lambda: recognizer), user]), frames_to_send=[*paced, SleepFrame(1.0)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert any(isinstance(f, LLMContextFrame) for f in down)
    [message] = context.get_messages()
    assert re.sub(r"[^\w' ]", "", str(message["content"])) == COMMAND


async def test_two_services_share_one_model(speech_models: SpeechModels) -> None:
    """Two calls (phone and browser) load the model once between them: a call adds no model."""
    first = MoonshineSTTService(recognizer=speech_models.recognizer)
    second = MoonshineSTTService(recognizer=speech_models.recognizer)
    down8, _ = await run_test(first, frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(0.6)],
                              pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    down16, _ = await run_test(second, frames_to_send=[*utterance(COMMAND, 16000), SleepFrame(0.6)],
                               pipeline_params=PipelineParams(audio_in_sample_rate=16000))
    assert words(down8) == words(down16) == [COMMAND]
    assert first._recognizer is second._recognizer is speech_models.recognizer()
