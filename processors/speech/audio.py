"""Small audio helpers shared by the speech stack: sample format conversion,
resampling (soxr when installed, numpy fallback otherwise) and G.711 mu-law.

Everything works on mono numpy arrays; int16 PCM is the interchange format
(what telephony and Pipecat frames carry), float32 in [-1, 1] is what models
produce.
"""

from __future__ import annotations

import numpy as np

try:  # soxr ships with pipecat; keep a fallback so the module never hard-fails.
    import soxr as _soxr
except ImportError:  # pragma: no cover - exercised only without soxr
    _soxr = None

HAVE_SOXR: bool = _soxr is not None

PHONE_RATE = 8000
ASR_RATE = 16000
BROWSER_RATES = (16000, 24000, 48000)


def float_to_int16(audio: np.ndarray) -> np.ndarray:
    """float [-1, 1] -> int16 PCM (clipped)."""
    a = np.asarray(audio, dtype=np.float32)
    return (np.clip(a, -1.0, 1.0) * 32767.0).astype(np.int16)


def int16_to_float(pcm: np.ndarray | bytes) -> np.ndarray:
    """int16 PCM (array or little-endian bytes) -> float32 in [-1, 1)."""
    a = np.frombuffer(pcm, dtype="<i2") if isinstance(pcm, (bytes, bytearray, memoryview)) else np.asarray(pcm)
    return a.astype(np.float32) / 32768.0


def as_int16(pcm: np.ndarray | bytes | bytearray | memoryview) -> np.ndarray:
    """Bytes or array -> int16 numpy array (no copy for bytes)."""
    if isinstance(pcm, (bytes, bytearray, memoryview)):
        return np.frombuffer(pcm, dtype="<i2")
    a = np.asarray(pcm)
    if a.dtype == np.int16:
        return a
    if np.issubdtype(a.dtype, np.floating):
        return float_to_int16(a)
    return np.clip(a, -32768, 32767).astype(np.int16)


def resampled_length(n: int, in_rate: int, out_rate: int) -> int:
    """Number of samples a one-shot resample of ``n`` samples produces."""
    if in_rate == out_rate:
        return n
    return round(n * out_rate / in_rate)


def resample(audio: np.ndarray, in_rate: int, out_rate: int, quality: str = "HQ") -> np.ndarray:
    """Resample a whole mono signal; keeps the dtype (int16 or float32).

    Output length is ``resampled_length(len(audio), in_rate, out_rate)``.
    """
    a = np.asarray(audio)
    if in_rate == out_rate or a.size == 0:
        return a.copy() if in_rate == out_rate else np.zeros(0, a.dtype)
    want = resampled_length(a.size, in_rate, out_rate)
    if _soxr is not None:
        src = a if a.dtype in (np.int16, np.float32, np.float64, np.int32) else a.astype(np.float32)
        out = _soxr.resample(src, in_rate, out_rate, quality=quality)
    else:  # pragma: no cover - fallback path
        out = _interp_resample(a.astype(np.float32), in_rate, out_rate, want)
        if a.dtype == np.int16:
            out = np.clip(np.round(out), -32768, 32767).astype(np.int16)
    if out.size != want:  # soxr may differ by one sample from round(); normalise
        out = out[:want] if out.size > want else np.pad(out, (0, want - out.size))
    return out.astype(a.dtype, copy=False) if a.dtype in (np.int16, np.float32) else out


def _interp_resample(a: np.ndarray, in_rate: int, out_rate: int, n_out: int) -> np.ndarray:
    """Linear-interpolation resampler with a crude moving-average anti-alias."""
    if out_rate < in_rate:
        k = max(1, round(in_rate / out_rate))
        a = np.convolve(a, np.ones(k, np.float32) / k, mode="same")
    t = np.arange(n_out, dtype=np.float64) * (in_rate / out_rate)
    return np.interp(t, np.arange(a.size), a).astype(np.float32)


