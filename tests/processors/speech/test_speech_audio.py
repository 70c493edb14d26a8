"""Audio helpers: resampling lengths, streaming resampler, G.711 mu-law."""

import warnings

import numpy as np
import pytest

from speech.audio import (
    StreamResampler,
    float_to_int16,
    int16_to_float,
    mulaw_decode,
    mulaw_encode,
    phone_channel,
    resample,
    resampled_length,
)


@pytest.mark.parametrize("out_rate", [8000, 16000, 24000, 48000])
@pytest.mark.parametrize("n", [24000, 24001, 12345, 480, 7])
def test_resample_length(n: int, out_rate: int) -> None:
    x = (np.sin(np.arange(n) * 0.05) * 10000).astype(np.int16)
    y = resample(x, 24000, out_rate)
    assert y.dtype == np.int16
    assert y.size == resampled_length(n, 24000, out_rate) == round(n * out_rate / 24000)


def test_resample_preserves_tone() -> None:
    sr = 24000
    t = np.arange(sr) / sr
    x = float_to_int16(0.5 * np.sin(2 * np.pi * 440 * t))
    y = int16_to_float(resample(x, sr, 8000))
    spec = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spec) * 8000 / y.size - 440) < 2


def test_stream_resampler_total_length() -> None:
    r = StreamResampler(24000, 8000)
    chunks = [r.process(np.zeros(480, np.int16)) for _ in range(100)]  # 2 s in 20 ms chunks
    total = sum(c.size for c in chunks) + r.flush().size
    assert total == 16000


def test_mulaw_roundtrip_and_reference() -> None:
    x = np.arange(-32768, 32768, dtype=np.int16)
    enc = mulaw_encode(x)
    assert enc.dtype == np.uint8 and enc.size == x.size
    dec = mulaw_decode(enc)
    # mu-law keeps about 2.4 % relative precision for large samples
    big = np.abs(x.astype(np.int32)) > 1000
    assert np.max(np.abs(dec[big].astype(np.int32) - x[big]) / np.abs(x[big])) < 0.04
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop")
    assert enc.tobytes() == audioop.lin2ulaw(x.tobytes(), 2)
    assert dec.tobytes() == audioop.ulaw2lin(enc.tobytes(), 2)


def test_phone_channel_is_8k() -> None:
    x = (np.random.default_rng(0).standard_normal(24000) * 3000).astype(np.int16)
    y = phone_channel(x, 24000)
    assert y.dtype == np.int16 and y.size == 8000
