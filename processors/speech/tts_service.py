"""Offline text-to-speech for Pipecat: the hibari voice, synthesised clause by clause in a thread.

The base class hands over one sentence at a time; hibari splits long ones at clauses. Each clause's
audio is resampled to the pipeline's output rate (8000 on the phone path), stripped of most of its
leading silence and pushed as ~40 ms TTSAudioRawFrames, so the transport starts playing while the next clause is being synthesised.
An interruption cancels the task running ``run_tts``: nothing more is yielded.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language

from . import hibari


def trim_leading_silence(pcm: np.ndarray, sample_rate: int, keep_ms: int = 30, threshold: int = 32) -> np.ndarray:
    """Drop the digital silence hibari puts before each clause (~0.2 s), keeping ``keep_ms`` of it:
    the caller hears the answer that much sooner."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > threshold)
    if loud.size == 0:
        return pcm
    return pcm[max(0, int(loud[0]) - sample_rate * keep_ms // 1000):]


class HibariTTSService(TTSService):
    """Pipecat TTS over the hibari voice bundled in its wheel (no network, no download)."""

    def __init__(
        self,
        *,
        voice: str = hibari.BUNDLED_VOICE,
        speed: float = 1.0,
        chunk_ms: int = 40,
        sample_rate: int | None = None,
        **kwargs: Any,
    ) -> None:
        if voice != hibari.BUNDLED_VOICE:
            raise ValueError(f"only the bundled hibari voice {hibari.BUNDLED_VOICE!r} works offline, not {voice!r}")
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            sample_rate=sample_rate,
            settings=TTSSettings(model="hibari", voice=voice, language=Language.EN_US),
            **kwargs,
        )
        self._speed = speed
        self._chunk_ms = chunk_ms

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        chunk = 2 * max(1, self.sample_rate * self._chunk_ms // 1000)
        await self.start_tts_usage_metrics(text)
        try:
            async for clause in hibari.astream_sentences(text, self.sample_rate, speed=self._speed):
                pcm = trim_leading_silence(clause.pcm, self.sample_rate).astype("<i2", copy=False).tobytes()
                for i in range(0, len(pcm), chunk):
                    yield TTSAudioRawFrame(pcm[i: i + chunk], self.sample_rate, 1, context_id=context_id)
        except Exception as e:  # whatever onnxruntime or the G2P raised ends this sentence, not the pipeline
            yield ErrorFrame(error=f"hibari could not say {text!r}: {e}", exception=e)
