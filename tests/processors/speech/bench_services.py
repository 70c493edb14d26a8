"""Benchmark of the offline Pipecat speech services. Run from the repo root::

    .venv/bin/python -m tests.processors.speech.bench_services [--utterances 20] [--reread-only]

Prints, with the conditions they were taken under:

* STT: decoder CPU per second of 8 kHz phone audio (in the worker process), the STT's CPU cost in
  the server process, the final-transcript latency after the VAD stop, and the worst event-loop
  stall, against decoding inline on the event loop;
* TTS: time from the text to the first audio frame for a short sentence at 8 kHz;
* memory (RSS) of the shared models: the hibari voice, the language model, the decoder workers;
* the final's latency for commands the STT reads a second time with the in-domain model.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import AsyncGenerator
from pathlib import Path

import numpy as np
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    MetricsFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.stt_service import STTService
from pipecat.tests.utils import SleepFrame, run_test

from core.config import Settings
from core.grammar.registry import corpus
from processors.frames import SpeechPauseFrame
from processors.speech.stt_service import SphinxSTTService
from processors.speech.tts_service import HibariTTSService
from speech import hibari, models
from speech.audio import phone_channel
from speech.lm_builder import normalize_text
from speech.models import SpeechModels
from speech.sphinx_decoder import SpeechEvent, SphinxStream
from tests.processors.speech.scoring import word_errors
from tests.voice import VOICE


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    t = os.times()
    return t.user + t.system


class LoopLag:
    """Largest delay of a 5 ms timer: how long the event loop was kept from running."""

    def __init__(self, lags: list[float] | None = None) -> None:
        self.lags = [] if lags is None else lags
        self._task: asyncio.Task[None] | None = None

    @property
    def worst(self) -> float:
        return max(self.lags, default=0.0)

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.005)
            self.lags.append(time.perf_counter() - t0 - 0.005)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


class FinalLatency(FrameProcessor):
    """Time from the VAD stop passing the STT to the final transcript coming out of it."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped_at: float | None = None
        self.latencies: list[float] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            self.stopped_at = time.perf_counter()
        elif isinstance(frame, TranscriptionFrame) and self.stopped_at is not None:
            self.latencies.append(time.perf_counter() - self.stopped_at)
            self.stopped_at = None
        await self.push_frame(frame, direction)


class NullSTT(STTService):
    """Takes audio and does nothing: the pipeline's own cost, to subtract."""

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        yield None


class InlineSphinxSTT(STTService):
    """Decodes on the event loop (what a thread would amount to, the decoder holding the GIL)."""

    def __init__(self, lm_path: Path, dict_path: Path, **kw: object) -> None:
        super().__init__(ttfs_p99_latency=0.5, **kw)  # type: ignore[arg-type]
        self._stream = SphinxStream(lm_path, dict_path, 8000, settings=models.decoder_settings(8000))

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        self._stream.feed(audio)
        yield None

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStoppedSpeakingFrame):
            self._stream.finish()




def paced(pcm: np.ndarray, rate: int) -> list[Frame]:
    """Silence, the utterance and silence as 20 ms frames sent in real time, with VAD frames."""
    step = rate // 50
    lead = np.zeros(int(0.4 * rate), np.int16)
    pcm = np.concatenate([lead, pcm, np.zeros(int(0.25 * rate), np.int16)])
    out: list[Frame] = []
    for k, i in enumerate(range(0, pcm.size, step)):
        if k == (lead.size + int(0.3 * rate)) // step:
            out.append(VADUserStartedSpeakingFrame())
        out += [InputAudioRawFrame(pcm[i: i + step].tobytes(), rate, 1), SleepFrame(0.02)]
    return [*out, VADUserStoppedSpeakingFrame(stop_secs=0.2), SleepFrame(1.0)]


