"""Offline streaming speech-to-text for Pipecat: PocketSphinx with the domains' language model.

The user aggregator's VAD decides what is speech. While the caller speaks, audio goes to a decoder
in a worker process (see ``sphinx_pool``) in ~100 ms batches, and each change of the partial
hypothesis comes back as an InterimTranscriptionFrame; when the VAD says the caller stopped, the
utterance is finished and a finalized TranscriptionFrame is pushed. When the stop strategy reports
a pause (`SpeechPauseFrame`, a few VAD windows into the silence that may end the turn) the utterance
is finished speculatively: the decoder's second pass runs during the rest of the VAD stop window,
the transcript is chosen, and both are held until the VAD stop, which then only collects them; a
`SpeechResumedFrame` (the caller went on) makes the decoder re-open the utterance. A final none of
whose readings the grammar understands is decoded once more with the in-domain language model
alone (`choose_transcript`). Decoding starts 0.8 s before
the VAD start reached the STT: with Silero's defaults that frame arrives ~0.5 s after the voice
onset, so the pre-roll holds the first syllables. Audio outside speech is never decoded, so silence
and noise between turns cannot produce an interim (an interim interrupts the bot).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine
from functools import partial
from typing import Any

from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    InterimTranscriptionFrame,
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
from speech.lm_builder import LanguageModel
from speech.sphinx_decoder import DecoderSettings, SpeechEvent
from speech.sphinx_pool import DecoderCrashed, DecoderPool, FinalResult, RemoteStream

SPHINX_TTFS_P99 = 0.5
"""Seconds from the end of speech to the final transcript: the turn stop strategy's safety net when
no finalized transcript comes. Measured without pauses and with the fwdflat pass: p99 ~0.5 s on 1-8 s
commands at 8 kHz. With `SpeechPauseFrame` the final is pushed 2 ms p50 / 3 ms p95 after the VAD stop
(quiet machine; 3 / 16 ms under load), i.e. ~0.2-0.25 s after the end of speech (phone-path benchmark,
30 turns); kept at 0.5 for an utterance whose pause did not come."""

DECODER_RATES = (8000, 16000)
LANGUAGE = Language.EN_US

log = logging.getLogger(__name__)

_Pending = asyncio.Future[list[SpeechEvent]] | asyncio.Future[FinalResult]


async def choose_transcript(event: SpeechEvent, choose: Callable[[SpeechEvent], str | None] | None,
                            reread: Callable[[], Awaitable[FinalResult]] | None) -> str:
    """The transcript of a final: what ``choose`` picks among its readings; when it picks none, what
    it picks among the readings of ``reread`` (the utterance decoded again with the in-domain
    language model alone); failing both, the best reading. Nothing is reread when the first
    reading will do, so the second search costs only the utterances the grammar did not get."""
    if choose is None or not event.text:
        return event.text
    text = await asyncio.to_thread(choose, event)
    if text is not None:
        return text
    if reread is not None:
        try:
            second = (await reread()).event
        except Exception as e:  # a lost decoder shows on the next call; this final keeps its best reading
            log.warning("rereading the utterance failed: %r", e)
            return event.text
        if second.text and (text := await asyncio.to_thread(choose, second)) is not None:
            return text
    return event.text


class _Speculative:
    """A speculative final on its way back from the decoder (delivered by the results task, never pushed)."""

    def __init__(self, future: asyncio.Future[FinalResult]) -> None:
        self.future = future


class SphinxSTTService(STTService):
    """Streaming PocketSphinx recogniser; needs VAD frames (the user aggregator's VAD) to segment."""

    DRAIN_TIMEOUT = 2.0
    """Seconds an EndFrame waits for transcripts still being decoded."""

    def __init__(
        self,
        *,
        language_model: Callable[[], LanguageModel],
        pool: DecoderPool,
        decoder_settings: Callable[[int], DecoderSettings],
        sample_rate: int | None = None,
        preroll_secs: float = 0.8,
        batch_secs: float = 0.1,
        partial_interval: float = 0.2,
        ttfs_p99_latency: float = SPHINX_TTFS_P99,
        choose: Callable[[SpeechEvent], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """``language_model`` is called once, in a thread, at start (`SpeechModels.language_model` is
        kept, so it is instant after `SpeechModels.warm_up`); ``decoder_settings`` maps the decoding
        rate (8000 or 16000) to the acoustic front end. Other rates are resampled to 16 kHz. ``choose``
        picks the transcript of a final from its best reading and alternatives (run in a thread), or
        says None: none of them will do, and the utterance is read again with the language model's
        in-domain search when it has one (`choose_transcript`). Without it the best reading is used."""
        super().__init__(
            sample_rate=sample_rate,
            ttfs_p99_latency=ttfs_p99_latency,
            settings=STTSettings(model="pocketsphinx-en-us", language=LANGUAGE),
            **kwargs,
        )
        self._load_lm = language_model
        self._pool = pool
        self._decoder_settings = decoder_settings
        self._preroll_secs = preroll_secs
        self._batch_secs = batch_secs
        self._partial_interval = partial_interval
        self._choose = choose
        self._lm: LanguageModel | None = None
        self._stream: RemoteStream | None = None
        self._opening: asyncio.Task[None] | None = None
        self._decode_rate = 0
        self._resampler: StreamResampler | None = None
        self._preroll = bytearray()
        self._batch = bytearray()
        self._preroll_bytes = 0
        self._batch_bytes = 0
        self._speaking = False
        self._paused = False  # a speculative final is held in the decoder (SpeechPauseFrame)
        self._choice: tuple[SpeechEvent, asyncio.Task[str]] | None = None  # the transcript chosen for it
        self._results: asyncio.Queue[_Pending | _Speculative] = asyncio.Queue()
        self._results_task: asyncio.Task[None] | None = None
        self.cpu_seconds = 0.0
        """Decoder CPU time of the utterances finished so far (in the worker process)."""
        self.audio_seconds = 0.0
        """Audio decoded so far, seconds."""

    def can_generate_metrics(self) -> bool:
        return True

    @property
    def decode_rate(self) -> int:
        """The rate audio is decoded at: the pipeline's 8000 or 16000, otherwise 16000."""
        return self._decode_rate

    # ------------------------------------------------------------------ lifecycle
    async def start(self, frame: StartFrame) -> None:
        await super().start(frame)
        self._decode_rate = self.sample_rate if self.sample_rate in DECODER_RATES else ASR_RATE
        if self._decode_rate != self.sample_rate:
            self._resampler = StreamResampler(self.sample_rate, self._decode_rate)
        self._preroll_bytes = 2 * int(self._preroll_secs * self._decode_rate)
        self._batch_bytes = 2 * int(self._batch_secs * self._decode_rate)
        self._results_task = self.create_task(self._consume_results(), name="sphinx_results")
        await self._open_stream()

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

    async def _open_stream(self) -> None:
        try:
            if self._lm is None:
                self._lm = await asyncio.to_thread(self._load_lm)
            self._stream = await self._pool.open(
                self._lm.lm_path, self._lm.dict_path, self._decode_rate,
                self._decoder_settings(self._decode_rate), self._partial_interval,
                self._lm.domain_lm_path if self._choose is not None else None,
            )
        except Exception as e:  # no language model, or no decoder: say so instead of failing later
            await self.push_error(f"offline speech recogniser unavailable: {e}", exception=e,
                                  force_treat_as_permanent=self._lm is None)

    def _reopen_later(self) -> None:
        if self._opening is None or self._opening.done():
            self._opening = self.create_task(self._open_stream(), name="sphinx_reopen")

    async def _close(self) -> None:
        for task in (self._results_task, self._opening):
            if task is not None:
                await self.cancel_task(task)
        self._results_task = self._opening = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._speaking = self._paused = False
        self._choice = None
        self._preroll.clear()
        self._batch.clear()

    # ------------------------------------------------------------------ audio and VAD
    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        if self._resampler is not None:
            audio = self._resampler.process(as_int16(audio)).tobytes()
        if self._speaking:
            self._batch += audio
            if len(self._batch) >= self._batch_bytes:
                self._send_batch()
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
            self._resume_utterance()

    def _begin_utterance(self) -> None:
        if self._stream is None:  # the decoder could not be opened or was lost: try again for next time
            if self.is_usable:
                self._reopen_later()
            return
        if self._speaking:
            return
        self._speaking = True
        self._batch, self._preroll = self._preroll, bytearray()
        if len(self._batch) >= self._batch_bytes:
            self._send_batch()

    def _pause_utterance(self) -> None:
        """Finish the utterance speculatively; the decoder holds the final until the VAD stop."""
        if not self._speaking or self._paused or self._stream is None:
            return
        self._paused = True
        if self._batch:
            self._send_batch()
        stream = self._stream
        self._enqueue(lambda: _Speculative(stream.finish(speculative=True)))

    def _resume_utterance(self) -> None:
        """The pause was not the end: the decoder re-opens the utterance (and decodes it again)."""
        if not self._paused:
            return
        self._paused = False
        self._choice = None
        if self._stream is not None and self._speaking:
            self._enqueue(self._stream.resume)

    def _end_utterance(self) -> None:
        if not self._speaking:
            return
        self._speaking = self._paused = False
        if self._stream is None:
            self._batch.clear()
            return
        if self._batch:
            self._send_batch()
        self.request_finalize()
        self._enqueue(self._stream.finish)

    def _send_batch(self) -> None:
        pcm, self._batch = bytes(self._batch), bytearray()
        if self._stream is not None:
            self._enqueue(partial(self._stream.feed, pcm))

    def _enqueue(self, call: Callable[[], _Pending | _Speculative]) -> None:
        """Send one call to the decoder; its result is delivered in order by the results task."""
        future: _Pending | _Speculative
        try:
            future = call()
        except DecoderCrashed as e:  # the worker is already gone: fail like a call it dropped
            future = asyncio.get_running_loop().create_future()
            future.set_exception(e)
        self._results.put_nowait(future)

    # ------------------------------------------------------------------ results
    async def _consume_results(self) -> None:
        """Push what the decoder sends back, in the order the audio was sent."""
        while True:
            future = await self._results.get()
            try:
                await self._deliver(future)
            finally:
                self._results.task_done()

    async def _deliver(self, pending: _Pending | _Speculative) -> None:
        speculative = isinstance(pending, _Speculative)
        future = pending.future if isinstance(pending, _Speculative) else pending
        try:
            result = await future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if future.cancelled() and task is not None and not task.cancelling():
                return  # the pool was shut down under us
            raise
        except Exception as e:  # a crashed worker, or an error raised by the decoder in it
            await self._decoder_failed(e)
            return
        if isinstance(result, FinalResult) and speculative:
            self._choose_early(result)
        elif isinstance(result, FinalResult):
            await self._push_final(result)
        else:
            for event in result:
                if event.kind == "partial" and event.text:
                    await self.push_frame(
                        InterimTranscriptionFrame(event.text, self._user_id, time_now_iso8601(), LANGUAGE)
                    )

    def _choose_early(self, final: FinalResult) -> None:
        """A speculative final came back: choose its transcript now, while the VAD stop window runs."""
        self.cpu_seconds, self.audio_seconds = final.cpu_seconds, final.audio_seconds
        self._choice = None
        if self._choose is not None and final.event.text:
            self._choice = (final.event, asyncio.ensure_future(self._transcript(final.event)))

    def _transcript(self, event: SpeechEvent) -> Coroutine[Any, Any, str]:
        stream = self._stream
        return choose_transcript(event, self._choose, stream.reread if stream is not None else None)

    async def _push_final(self, final: FinalResult) -> None:
        self.cpu_seconds, self.audio_seconds = final.cpu_seconds, final.audio_seconds
        choice, self._choice = self._choice, None
        if not final.event.text:
            return
        if choice is not None and choice[0] == final.event:  # the held final: chosen during the pause
            text = await choice[1]
        else:
            text = await self._transcript(final.event)
        self.confirm_finalize()
        await self.emit_stt_usage_metrics()
        await self.push_frame(TranscriptionFrame(text, self._user_id, time_now_iso8601(), LANGUAGE, finalized=True))

    async def _decoder_failed(self, error: Exception) -> None:
        """The worker crashed or lost the decoder: say so, drop what is queued, open a new one."""
        await self.push_error(f"offline speech recogniser failed: {error!r}", exception=error)
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._speaking = self._paused = False
        self._choice = None
        self._batch.clear()
        while not self._results.empty():
            pending = self._results.get_nowait()
            (pending.future if isinstance(pending, _Speculative) else pending).cancel()
            self._results.task_done()
        self._reopen_later()
