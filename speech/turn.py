"""The voice activity (Silero) and end-of-turn (smart-turn v3) models every call's turn analyzers run on.

Pipecat's analyzers each open their own ONNX session; `bots.turn_models` gives every call its own
analyzer state on these shared sessions instead (a session is safe to run from several threads). The
model files are the ones in the pipecat-ai wheel, found without importing Pipecat.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import onnxruntime as ort

SILERO_FILE = ("audio", "vad", "data", "silero_vad.onnx")
SMART_TURN_FILE = ("audio", "turn", "smart_turn", "data", "smart-turn-v3.2-cpu.onnx")

SMART_TURN_THREADS = max(1, min(4, os.cpu_count() or 1))
"""Threads every call's smart-turn inference runs on. Pipecat gives each analyzer a thread of its own;
each new thread that runs the model gets its own glibc malloc arena, which keeps the ~8 MB the
inference touched (features of 8 s of audio, ONNX scratch) after it is freed: 8 MB of RSS per call
that ever spoke, still there after it hung up (tests/benchmarks/test_bench_call_cost.py). The session
runs one ONNX thread per inference, so more threads than cores would only contend."""


def pipecat_file(parts: tuple[str, ...]) -> Path:
    """A data file inside the installed pipecat package (located, not imported)."""
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pipecat-ai is not installed: the VAD and turn models come with it")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def _silero_session() -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(str(pipecat_file(SILERO_FILE)), providers=["CPUExecutionProvider"],
                                sess_options=opts)


def _smart_turn_session() -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(pipecat_file(SMART_TURN_FILE)), sess_options=opts)


class TurnModels:
    """One Silero session and one smart-turn session (each loaded on first use or by `load`; one ONNX
    thread each, so they survive a fork), and the `SMART_TURN_THREADS` threads smart-turn runs on
    (started on first use, after any fork; stopped by `close`, the next use starts new ones)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._silero: ort.InferenceSession | None = None
        self._smart_turn: ort.InferenceSession | None = None
        self._threads: ThreadPoolExecutor | None = None

    def silero(self) -> ort.InferenceSession:
        """The voice activity model's session."""
        with self._lock:
            if self._silero is None:
                self._silero = _silero_session()
            return self._silero

    def smart_turn(self) -> ort.InferenceSession:
        """The end-of-turn model's session."""
        with self._lock:
            if self._smart_turn is None:
                self._smart_turn = _smart_turn_session()
            return self._smart_turn

    def smart_turn_threads(self) -> ThreadPoolExecutor:
        """The threads every call's end-of-turn inference runs on."""
        with self._lock:
            if self._threads is None:
                self._threads = ThreadPoolExecutor(max_workers=SMART_TURN_THREADS, thread_name_prefix="smart-turn")
            return self._threads

    def load(self) -> None:
        """Load both models now (at server start, or before a fork) rather than on the first call."""
        self.silero()
        self.smart_turn()

    def close(self) -> None:
        """Stop the smart-turn threads (the sessions stay loaded)."""
        with self._lock:
            threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True, cancel_futures=True)
