"""Each call gets its own VAD and smart-turn analyzers, all running on the server's one loaded model each."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.vad.vad_analyzer import VADParams, VADState
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    LLMContextFrame,
    TranscriptionFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from bots.turn_models import EarlyTurnStopStrategy, SharedSileroVADAnalyzer, SharedSmartTurnAnalyzer
from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from speech.turn import SMART_TURN_THREADS
from tests.voice import TURN, VOICE

RATE = 8000


def chunks(pcm: np.ndarray, size: int = 320) -> list[bytes]:
    data = pcm.astype("<i2").tobytes()
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_calls_share_one_silero_session_but_not_state() -> None:
    first, second = (SharedSileroVADAnalyzer(TURN, params=VADParams(stop_secs=0.2)) for _ in range(2))
    for vad in (first, second):
        vad.set_sample_rate(RATE)
    assert first._model.session is second._model.session
    speech, _ = VOICE.synthesize("Create a todo to buy milk.", RATE, seed=0)
    states = [await first.analyze_audio(c) for c in chunks(speech)]
    assert VADState.SPEAKING in states  # the shared model hears speech
    quiet = [await second.analyze_audio(c) for c in chunks(np.zeros(RATE, np.int16))]
    assert set(quiet) == {VADState.QUIET}  # and the other call's silence stays its own


def _edges(states: list[VADState], to: VADState) -> list[int]:
    return [i for i in range(1, len(states)) if states[i] == to != states[i - 1]]


async def test_quiet_windows_skip_the_model_and_the_vad_decides_as_pipecat_does() -> None:
    """Below `min_volume` in the quiet state the model is not run; the caller's turns start and end
    where Pipecat's own analyzer says, with a noise floor between them as on a phone line."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer

    first, _ = VOICE.synthesize("Create a todo to buy milk.", RATE, seed=0)
    second, _ = VOICE.synthesize("What is on my calendar today?", RATE, seed=0)
    noise = (np.random.default_rng(0).standard_normal(RATE) * 20).astype(np.int16)  # ~-64 dBFS line noise
    pcm = np.concatenate([noise, first, noise, second, noise, np.zeros(RATE, np.int16)])
    ours, theirs = SharedSileroVADAnalyzer(TURN, params=VADParams(stop_secs=0.2)), SileroVADAnalyzer(
        params=VADParams(stop_secs=0.2))
    for vad in (ours, theirs):
        vad.set_sample_rate(RATE)
    mine = [await ours.analyze_audio(c) for c in chunks(pcm)]
    pipecats = [theirs._run_analyzer(c) for c in chunks(pcm)]
    starts, stops = _edges(mine, VADState.SPEAKING), _edges(mine, VADState.QUIET)
    assert len(starts) == len(_edges(pipecats, VADState.SPEAKING)) == 2
    assert all(0 <= a - b <= 2 for a, b in zip(starts, _edges(pipecats, VADState.SPEAKING), strict=True))
    assert stops == _edges(pipecats, VADState.QUIET)  # the end of a turn is not moved
    assert ours.model_windows_skipped > len(pcm) // 256 // 2  # most of the audio is quiet: no inference on it
    await theirs.cleanup()


