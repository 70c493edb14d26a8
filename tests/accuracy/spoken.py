"""Spoken accuracy on a hand-written set: each sentence said by hibari at several speaking rates, sent
over the phone path or the browser path (`clips`), recognised by the product's recogniser, then
scored for word error rate and for intent (what the agent makes of the words it heard, `scoring`)::

    .venv/bin/python -m tests.accuracy.spoken [--set dev|dev2|dev3|test|PATH] [--path phone|browser]
        [--rates 0.9,1.0,1.15,1.2] [--engine moonshine|sphinx] [--model tiny|base] [--limit N] [--show-errors]

``--model`` is the Moonshine model (default: the MOONSHINE_MODEL setting, tiny).

The reference of the word error rate is the sentence in spoken words (`scoring.said_words`), and the
transcript is normalised the same way; hesitations ("um", "uh") are not counted on either side. Synthesised audio is cached under ``DATA_DIR/accuracy``.
Run ``--set test`` only to report a figure; improve the product on ``dev``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import numpy as np

from bots.llm.understanding import understand
from core.config import Settings
from core.grammar.registry import REFERENCE_NOW
from tests.processors.speech.scoring import word_errors

from .clips import BAND_HZ, GAIN_DB, PATH_RATES, SNR_DB, LinePath, through_line, voiced_text, voices
from .scoring import Scored, Tally, describe, offered, overall, said_words, score, tally
from .sets import Utterance, load, set_path

Engine = Literal["moonshine", "sphinx"]
Recognise = Callable[[Sequence[np.ndarray], int], list[str]]
DEFAULT_RATES = (0.9, 1.0, 1.15, 1.2)
HESITATIONS = frozenset({"um", "umm", "uhm", "uh", "uhh", "er", "erm", "hmm", "mm", "ah"})  # not counted as words


def wer_words(text: str) -> list[str]:
    """The words a word error rate counts: spoken words without hesitations."""
    return [w for w in said_words(text) if w not in HESITATIONS]


# ------------------------------------------------------------------ recognisers
def moonshine(model: str = "tiny") -> Recognise:
    """`speech.moonshine` as the Moonshine STT service reads an utterance: the process's one
    model (``model``: tiny or base), its text in spoken form (`spoken.spoken_transcript`, what the
    service pushes to the agent).
    In this process only: the model's runtime already decodes on two threads, and two worker processes
    were no faster on 2 cores."""
    from speech.moonshine import MoonshineRecognizer
    from speech.spoken import spoken_transcript

    def recognise(clips: Sequence[np.ndarray], rate: int) -> list[str]:
        recognizer = MoonshineRecognizer(model=model)
        return [spoken_transcript(recognizer.transcribe(c, rate)) for c in clips]
    return recognise


def sphinx(settings: Settings, workers: int) -> Recognise:
    """PocketSphinx as the STT service runs it: the product's language model and decoder settings in
    `DecoderPool` processes, turns of a call on one stream, the transcript chosen between its readings
    (the measure of `tests.processors.speech.test_stt_accuracy`)."""
    from speech import models
    from speech.sphinx_pool import DecoderPool
    from tests.processors.speech.test_stt_accuracy import _decode_all
    from tests.voice import VOICE

    lm = models.build_domain_language_model(settings, VOICE)

    def recognise(clips: Sequence[np.ndarray], rate: int) -> list[str]:
        pool = DecoderPool(processes=workers)
        try:
            return [d.text for d in asyncio.run(_decode_all(pool, lm, models.decoder_settings(rate), clips))]
        finally:
            pool.shutdown()
    return recognise


# ------------------------------------------------------------------ measuring
@dataclass
class RateResult:
    """One speaking rate: what was heard for each utterance, and how it scored."""

    speed: float
    scored: list[Scored]
    word_errs: list[int]
    ref_words: list[int]
    audio_seconds: float
    recognise_seconds: float
    recognise_cpu_seconds: float = 0.0
    """CPU of this process and of its children that ended (PocketSphinx's pool) while recognising."""

    def wer(self, keep: Callable[[Utterance], bool] = lambda u: True) -> float:
        pairs = [(e, n) for s, e, n in zip(self.scored, self.word_errs, self.ref_words, strict=True) if keep(s.utterance)]
        return sum(e for e, _ in pairs) / max(sum(n for _, n in pairs), 1)


def measure(utterances: Sequence[Utterance], speeds: Sequence[float], path: LinePath, recognise: Recognise,
            cache_dir: Path, workers: int = 2) -> list[RateResult]:
    """Synthesise (or read from the cache), send over the line, recognise and score, per speaking rate."""
    rate = PATH_RATES[path]
    texts = [voiced_text(u.said) for u in utterances]
    out = []
    for speed in speeds:
        clips = [through_line(v, u.said, speed, path)
                 for u, v in zip(utterances, voices(texts, speed, cache_dir, workers), strict=True)]
        t0, cpu0 = time.perf_counter(), _cpu_seconds()
        heard = recognise(clips, rate)
        took, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
        refs = [wer_words(u.said) for u in utterances]
        errs = [word_errors(r, wer_words(h)) for r, h in zip(refs, heard, strict=True)]
        scored = score(utterances, heard, lambda text: understand(text, REFERENCE_NOW))
        out.append(RateResult(speed, scored, errs, [len(r) for r in refs],
                              sum(c.size for c in clips) / rate, took, cpu))
    return out


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


# ------------------------------------------------------------------ reporting
def _cpu_model() -> str:
    info = Path("/proc/cpuinfo")
    names = [line.split(":", 1)[1].strip() for line in info.read_text().splitlines()
             if line.startswith("model name")] if info.exists() else []
    return names[0] if names else platform.processor() or "unknown CPU"


def conditions(engine: Engine, path: LinePath, speeds: Sequence[float], workers: int, model: str = "tiny") -> str:
    """The conditions the figures were taken under, for printing with them."""
    low, high = BAND_HZ
    line = f"{low:.0f}-{high:.0f} Hz band, 8 kHz G.711 mu-law" if path == "phone" else "16 kHz linear PCM"
    recogniser = ("pocketsphinx" if engine == "sphinx" else "moonshine-cpp" if model == "base" else "moonshine-voice")
    packages = (recogniser, "onnxruntime", "hibari-tts", "numpy", "soxr")
    processes = f"{workers} processes for synthesis" + (" and decoding" if engine == "sphinx" else "")
    name = f"moonshine {model}" if engine == "moonshine" else engine
    return (f"engine {name}; {path} path ({line}); hibari voice at rates {', '.join(f'{s:g}' for s in speeds)}; "
            f"level {GAIN_DB[0]:+g} to {GAIN_DB[1]:+g} dB, white or pink line noise at {SNR_DB[0]:g}-{SNR_DB[1]:g} dB "
            f"SNR, drawn per utterance\nmachine: {os.cpu_count()} cores, {_cpu_model()}; Python "
            f"{platform.python_version()}; {', '.join(f'{p} {version(p)}' for p in packages)}; {processes}")


def report(results: Sequence[RateResult], show_errors: bool = False) -> str:
    """WER, intent and n per speaking rate and domain, then overall per rate."""
    domains = sorted({s.utterance.domain for r in results for s in r.scored})
    lines = [f"{'rate':>5s}  {'domain':14s} {'WER':>6s} {'intent':>7s} {'n':>4s}"]
    for r in results:
        by_domain: dict[str, Tally] = tally(r.scored, lambda s: s.utterance.domain)
        for d in domains:
            t = by_domain.get(d, Tally())
            lines.append(f"{r.speed:5.2f}  {d:14s} {100 * r.wer(lambda u, d=d: u.domain == d):5.1f}% "
                         f"{100 * t.rate:6.1f}% {t.n:4d}")
        everything = overall(r.scored)
        offers = sum(offered(s.utterance, s.move) for s in r.scored)
        lines.append(f"{r.speed:5.2f}  {'overall':14s} {100 * r.wer():5.1f}% {100 * everything.rate:6.1f}% "
                     f"{everything.n:4d}   ({r.audio_seconds:.0f} s of audio recognised in {r.recognise_seconds:.1f} s, "
                     f"CPU {r.recognise_cpu_seconds / max(everything.n, 1):.2f} s per utterance"
                     f"{f'; {offers} misses offer the expected call' if offers else ''})")
    if show_errors:
        for r in results:
            misses = [(s, e) for s, e in zip(r.scored, r.word_errs, strict=True) if e or not s.ok]
            lines.append(f"rate {r.speed:g}: {len(misses)} utterances misheard or not understood")
            for s, e in misses:
                u = s.utterance
                lines.append(f"  line {u.line} {'intent ok ' if s.ok else 'INTENT BAD'} {e}w  said:  {u.said}")
                lines.append(f"  {'':24s}heard: {s.text}")
                if not s.ok:
                    lines.append(f"  {'':24s}want:  {u.tool or 'no tool'} {dict(u.args) if u.tool else ''}")
                    lines.append(f"  {'':24s}got:   {describe(s.move)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="dev", help="dev (default), dev2, dev3, test, or the path of a .jsonl set")
    ap.add_argument("--path", choices=("phone", "browser"), default="phone")
    ap.add_argument("--rates", default=",".join(f"{s:g}" for s in DEFAULT_RATES),
                    help="hibari speaking rates, comma-separated (1.0 its own pace, 1.2 faster)")
    ap.add_argument("--engine", choices=("moonshine", "sphinx"), default="moonshine")
    ap.add_argument("--model", choices=("tiny", "base"), help="the Moonshine model (default: MOONSHINE_MODEL, tiny)")
    ap.add_argument("--limit", type=int, default=0, help="only every k-th utterance, k chosen to keep about this many")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for synthesis and for PocketSphinx")
    ap.add_argument("--data-dir", type=Path, help="DATA_DIR (audio cache, language model); default: the setting")
    ap.add_argument("--show-errors", action="store_true", help="list every misheard or misunderstood utterance")
    args = ap.parse_args(argv)
    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    speeds = [float(s) for s in args.rates.split(",") if s.strip()]
    path = set_path(args.set)
    utterances = sample(load(path), args.limit)
    model = args.model or settings.moonshine_model
    recognise = moonshine(model) if args.engine == "moonshine" else sphinx(settings, args.workers)
    t0 = time.perf_counter()
    results = measure(utterances, speeds, args.path, recognise, settings.data_dir / "accuracy", args.workers)
    print(f"Spoken accuracy, {path.name} ({len(utterances)} utterances), reference time {REFERENCE_NOW:%a %Y-%m-%d %H:%M}")
    print(conditions(args.engine, args.path, speeds, args.workers, model))
    print(report(results, args.show_errors))
    typed = overall(score(utterances, [u.said for u in utterances], lambda text: understand(text, REFERENCE_NOW)))
    print(f"typed text of the same utterances (no speech): intent {100 * typed.rate:.1f}% of {typed.n}")
    print(f"took {time.perf_counter() - t0:.0f} s")
    return 0


def sample(utterances: Sequence[Utterance], limit: int) -> list[Utterance]:
    """About `limit` utterances spread evenly over the set (all of them when `limit` is 0)."""
    if not limit or limit >= len(utterances):
        return list(utterances)
    step = len(utterances) / limit
    return [utterances[int(i * step)] for i in range(limit)]


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    raise SystemExit(main())
