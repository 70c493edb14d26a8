"""Silence reaches the pipeline in 60 ms pieces; anything audible, and the VAD stop window after it,
frame by frame, in order, with nothing lost."""

from __future__ import annotations

import numpy as np

from transports.inbound_audio import QuietBatcher

RATE = 8000
FRAME = 320  # 20 ms of 16-bit audio at 8 kHz


def _frames(n: int, *, loud: bool) -> list[bytes]:
    level = 3000 if loud else 0
    return [(np.full(FRAME // 2, level, np.int16)).tobytes() for _ in range(n)]


def test_silence_is_batched_speech_is_not_and_nothing_is_lost() -> None:
    batcher = QuietBatcher(RATE, hangover_secs=0.4)
    sent = _frames(23, loud=False) + _frames(10, loud=True) + _frames(40, loud=False)
    out = [batcher.add(f) for f in sent]
    passed = [o for o in out if o is not None]
    assert b"".join(passed) + bytes(batcher._held) == b"".join(sent)  # order kept, nothing dropped
    assert out[:2] == [None] * 2 and out[2] is not None and len(out[2]) == 3 * FRAME  # silence: 60 ms pieces
    first_loud = out[23]
    assert first_loud is not None and first_loud.endswith(sent[23])  # speech goes at once, with what was held
    assert len(first_loud) == 3 * FRAME  # the two held silent frames and the loud one
    assert all(o == f for o, f in zip(out[24:52], sent[24:52], strict=True))  # speech and the 0.4 s after it
    assert out[52:54] == [None] * 2 and out[54] is not None  # then silence is batched again


def test_a_noise_floor_below_the_vad_volume_counts_as_silence() -> None:
    batcher = QuietBatcher(RATE, hangover_secs=0.4)
    hiss = (np.random.default_rng(0).standard_normal(FRAME // 2) * 15).astype(np.int16).tobytes()
    assert [batcher.add(hiss) for _ in range(3)][:2] == [None] * 2
