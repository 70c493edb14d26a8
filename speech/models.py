"""The speech models a server uses, owned by one `SpeechModels` object the server makes, warms up and
closes: the recogniser's language model (built from every domain's sentences), the PocketSphinx worker
pool, the Moonshine worker process and the in-process Moonshine model, the hibari voice, and the VAD and
end-of-turn sessions every call's turn analyzers share.

Each is loaded on first use, once per object, thread-safely; `SpeechModels.warm_up` runs the loads a
server needs at start so the first call does not pay for them. A test or a second app holds its own.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from core.config import Settings
from core.grammar.dialogue import parse_dialogue
from core.grammar.registry import Corpus, corpus, default_parser

from .hibari import HibariVoice
from .lm_builder import LanguageModel, LMConfig, build_language_model
from .moonshine import MoonshineRecognizer
from .moonshine_worker import MoonshineWorkers
from .sphinx_decoder import DecoderSettings, SpeechEvent
from .sphinx_pool import DecoderPool
from .spoken import spoken_form
from .turn import TurnModels

log = logging.getLogger(__name__)

def speech_dir(settings: Settings) -> Path:
    """Where built language models are cached: DATA_DIR/speech."""
    return settings.data_dir / "speech"


SENTENCES_PER_TEMPLATE = 64
"""Every template weighs the same in the language model: 64 sentences each (27k in all). With the
grammar's plain corpus (every phrasing once, 20k sentences) a template weighed as much as its pattern
has flattenings, and "add" started one sentence in six; balancing cut in-template WER on generated
phone audio from 3.7 % to 2.7 % and raised intent accuracy from 86 % to 89 %."""


LM_CONFIG = LMConfig(general_vocab_size=20000, max_general_bigrams=300000, domain_search=True)
"""The general English part covers free text (todo titles, names). With the 20,000 most frequent
words rather than 5,000, out-of-template phone audio measured 20 % WER and 36 % intent accuracy
instead of 27 % and 14 %; in-template WER rose from 2.7 % to 3.6 % (intent 89 % to 86 %), decoder CPU
by about 20 %, and each open decoder takes about 20 MB instead of about 6 MB.

