"""Process-wide offline speech models, each loaded once: the recogniser's language model (built
from every domain's sentences), its decoder settings and worker pool, and the hibari voice.

Every function is idempotent and thread-safe; :func:`warm_up` runs the loads a server needs at
start so the first call does not pay for them.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from core.config import Settings
from core.grammar.registry import corpus

from . import hibari
from .lm_builder import LanguageModel, build_language_model
from .sphinx_decoder import DecoderSettings
from .sphinx_pool import DecoderPool

log = logging.getLogger(__name__)

_lm_lock = threading.Lock()
_language_models: dict[Path, LanguageModel] = {}
_pool_lock = threading.Lock()
_pool: DecoderPool | None = None


def speech_dir(settings: Settings) -> Path:
    """Where built language models are cached: DATA_DIR/speech."""
    return settings.data_dir / "speech"


# Written forms the grammar produces but people say differently; lm_builder spells digits itself.
_SPOKEN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\$(\d+)", r"\1 dollars"),
        (r"(\d)%", r"\1 percent"),
        (r"(\d+)\.(\d+)", r"\1 point \2"),
        (r"\b(\d+)k\b", r"\1 thousand"),
        (r"@", " at "),
        (r"(?<=[a-z0-9])\.(?=[a-z])", " dot "),
        (r"\boclock\b", "o'clock"),
    )
)


def spoken_form(text: str) -> str:
    """`bob@example.com`, `6.5%`, `$350000`, `120k` as they are said (`bob at example dot com`, ...)."""
    for pattern, repl in _SPOKEN:
        text = pattern.sub(repl, text)
    return text


@cache
def corpus_sentences() -> tuple[str, ...]:
    """What callers are expected to say: every generated sentence, and each slot's phrases on their
    own (the answers to the assistant's questions), in spoken form. Generated once per process."""
    c = corpus()
    phrases = (p for slot in c.slots.values() for p in slot.phrases)
    return tuple(dict.fromkeys(spoken_form(s) for s in (*c.sentences, *phrases)))


def language_model(settings: Settings) -> LanguageModel:
    """The recogniser's language model and dictionary, built once per process from the domains'
    grammar and cached on disk under DATA_DIR/speech (rebuilt only when the sentences change)."""
    cache = speech_dir(settings).resolve()
    with _lm_lock:
        lm = _language_models.get(cache)
        if lm is None:
            lm = build_language_model(corpus_sentences(), cache)
            if not lm.from_cache:
                log.info("built the speech language model in %.1fs (%d words) under %s",
                         lm.build_seconds, lm.vocab_size, lm.directory)
            _language_models[cache] = lm
    return lm


def decoder_settings(sample_rate: int) -> DecoderSettings:
    """Acoustic front end and search settings for the en-us model in the pocketsphinx wheel."""
    if sample_rate not in (8000, 16000):
        raise ValueError(f"the offline recogniser decodes 8000 or 16000 Hz audio, not {sample_rate}")
    return DecoderSettings(sample_rate=sample_rate)


def decoder_pool() -> DecoderPool:
    """The worker processes every SphinxSTTService decodes in (started lazily)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = DecoderPool()
        return _pool


def shutdown_decoder_pool() -> None:
    """Stop the decoder workers (at server shutdown); the next use starts new ones."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown()


def hibari_voice() -> Any:
    """The hibari voice shipped in its wheel, loaded once."""
    return hibari.get_model()


@dataclass(frozen=True)
class WarmUp:
    """What :func:`warm_up` loaded and how long each part took (seconds)."""

    timings: dict[str, float] = field(default_factory=dict)


def warm_up(settings: Settings) -> WarmUp:
    """Load what the configured offline providers need (blocking; run it at server start, in a
    thread if an event loop is running)."""
    timings: dict[str, float] = {}
    if settings.tts_provider == "hibari":
        t0 = time.perf_counter()
        hibari_voice()
        timings["hibari_voice"] = time.perf_counter() - t0
    if settings.stt_provider == "sphinx":
        t0 = time.perf_counter()
        language_model(settings)
        timings["language_model"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        decoder_pool().start()
        timings["decoder_workers"] = time.perf_counter() - t0
    return WarmUp(timings)
