"""Moonshine tiny English: the neural offline recogniser whose weights ship inside the wheel.

``moonshine-voice==0.0.55`` bundles ``assets/tiny-en`` and its own onnxruntime, so nothing is
downloaded at run time (later versions fetch their models; the pin matters). One model is loaded
per process (`shared_recognizer`) and every call shares it: a call costs no memory of its own.
Decoding is serialised by a lock (the C library's thread-safety for one handle is not documented,
and the handle keeps state between calls, see `LEAD_SECONDS`),
and the audio one call decodes is bounded (`MAX_SECONDS`) so that a long monologue holds the model
for a bounded time. Only ``moonshine_voice.transcriber`` is imported: the package's microphone
helper needs PortAudio, which a server does not have.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from moonshine_voice.moonshine_api import ModelArch
from moonshine_voice.transcriber import Transcriber
from moonshine_voice.utils import get_model_path

from .audio import ASR_RATE, PHONE_RATE, as_int16, int16_to_float, resample

MODEL_NAME = "tiny-en"
MAX_SECONDS = 10.0
"""Longest audio one call decodes: the last 10 s of a longer utterance (~0.45 s wall, 0.9 s CPU on this
2-core machine), cut at its quietest moment near the start so no word is split."""
SAMPLE_RATES = (PHONE_RATE, ASR_RATE)
LEAD_SECONDS, TAIL_SECONDS = 0.2, 0.5
"""Silence put around every input. The library's voice detector keeps its state from one call to the
next: after audio that ended mid-word, the next call read a stray "?" or "you" before its words. With
silence on both sides the detector starts and closes each segment cleanly (tests/processors/speech/
test_moonshine.py); it costs no measurable time (silence is not decoded)."""
TRANSCRIBER_OPTIONS = {"identify_speakers": "false"}
"""The library labels each line with a speaker by default; one caller's utterance needs no label. Off, on
the 162 phone-audio utterances of tests/processors/speech/test_stt_accuracy.py (2-core machine, loaded):
the same transcripts, word for word, and CPU per reading 0.276 -> 0.234 s; the library's own memory
grows ~0.11 instead of ~0.2 MB per reading (it never gives that back: see
`moonshine_worker.RELEASE_FREED_MEMORY`)."""
_CUT_SEARCH_SECONDS = 1.0
_FRAME = 320  # 20 ms at 16 kHz


def bounded(audio: np.ndarray, rate: int, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """At most the last ``max_seconds`` of ``audio``: a longer input is cut at the quietest 20 ms
    of the first second of that window, where a pause between words most likely lies."""
    keep = int(max_seconds * rate)
    if audio.size <= keep:
        return audio
    start = audio.size - keep
    search = audio[start : start + int(_CUT_SEARCH_SECONDS * rate)].astype(np.float32)
    frame = _FRAME * rate // ASR_RATE
    frames = search[: search.size // frame * frame].reshape(-1, frame)
    quietest = int(np.argmin((frames * frames).sum(axis=1))) if frames.size else 0
    return audio[start + quietest * frame :]


class Recognizer(Protocol):
    """Whole-utterance speech recognition: `MoonshineRecognizer` in this process, or
    `moonshine_worker.MoonshineWorker` in a worker process."""

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str: ...


class MoonshineRecognizer:
    """A loaded Moonshine model: turns a whole utterance into text, blocking, thread-safe."""

    def __init__(self, model_path: Path | None = None, *, max_seconds: float = MAX_SECONDS) -> None:
        """Loads the model (~0.3 s) from ``model_path`` (default: the wheel's bundled tiny-en)."""
        path = model_path or get_model_path(MODEL_NAME)
        self._transcriber = Transcriber(str(path), ModelArch.TINY, options=dict(TRANSCRIBER_OPTIONS))
        self._lock = threading.Lock()
        self.max_seconds = max_seconds

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        """The raw lowercase text of ``pcm`` (int16 mono at 8000 or 16000 Hz); "" for silence.

        Phone audio is upsampled to 16 kHz with the project's resampler first, so both paths
        reach the model in the same form."""
        if sample_rate not in SAMPLE_RATES:
            raise ValueError(f"Moonshine takes 8000 or 16000 Hz audio, not {sample_rate}")
        audio = as_int16(pcm)
        if audio.size == 0:
            return ""
        if sample_rate != ASR_RATE:
            audio = resample(audio, sample_rate, ASR_RATE)
        audio = np.concatenate([np.zeros(int(LEAD_SECONDS * ASR_RATE), np.int16), bounded(audio, ASR_RATE, self.max_seconds),
                                np.zeros(int(TAIL_SECONDS * ASR_RATE), np.int16)])
        samples = int16_to_float(audio).tolist()
        with self._lock:
            transcript = self._transcriber.transcribe_without_streaming(samples, ASR_RATE)
        return " ".join(line.text.strip() for line in transcript.lines if line.text.strip()).lower()

    def close(self) -> None:
        """Free the model (the shared one lives as long as the process)."""
        with self._lock:
            self._transcriber.close()


@cache
def shared_recognizer() -> MoonshineRecognizer:
    """The process's one Moonshine model, loaded on first use."""
    return MoonshineRecognizer()
