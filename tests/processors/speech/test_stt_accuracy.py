"""Offline STT accuracy on phone audio, printed as figures (issue 4).

Two sets of utterances, each synthesised with hibari, sent through the phone channel (24 kHz ->
8 kHz -> G.711 mu-law -> PCM) and decoded by each offline engine: PocketSphinx as the product runs it
(`models.build_domain_language_model`, `models.decoder_settings(8000)`, the `DecoderPool` worker processes, the
grammar choosing among its readings) and Moonshine tiny English (`moonshine.MoonshineRecognizer`, the
whole utterance at once, its text in spoken form, as `MoonshineSTTService` pushes it):

* in-template: generated from the grammar with `registry.expand` (fixed seed, every tool of every
  domain), the reference being the utterance as a person says it (`spoken.spoken_form`: digits,
  times, dates, money and email addresses in words);
* out-of-template: `OUT_OF_TEMPLATE` below, hand-written before measuring: the grammar's carrier
  phrases with todo titles, names, symptoms and documents that no template or slot example holds.

For each set: word error rate (word-level Levenshtein over normalised words) and intent accuracy
(`registry.parse` of the transcript the STT service pushes, which is what the local intent model
reads, gives the tool and arguments the utterance means). Print the figures (about a minute on 2
cores)::

    .venv/bin/python -m tests.processors.speech.test_stt_accuracy [--show-errors] [--seed 2027] [--rate 16000]
        [--engine sphinx] [--engine moonshine]   (default: both)

``--seed`` adds a further in-template set drawn with that seed, without the utterances of the test
set: a check that a change did not just fit the test set. Or run
``pytest tests/processors/speech/test_stt_accuracy.py``; the figures are in the README.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.grammar.registry import all_templates
from core.grammar.text import normalize
from processors.speech.stt_service import choose_transcript
from speech import hibari, models
from speech.audio import phone_channel
from speech.lm_builder import LanguageModel, normalize_text
from speech.moonshine import MoonshineRecognizer
from speech.sphinx_decoder import DecoderSettings, SpeechEvent
from speech.sphinx_pool import DecoderPool, FinalResult
from speech.spoken import spoken_form, spoken_transcript
from tests.processors.speech.accuracy_sets import OUT_OF_TEMPLATE, Utterance, in_template_utterances
from tests.processors.speech.scoring import means, word_errors
from tests.voice import TURN, VOICE

CALL_LENGTH = 6  # utterances decoded one after another on one stream, as turns of one call
PAD_SECS = 0.3  # silence before and after each utterance
BATCH_SECS = 0.1  # audio per decoder round trip, as the STT service sends it


# ------------------------------------------------------------------ scoring
@dataclass
class SetResult:
    """Figures for one set of utterances."""

    name: str
    utterances: list[Utterance]
    heard: list[str]
    audio_seconds: float
    cpu_seconds: float
    ref_words: int = 0
    word_errs: int = 0
    intent_ok: int = 0
    reference_intent_ok: int = 0  # the reference text itself parses right (the ceiling)
    errors: list[tuple[Utterance, str, int, bool]] = field(default_factory=list)
    reread_seconds: list[float] = field(default_factory=list)  # decoder CPU of each reread
    wall_seconds: list[float] = field(default_factory=list)  # wall time of each final (Moonshine)

    def __post_init__(self) -> None:
        for u, h in zip(self.utterances, self.heard, strict=True):
            ref = normalize_text(u.said)
            errs = word_errors(ref, normalize_text(h))
            ok = means(h, u)
            self.ref_words += len(ref)
            self.word_errs += errs
            self.intent_ok += ok
            self.reference_intent_ok += means(u.said, u)
            if errs or not ok:
                self.errors.append((u, h, errs, ok))

    @property
    def wer(self) -> float:
        return self.word_errs / max(self.ref_words, 1)

    @property
    def intent(self) -> float:
        return self.intent_ok / max(len(self.utterances), 1)

    @property
    def cpu_per_audio_second(self) -> float:
        return self.cpu_seconds / max(self.audio_seconds, 1e-9)

    def line(self) -> str:
        n = len(self.utterances)
        wrong = sum(1 for _, _, e, _ in self.errors if e)
        return (f"{self.name:28s} {n:4d} utt {self.ref_words:5d} words  WER {100 * self.wer:5.1f}% "
                f"({wrong}/{n} utterances with errors)  intent {100 * self.intent:5.1f}% "
                f"(reference text {100 * self.reference_intent_ok / max(n, 1):.0f}%)  "
                f"decoder CPU {self.cpu_per_audio_second:.3f} s per audio s" + self._rereads() + self._walls())

    def _walls(self) -> str:
        if not self.wall_seconds:
            return ""
        ms = sorted(1000 * t for t in self.wall_seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        cpu = 1000 * self.cpu_seconds / len(ms)
        return (f"\n{'':33s}one final at a time: {ms[len(ms) // 2]:.0f} ms p50 / {p95:.0f} ms p95 / {ms[-1]:.0f} ms max "
                f"wall, {cpu:.0f} ms CPU on average, for {self.audio_seconds / len(ms):.1f} s of audio on average")

    def _rereads(self) -> str:
        if not self.reread_seconds:
            return ""
        ms = sorted(1000 * t for t in self.reread_seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        return (f"\n{'':33s}reread {len(ms)} of {len(self.utterances)} finals, "
                f"decoder CPU {ms[len(ms) // 2]:.0f} ms p50 / {p95:.0f} ms p95 / {ms[-1]:.0f} ms max each")


# ------------------------------------------------------------------ audio and decoding
_clips: dict[tuple[str, int], np.ndarray] = {}


def pause_cut(pcm: np.ndarray, windows: int, rate: int = 8000) -> np.ndarray:
    """`pcm` up to where the call pipeline finishes the utterance: the last pause of the clip
    (`windows` silent Silero windows, `bots.turn_models.EarlyTurnStopStrategy`) that the VAD stop
    followed. The decoder sees no more audio than that in a call."""
    from pipecat.audio.vad.vad_analyzer import VADParams, VADState

    from bots.turn_models import SharedSileroVADAnalyzer

    vad = SharedSileroVADAnalyzer(TURN, params=VADParams(stop_secs=0.2))
    vad.set_sample_rate(rate)
    cut, paused, step = pcm.size, None, rate // 50
    for i in range(0, pcm.size, step):
        state = vad._run_analyzer(pcm[i: i + step].tobytes())
        if state == VADState.STOPPING and vad._vad_stopping_count >= windows and paused is None:
            paused = i + step
        elif state == VADState.SPEAKING:
            paused = None
        elif state == VADState.QUIET and paused is not None:
            cut, paused = paused, None
    return pcm[:cut]


def phone_clip(text: str, rate: int = 8000) -> np.ndarray:
    """hibari's voice saying `text` with silence around it: through the phone channel (8 kHz int16) or,
    at 16000, as the browser path hears it (hibari resampled to 16 kHz, no codec)."""
    if (text, rate) not in _clips:
        if rate == 8000:
            pcm, model_rate = VOICE.synthesize(text, hibari.MODEL_RATE, seed=0)
            voice = phone_channel(pcm, model_rate)
        else:
            voice = VOICE.synthesize(text, rate, seed=0)[0]
        pad = np.zeros(int(PAD_SECS * rate), np.int16)
        _clips[(text, rate)] = np.concatenate([pad, voice, pad])
    return _clips[(text, rate)]


@dataclass(frozen=True)
class Decoded:
    """One utterance: the decoder's final, the transcript the STT service pushes for it, decoder CPU
    and audio seconds, and the decoder CPU seconds of its reread (None when it needed none)."""

    event: SpeechEvent
    text: str
    cpu_seconds: float
    audio_seconds: float
    reread_seconds: float | None


async def _decode_call(pool: DecoderPool, lm: LanguageModel, settings: DecoderSettings,
                       clips: Sequence[np.ndarray]) -> list[Decoded]:
    """One call: the clips decoded one after another on one stream, and each transcript chosen, as
    the STT service does (`stt_service.choose_transcript` with `models.grammar_choice`)."""
    stream = await pool.open(lm.lm_path, lm.dict_path, settings.sample_rate, settings,
                             domain_lm_path=lm.domain_lm_path)
    out: list[Decoded] = []
    cpu = audio = 0.0
    step = int(BATCH_SECS * settings.sample_rate)
    last: list[FinalResult] = []  # the decoder's totals after each final or reread (its CPU counted)
    took: list[float] = []

    async def reread() -> FinalResult:
        last.append(await stream.reread())
        took.append(last[-1].cpu_seconds - last[-2].cpu_seconds)  # CPU: the wall time here includes queueing
        return last[-1]

    try:
        for pcm in clips:
            for i in range(0, pcm.size, step):
                stream.feed(pcm[i: i + step].tobytes())  # answered in order: no need to wait for each
            final = await stream.finish()
            last.append(final)
            took.clear()
            text = await choose_transcript(final.event, models.grammar_choice, reread)
            out.append(Decoded(final.event, text, last[-1].cpu_seconds - cpu, last[-1].audio_seconds - audio,
                               took[0] if took else None))
            cpu, audio = last[-1].cpu_seconds, last[-1].audio_seconds
    finally:
        stream.close()
    return out


async def _decode_all(pool: DecoderPool, lm: LanguageModel, settings: DecoderSettings,
                      clips: Sequence[np.ndarray]) -> list[Decoded]:
    calls = [clips[i: i + CALL_LENGTH] for i in range(0, len(clips), CALL_LENGTH)]
    limit = asyncio.Semaphore(2 * pool.size)

    async def run(call: Sequence[np.ndarray]) -> list[Decoded]:
        async with limit:
            return await _decode_call(pool, lm, settings, call)

    results = await asyncio.gather(*(run(c) for c in calls))
    return [r for call in results for r in call]


def measure(sets: Mapping[str, Sequence[Utterance]], lm: LanguageModel, settings: DecoderSettings,
            pool: DecoderPool, best_only: bool = False, pause_windows: int = 0) -> list[SetResult]:
    """Synthesise, send through the phone channel, decode and score every set: the transcript the
    STT service pushes (`models.grammar_choice` over the decoder's readings), and with
    ``best_only`` also the decoder's best reading alone, as "<set> (best reading)". With
    ``pause_windows`` each utterance ends where a call finishes it (`pause_cut`) instead of after
    `PAD_SECS` of silence."""
    out = []
    for name, utterances in sets.items():
        clips = [phone_clip(u.said, settings.sample_rate) for u in utterances]
        if pause_windows:
            clips = [pause_cut(c, pause_windows, settings.sample_rate) for c in clips]
        decoded = asyncio.run(_decode_all(pool, lm, settings, clips))
        audio, cpu = sum(d.audio_seconds for d in decoded), sum(d.cpu_seconds for d in decoded)
        out.append(SetResult(name, list(utterances), [d.text for d in decoded], audio_seconds=audio,
                             cpu_seconds=cpu, reread_seconds=[d.reread_seconds for d in decoded if d.reread_seconds]))
        if best_only:
            out.append(SetResult(f"{name} (best reading)", list(utterances), [d.event.text for d in decoded],
                                 audio_seconds=audio, cpu_seconds=cpu))
    return out


def measure_moonshine(sets: Mapping[str, Sequence[Utterance]], rate: int = 8000,
                      pause_windows: int = 0) -> list[SetResult]:
    """Synthesise, send through the phone channel (or not, at 16000) and read every set with the
    shared Moonshine model, one utterance at a time, as "moonshine <set>"; CPU is the process's
    (the model's threads included) and the wall time of each final is kept."""
    recognizer = MoonshineRecognizer()
    recognizer.transcribe(phone_clip("warm up", rate), rate)
    out = []
    for name, utterances in sets.items():
        clips = [phone_clip(u.said, rate) for u in utterances]
        if pause_windows:
            clips = [pause_cut(c, pause_windows, rate) for c in clips]
        heard, walls = [], []
        cpu0 = time.process_time()
        for pcm in clips:
            t0 = time.perf_counter()
            heard.append(spoken_transcript(recognizer.transcribe(pcm, rate)))
            walls.append(time.perf_counter() - t0)
        out.append(SetResult(f"moonshine {name}", list(utterances), heard, audio_seconds=sum(c.size for c in clips) / rate,
                             cpu_seconds=time.process_time() - cpu0, wall_seconds=walls))
    return out


def grammar_picks(sphinx: Sequence[SetResult], moonshine: Sequence[SetResult]) -> list[SetResult]:
    """What both engines together would push with the grammar choosing, as "both <set>": Moonshine's
    reading when the grammar understands it word for word, else PocketSphinx's when it does, else
    Moonshine's. (Costs: both engines' CPU, and PocketSphinx's decoder processes per call.)"""
    chosen = {r.name: r for r in sphinx}
    out = []
    for m in moonshine:
        s = chosen[m.name.removeprefix("moonshine ")]
        heard = [mh if models.understood(mh) or not models.understood(sh) else sh for mh, sh in zip(m.heard, s.heard, strict=True)]
        out.append(SetResult(f"both {s.name}", m.utterances, heard, audio_seconds=m.audio_seconds,
                             cpu_seconds=m.cpu_seconds + s.cpu_seconds))
    return out


def report(results: Sequence[SetResult], show_errors: bool = False, rate: int = 8000) -> str:
    path = "over 8 kHz mu-law" if rate == 8000 else f"at {rate // 1000} kHz (browser path)"
    lines = [f"STT accuracy, hibari voice {path}, product LM and decoder settings / Moonshine tiny-en:"]
    lines += ["  " + r.line() for r in results]
    if show_errors:
        for r in results:
            lines.append(f"  errors in {r.name}:")
            for u, heard, errs, ok in r.errors:
                lines.append(f"    {'intent ok ' if ok else 'INTENT BAD'} {errs}w  said: {u.said}")
                lines.append(f"    {'':10s}     heard: {heard}")
    return "\n".join(lines)


def sets() -> dict[str, list[Utterance]]:
    return {"in-template": in_template_utterances(), "out-of-template": list(OUT_OF_TEMPLATE)}


# ------------------------------------------------------------------ tests
@pytest.mark.parametrize(("written", "said"), [
    ("remind me 2026-12-09 at 14:00", "remind me december ninth twenty twenty six at two pm"),
    ("table for 8 at 19:15 on the 28th", "table for eight at seven fifteen pm on the twenty eighth"),
    ("at 5:45 pm december 18", "at five forty five pm december eighteenth"),
    ("at 7:30", "at seven thirty"),
    ("give me a call at 545 today", "give me a call at five forty five today"),  # a clock, not 545
    ("at 905 pm", "at nine oh five pm"),
    ("at 300 main street", "at three hundred main street"),
    ("dinner at 7.30pm", "dinner at seven thirty pm"), ("at 7.30 tomorrow", "at seven thirty tomorrow"),
    ("born may 23 2001", "born may twenty third two thousand one"),
    ("borrow $75000 or 40k at 5.25%", "borrow seventy five thousand dollars or forty thousand at five point two five percent"),
    ("1.2 million dollars", "one point two million dollars"),
    ("invite dave_jones@gmail.com", "invite dave underscore jones at gmail dot com"),
    ("call 415-555-0199", "call four one five five five five zero one nine nine"),
    ("start an task for a event", "start a task for an event"),
    ("talk to the the sales team about my w2", "talk to the sales team about my w two"),
    ("book a doctor's check up", "book a doctors checkup"),
])
def test_spoken_form(written: str, said: str) -> None:
    assert spoken_form(normalize(written)) == said


def test_the_sets_are_large_enough_and_their_references_mean_what_they_should() -> None:
    generated = in_template_utterances()
    assert len(generated) >= 100 and len(OUT_OF_TEMPLATE) >= 30
    assert {u.tool for u in generated} == {t.tool for t in all_templates()}
    assert not [u.said for u in generated if any(c.isdigit() or c in "@$%:/" for c in u.said)]
    assert [u.said for u in OUT_OF_TEMPLATE if not means(u.said, u)] == []
    assert sum(means(u.said, u) for u in generated) == len(generated)


@pytest.mark.slow
def test_stt_accuracy_on_phone_audio(language_model: LanguageModel, capsys: pytest.CaptureFixture[str]) -> None:
    """On the session's `models.build_domain_language_model` (conftest `language_model`: built once, ~10 s)."""
    pool = DecoderPool(processes=2)
    try:
        results = measure(sets(), language_model, models.decoder_settings(8000), pool, best_only=True)
    finally:
        pool.shutdown()
    with capsys.disabled():
        print("\n" + report(results))
    inside, inside_best, outside, outside_best = results  # measured: 1.3 % / 96.0 % and 18.8 % / 36.1 %
    assert inside.intent >= inside_best.intent and outside.intent >= outside_best.intent  # choosing loses no parse
    # the goal is WER <= 5 % and intent >= 95 %; the intent floor sits a little lower because any change
    # to the grammar re-samples the language model's sentences, which moves it by a point or two
    assert inside.wer <= 0.05 and inside.intent >= 0.93
    assert outside.wer <= 0.30 and outside.intent >= 0.25


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="DATA_DIR for the language model cache (default: a temp dir)")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--seed", type=int, action="append", default=[],
                    help="also measure an in-template set drawn with this seed (test-set utterances left out)")
    ap.add_argument("--rate", type=int, choices=(8000, 16000), default=8000,
                    help="8000 (default): the phone path; 16000: the browser path")
    ap.add_argument("--pause-windows", type=int, default=0,
                    help="end each utterance where a call does: at the pause (this many silent VAD windows) "
                         "the VAD stop followed; 0 (default): after the clip's trailing silence")
    ap.add_argument("--engine", choices=("sphinx", "moonshine"), action="append",
                    help="the offline recogniser to measure (repeat for both; default: both)")
    args = ap.parse_args(argv)
    engines = args.engine or ["sphinx", "moonshine"]
    chosen = sets()
    seen = {u.said for u in chosen["in-template"]}
    for seed in args.seed:
        chosen[f"in-template, seed {seed}"] = [u for u in in_template_utterances(seed=seed) if u.said not in seen]
    results = measure_moonshine(chosen, args.rate, args.pause_windows) if "moonshine" in engines else []
    if "sphinx" in engines:
        sphinx = _measure_sphinx(args, chosen)
        results = sphinx + results + (grammar_picks(sphinx, results) if results else [])
    print(report(results, args.show_errors, args.rate))
    return 0


def _measure_sphinx(args: argparse.Namespace, chosen: Mapping[str, Sequence[Utterance]]) -> list[SetResult]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=args.data_dir or Path(tmp), _env_file=None)  # type: ignore[call-arg]
        t0 = time.perf_counter()
        lm = models.build_domain_language_model(settings, VOICE)
        print(f"language model {lm.key}: {lm.ngram_counts} from {lm.n_sentences} sentences "
              f"({'cached' if lm.from_cache else f'built in {time.perf_counter() - t0:.1f}s'})")
        pool = DecoderPool(processes=2)
        try:
            return measure(chosen, lm, models.decoder_settings(args.rate), pool, best_only=True,
                           pause_windows=args.pause_windows)
        finally:
            pool.shutdown()


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    raise SystemExit(main())
