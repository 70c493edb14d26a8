"""A caller's voice message for the callback queue: their audio from the moment they agree to leave
one until their turn ends, kept as a WAV file under DATA_DIR/voicemail."""

from __future__ import annotations

import asyncio
import logging
import os
import wave
from pathlib import Path

from pipecat.frames.frames import AudioRawFrame

from core.logging import describe_error

log = logging.getLogger(__name__)

FOLDER = "voicemail"
MAX_SECONDS = 120.0


class MessageRecorder:
    """Collects one caller's mono 16-bit audio, up to `max_seconds` (the rest is not kept)."""

    def __init__(self, max_seconds: float = MAX_SECONDS) -> None:
        self.max_seconds = max_seconds
        self.rate: int | None = None
        self.heard_speech = False  # the VAD heard the caller start talking
        self._pcm = bytearray()

    def add(self, frame: AudioRawFrame) -> None:
        if frame.num_channels != 1 or (self.rate is not None and frame.sample_rate != self.rate):
            return
        self.rate = frame.sample_rate
        room = int(self.max_seconds * self.rate) * 2 - len(self._pcm)
        if room > 0:
            self._pcm += frame.audio[:room]

    @property
    def seconds(self) -> float:
        return len(self._pcm) / 2 / self.rate if self.rate else 0.0

    async def save(self, data_dir: Path, name: str) -> str | None:
        """Write the message as `voicemail/{name}.wav` under `data_dir`; its path relative to `data_dir`,
        or None when there is nothing to keep or the disk refused (then nothing is left behind)."""
        if not self.heard_speech or not self._pcm or self.rate is None:
            return None
        relative = f"{FOLDER}/{name}.wav"
        try:
            await asyncio.to_thread(_write, data_dir / relative, bytes(self._pcm), self.rate)
        except OSError as exc:
            log.error("voicemail %s could not be kept: %s", name, describe_error(exc))
            return None
        return relative


def _write(path: Path, pcm: bytes, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    try:
        with wave.open(str(partial), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
