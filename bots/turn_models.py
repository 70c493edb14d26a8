"""Voice activity and end-of-turn models, loaded once per process and shared by every call.

Pipecat's `SileroVADAnalyzer` and `LocalSmartTurnAnalyzerV3` each open their own ONNX session
when constructed. A session is safe to run from several threads, but each analyzer also holds
one audio stream's state, so every call still needs its own analyzer: these subclasses keep
the per-call state and borrow the process's one session. (They reach into pipecat 1.14's
attributes, which the pin in pyproject.toml holds still.)
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import onnxruntime as ort
from pipecat.audio.turn.smart_turn.base_smart_turn import BaseSmartTurn, SmartTurnParams
from pipecat.audio.turn.smart_turn.local_smart_turn_v3 import LocalSmartTurnAnalyzerV3
from pipecat.audio.vad.silero import SileroOnnxModel, SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams


@functools.cache
def _silero_session() -> ort.InferenceSession:
    path = resources.files("pipecat.audio.vad.data").joinpath("silero_vad.onnx")
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"], sess_options=opts)


@functools.cache
def _smart_turn_session() -> ort.InferenceSession:
    path = resources.files("pipecat.audio.turn.smart_turn.data").joinpath("smart-turn-v3.2-cpu.onnx")
    opts = ort.SessionOptions()
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), sess_options=opts)


class _SharedSileroModel(SileroOnnxModel):
    """Silero's per-stream state (`reset_states`) around the shared session."""

    def __init__(self) -> None:  # deliberately not calling super(): it would load the model again
        self.session = _silero_session()
        self.sample_rates = [8000, 16000]
        self.reset_states()


class SharedSileroVADAnalyzer(SileroVADAnalyzer):
    """A Silero VAD analyzer for one call, on the process's one Silero session."""

    def __init__(self, *, sample_rate: int | None = None, params: VADParams | None = None) -> None:
        VADAnalyzer.__init__(self, sample_rate=sample_rate, params=params)
        self._model = _SharedSileroModel()
        self._windows_since_reset = 0
        self._low_confidence_windows = 0


class SharedSmartTurnAnalyzer(LocalSmartTurnAnalyzerV3):
    """A smart-turn v3 analyzer for one call, on the process's one smart-turn session."""

    def __init__(self, *, params: SmartTurnParams | None = None, **kwargs: Any) -> None:
        BaseSmartTurn.__init__(self, params=params, **kwargs)
        self._log_data = False
        self._session = _smart_turn_session()


def warm_up() -> None:
    """Load both models now (at server start) rather than on the first call."""
    _silero_session()
    _smart_turn_session()