class StreamResampler:
    """Chunk-by-chunk resampler for a continuous stream (keeps filter state).

    Feed int16 (or float32) chunks with :meth:`process`; call
    :meth:`flush` at the end of the stream to get the filter tail.
    """

    def __init__(self, in_rate: int, out_rate: int, dtype: str = "int16", quality: str = "HQ") -> None:
        self.in_rate, self.out_rate, self.dtype = in_rate, out_rate, np.dtype(dtype)
        self._stream = None
        if in_rate != out_rate and _soxr is not None:
            self._stream = _soxr.ResampleStream(in_rate, out_rate, 1, dtype=dtype, quality=quality)

    def process(self, chunk: np.ndarray, last: bool = False) -> np.ndarray:
        """Resample one chunk; ``last=True`` also drains the tail."""
        a = np.asarray(chunk, dtype=self.dtype)
        if self.in_rate == self.out_rate:
            return a
        if self._stream is None:  # pragma: no cover - fallback path
            return resample(a, self.in_rate, self.out_rate)
        return self._stream.resample_chunk(a, last=last)

    def flush(self) -> np.ndarray:
        """Drain whatever the filter still holds."""
        return self.process(np.zeros(0, self.dtype), last=True)


class Upsampler2x:
    """Low-latency streaming 2x upsampler (8 kHz -> 16 kHz) for the recogniser.

    soxr's streaming mode releases output in ~100 ms blocks, which would delay
    interim results; this linear-phase FIR (63 taps, Kaiser-windowed sinc) has a
    fixed delay of 31 output samples (~2 ms) and returns exactly twice the input
    length for every chunk.
    """

    def __init__(self, taps: int = 63, beta: float = 7.0) -> None:
        if taps % 2 == 0:
            raise ValueError("taps must be odd")
        k = np.arange(taps) - (taps - 1) / 2
        self._h = (np.sinc(k / 2) * np.kaiser(taps, beta)).astype(np.float32)
        self._hist = np.zeros(taps - 1, np.float32)

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """int16 chunk at rate r -> float32 chunk at 2r (twice as long)."""
        x = np.asarray(chunk, np.float32)
        u = np.zeros(2 * x.size, np.float32)
        u[::2] = x
        buf = np.concatenate([self._hist, u])
        self._hist = buf[buf.size - self._hist.size:]
        return np.convolve(buf, self._h, mode="valid")

    def flush(self) -> np.ndarray:
        """Push the filter delay out (zeros in) at the end of a stream."""
        out = self.process(np.zeros((self._hist.size + 1) // 4 + 1, np.float32))
        self.reset()
        return out

    def reset(self) -> None:
        """Forget the filter history."""
        self._hist[:] = 0.0


# ---------------------------------------------------------------- G.711 mu-law
_MU_BIAS = 0x84
_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)


def mulaw_encode(pcm: np.ndarray | bytes) -> np.ndarray:
    """int16 PCM -> G.711 mu-law bytes (uint8 array), bit-exact with audioop.lin2ulaw."""
    x = as_int16(pcm).astype(np.int32) >> 2  # 14-bit, as the reference implementation
    mask = np.where(x < 0, 0x7F, 0xFF)
    mag = np.minimum(np.abs(x), 8159) + (_MU_BIAS >> 2)
    seg = np.searchsorted(_SEG_END, mag)  # first segment whose end >= mag
    mantissa = (mag >> (np.minimum(seg, 7) + 1)) & 0x0F
    u = np.where(seg >= 8, 0x7F, (np.minimum(seg, 7) << 4) | mantissa)
    return ((u ^ mask) & 0xFF).astype(np.uint8)


def _build_mulaw_table() -> np.ndarray:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    mag = (((mantissa << 3) + _MU_BIAS) << exponent) - _MU_BIAS
    return np.where(sign != 0, -mag, mag).astype(np.int16)


_MULAW_TABLE = _build_mulaw_table()


def mulaw_decode(data: np.ndarray | bytes) -> np.ndarray:
    """G.711 mu-law bytes -> int16 PCM."""
    u = np.frombuffer(data, dtype=np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else np.asarray(data, np.uint8)
    return _MULAW_TABLE[u]


def phone_channel(pcm: np.ndarray, rate: int) -> np.ndarray:
    """Simulate the phone path: resample to 8 kHz, mu-law encode and decode.

    Returns int16 PCM at 8 kHz.
    """
    narrow = resample(as_int16(pcm), rate, PHONE_RATE)
    return mulaw_decode(mulaw_encode(narrow))
