"""The audio a caller's sentence reaches the recogniser as: hibari's voice at a speaking rate, then a
phone line or a browser.

Synthesis is cached on disk (one ``.npy`` per text, rate and hibari version), so a rerun only pays
for the line. The line is drawn per utterance from a seed of its text and rate, so every run hears
the same audio: a level change (`GAIN_DB`), low-level line noise (white or pink, `SNR_DB` below the
speech), and then either the phone path (300-3400 Hz band, 8 kHz G.711 mu-law) or the browser path
(16 kHz linear PCM).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import numpy as np

from core.grammar.text import normalize
from speech import hibari
from speech.audio import (
    ASR_RATE,
    PHONE_RATE,
    float_to_int16,
    int16_to_float,
    mulaw_decode,
    mulaw_encode,
    resample,
)
from speech.spoken import spoken_form
from tests.voice import VOICE

LinePath = Literal["phone", "browser"]
PATH_RATES: dict[str, int] = {"phone": PHONE_RATE, "browser": ASR_RATE}
PAD_SECS = 0.3  # silence (line noise only) before and after each utterance
GAIN_DB = (-12.0, 3.0)
SNR_DB = (25.0, 35.0)
BAND_HZ = (300.0, 3400.0)
VOICE_SEED = 0


def voiced_text(said: str) -> str:
    """What hibari is given to say: the sentence in spoken words (digits, times, money spelled out)."""
    return spoken_form(normalize(said))


# ------------------------------------------------------------------ synthesis, cached
def _key(text: str, speed: float) -> str:
    raw = f"hibari {version('hibari-tts')} {hibari.BUNDLED_VOICE} seed {VOICE_SEED} speed {speed:.3f}\n{text}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _synthesize(text: str, speed: float) -> np.ndarray:
    return VOICE.synthesize(text, hibari.MODEL_RATE, speed=speed, seed=VOICE_SEED)[0]


def _synthesize_to(job: tuple[str, float, Path]) -> None:
    text, speed, path = job
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, _synthesize(text, speed))
    tmp.replace(path)


def voices(texts: Sequence[str], speed: float, cache_dir: Path, workers: int = 2) -> list[np.ndarray]:
    """hibari saying each text at `speed` (1.0 its own pace, 1.2 faster), int16 at 24 kHz; what is
    not yet in `cache_dir` is synthesised by `workers` processes."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    paths = [cache_dir / f"{_key(t, speed)}.npy" for t in texts]
    missing = list({p: (t, speed, p) for t, p in zip(texts, paths, strict=True) if not p.exists()}.values())
    if len(missing) > 8 and workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(_synthesize_to, missing, chunksize=8))
    else:
        for job in missing:
            _synthesize_to(job)
    return [np.load(p) for p in paths]


# ------------------------------------------------------------------ the line
@dataclass(frozen=True)
class LineConditions:
    """What the line did to one utterance."""

    gain_db: float
    snr_db: float
    noise: Literal["white", "pink"]


def conditions_for(said: str, speed: float) -> LineConditions:
    """The line one utterance gets, the same on every run."""
    rng = np.random.default_rng(zlib.crc32(f"{said}|{speed:.3f}".encode()))
    return LineConditions(float(rng.uniform(*GAIN_DB)), float(rng.uniform(*SNR_DB)),
                          "pink" if rng.random() < 0.5 else "white")


def _speech_power(x: np.ndarray, rate: int) -> float:
    """Mean power of the frames within 30 dB of the loudest 20 ms (the speech, not its pauses)."""
    frame = rate // 50
    frames = x[: x.size // frame * frame].reshape(-1, frame)
    power = (frames * frames).mean(axis=1)
    if not power.size or power.max() <= 0:
        return 0.0
    return float(power[power >= power.max() * 1e-3].mean())


def _noise(n: int, colour: str, rng: np.random.Generator) -> np.ndarray:
    white = rng.standard_normal(n)
    if colour == "white":
        return white
    spectrum = np.fft.rfft(white)
    f = np.fft.rfftfreq(n)
    spectrum[1:] /= np.sqrt(f[1:] / f[1])  # 1/f power: -3 dB per octave
    spectrum[0] = 0
    return np.fft.irfft(spectrum, n)


def _band_pass(rate: int, low: float, high: float, taps: int = 127) -> np.ndarray:
    """Windowed-sinc FIR passing `low`-`high` Hz."""
    k = np.arange(taps) - (taps - 1) / 2

    def low_pass(cut: float) -> np.ndarray:
        return 2 * cut / rate * np.sinc(2 * cut / rate * k)

    return (low_pass(high) - low_pass(low)) * np.blackman(taps)


def through_line(voice: np.ndarray, said: str, speed: float, path: LinePath) -> np.ndarray:
    """`voice` (int16 at hibari's rate) as the recogniser gets it on `path`: int16 at 8 kHz (phone,
    after the band limit and mu-law) or 16 kHz (browser)."""
    rate = PATH_RATES[path]
    line = conditions_for(said, speed)
    x = int16_to_float(resample(voice, hibari.MODEL_RATE, rate)).astype(np.float64)
    pad = np.zeros(int(PAD_SECS * rate))
    x = np.concatenate([pad, x * 10 ** (line.gain_db / 20), pad])
    rng = np.random.default_rng(zlib.crc32(f"noise|{said}|{speed:.3f}".encode()))
    noise = _noise(x.size, line.noise, rng)
    x = x + noise * np.sqrt(_speech_power(x, rate) / 10 ** (line.snr_db / 10) / max(float(np.mean(noise * noise)), 1e-12))
    if path == "phone":
        x = np.convolve(x, _band_pass(rate, *BAND_HZ), mode="same")
        return mulaw_decode(mulaw_encode(float_to_int16(x.astype(np.float32))))
    return float_to_int16(x.astype(np.float32))
