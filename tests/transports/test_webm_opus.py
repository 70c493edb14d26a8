"""The WebM/Opus decoder gives the same sound however the recording is cut into chunks."""

from __future__ import annotations

import numpy as np
import pytest

from tests.transports.test_voice_ws import webm_of
from transports.webm_opus import NotWebm, WebmOpusDecoder


def decode(data: bytes, step: int) -> np.ndarray:
    decoder = WebmOpusDecoder(16000)
    pcm = b"".join(decoder.feed(data[at : at + step]) for at in range(0, len(data), step)) + decoder.finish()
    return np.frombuffer(pcm, "<i2")


def test_any_chunking_decodes_the_same_audio() -> None:
    data = webm_of("remind me at two to call the dentist")
    whole = decode(data, len(data))
    assert 2.0 < len(whole) / 16000 < 6.0 and np.abs(whole.astype(np.int32)).max() > 1000
    for step in (1, 97, 4096):
        assert np.array_equal(decode(data, step), whole)


def test_a_half_arrived_recording_yields_only_what_is_complete() -> None:
    data = webm_of("create a todo to buy milk")
    decoder = WebmOpusDecoder(16000)
    first = decoder.feed(data[: len(data) // 2])
    assert 0 < len(first) < len(decode(data, len(data))) * 2


def test_anything_else_is_refused() -> None:
    with pytest.raises(NotWebm):
        WebmOpusDecoder().feed(b"RIFF....WAVEfmt ")
    decoder = WebmOpusDecoder(max_bytes=1000)
    with pytest.raises(NotWebm, match="too long"):
        decoder.feed(webm_of("hello there"))