async def bench_stt(speech: SpeechModels, n: int) -> None:
    rng = random.Random(7)
    sentences = rng.sample([s for s in corpus().sentences if 4 <= len(s.split()) <= 12], n)
    lm = speech.language_model()
    pool = speech.decoder_pool()
    pool.start()
    clips = [phone_channel(VOICE.synthesize(s, hibari.MODEL_RATE, seed=i)[0], hibari.MODEL_RATE)
             for i, s in enumerate(sentences)]
    speech_secs = sum(c.size for c in clips) / 8000
    params = PipelineParams(audio_in_sample_rate=8000, enable_metrics=True)

    async def run(make: object) -> tuple[float, float, list[float], list[str]]:
        cpu0, worker0 = own_cpu(), sum(proc_cpu(p) for p in pool.pids)
        probe = FinalLatency()
        finals: list[str] = []
        with LoopLag() as lag:
            for clip in clips:
                down, _ = await run_test(Pipeline([make(), probe]), frames_to_send=paced(clip, 8000),  # type: ignore[operator]
                                         pipeline_params=params)
                finals.append(" ".join(f.text for f in down if isinstance(f, TranscriptionFrame)))
        latencies = probe.latencies
        worker = sum(proc_cpu(p) for p in pool.pids) - worker0
        return own_cpu() - cpu0, worker, latencies, [f"{lag.worst * 1e3:.0f}", *finals]

    base_cpu, _, _, base_lag = await run(lambda: NullSTT(ttfs_p99_latency=0.5))
    cpu, worker_cpu, lat, (lag, *finals) = await run(
        lambda: SphinxSTTService(language_model=lambda: lm, pool=pool, decoder_settings=models.decoder_settings))
    inline_cpu, _, _, (inline_lag, *_) = await run(lambda: InlineSphinxSTT(lm.lm_path, lm.dict_path))
    ok = sum(f == s for f, s in zip(finals, sentences, strict=True))
    audio_secs = speech_secs + n * 0.65  # the silence around each utterance is sent too; only VAD speech is decoded
    print(f"STT, 8 kHz phone audio (mu-law), {n} utterances, {speech_secs:.1f} s of speech, frames paced at real time")
    print(f"  decoder worker CPU:            {worker_cpu / speech_secs * 1000:.0f} ms per second of speech")
    print(f"  server-process CPU of the STT: {(cpu - base_cpu) / speech_secs * 1000:.0f} ms per second of speech"
          f" (the test pipeline alone: {base_cpu / audio_secs * 1000:.0f} ms per second of audio)")
    print(f"  inline decoding, same audio:   {(inline_cpu - base_cpu) / speech_secs * 1000:.0f} ms per second of speech on the event loop")
    print(f"  final transcript after the VAD stop: median {statistics.median(lat) * 1e3:.0f} ms, "
          f"max {max(lat) * 1e3:.0f} ms")
    print(f"  worst event-loop stall: {lag} ms with the worker pool, {inline_lag} ms decoding inline "
          f"(null STT: {base_lag[0]} ms)")
    said_words = [normalize_text(models.spoken_form(s)) for s in sentences]
    errors = sum(word_errors(w, normalize_text(f)) for w, f in zip(said_words, finals, strict=True))
    print(f"  exact transcripts: {ok}/{n}; word error rate {errors / sum(map(len, said_words)):.1%} "
          "(digits, emails and dates compared as spoken)")
    for said, heard in zip(sentences, finals, strict=True):
        if said != heard:
            print(f"    said {said!r}, heard {heard!r}")


REREAD_PHRASES = ("call off the appointment for tomorrow", "what are my teams", "i was born on march third nineteen eighty five",
                  "are there room available december ninth for five forty five for two people", "who is on my team",
                  "what are the departments", "create a todo to buy milk", "show my reminders")
"""Commands whose phone-path reading the grammar did not parse in the accuracy test (so the STT read them
again with the in-domain model), and two that parse, for comparison."""


def paused_turn(pcm: np.ndarray, rate: int) -> list[Frame]:
    """`paced`, with the stop strategy's `SpeechPauseFrame` 64 ms into the trailing silence (two silent
    VAD windows), where a call's pipeline sends it."""
    frames = paced(pcm, rate)
    speech_end = (int(0.4 * rate) + pcm.size) // (rate // 50)
    audio_seen = 0
    for i, f in enumerate(frames):
        if isinstance(f, InputAudioRawFrame):
            audio_seen += 1
            if audio_seen == speech_end + 3:
                return [*frames[: i + 1], SpeechPauseFrame(), *frames[i + 1:]]
    return frames


async def bench_reread(speech: SpeechModels) -> None:
    """The final after the VAD stop for commands the STT reads twice, with the reading chosen and reread as
    in a call (pause frame first), against the same audio taking the best reading as it is."""
    lm = speech.language_model()
    pool = speech.decoder_pool()
    pool.start()
    params = PipelineParams(audio_in_sample_rate=8000)
    print("STT second search: final transcript after the VAD stop (8 kHz phone audio, frames at real time,")
    print("  pause frame 64 ms into the silence, VAD stop at 200 ms); best reading only / chosen, reread if needed")
    for phrase in REREAD_PHRASES:
        clip = phone_channel(VOICE.synthesize(phrase, hibari.MODEL_RATE, seed=0)[0], hibari.MODEL_RATE)
        row = []
        for choose in (None, models.grammar_choice):
            asked: list[str] = []

            def counted(event: SpeechEvent, asked: list[str] = asked) -> str | None:
                asked.append(event.text)
                return models.grammar_choice(event)

            probe = FinalLatency()
            stt = SphinxSTTService(language_model=lambda: lm, pool=pool, decoder_settings=models.decoder_settings,
                                   choose=counted if choose else None)
            down, _ = await run_test(Pipeline([stt, probe]), frames_to_send=paused_turn(clip, 8000), pipeline_params=params)
            heard = " ".join(f.text for f in down if isinstance(f, TranscriptionFrame))
            row.append(f"{probe.latencies[0] * 1e3:4.0f} ms{' (reread)' if len(asked) > 1 else '         '} {heard!r}")
        print(f"  {phrase!r}\n      best: {row[0]}\n    chosen: {row[1]}")


