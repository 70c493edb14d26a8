"""Offline speech-to-text for Pipecat with Moonshine: one transcript per utterance, decoded at the pause.

The user aggregator's VAD decides what is speech; this service keeps each utterance's audio (with
0.8 s of pre-roll: with Silero's defaults the VAD start reaches the STT ~0.5 s after the voice onset)
and decodes it whole with the server's Moonshine model (in its worker processes,
`moonshine_worker.MoonshineWorkers`), waiting for it in a thread. When the turn stop strategy reports a pause (`SpeechPauseFrame`, a few VAD windows into the
silence that may end the turn) the utterance is decoded speculatively, so the transcript is usually
ready when the VAD stop comes; a `SpeechResumedFrame` (the caller went on) drops that reading and the
VAD stop decodes the whole utterance. The transcript is pushed in spoken form
(`spoken.spoken_transcript`: "three pm", "acme dot io"), the words the local intent model reads. No interim transcripts: barge-in comes from the VAD start, and
there is no per-call decoder, so a call costs only its audio buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    StartFrame,
    TranscriptionFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.settings import STTSettings
from pipecat.services.stt_service import STTService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601

from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from speech.audio import ASR_RATE, StreamResampler, as_int16
from speech.moonshine import MAX_SECONDS, SAMPLE_RATES, Recognizer
from speech.spoken import spoken_transcript

MOONSHINE_TTFS_P99 = 0.5
"""Seconds from the end of speech to the final transcript: the stop strategy's safety net when no
finalized transcript comes. A 1-8 s command decodes in ~0.1 s (0.2 s CPU) on the 2-core machine."""

LANGUAGE = Language.EN_US

log = logging.getLogger(__name__)


class MoonshineSTTService(STTService):
    """Utterance-at-a-time Moonshine recogniser; needs VAD frames (the user aggregator's VAD) to segment."""

    DRAIN_TIMEOUT = 2.0
    """Seconds an EndFrame waits for transcripts still being decoded."""

    def __init__(
        self,
        *,
        recognizer: Callable[[], Recognizer],
        sample_rate: int | None = None,
        preroll_secs: float = 0.8,
        ttfs_p99_latency: float = MOONSHINE_TTFS_P99,
        **kwargs: Any,
    ) -> None:
        """``recognizer`` is called once, in a thread, at start: the server's worker process
        (`SpeechModels.moonshine_worker`, what `bots.speech` passes) or a model in this process
        (`SpeechModels.recognizer`); either loads on first use. Audio at rates other than 8000 and 16000 Hz is resampled to 16 kHz."""
        super().__init__(
            sample_rate=sample_rate,
            ttfs_p99_latency=ttfs_p99_latency,
            settings=STTSettings(model="moonshine-tiny-en", language=LANGUAGE),
            **kwargs,
        )
        self._load = recognizer
        self._preroll_secs = preroll_secs
        self._recognizer: Recognizer | None = None
        self._decode_rate = 0
        self._resampler: StreamResampler | None = None
        self._preroll = bytearray()
        self._utterance = bytearray()
        self._preroll_bytes = 0
        self._max_bytes = 0
        self._speaking = False
        self._early: asyncio.Task[str] | None = None  # the speculative reading started at the pause
        self._results: asyncio.Queue[asyncio.Task[str]] = asyncio.Queue()
        self._results_task: asyncio.Task[None] | None = None

    def can_generate_metrics(self) -> bool:
        return True

    @property
    def decode_rate(self) -> int:
        """The rate audio is kept at: the pipeline's 8000 or 16000, otherwise 16000."""
        return self._decode_rate

    # ------------------------------------------------------------------ lifecycle
    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        self._decode_rate = self.sample_rate if self.sample_rate in SAMPLE_RATES else ASR_RATE
        if self._decode_rate != self.sample_rate:
            self._resampler = StreamResampler(self.sample_rate, self._decode_rate)
        self._preroll_bytes = 2 * int(self._preroll_secs * self._decode_rate)
        self._max_bytes = 2 * int((MAX_SECONDS + 1.0) * self._decode_rate)  # the recogniser keeps the last MAX_SECONDS
        self._results_task = self.create_task(self._consume_results(), name="moonshine_results")
        try:
            self._recognizer = await asyncio.to_thread(self._load)
        except Exception as e:  # a broken install: say so instead of failing at the first utterance
            await self.push_error(f"offline speech recogniser unavailable: {e}", exception=e,
                                  force_treat_as_permanent=True)

    async def stop(self, frame: EndFrame) -> None:
        self._end_utterance()
        if self._results_task is not None:  # a graceful end delivers the transcripts still being decoded
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._results.join(), timeout=self.DRAIN_TIMEOUT)
        await super().stop(frame)
        await self._close()

    async def cancel(self, frame: CancelFrame) -> None:
        await super().cancel(frame)
        await self._close()

    async def cleanup(self) -> None:
        await super().cleanup()
        await self._close()

    async def _close(self) -> None:
        if self._results_task is not None:
            await self.cancel_task(self._results_task)
            self._results_task = None
        pending = [self._early] if self._early is not None else []
        while not self._results.empty():
            pending.append(self._results.get_nowait())
            self._results.task_done()
        for task in pending:  # a reading nobody will push (its thread finishes on its own)
            task.cancel()
        self._speaking = False
        self._early = None
        self._preroll.clear()
        self._utterance.clear()

    # ------------------------------------------------------------------ audio and VAD
    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        if len(audio) % 2:  # a torn frame: drop the odd byte rather than misalign every sample after it
            audio = audio[:-1]
        if self._resampler is not None:
            audio = self._resampler.process(as_int16(audio)).tobytes()
        if self._speaking:
            self._utterance += audio
            if len(self._utterance) > self._max_bytes:
                del self._utterance[: len(self._utterance) - self._max_bytes]
        else:
            self._preroll += audio
            if len(self._preroll) > self._preroll_bytes:
                del self._preroll[: len(self._preroll) - self._preroll_bytes]
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStartedSpeakingFrame):
            self._begin_utterance()
        elif isinstance(frame, VADUserStoppedSpeakingFrame):
            self._end_utterance()
        elif isinstance(frame, SpeechPauseFrame):
            self._pause_utterance()
        elif isinstance(frame, SpeechResumedFrame):
            self._early = None  # the caller went on: the VAD stop reads the whole utterance

    def _begin_utterance(self) -> None:
        if self._speaking:
            return
        self._speaking = True
        self._early = None
        self._utterance, self._preroll = self._preroll, bytearray()

    def _pause_utterance(self) -> None:
        """Decode the utterance so far; the VAD stop takes this reading if the caller said no more."""
        if self._speaking and self._early is None:
            self._early = self._decode(bytes(self._utterance))

    def _end_utterance(self) -> None:
        if not self._speaking:
            return
        self._speaking = False
        pcm, self._utterance = bytes(self._utterance), bytearray()
        early, self._early = self._early, None
        self.request_finalize()
        self._results.put_nowait(early or self._decode(pcm))

    def _decode(self, pcm: bytes) -> asyncio.Task[str]:
        return asyncio.ensure_future(self._transcribe(pcm))

    async def _transcribe(self, pcm: bytes) -> str:
        recognizer = self._recognizer
        if recognizer is None:
            return ""
        return await asyncio.to_thread(self._read, recognizer, np.frombuffer(pcm, dtype="<i2"))

    def _read(self, recognizer: Recognizer, pcm: np.ndarray) -> str:
        return spoken_transcript(recognizer.transcribe(pcm, self._decode_rate))

    # ------------------------------------------------------------------ results
    async def _consume_results(self) -> None:
        """Push the finals in the order the utterances ended."""
        while True:
            task = await self._results.get()
            try:
                await self._deliver(task)
            finally:
                self._results.task_done()

    async def _deliver(self, task: asyncio.Task[str]) -> None:
        try:
            text = await task
        except Exception as e:  # the model failed on this utterance; the next one gets a fresh try
            await self.push_error(f"offline speech recogniser failed: {e!r}", exception=e)
            return
        if not text:
            return
        self.confirm_finalize()
        await self.emit_stt_usage_metrics()
        await self.push_frame(TranscriptionFrame(text, self._user_id, time_now_iso8601(), LANGUAGE, finalized=True))
