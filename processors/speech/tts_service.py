"""Offline text-to-speech for Pipecat: the hibari voice, synthesised clause by clause in a thread.

The base class hands over one sentence at a time; a long one that opens with a clause of a few words
is voiced in two parts (`first_clause`), so the first audio waits only for that clause, and hibari
splits very long ones at clauses. Each clause's
audio is resampled to the pipeline's output rate (8000 on the phone path), stripped of most of its
leading silence and pushed as ~40 ms TTSAudioRawFrames, so the transport starts playing while the next clause is being synthesised.
An interruption cancels the task running ``run_tts``: nothing more is yielded.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

import numpy as np
from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language

from speech.hibari import HibariVoice


def trim_leading_silence(pcm: np.ndarray, sample_rate: int, keep_ms: int = 30, threshold: int = 32) -> np.ndarray:
    """Drop the digital silence hibari puts before each clause (~0.2 s), keeping ``keep_ms`` of it:
    the caller hears the answer that much sooner."""
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > threshold)
    if loud.size == 0:
        return pcm
    return pcm[max(0, int(loud[0]) - sample_rate * keep_ms // 1000):]


FIRST_CLAUSE_WORDS = 3
"""A clause shorter than this is never voiced on its own: "Okay," (~0.4 s of audio) would leave the
rest of the sentence that little time to be synthesised before the caller hears a hole."""

SPLIT_SENTENCES_FROM = 40
"""Characters from which a sentence's first clause is voiced on its own. The first audio waits for the
synthesis of what is voiced first: on the loaded 2-core box "You have five todos: buy milk, buy milk,
buy milk, buy milk, and buy milk." took 47 ms to its first audio whole and 21 ms from its first clause
("The first five are: ...": 50 -> 14 ms); short sentences gain nothing (18 ms for "You have six todos.")."""

_CLAUSE_END = re.compile(r"[,;:]\s+")


def first_clause(text: str) -> list[str]:
    """``[first clause, rest]`` when a long sentence opens with a clause of `FIRST_CLAUSE_WORDS` or more
    words followed by as many, else ``[text]``."""
    if len(text) < SPLIT_SENTENCES_FROM:
        return [text]
    for m in _CLAUSE_END.finditer(text):
        head, rest = text[: m.end()].strip(), text[m.end():].strip()
        if len(head.split()) >= FIRST_CLAUSE_WORDS:
            return [head, rest] if len(rest.split()) >= FIRST_CLAUSE_WORDS else [text]
    return [text]


class HibariTTSService(TTSService):
    """Pipecat TTS over the hibari voice bundled in its wheel (no network, no download): `voice` is the
    server's one loaded voice (`SpeechModels.voice`), shared by every call."""

    def __init__(
        self,
        *,
        voice: HibariVoice,
        speed: float = 1.0,
        chunk_ms: int = 40,
        sample_rate: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            sample_rate=sample_rate,
            settings=TTSSettings(model="hibari", voice=voice.name, language=Language.EN_US),
            **kwargs,
        )
        self._voice = voice
        self._speed = speed
        self._chunk_ms = chunk_ms

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        chunk = 2 * max(1, self.sample_rate * self._chunk_ms // 1000)
        await self.start_tts_usage_metrics(text)
        try:
            for part in first_clause(text):
                async for clause in self._voice.astream_sentences(part, self.sample_rate, speed=self._speed):
                    pcm = trim_leading_silence(clause.pcm, self.sample_rate).astype("<i2", copy=False).tobytes()
                    for i in range(0, len(pcm), chunk):
                        yield TTSAudioRawFrame(pcm[i: i + chunk], self.sample_rate, 1, context_id=context_id)
        except Exception as e:  # whatever onnxruntime or the G2P raised ends this sentence, not the pipeline
            yield ErrorFrame(error=f"hibari could not say {text!r}: {e}", exception=e)