async def test_short_words_after_silence_are_heard_as_pipecat_hears_them() -> None:
    """The model skipped through a silence is warmed on it before it scores a word: a short word right
    after digital silence gets the same VAD states as from Pipecat's analyzer (started cold, they were lost)."""
    from pipecat.audio.vad.silero import SileroVADAnalyzer

    for word in ("Yes.", "Two.", "Six.", "No."):
        spoken, _ = VOICE.synthesize(word, RATE, seed=0)
        pcm = np.concatenate([np.zeros(RATE, np.int16), spoken, np.zeros(RATE // 2, np.int16)])
        ours, theirs = SharedSileroVADAnalyzer(TURN, params=VADParams(stop_secs=0.2)), SileroVADAnalyzer(
            params=VADParams(stop_secs=0.2))
        for vad in (ours, theirs):
            vad.set_sample_rate(RATE)
        mine = [await ours.analyze_audio(c) for c in chunks(pcm)]
        assert mine == [theirs._run_analyzer(c) for c in chunks(pcm)], word
        assert VADState.SPEAKING in mine and ours.model_windows_skipped > 0, word
        await theirs.cleanup()


async def test_smart_turn_analyzers_share_one_session() -> None:
    first, second = SharedSmartTurnAnalyzer(TURN), SharedSmartTurnAnalyzer(TURN)
    assert first._session is second._session
    first.set_sample_rate(RATE)
    speech, _ = VOICE.synthesize("Create a todo to buy milk.", RATE, seed=0)
    for c in chunks(speech):
        first.append_audio(c, is_speech=True)
    for c in chunks(np.zeros(RATE // 4, np.int16)):
        first.append_audio(c, is_speech=False)
    state, _ = await first.analyze_end_of_turn()
    assert state in (EndOfTurnState.COMPLETE, EndOfTurnState.INCOMPLETE)
    await first.cleanup()


async def test_calls_run_smart_turn_on_the_process_threads_not_one_thread_each() -> None:
    """Every call's end-of-turn model runs on the process's few smart-turn threads (a thread per call
    kept ~8 MB of malloc arena per call that ever spoke), and a call's cleanup leaves them running."""
    before = {t.ident for t in threading.enumerate()}
    speech, _ = VOICE.synthesize("Create a todo to buy milk.", RATE, seed=0)
    calls = [SharedSmartTurnAnalyzer(TURN) for _ in range(SMART_TURN_THREADS + 3)]
    for analyzer in calls:
        analyzer.set_sample_rate(RATE)
        for c in chunks(speech):
            analyzer.append_audio(c, is_speech=True)
        for c in chunks(np.zeros(RATE // 4, np.int16)):
            analyzer.append_audio(c, is_speech=False)
    results = await asyncio.gather(*(a.analyze_end_of_turn() for a in calls))
    assert all(state in (EndOfTurnState.COMPLETE, EndOfTurnState.INCOMPLETE) for state, _ in results)
    new = [t for t in threading.enumerate() if t.ident not in before]
    assert len(new) <= SMART_TURN_THREADS
    assert all(t.name.startswith("smart-turn") for t in new)
    await calls[0].cleanup()  # one call ends; the next still gets an answer
    for c in chunks(speech):
        calls[1].append_audio(c, is_speech=True)
    state, _ = await calls[1].analyze_end_of_turn()
    assert state in (EndOfTurnState.COMPLETE, EndOfTurnState.INCOMPLETE)


async def test_the_end_of_turn_is_prepared_during_the_vad_stop_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """A few VAD windows into the final silence the strategy starts smart-turn and tells the STT
    (upstream); at the VAD stop the model's answer is ready and is used, not computed again."""
    runs: list[int] = []
    predict = SharedSmartTurnAnalyzer._predict_endpoint

    def counted(self: SharedSmartTurnAnalyzer, audio: np.ndarray) -> dict[str, Any]:
        runs.append(audio.size)
        return predict(self, audio)

    monkeypatch.setattr(SharedSmartTurnAnalyzer, "_predict_endpoint", counted)
    vad = SharedSileroVADAnalyzer(TURN, params=VADParams(stop_secs=0.2))
    user, _ = LLMContextAggregatorPair(LLMContext(messages=[]), user_params=LLMUserAggregatorParams(
        vad_analyzer=vad,
        user_turn_strategies=UserTurnStrategies(
            stop=[EarlyTurnStopStrategy(turn_analyzer=SharedSmartTurnAnalyzer(TURN), vad_analyzer=vad)]),
    ))
    speech, _ = VOICE.synthesize("What are my todos?", RATE, seed=0)
    pcm = np.concatenate([np.zeros(RATE // 2, np.int16), speech, np.zeros(RATE // 2, np.int16)])
    frames = [InputAudioRawFrame(c, RATE, 1) for c in chunks(pcm)]
    paced: list[Frame] = [x for f in frames for x in (f, SleepFrame(0.02))]
    transcript = TranscriptionFrame("what are my todos", "caller", "", finalized=True)
    down, up = await run_test(user, frames_to_send=[*paced, transcript, SleepFrame(0.5)],
                              pipeline_params=PipelineParams(audio_in_sample_rate=RATE))
    upstream = [type(f) for f in up if isinstance(f, (SpeechPauseFrame, SpeechResumedFrame,
                                                       VADUserStoppedSpeakingFrame))]
    assert upstream[-2:] == [SpeechPauseFrame, VADUserStoppedSpeakingFrame]
    assert upstream.count(SpeechPauseFrame) == upstream.count(SpeechResumedFrame) + 1
    assert len(runs) == upstream.count(SpeechPauseFrame)  # the VAD stop reused the last pause's run
    assert any(isinstance(f, LLMContextFrame) for f in down)