``domain_search`` also writes the in-domain trigram alone, the second search of every decoder: an
utterance none of whose readings the grammar understands word for word (about 1 in 10 on generated
phone commands) is decoded again with it (`SphinxStream.reread`, ~0.05 s CPU per second of speech),
where no general English word can beat a command word ("however the appointment" for "call off the
appointment"). With it, in-template intent accuracy on the test set went from 88.9 % to 96.0 % and
WER from 3.1 % to 1.3 %; out-of-template figures did not move (18.8 % / 36.1 %)."""


@cache
def _grammar_corpus() -> Corpus:
    return corpus(balanced=SENTENCES_PER_TEMPLATE)


@cache
def corpus_sentences() -> tuple[str, ...]:
    """What callers are expected to say: `SENTENCES_PER_TEMPLATE` generated sentences of every
    template (repeats kept: they are its weight), and each slot's phrases on their own (the answers
    to the assistant's questions), in spoken form. Generated once per process."""
    c = _grammar_corpus()
    phrases = dict.fromkeys(p for slot in c.slots.values() for p in slot.phrases)
    spoken: dict[str, str] = {}
    return tuple(spoken.get(s) or spoken.setdefault(s, spoken_form(s)) for s in (*c.sentences, *phrases))


def build_domain_language_model(settings: Settings, voice: HibariVoice | None = None) -> LanguageModel:
    """The recogniser's language model and dictionary, built from the domains' grammar and cached on
    disk under DATA_DIR/speech (rebuilt only when the sentences change; `voice` reads the words CMUdict
    lacks)."""
    lm = build_language_model(corpus_sentences(), speech_dir(settings).resolve(), config=LM_CONFIG, voice=voice)
    if not lm.from_cache:
        log.info("built the speech language model in %.1fs (%d words) under %s",
                 lm.build_seconds, lm.vocab_size, lm.directory)
    return lm


def decoder_settings(sample_rate: int) -> DecoderSettings:
    """Acoustic front end and search settings for the en-us model in the pocketsphinx wheel."""
    if sample_rate not in (8000, 16000):
        raise ValueError(f"the offline recogniser decodes 8000 or 16000 Hz audio, not {sample_rate}")
    return DecoderSettings(sample_rate=sample_rate, nbest=NBEST, fwdflat=FWDFLAT)


FWDFLAT = True
"""Keep pocketsphinx's fwdflat second pass at the end of an utterance. It costs ~50 ms CPU p50 /
~100 ms p95 per final (75 / 210 ms wall on the loaded 2-core box; without it 5 / 14 ms), but the STT
runs it speculatively during the VAD stop window (`SpeechPauseFrame`), so on the phone-path benchmark
the final came 2 ms p50 / 3 ms p95 after the VAD stop with it (quiet machine). Without it, on generated
phone commands ended where a call ends them (`--pause-windows 1`), in-template WER / intent were
3.2 % / 88.9 % against 2.8 % / 88.1 % with it (out-of-template 19.2 % / 36.1 % against 18.8 % / 36.1 %),
and "what is on my calendar today" was heard as "what is on the calendar today" in 9 of 10 calls."""


NBEST = 10
"""Other readings of each utterance the decoder returns for `grammar_choice` (about 0.3 ms a final).
On generated phone commands choosing among 10 raised in-template intent accuracy from 85.7 % to
87.3 % before the domain search existed (30 readings: no better, 20 % more decoder CPU);
tests/processors/speech/test_stt_accuracy.py prints the figures with and without choosing."""


def understood(text: str) -> bool:
    """Whether the assistant's grammar reads `text`, word for word, as a command or a conversation
    move (the parser's relaxed pass, which drops words and rewrites synonyms, is left to the agent:
    an exact reading of another transcript is better evidence than a guess at this one)."""
    return default_parser().parse(text, datetime.now(), relaxed=False) is not None or parse_dialogue(text) is not None


def grammar_choice(event: SpeechEvent) -> str | None:
    """The transcript to act on: the recogniser's best reading if the grammar understands it, else
    the first of the next readings from the lattice (``event.alternatives``) it understands, else
    None: the STT then reads the utterance again with the in-domain model alone and asks once more,
    and failing that keeps the best reading (a free answer such as a todo title or a name, or a
    request the agent's relaxed parse may still read). A wrong function word ("when are my todos")
    loses a parse; the reading the acoustics ranked second ("what are my todos") often has it."""
    return next((text for text in (event.text, *event.alternatives) if text and understood(text)), None)


def moonshine_readers(settings: Settings) -> int:
    """Moonshine worker processes per server process: MOONSHINE_WORKERS, else the cores shared out over the
    server's processes (WORKERS; `convonet serve --workers N` sets it), at least 1."""
    if settings.moonshine_workers:
        return settings.moonshine_workers
    return max(1, (os.cpu_count() or 1) // (settings.workers or 1))


@dataclass(frozen=True)
class WarmUp:
    """What `SpeechModels.warm_up` loaded and how long each part took (seconds)."""

    timings: dict[str, float] = field(default_factory=dict)


class SpeechModels:
    """One server's speech models, each loaded on first use and kept until `close`; every call shares them.

    `preload` loads what is read-only and safe to share across a fork (the VAD and turn sessions, the
    hibari voice, the language model's files); the worker processes (PocketSphinx's pool, Moonshine's
    reader) and threads (smart-turn's, the voice's) are started after it, by `warm_up` or the first
    call, and stopped by `close` (the next use starts new ones).

    `voice`, `turn` and `moonshine` are this object's own unless given: a caller that runs several servers
    in one process (the test suite) may share its loaded ones, and then stops their threads and processes
    itself."""

    def __init__(self, settings: Settings, *, voice: HibariVoice | None = None,
                 turn: TurnModels | None = None, moonshine: MoonshineWorkers | None = None) -> None:
        if moonshine is not None and moonshine.model != settings.moonshine_model:
            raise ValueError(f"the Moonshine workers given read with {moonshine.model!r}, not MOONSHINE_MODEL "
                             f"{settings.moonshine_model!r}")
        self.settings = settings
        self.voice = voice if voice is not None else HibariVoice()
        """The hibari voice every call's offline TTS speaks with (loaded on first use, `hibari_voice`)."""
        self.turn = turn if turn is not None else TurnModels()
        """The VAD and end-of-turn sessions every call's analyzers run on (`bots.turn_models`)."""
        self._owned: list[HibariVoice | TurnModels] = [
            part for part, given in ((self.voice, voice), (self.turn, turn)) if given is None]
        self._lock = threading.Lock()
        self._language_model: LanguageModel | None = None
        self._pool: DecoderPool | None = None
        self._worker: MoonshineWorkers | None = moonshine
        self._owns_worker = moonshine is None
        self._recognizer: MoonshineRecognizer | None = None

    def language_model(self) -> LanguageModel:
        """The PocketSphinx recogniser's language model and dictionary (`build_domain_language_model`)."""
        with self._lock:
            if self._language_model is None:
                self._language_model = build_domain_language_model(self.settings, self.voice)
            return self._language_model

    def decoder_pool(self) -> DecoderPool:
        """The worker processes every SphinxSTTService decodes in (started lazily)."""
        with self._lock:
            if self._pool is None:
                self._pool = DecoderPool()
            return self._pool

    def moonshine_worker(self) -> MoonshineWorkers:
        """The worker processes every MoonshineSTTService reads in (started by `warm_up` or the first
        reading): `moonshine_readers` of them, each with the model, each reading one utterance at a time."""
        with self._lock:
            if self._worker is None:
                self._worker = MoonshineWorkers(self.settings.moonshine_model, moonshine_readers(self.settings))
            return self._worker

    def recognizer(self) -> MoonshineRecognizer:
        """The Moonshine model MOONSHINE_MODEL names, in this process (the accuracy harness and tests
        read with it; a server's calls read in `moonshine_worker`)."""
        with self._lock:
            if self._recognizer is None:
                self._recognizer = MoonshineRecognizer(model=self.settings.moonshine_model)
            return self._recognizer

    def hibari_voice(self) -> HibariVoice:
        """The hibari voice shipped in its wheel, loaded."""
        self.voice.load()
        return self.voice

    def preload(self) -> None:
        """Load, before a fork, what every call reads and never writes: the VAD and turn sessions, and for
        the configured providers the hibari voice and the PocketSphinx language model's files."""
        self.turn.load()
        if self.settings.tts_provider == "hibari":
            self.hibari_voice()
        if self.settings.stt_provider == "sphinx":
            self.language_model()

    def warm_up(self) -> WarmUp:
        """Load what the configured offline providers need (blocking; run it at server start, in a
        thread if an event loop is running)."""
        settings, timings = self.settings, {}
        t0 = time.perf_counter()
        self.turn.load()
        timings["turn_models"] = time.perf_counter() - t0
        if settings.tts_provider == "hibari":
            t0 = time.perf_counter()
            self.hibari_voice()
            timings["hibari_voice"] = time.perf_counter() - t0
        if settings.stt_provider == "moonshine":
            t0 = time.perf_counter()
            self.moonshine_worker().start()
            timings["moonshine"] = time.perf_counter() - t0
        if settings.stt_provider == "sphinx":
            t0 = time.perf_counter()
            self.language_model()
            timings["language_model"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            self.decoder_pool().start()
            timings["decoder_workers"] = time.perf_counter() - t0
        return WarmUp(timings)

    def close(self) -> None:
        """Stop the speech worker processes, PocketSphinx's and Moonshine's, and the threads of the voice
        and turn models this object owns (at server shutdown); the next use starts new ones."""
        with self._lock:
            pool, self._pool = self._pool, None
            worker = self._worker if self._owns_worker else None
        if pool is not None:
            pool.shutdown()
        if worker is not None:
            worker.shutdown()
        for part in self._owned:
            part.close()
