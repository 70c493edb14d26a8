"""The PocketSphinx STT service in small Pipecat pipelines, fed hibari speech as 20 ms frames with the
VAD frames around it: transcripts, readings chosen and reread, pauses, noise, crashed workers."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    LLMContextFrame,
    MetricsFrame,
    SystemFrame,
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
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from speech_pipeline import audio_frames, speech, sphinx, texts, utterance

from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from processors.speech.stt_service import choose_transcript
from speech import models
from speech.lm_builder import LanguageModel
from speech.sphinx_decoder import SpeechEvent
from speech.sphinx_pool import DecoderCrashed, DecoderPool, FinalResult

COMMAND = "create a high priority task to call mom"
QUESTION = "what is on my calendar today"




@pytest.mark.parametrize(("rate", "text"), [(8000, COMMAND), (16000, QUESTION)])
async def test_sphinx_transcribes_speech(rate: int, text: str, language_model: LanguageModel,
                                         decoder_pool: DecoderPool) -> None:
    sent = utterance(text, rate)
    down, up = await run_test(
        sphinx(language_model, decoder_pool),
        frames_to_send=[*sent, SleepFrame(0.6)],
        pipeline_params=PipelineParams(audio_in_sample_rate=rate, enable_metrics=True),
    )
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [f.text for f in finals] == [text]
    assert finals[0].finalized
    interims = texts(down, InterimTranscriptionFrame)
    assert interims and all(interims)  # partial hypotheses while speaking, never empty
    assert all(a != b for a, b in itertools.pairwise(interims))  # only when they change
    assert interims[-1].split()[:2] == text.split()[:2]
    # audio passes through for the VAD; the final closes the STT TTFB measurement
    assert sum(isinstance(f, InputAudioRawFrame) for f in down) == sum(isinstance(f, InputAudioRawFrame) for f in sent)
    assert any(isinstance(d, TTFBMetricsData) and d.processor.startswith("SphinxSTTService") and d.value > 0
               for f in down if isinstance(f, MetricsFrame) for d in f.data)
    assert not [f for f in up if isinstance(f, ErrorFrame)]


async def test_sphinx_pushes_the_transcript_chosen_from_its_readings(language_model: LanguageModel,
                                                                    decoder_pool: DecoderPool) -> None:
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str:
        seen.append(event)
        return event.alternatives[-1]

    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(0.6)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert [e.text for e in seen] == [COMMAND] and len(seen[0].alternatives) == models.NBEST
    assert COMMAND not in seen[0].alternatives
    assert texts(down, TranscriptionFrame) == [seen[0].alternatives[-1]]


@pytest.mark.parametrize("pause", [False, True])
async def test_sphinx_rereads_with_the_domain_model_when_no_reading_will_do(
        pause: bool, language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    """`choose` refuses every reading of the main search: the utterance is decoded again with the
    in-domain model alone and `choose` picks among those readings (during the pause when there is one)."""
    assert language_model.domain_lm_path is not None
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str | None:
        seen.append(event)
        return None if len(seen) == 1 else f"reread {event.text}"

    sent = utterance(COMMAND, 8000)
    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*(paused(sent) if pause else sent), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert [e.text for e in seen] == [COMMAND, COMMAND]  # the second from the domain model's search
    assert texts(down, TranscriptionFrame) == [f"reread {COMMAND}"]


async def test_a_failed_reread_keeps_the_best_reading() -> None:
    calls: list[str] = []

    async def reread() -> FinalResult:
        calls.append("reread")
        raise DecoderCrashed("the worker exited")

    event = SpeechEvent("final", "by oat mill", alternatives=("buy oat milk",))
    assert await choose_transcript(event, models.grammar_choice, reread) == "by oat mill"
    assert calls == ["reread"]  # nothing understood, so it was asked; its failure costs only the reread
    understood = SpeechEvent("final", "when are my todos", alternatives=("what are my todos",))
    assert await choose_transcript(understood, models.grammar_choice, reread) == "what are my todos"
    assert calls == ["reread"]  # a reading was understood: no reread


async def test_sphinx_keeps_the_best_reading_when_the_reread_will_not_do_either(
        language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str | None:
        seen.append(event)
        return None

    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert len(seen) == 2 and texts(down, TranscriptionFrame) == [COMMAND]


def paused(frames: list[Frame], at: int = -13) -> list[Frame]:
    """`frames` (an `utterance`) with a `SpeechPauseFrame` `at` frames before the end (-13: 40 ms into the
    trailing silence, where the stop strategy sends it)."""
    return [*frames[:at], SpeechPauseFrame(), *frames[at:]]


async def test_sphinx_finishes_at_a_pause_and_pushes_at_the_vad_stop(language_model: LanguageModel,
                                                                     decoder_pool: DecoderPool) -> None:
    """The final is decoded and chosen during the VAD stop window; the VAD stop only releases it."""
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str:
        seen.append(event)
        return event.text

    sent = paused(utterance(COMMAND, 8000))
    stop = len(sent) - 1
    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*sent[:stop], SleepFrame(0.8), *sent[stop:], SleepFrame(0.3)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert texts(down, TranscriptionFrame) == [COMMAND]
    assert len(seen) == 1  # chosen once, during the pause
    order = [type(f) for f in down if isinstance(f, (TranscriptionFrame, VADUserStoppedSpeakingFrame))]
    assert order == [VADUserStoppedSpeakingFrame, TranscriptionFrame]  # held until the VAD stop


async def test_sphinx_resumes_when_the_caller_goes_on(language_model: LanguageModel,
                                                      decoder_pool: DecoderPool) -> None:
    """A pause in the middle of a sentence, then more speech: one final with all of it."""
    sent = utterance(COMMAND, 8000)
    middle = len(sent) - 40
    frames = [*sent[:middle], SpeechPauseFrame(), SleepFrame(0.3), *sent[middle: middle + 2],
              SpeechResumedFrame(), *sent[middle + 2:]]
    # (1.5 s for the final: the resumed decode runs in the pool, which a loaded machine delays)
    down, _ = await run_test(sphinx(language_model, decoder_pool), frames_to_send=[*frames, SleepFrame(1.5)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert texts(down, TranscriptionFrame) == [COMMAND]


async def test_sphinx_two_utterances_and_other_rates(language_model: LanguageModel,
                                                     decoder_pool: DecoderPool) -> None:
    """A 48 kHz pipeline is decoded at 16 kHz; each utterance gets its own final."""
    down, _ = await run_test(
        sphinx(language_model, decoder_pool),
        frames_to_send=[*utterance(COMMAND, 48000), *utterance(QUESTION, 48000, seed=1), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=48000),
    )
    assert texts(down, TranscriptionFrame) == [COMMAND, QUESTION]


async def test_sphinx_behind_silero_in_the_user_aggregator(language_model: LanguageModel,
                                                          decoder_pool: DecoderPool) -> None:
    """The real order of events: audio at real-time pace, Silero's VAD frames coming back upstream
    from the user aggregator, and the aggregator turning the final transcript into the user turn."""
    context = LLMContext(messages=[])
    user, _ = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
        vad_analyzer=SileroVADAnalyzer(params=VADParams(stop_secs=0.2)),
        user_turn_strategies=UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.2)]),
    ))
    pcm = np.concatenate([np.zeros(4000, np.int16), speech(COMMAND, 8000), np.zeros(8000, np.int16)])
    paced = [x for f in audio_frames(pcm, 8000) for x in (f, SleepFrame(0.02))]
    down, _ = await run_test(Pipeline([sphinx(language_model, decoder_pool), user]),
                             frames_to_send=[*paced, SleepFrame(1.0)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert any(isinstance(f, LLMContextFrame) for f in down)
    assert context.get_messages() == [{"role": "user", "content": COMMAND}]


async def test_sphinx_says_nothing_for_noise_outside_speech_or_for_silence(
        language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    """Only what the VAD calls speech is decoded (plus the 0.8 s before it), and silence yields no
    words. Noise inside a VAD segment is decoded like speech: the VAD is the gate."""
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(8000 * 2) * 1500).astype(np.int16)
    silence = np.zeros(8000, np.int16)
    frames = [*audio_frames(noise, 8000), *audio_frames(silence, 8000),
              VADUserStartedSpeakingFrame(), *audio_frames(silence, 8000), VADUserStoppedSpeakingFrame(stop_secs=0.2),
              SleepFrame(0.5)]
    down, _ = await run_test(sphinx(language_model, decoder_pool), frames_to_send=frames,
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert not [f for f in down if isinstance(f, (InterimTranscriptionFrame, TranscriptionFrame))]


class _KillWorkers(SystemFrame):
    pass


class _WorkerKiller(FrameProcessor):
    """Kills the decoder workers when `_KillWorkers` passes, as a crash in pocketsphinx would."""

    def __init__(self, pool: DecoderPool) -> None:
        super().__init__()
        self._pool = pool

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, _KillWorkers):
            for pid in self._pool.pids:
                os.kill(pid, signal.SIGKILL)
        else:
            await self.push_frame(frame, direction)


async def test_sphinx_survives_a_crashed_decoder(language_model: LanguageModel) -> None:
    pool = DecoderPool(processes=1)
    try:
        stt = sphinx(language_model, pool)
        down, up = await run_test(
            Pipeline([_WorkerKiller(pool), stt]),
            frames_to_send=[_KillWorkers(), *utterance(COMMAND, 8000), SleepFrame(2.5),
                            *utterance(QUESTION, 8000, seed=1), SleepFrame(0.8)],
            pipeline_params=PipelineParams(audio_in_sample_rate=8000),
            start_timeout=10.0,
        )
    finally:
        pool.shutdown()
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and "recogniser failed" in errors[0].error and not errors[0].fatal
    assert texts(down, TranscriptionFrame) == [QUESTION]  # a new worker took over for the next utterance


async def test_pool_reports_a_dead_worker(language_model: LanguageModel) -> None:
    pool = DecoderPool(processes=1)
    try:
        stream = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        os.kill(stream.worker_pid, signal.SIGKILL)
        with pytest.raises(DecoderCrashed):
            await stream.feed(np.zeros(1600, np.int16).tobytes())
        stream.close()
        again = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        assert again.worker_pid != stream.worker_pid
        assert (await again.finish()).event.text == ""
    finally:
        pool.shutdown()


async def test_decoder_workers_do_not_inherit_the_servers_secrets(language_model: LanguageModel,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-token-for-this-test")
    monkeypatch.setenv("JWT_SECRET", "jwt-secret-for-this-test")
    pool = DecoderPool(processes=1)
    try:
        stream = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        environ = (await asyncio.to_thread(Path(f"/proc/{stream.worker_pid}/environ").read_bytes)).split(b"\0")
        names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
        assert "PATH" in names and "PYTHONPATH" in names
        assert not names & {"TWILIO_AUTH_TOKEN", "JWT_SECRET"}, names
        assert (await stream.finish()).event.text == ""  # and the worker decodes all the same
        stream.close()
    finally:
        pool.shutdown()
