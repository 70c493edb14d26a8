"""Moonshine English: the neural offline recogniser whose weights ship inside wheels.

``moonshine-voice==0.0.55`` bundles ``assets/tiny-en``, so nothing is downloaded at run time (later
versions fetch their models; the pin matters). ``MOONSHINE_MODEL=base`` chooses Moonshine base instead,
from ``moonshine-cpp==0.1.4`` (``moonshine_cpp/models/base-en``): fewer word errors for ~5x the CPU and
~600 MB more memory (`MODELS`; README "Understanding what callers say"). Its files are found with
``importlib.util.find_spec``, never by importing the package: its ``__init__`` loads the onnxruntime
1.22.1 it bundles into the process, beside ours. The project runs those files on onnxruntime itself
(`moonshine_decoder`: the whole utterance, beam search) instead of the package's C library. One model
is loaded per server (`speech.models.SpeechModels`) and every call shares it: a call costs no memory of its
own. The audio one call decodes is bounded (`MAX_SECONDS`) so that a long monologue holds the model
for a bounded time; a long request is read in pieces of at most `PIECE_SECONDS`. Only
``moonshine_voice.utils`` is imported (where the wheel keeps the files): the
package's microphone helper needs PortAudio, which a server does not have.
"""

from __future__ import annotations

import importlib.util
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from moonshine_voice.utils import get_model_path

from .audio import ASR_RATE, PHONE_RATE, as_int16, int16_to_float, resample
from .moonshine_decoder import BEAM, MoonshineModel, Reading
from .spoken import spoken_transcript

MODEL_NAME = "tiny-en"
"""The model ``moonshine-voice`` bundles (`moonshine_voice.utils.get_model_path`)."""
ModelName = Literal["tiny", "base"]


@dataclass(frozen=True)
class ModelChoice:
    """How one Moonshine model is read: its beam and whether the empty reading is left out
    (`moonshine_decoder.MoonshineModel`)."""

    beam: int
    drop_empty: bool


MODELS: dict[str, ModelChoice] = {
    "tiny": ModelChoice(beam=BEAM, drop_empty=False),
    "base": ModelChoice(beam=3, drop_empty=True),
}
"""The models `MOONSHINE_MODEL` names. Base with a beam of 3 read dev3 (phone, 1.0x) as well as with 6
for ~15 % less CPU; it often ranks the empty reading first on plain speech, so that one is dropped."""
BASE_PACKAGE = "moonshine_cpp"
BASE_DIR = ("models", "base-en")


def model_dir(name: str) -> Path:
    """The directory of a Moonshine model's files (``encoder_model.ort``, ``decoder_model_merged.ort``,
    ``tokenizer.bin``): tiny from ``moonshine-voice``, base from ``moonshine-cpp`` (located, not imported)."""
    if name == "tiny":
        return Path(get_model_path(MODEL_NAME))
    if name == "base":
        spec = importlib.util.find_spec(BASE_PACKAGE)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("MOONSHINE_MODEL=base needs the moonshine-cpp==0.1.4 wheel (pinned; reinstall with `make`)")
        path = Path(next(iter(spec.submodule_search_locations))).joinpath(*BASE_DIR)
        if not (path / "decoder_model_merged.ort").is_file():
            raise RuntimeError(f"no Moonshine base model in {path} (moonshine-cpp==0.1.4 ships it)")
        return path
    raise ValueError(f"MOONSHINE_MODEL is tiny or base, not {name!r}")
MAX_SECONDS = 20.0
"""Longest audio one utterance decodes: the last 20 s of a longer one, cut at its quietest moment near
the start so no word is split. A monologue holds the model for at most two readings (~0.9 s wall)."""
PIECE_SECONDS = 10.0
"""Longest audio one reading takes: an utterance longer than this (a caller's 30-word request at a slow
pace is 11-13 s) is read in pieces cut at pauses, each piece whole, and the texts joined. Moonshine
tiny reads a longer input badly; before pieces, the start of such a request was dropped."""
SAMPLE_RATES = (PHONE_RATE, ASR_RATE)
LEAD_SECONDS, TAIL_SECONDS = 0.2, 0.5
"""Silence put around every input, as the model saw speech in training: a word cut at the very edge
of the audio is read more often whole."""
QUIET_RMS = 60.0
"""Below this root-mean-square level (int16; speech over the phone is ~1,000-4,000) an input has no
words to read and is not decoded: the model would make some up ("you") from silence."""
_CUT_SEARCH_SECONDS = 1.0
_FRAME = 320  # 20 ms at 16 kHz


