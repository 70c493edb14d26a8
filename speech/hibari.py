"""Thin wrapper around hibari-tts (offline, ~8 MB ONNX voice shipped in the wheel).

A `HibariVoice` loads the model once, on first use, behind a lock, and every call that speaks with it
shares it: a server's is owned by its `speech.models.SpeechModels`. Audio comes out as int16 PCM at the
model's 24 kHz or resampled to any target rate (8000 for the phone path, 16000/24000/48000 for
browsers). ``stream_sentences`` yields one chunk per sentence so a TTS service can start playing after
the first one.

Only the voice inside the wheel ("heart") is allowed: every other hibari voice downloads a file on
first use, which this platform must never do.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np

from .audio import float_to_int16, resample

MODEL_RATE = 24000
BUNDLED_VOICE = "heart"


def split_sentences(text: str) -> list[str]:
    """Split text into the sentences hibari synthesizes one at a time."""
    from hibari import Hibari

    sentences: list[str] = Hibari.split_sentences(text)
    return sentences


def _convert(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    pcm = float_to_int16(audio)
    return resample(pcm, MODEL_RATE, sample_rate) if sample_rate != MODEL_RATE else pcm


@dataclass(frozen=True)
class SentenceAudio:
    """One synthesized sentence: int16 PCM at ``sample_rate``."""

    text: str  # the sentence (a long sentence yields several chunks with the same text)
    phonemes: str
    pcm: np.ndarray
    sample_rate: int
    synth_seconds: float

    @property
    def duration(self) -> float:
        """Audio length in seconds."""
        return self.pcm.size / self.sample_rate

    def to_bytes(self) -> bytes:
        """Little-endian int16 bytes, as Pipecat audio frames carry."""
        return self.pcm.astype("<i2", copy=False).tobytes()


@dataclass(frozen=True)
class TTSBenchmark:
    """Latency/speed figures for one text."""

    first_audio_ms: float
    total_ms: float
    audio_seconds: float
    rtf: float  # synthesis time / audio time (lower is better)


SYNTH_THREADS = max(1, min(2, os.cpu_count() or 1))
"""Threads every call's synthesis runs on. With one, a reply's next clause waited behind other calls'
clauses: with 20 offline calls talking on the 2-core machine (load 2.7 from other work) a clause waited
for the thread 309 ms p95 / 476 ms max for 31 ms p50 of synthesis, and the callers heard 300-450 ms holes
(`tests/benchmarks/test_bench_capacity.py`). ONNX runs one thread per synthesis and releases the GIL, so
two synthesise at once on two cores. Each thread that has run the model keeps a malloc arena of several
MB (README "Where that memory went"), so a fixed small pool, never a thread per call."""


class HibariVoice:
    """The bundled hibari voice: the model (loaded once, on first use or by `load`) and the
    `SYNTH_THREADS` threads its asynchronous synthesis runs on (started on first use, after any fork;
    stopped by `close`, the next use starts others). Phonemisation (hibari's G2P, pure Python with its own
    caches) runs one at a time; the ONNX session is safe to run from several threads."""

    def __init__(self, voice: str = BUNDLED_VOICE, threads: int = 1) -> None:
        if voice != BUNDLED_VOICE:
            raise ValueError(f"only the bundled voice {BUNDLED_VOICE!r} is available offline, not {voice!r}")
        self.name = voice
        self._threads = threads
        self._lock = threading.Lock()        # guards model and thread creation
        self._g2p_lock = threading.Lock()  # one phonemisation at a time
        self._model: Any = None
        self._thread: ThreadPoolExecutor | None = None

    def load(self) -> Any:
        """The ``hibari.Hibari`` model, created once. Its G2P tables are loaded eagerly (a warm-up
        phrase) so the first real request does not pay ~0.5 s of lexicon loading."""
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                from hibari import Hibari

                model = Hibari(voice=self.name, threads=self._threads)
                model("Ready.", seed=0)  # loads lexicon/tagger/OOV net and warms ORT
                self._model = model
        return self._model

    @property
    def is_loaded(self) -> bool:
        """True once the model has been created."""
        return self._model is not None

    def _voice_thread(self) -> ThreadPoolExecutor:
        """The `SYNTH_THREADS` threads every call's synthesis runs on. Spread over the event loop's default
        threads, each of them kept a malloc arena holding what the voice had touched (several MB per
        thread, RSS that stayed after the calls ended)."""
        with self._lock:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=SYNTH_THREADS, thread_name_prefix="hibari")
            return self._thread

    def close(self) -> None:
        """Stop the synthesis thread (the model stays loaded; the next use starts another thread)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.shutdown(wait=True, cancel_futures=True)

    def _synth_phonemes(self, model: Any, phonemes: str, speed: float, rng: np.random.Generator) -> np.ndarray:
        audio: np.ndarray = model.from_ids(model.ids(phonemes), speed, rng)
        return audio

    def _phonemize(self, model: Any, text: str) -> list[str]:
        with self._g2p_lock:
            phonemes: list[str] = model.phonemize(text)
            return phonemes

    def phonemize(self, text: str) -> str:
        """hibari's G2P reading of `text` (misaki phonemes), e.g. a word missing from CMUdict."""
        return " ".join(self._phonemize(self.load(), text))

    @overload
    def synthesize(self, text: str, sample_rate: int = ..., *, speed: float = ..., seed: int | None = ...,
                   as_bytes: Literal[False] = ...) -> tuple[np.ndarray, int]: ...
    @overload
    def synthesize(self, text: str, sample_rate: int = ..., *, speed: float = ..., seed: int | None = ...,
                   as_bytes: Literal[True]) -> tuple[bytes, int]: ...

    def synthesize(self, text: str, sample_rate: int = MODEL_RATE, *, speed: float = 1.0, seed: int | None = None,
                   as_bytes: bool = False) -> tuple[np.ndarray | bytes, int]:
        """Synthesize ``text``; returns (int16 mono PCM array or bytes, sample_rate)."""
        chunks = [c.pcm for c in self.stream_sentences(text, sample_rate, speed=speed, seed=seed)]
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        return (pcm.tobytes() if as_bytes else pcm), sample_rate

    def stream_sentences(self, text: str, sample_rate: int = MODEL_RATE, *, speed: float = 1.0,
                         seed: int | None = None) -> Iterator[SentenceAudio]:
        """Yield audio sentence by sentence (long sentences are split at clauses by hibari).

        Each chunk is resampled on its own; sentence edges are silent so no
        resampler state needs to carry across.
        """
        model = self.load()
        rng = np.random.default_rng(seed)
        for sentence in split_sentences(text):
            t0 = time.perf_counter()
            for ps in self._phonemize(model, sentence):
                audio = self._synth_phonemes(model, ps, speed, rng)
                pcm = _convert(audio, sample_rate)
                yield SentenceAudio(sentence, ps, pcm, sample_rate, time.perf_counter() - t0)
                t0 = time.perf_counter()

    async def astream_sentences(self, text: str, sample_rate: int = MODEL_RATE, *, speed: float = 1.0,
                                seed: int | None = None) -> AsyncIterator[SentenceAudio]:
        """Async variant of :meth:`stream_sentences`; synthesis runs on the voice's threads so the
        event loop stays free (what a Pipecat TTSService.run_tts needs)."""
        loop = asyncio.get_running_loop()
        thread = self._voice_thread()
        model = self._model if self._model is not None else await loop.run_in_executor(thread, self.load)
        rng = np.random.default_rng(seed)
        for sentence in split_sentences(text):
            t0 = time.perf_counter()
            for ps in await loop.run_in_executor(thread, self._phonemize, model, sentence):
                audio = await loop.run_in_executor(thread, self._synth_phonemes, model, ps, speed, rng)
                pcm = _convert(audio, sample_rate)
                yield SentenceAudio(sentence, ps, pcm, sample_rate, time.perf_counter() - t0)
                t0 = time.perf_counter()

    def benchmark(self, text: str, sample_rate: int = MODEL_RATE, repeats: int = 5) -> TTSBenchmark:
        """Measure time to first sentence audio and real-time factor (median of repeats)."""
        self.load()
        firsts: list[float] = []
        totals: list[float] = []
        secs = 0.0
        for i in range(repeats):
            t0 = time.perf_counter()
            first = None
            secs = 0.0
            for chunk in self.stream_sentences(text, sample_rate, seed=i):
                if first is None:
                    first = time.perf_counter() - t0
                secs += chunk.duration
            totals.append(time.perf_counter() - t0)
            firsts.append(first or 0.0)
        first_ms = float(np.median(firsts) * 1e3)
        total_ms = float(np.median(totals) * 1e3)
        return TTSBenchmark(first_ms, total_ms, secs, (total_ms / 1e3) / secs if secs else float("inf"))
