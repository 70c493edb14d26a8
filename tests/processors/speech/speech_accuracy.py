"""Accuracy harness: hibari-synthesised commands -> (phone channel) -> PocketSphinx -> WER.

Run as a script from the repo root::

    .venv/bin/python tests/processors/speech/speech_accuracy.py [--cache data/speech] [--quick]

It builds the LM from the template expansion in ``speech_corpus``, synthesises
the test sentences with hibari, and decodes them streamed in 20 ms chunks:

* 8 kHz phone path: 24 kHz -> 8 kHz -> G.711 mu-law -> back to 16-bit PCM;
* 16 kHz browser path: 24 kHz -> 16 kHz.

It prints WER for the in-template and out-of-template sets, decode CPU cost per
second of audio, and the TTS figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import speech_corpus  # noqa: E402

from speech import hibari  # noqa: E402
from speech.audio import phone_channel, resample  # noqa: E402
from speech.lm_builder import LanguageModel, LMConfig, build_language_model, normalize_text  # noqa: E402
from speech.sphinx_decoder import DecoderSettings, SphinxStream  # noqa: E402
from tests.processors.speech.scoring import word_errors  # noqa: E402
from tests.voice import VOICE  # noqa: E402


def wer(refs: list[str], hyps: list[str]) -> float:
    """Corpus word error rate."""
    errs = sum(word_errors(normalize_text(r), normalize_text(h)) for r, h in zip(refs, hyps, strict=False))
    n = sum(len(normalize_text(r)) for r in refs)
    return errs / max(n, 1)


_audio_cache: dict[tuple[str, int, bool], np.ndarray] = {}


def synth_audio(sentence: str, rate: int, phone: bool, seed: int = 0) -> np.ndarray:
    """Synthesised int16 PCM of ``sentence`` at ``rate`` (8 kHz via the mu-law phone channel)."""
    key = (sentence, rate, phone)
    if key not in _audio_cache:
        pcm, sr = VOICE.synthesize(sentence, hibari.MODEL_RATE, seed=seed)
        if phone:
            out = phone_channel(pcm, sr)
            out = out if rate == 8000 else resample(out, 8000, rate)
        else:
            out = resample(pcm, sr, rate)
        # 300 ms of silence either side, as a caller would produce
        pad = np.zeros(int(0.3 * rate), np.int16)
        _audio_cache[key] = np.concatenate([pad, out, pad])
    return _audio_cache[key]


@dataclass
class EvalResult:
    """WER and cost for one test set at one rate."""

    name: str
    rate: int
    phone: bool
    wer: float
    sentences: int
    sentence_errors: int
    audio_seconds: float
    cpu_seconds: float
    wall_seconds: float
    final_latency_ms: float = 0.0      # mean wall time of finish() (end-of-utterance passes)
    final_latency_max_ms: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def cpu_per_audio_second(self) -> float:
        """CPU seconds spent per second of audio."""
        return self.cpu_seconds / self.audio_seconds


def evaluate(lm: LanguageModel, sentences: list[str], rate: int, phone: bool, name: str = "",
             settings: DecoderSettings | None = None, chunk_ms: int = 20) -> EvalResult:
    """Decode every sentence (fresh stream per sentence, as a new call would) and score it."""
    hyps: list[str] = []
    lat: list[float] = []
    audio_s = cpu = 0.0
    t_wall = time.perf_counter()
    stream = SphinxStream(lm.lm_path, lm.dict_path, rate, settings=settings, partial_interval=0.2)
    for s in sentences:
        pcm = synth_audio(s, rate, phone)
        step = rate * chunk_ms // 1000
        stream.cpu_seconds = stream.audio_seconds = 0.0
        for i in range(0, pcm.size, step):
            stream.feed(pcm[i: i + step])
        t_fin = time.perf_counter()
        hyps.append(stream.finish().text)
        lat.append(1e3 * (time.perf_counter() - t_fin))
        audio_s += stream.audio_seconds
        cpu += stream.cpu_seconds
    wall = time.perf_counter() - t_wall
    errs = [(r, h) for r, h in zip(sentences, hyps, strict=False) if normalize_text(r) != normalize_text(h)]
    return EvalResult(name, rate, phone, wer(sentences, hyps), len(sentences), len(errs), audio_s, cpu, wall,
                      float(np.mean(lat)), float(np.max(lat)), errs)


def build_test_lm(cache: Path, config: LMConfig | None = None) -> LanguageModel:
    """LM from the template expansion (the in-domain sentences)."""
    return build_language_model(speech_corpus.expand(), cache, config=config, voice=VOICE)


def tts_figures() -> dict[str, float]:
    """Hibari first-audio latency and RTF on typical replies (one ORT thread)."""
    t0 = time.perf_counter()
    VOICE.load()
    load = time.perf_counter() - t0
    short = VOICE.benchmark("Sure, I added that to your list.", 8000, repeats=7)
    reply = VOICE.benchmark("Okay. I created a high priority todo to buy milk, due tomorrow. "
                             "You have three other todos due this week. Anything else?", 8000, repeats=7)
    long = VOICE.benchmark(" ".join(speech_corpus.IN_TEMPLATE[:20]).replace(" yes please", ". Yes please") + ".",
                            24000, repeats=3)
    return {"load_s": load, "short_first_ms": short.first_audio_ms, "short_rtf": short.rtf,
            "reply_first_ms": reply.first_audio_ms, "reply_total_ms": reply.total_ms, "reply_rtf": reply.rtf,
            "reply_audio_s": reply.audio_seconds, "long_rtf": long.rtf, "long_audio_s": long.audio_seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default="data/speech", help="LM cache directory")
    ap.add_argument("--quick", action="store_true", help="first 15 sentences of each set")
    ap.add_argument("--show-errors", action="store_true")
    args = ap.parse_args(argv)

    lm = build_test_lm(Path(args.cache))
    print(f"LM {lm.key}: {lm.ngram_counts} from {lm.n_sentences} sentences, cached={lm.from_cache}, "
          f"build {lm.build_seconds:.2f}s, g2p words {list(lm.g2p_words)}")
    sets = {"in-template": speech_corpus.IN_TEMPLATE, "out-of-template": speech_corpus.OUT_OF_TEMPLATE}
    if args.quick:
        sets = {k: v[:15] for k, v in sets.items()}
    print("| set | path | WER | sentences wrong | decode CPU s per audio s | final latency mean / max ms |")
    print("|---|---|---|---|---|---|")
    for rate, phone, label in ((8000, True, "8 kHz mu-law"), (16000, False, "16 kHz")):
        for name, sents in sets.items():
            r = evaluate(lm, sents, rate, phone, name)
            print(f"| {name} | {label} | {100 * r.wer:.1f}% | {r.sentence_errors}/{r.sentences} | "
                  f"{r.cpu_per_audio_second:.3f} | {r.final_latency_ms:.0f} / {r.final_latency_max_ms:.0f} |")
            if args.show_errors:
                for ref, hyp in r.errors:
                    print(f"    REF: {ref}\n    HYP: {hyp}")
    tts = tts_figures()
    print("TTS:", {k: round(v, 4) for k, v in tts.items()})
    return 0


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    raise SystemExit(main())