def bounded(audio: np.ndarray, rate: int, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """At most the last ``max_seconds`` of ``audio``: a longer input is cut at the quietest 20 ms
    of the first second of that window, where a pause between words most likely lies."""
    keep = int(max_seconds * rate)
    if audio.size <= keep:
        return audio
    start = audio.size - keep
    search = audio[start : start + int(_CUT_SEARCH_SECONDS * rate)].astype(np.float32)
    frame = _FRAME * rate // ASR_RATE
    frames = search[: search.size // frame * frame].reshape(-1, frame)
    quietest = int(np.argmin((frames * frames).sum(axis=1))) if frames.size else 0
    return audio[start + quietest * frame :]


def pieces(audio: np.ndarray, rate: int, piece_seconds: float = PIECE_SECONDS) -> list[np.ndarray]:
    """``audio`` in pieces of at most ``piece_seconds``, of about equal length, each cut at the quietest
    20 ms within a second either side of the even split, where a pause between words most likely lies."""
    longest = int(piece_seconds * rate)
    if audio.size <= longest:
        return [audio]
    margin = int(_CUT_SEARCH_SECONDS * rate)
    count = -(-audio.size // (longest - 2 * margin))  # ceil: every piece fits with the cut moved a second
    frame = _FRAME * rate // ASR_RATE
    cuts = [0]
    for k in range(1, count):
        lo = max(cuts[-1] + frame, audio.size * k // count - margin)
        search = audio[lo : lo + 2 * margin].astype(np.float32)
        frames = search[: search.size // frame * frame].reshape(-1, frame)
        quietest = int(np.argmin((frames * frames).sum(axis=1))) if frames.size else 0
        cuts.append(lo + quietest * frame + frame // 2)
    cuts.append(audio.size)
    return [audio[a:b] for a, b in itertools.pairwise(cuts) if b > a]


class Recognizer(Protocol):
    """Whole-utterance speech recognition: `MoonshineRecognizer` in this process, or
    `moonshine_worker.MoonshineWorker` in a worker process."""

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str: ...


class MoonshineRecognizer:
    """A loaded Moonshine model: turns a whole utterance into text, blocking, thread-safe."""

    def __init__(self, model_path: Path | None = None, *, model: str = "tiny",
                 max_seconds: float = MAX_SECONDS) -> None:
        """Loads ``model`` (tiny ~0.3 s, base ~1 s) from its wheel, or from ``model_path`` when given,
        read with ``model``'s settings (`MODELS`)."""
        if model not in MODELS:
            raise ValueError(f"MOONSHINE_MODEL is tiny or base, not {model!r}")
        choice = MODELS[model]
        self.model = model
        self._model = MoonshineModel(Path(model_path or model_dir(model)), beam=choice.beam,
                                     drop_empty=choice.drop_empty)
        self._lock = threading.Lock()
        self.max_seconds = max_seconds

    @property
    def reader(self) -> MoonshineModel:
        """The loaded model (its sessions, cache shape and tokenizer)."""
        return self._model

    def transcribe(self, pcm: np.ndarray, sample_rate: int) -> str:
        """The raw lowercase text of ``pcm`` (int16 mono at 8000 or 16000 Hz); "" for silence.

        Phone audio is upsampled to 16 kHz with the project's resampler first, so both paths
        reach the model in the same form."""
        if sample_rate not in SAMPLE_RATES:
            raise ValueError(f"Moonshine takes 8000 or 16000 Hz audio, not {sample_rate}")
        audio = as_int16(pcm)
        if audio.size == 0:
            return ""
        if sample_rate != ASR_RATE:
            audio = resample(audio, sample_rate, ASR_RATE)
        audio = bounded(audio, ASR_RATE, self.max_seconds)
        if np.sqrt(np.mean(audio.astype(np.float64) ** 2)) < QUIET_RMS:
            return ""
        texts = [self._read(piece) for piece in pieces(audio, ASR_RATE)]
        return " ".join(t for t in texts if t)

    def _read(self, audio: np.ndarray) -> str:
        """One piece of at most `PIECE_SECONDS`, with the silence the model saw speech in around it."""
        audio = np.concatenate([np.zeros(int(LEAD_SECONDS * ASR_RATE), np.int16), audio,
                                np.zeros(int(TAIL_SECONDS * ASR_RATE), np.int16)])
        with self._lock:  # one reading at a time: two at once would only share the same cores
            readings = self._model.read(int16_to_float(audio))
        return best_words(readings).lower().strip()

    def close(self) -> None:
        """Nothing to free: the sessions go with the object."""


def best_words(readings: list[Reading]) -> str:
    """The reading whose words are likeliest: spellings of the same words ("December 9th?", "december
    ninth") pool their probability, and the likeliest spelling of the winning words is returned."""
    pooled: dict[str, float] = {}
    spelling: dict[str, Reading] = {}
    for r in readings:
        words = spoken_transcript(r.text)
        pooled[words] = float(np.logaddexp(pooled[words], r.logprob)) if words in pooled else r.logprob
        if words not in spelling or r.logprob > spelling[words].logprob:
            spelling[words] = r
    if not pooled:
        return ""
    return spelling[max(pooled, key=lambda w: pooled[w])].text
