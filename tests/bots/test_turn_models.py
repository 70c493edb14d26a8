"""Each call gets its own VAD and smart-turn analyzers, all running on one loaded model each."""

from __future__ import annotations

import numpy as np
from pipecat.audio.turn.base_turn_analyzer import EndOfTurnState
from pipecat.audio.vad.vad_analyzer import VADParams, VADState

from bots.turn_models import SharedSileroVADAnalyzer, SharedSmartTurnAnalyzer
from processors.speech import hibari

RATE = 8000


def chunks(pcm: np.ndarray, size: int = 320) -> list[bytes]:
    data = pcm.astype("<i2").tobytes()
    return [data[i : i + size] for i in range(0, len(data), size)]


async def test_calls_share_one_silero_session_but_not_state() -> None:
    first, second = (SharedSileroVADAnalyzer(params=VADParams(stop_secs=0.2)) for _ in range(2))
    for vad in (first, second):
        vad.set_sample_rate(RATE)
    assert first._model.session is second._model.session
    speech, _ = hibari.synthesize("Create a todo to buy milk.", RATE, seed=0)
    states = [await first.analyze_audio(c) for c in chunks(speech)]
    assert VADState.SPEAKING in states  # the shared model hears speech
    quiet = [await second.analyze_audio(c) for c in chunks(np.zeros(RATE, np.int16))]
    assert set(quiet) == {VADState.QUIET}  # and the other call's silence stays its own


async def test_smart_turn_analyzers_share_one_session() -> None:
    first, second = SharedSmartTurnAnalyzer(), SharedSmartTurnAnalyzer()
    assert first._session is second._session
    first.set_sample_rate(RATE)
    speech, _ = hibari.synthesize("Create a todo to buy milk.", RATE, seed=0)
    for c in chunks(speech):
        first.append_audio(c, is_speech=True)
    for c in chunks(np.zeros(RATE // 4, np.int16)):
        first.append_audio(c, is_speech=False)
    state, _ = await first.analyze_end_of_turn()
    assert state in (EndOfTurnState.COMPLETE, EndOfTurnState.INCOMPLETE)
    await first.cleanup()
