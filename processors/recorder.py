"""A call's recording: both sides as two tracks of one stereo WAV, the caller on the left and what the
caller heard (the assistant, an agent, the hold beep) on the right, at 8 kHz.

Two taps feed one `CallRecorder`: one right after the transport's input (the caller's audio, every
20 ms frame) and one after its output (audio as it was played). Each track is kept in μ-law (one byte
per sample, 16 kB a second for both) and lined up by wall-clock time: a gap of more than 100 ms
becomes silence. Nothing is kept before the caller is admitted (`armed`), so a PIN said aloud is never
in a recording, and nothing past `max_seconds`.
"""

from __future__ import annotations

import io
import time
import warnings
import wave
from collections.abc import Callable
from typing import Any

import numpy as np
from pipecat.frames.frames import AudioRawFrame, Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

with warnings.catch_warnings():  # deprecated in 3.11, gone in 3.13 (then the audioop-lts package); Pipecat uses it
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

RATE = 8000
CALLER, HEARD = 0, 1
ULAW_SILENCE = b"\xff"
GAP_SAMPLES = RATE // 10


class CallRecorder:
    def __init__(self, max_seconds: float, armed: Callable[[], bool] = lambda: True) -> None:
        self._cap = int(max_seconds * RATE)
        self._armed = armed
        self._t0: float | None = None
        self._tracks = (bytearray(), bytearray())
        self._resample: list[Any] = [None, None]

    def tap(self, side: int) -> FrameProcessor:
        """The processor that feeds one side: CALLER (after the input) or HEARD (after the output)."""
        return _Tap(self, side)

    @property
    def seconds(self) -> float:
        return max(len(t) for t in self._tracks) / RATE

    def add(self, side: int, frame: AudioRawFrame) -> None:
        if frame.num_channels != 1 or not frame.audio or not self._armed():
            return
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        track = self._tracks[side]
        due = min(int((now - self._t0) * RATE), self._cap)
        if due - len(track) > GAP_SAMPLES:
            track.extend(ULAW_SILENCE * (due - len(track)))
        room = self._cap - len(track)
        if room <= 0:
            return
        pcm = frame.audio
        if frame.sample_rate != RATE:
            pcm, self._resample[side] = audioop.ratecv(pcm, 2, 1, frame.sample_rate, RATE, self._resample[side])
        track.extend(audioop.lin2ulaw(pcm, 2)[:room])

    def wav(self) -> bytes | None:
        """The recording as a stereo 16-bit WAV; None when nothing was recorded."""
        length = max(len(t) for t in self._tracks)
        if not length:
            return None
        left, right = (np.frombuffer(audioop.ulaw2lin(bytes(t) + ULAW_SILENCE * (length - len(t)), 2), dtype="<i2")
                       for t in self._tracks)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(2)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(np.column_stack((left, right)).astype("<i2").tobytes())
        return out.getvalue()


class _Tap(FrameProcessor):
    def __init__(self, recorder: CallRecorder, side: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._recorder = recorder
        self._kind = InputAudioRawFrame if side == CALLER else OutputAudioRawFrame
        self._side = side

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, self._kind) and direction is FrameDirection.DOWNSTREAM:
            self._recorder.add(self._side, frame)
        await self.push_frame(frame, direction)
