"""A call's recording: two tracks lined up by time (the caller left, what they heard right), nothing
before the caller is admitted, nothing past the cap; and the disk store that keeps it whole or not at
all (a full disk loses the recording, never the call's record)."""

from __future__ import annotations

import io
import os
import time
import uuid
import wave
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import InputAudioRawFrame, OutputAudioRawFrame

from bots.session import CallInfo, CallSession
from core.models import CallRecording
from core.recordings import DiskRecordings, recording_key
from core.runtime import Runtime
from processors.recorder import CALLER, HEARD, RATE, CallRecorder


def tone(freq: float, seconds: float, rate: int) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * freq * t) * 8000).astype("<i2").tobytes()


def tracks(wav: bytes) -> tuple[np.ndarray, np.ndarray]:
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (2, 2, RATE)
        both = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    return both[:, 0], both[:, 1]


def test_two_sides_two_tracks_in_time() -> None:
    recorder = CallRecorder(max_seconds=60)
    assert recorder.wav() is None  # nothing said, nothing kept
    caller = tone(300, 0.02, 16000)  # a browser caller: 16 kHz in, kept at 8 kHz
    for _ in range(10):
        recorder.add(CALLER, InputAudioRawFrame(caller, 16000, 1))
    time.sleep(0.3)  # the caller falls silent; then the assistant answers
    recorder.add(HEARD, OutputAudioRawFrame(tone(1000, 0.2, 24000), 24000, 1))
    left, right = tracks(recorder.wav() or b"")
    assert abs(len(left) - int(0.5 * RATE)) < RATE * 0.05  # 0.2 s + 0.3 s gap + 0.2 s, lined up
    assert np.abs(left[: int(0.15 * RATE)]).max() > 4000 and np.abs(right[: int(0.25 * RATE)]).max() < 100
    assert np.abs(right[int(0.35 * RATE):]).max() > 4000  # the reply sits after the gap, on its own track
    assert np.abs(left[int(0.35 * RATE):]).max() < 100


def test_nothing_before_the_caller_is_admitted_and_nothing_past_the_cap() -> None:
    admitted = False
    recorder = CallRecorder(max_seconds=0.1, armed=lambda: admitted)
    recorder.add(CALLER, InputAudioRawFrame(tone(300, 0.05, RATE), RATE, 1))  # "one two three four" (the PIN)
    assert recorder.wav() is None
    admitted = True
    for _ in range(10):
        recorder.add(CALLER, InputAudioRawFrame(tone(300, 0.05, RATE), RATE, 1))
    left, _ = tracks(recorder.wav() or b"")
    assert len(left) == int(0.1 * RATE)


async def test_the_disk_keeps_a_recording_whole_or_not_at_all(tmp_path: Path) -> None:
    store = DiskRecordings(tmp_path)
    key = recording_key("CA/../../etc")  # a CallSid never leaves the recordings folder
    assert key == "recordings/CA_.._.._etc.wav"
    await store.put(key, b"RIFF....")
    assert await store.read(key) == b"RIFF...." and store.local_path(key) == tmp_path / key
    with pytest.raises(OSError):
        await store.put("../outside.wav", b"x")
    assert await store.delete(key) and not await store.delete(key) and await store.read(key) is None

    full = DiskRecordings(tmp_path / "a-file")
    (tmp_path / "a-file").write_text("not a folder")  # writing under it fails as a full disk does
    with pytest.raises(OSError):
        await full.put(key, b"RIFF")
    assert sorted(os.listdir(tmp_path)) == ["a-file", "recordings"]  # nothing half-written


async def test_a_recording_the_disk_refuses_still_completes_the_call_record(runtime: Runtime, tmp_path: Path) -> None:
    session = CallSession(runtime, None, CallInfo("CA-rec-1", "phone", "+15551234567"))  # type: ignore[arg-type]
    await session.open_record()
    session.recorder = CallRecorder(max_seconds=5)
    session.recorder.add(CALLER, InputAudioRawFrame(tone(300, 0.1, RATE), RATE, 1))
    (tmp_path / "full").write_text("")
    runtime.settings = runtime.settings.model_copy(update={"data_dir": tmp_path / "full"})
    await session.close_record()
    async with runtime.sessions() as db:
        row = await db.get(CallRecording, session.recording_id or uuid.uuid4())
    assert row is not None and row.status == "completed" and row.audio_path is None