async def bench_loop_stall(speech: SpeechModels, n: int) -> None:
    """Event-loop delay while one caller speaks, decoding inline versus in the worker pool (no pipeline)."""
    rng = random.Random(3)
    sentences = rng.sample([s for s in corpus().sentences if 6 <= len(s.split()) <= 12], n)
    clips = [phone_channel(VOICE.synthesize(s, hibari.MODEL_RATE, seed=i)[0], hibari.MODEL_RATE)
             for i, s in enumerate(sentences)]
    lm = speech.language_model()
    pool = speech.decoder_pool()
    pool.start()
    results: dict[str, list[float]] = {}
    for mode in ("inline", "worker pool"):
        lags: list[float] = []
        for clip in clips:
            if mode == "inline":
                stream = SphinxStream(lm.lm_path, lm.dict_path, 8000, settings=models.decoder_settings(8000))
            else:
                remote = await pool.open(lm.lm_path, lm.dict_path, 8000, models.decoder_settings(8000))
            with LoopLag(lags):
                batch = b""
                for i in range(0, clip.size, 160):
                    chunk = clip[i: i + 160].tobytes()
                    if mode == "inline":
                        stream.feed(chunk)
                    else:
                        batch += chunk
                        if len(batch) >= 1600:
                            remote.feed(batch)
                            batch = b""
                    await asyncio.sleep(0.02)
                if mode == "inline":
                    stream.finish()
                else:
                    await remote.feed(batch)
                    await remote.finish()
                    remote.close()
        results[mode] = lags
    print(f"Event loop while one caller speaks ({n} utterances at 8 kHz, 20 ms frames in real time, 5 ms timer)")
    for mode, lags in results.items():
        print(f"  {mode:11s}: timer late by p99 {np.percentile(lags, 99) * 1e3:.1f} ms, max {max(lags) * 1e3:.0f} ms")


async def bench_tts(repeats: int) -> None:
    sentences = ["Sure.", "Your todo is added.", "Which day works for you?", "Goodbye!", "Your table is booked."]
    VOICE.load()
    ttfb: list[float] = []
    first: list[float] = []
    for _ in range(repeats):
        for s in sentences:
            t0 = time.perf_counter()
            async for clause in VOICE.astream_sentences(s, 8000):
                first.append(time.perf_counter() - t0)
                del clause
                break
            down, _ = await run_test(HibariTTSService(voice=VOICE), frames_to_send=[TTSSpeakFrame(s)],
                                     pipeline_params=PipelineParams(audio_out_sample_rate=8000, enable_metrics=True))
            ttfb += [d.value for f in down if isinstance(f, MetricsFrame) for d in f.data
                     if isinstance(d, TTFBMetricsData) and d.value > 0]
            assert any(isinstance(f, TTSAudioRawFrame) for f in down)
    print(f"TTS, hibari at 8 kHz, {len(sentences)} short sentences x {repeats}, model warm")
    print(f"  first audio frame after TTSStartedFrame (TTFB): median {statistics.median(ttfb) * 1e3:.0f} ms, "
          f"max {max(ttfb) * 1e3:.0f} ms")
    print(f"  first clause synthesised (hibari alone):        median {statistics.median(first) * 1e3:.0f} ms")


def bench_memory(speech: SpeechModels) -> None:
    base = rss_mb()
    t0 = time.perf_counter()
    VOICE.load()
    voice = rss_mb()
    t_voice = time.perf_counter() - t0
    t0 = time.perf_counter()
    speech.language_model()
    lm = rss_mb()
    t_lm = time.perf_counter() - t0
    pool = speech.decoder_pool()
    pool.start()
    workers = [rss_mb(p) for p in pool.pids]
    print("Memory (RSS), in this process unless said")
    print(f"  after imports (pipecat, services): {base:.0f} MB")
    print(f"  + hibari voice: {voice - base:.0f} MB ({t_voice:.2f} s to load)")
    print(f"  + language model (corpus + cached LM): {lm - voice:.0f} MB ({t_lm:.2f} s)")
    print(f"  decoder workers, idle: {', '.join(f'{w:.0f}' for w in workers)} MB each")


async def bench_worker_decoders(speech: SpeechModels, count: int) -> None:
    lm = speech.language_model()
    pool = speech.decoder_pool()
    before = {p: rss_mb(p) for p in pool.pids}
    streams = [await pool.open(lm.lm_path, lm.dict_path, 8000, models.decoder_settings(8000)) for _ in range(count)]
    after = {p: rss_mb(p) for p in pool.pids}
    per = sum(after[p] - before[p] for p in before) / count
    print(f"  one open decoder (a conversation): {per:.1f} MB in its worker ({count} opened across {len(before)} workers)")
    for s in streams:
        s.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--utterances", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--reread-only", action="store_true", help="only the STT second-search latency")
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="convonet-bench-"))
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    speech = SpeechModels(settings)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"data dir {data_dir}")
    if args.reread_only:
        await bench_reread(speech)
        speech.close()
        return
    bench_memory(speech)
    await bench_worker_decoders(speech, 8)
    await bench_tts(3)
    await bench_loop_stall(speech, 5)
    await bench_stt(speech, args.utterances)
    await bench_reread(speech)
    speech.close()


if __name__ == "__main__":
    from core.grammar import registry as grammar_registry
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    import logging

    from loguru import logger

    logger.remove()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
