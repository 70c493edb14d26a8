"""The offline Pipecat speech services in small pipelines: PocketSphinx STT fed hibari speech as
20 ms frames with the VAD frames around it, and hibari TTS out at the phone rate."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from pipecat.audio.vad.silero import SileroVADAnalyzer
from pipecat.audio.vad.vad_analyzer import VADParams
from pipecat.frames.frames import (
    ErrorFrame,
    Frame,
    InputAudioRawFrame,
    InterimTranscriptionFrame,
    InterruptionFrame,
    InterruptionWorkerFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    MetricsFrame,
    SystemFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    TTSTextFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import TTFBMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_stop import SpeechTimeoutUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies

from core.config import Settings
from processors.frames import SpeechPauseFrame, SpeechResumedFrame
from processors.speech import hibari, models
from processors.speech.audio import phone_channel
from processors.speech.lm_builder import LanguageModel, build_language_model
from processors.speech.sphinx_decoder import SpeechEvent
from processors.speech.sphinx_pool import DecoderCrashed, DecoderPool, FinalResult
from processors.speech.stt_service import SphinxSTTService, choose_transcript
from processors.speech.tts_service import HibariTTSService, first_clause

COMMAND = "create a high priority task to call mom"
QUESTION = "what is on my calendar today"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("speech-data"), _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def language_model(speech_settings: Settings) -> LanguageModel:
    """Built once from the domains' grammar, by three threads asking at the same time."""
    with ThreadPoolExecutor(3) as ex:
        built = list(ex.map(lambda _: models.language_model(speech_settings), range(3)))
    assert built[0] is built[1] is built[2]
    return built[0]


@pytest.fixture(scope="session")
def decoder_pool() -> Iterator[DecoderPool]:
    pool = models.decoder_pool()
    pool.start()
    yield pool
    models.shutdown_decoder_pool()


def sphinx(language_model: LanguageModel, pool: DecoderPool,
           choose: Callable[[SpeechEvent], str | None] | None = None) -> SphinxSTTService:
    return SphinxSTTService(language_model=lambda: language_model, pool=pool,
                            decoder_settings=models.decoder_settings, choose=choose)


def speech(text: str, rate: int, seed: int = 0) -> np.ndarray:
    """hibari saying `text` at `rate`; at 8 kHz through a mu-law phone channel, as a caller sounds."""
    pcm, _ = hibari.synthesize(text, hibari.MODEL_RATE, seed=seed)
    if rate == 8000:
        return phone_channel(pcm, hibari.MODEL_RATE)
    return hibari.synthesize(text, rate, seed=seed)[0]


def audio_frames(pcm: np.ndarray, rate: int) -> list[Frame]:
    step = rate // 50
    return [InputAudioRawFrame(pcm[i: i + step].tobytes(), rate, 1) for i in range(0, pcm.size, step)]


def utterance(text: str, rate: int, *, vad_latency: float = 0.3, seed: int = 0) -> list[Frame]:
    """Silence, speech, silence as 20 ms frames, with the VAD start arriving `vad_latency` into the
    speech (as Silero's does) and the stop after 0.2 s of silence."""
    silence = np.zeros(int(0.4 * rate), np.int16)
    voice = speech(text, rate, seed)
    frames = audio_frames(silence, rate) + audio_frames(voice, rate)
    frames.insert(len(audio_frames(silence, rate)) + int(vad_latency * 50), VADUserStartedSpeakingFrame())
    return [*frames, *audio_frames(np.zeros(int(0.25 * rate), np.int16), rate),
            VADUserStoppedSpeakingFrame(stop_secs=0.2)]


def texts(frames: Sequence[Frame], cls: type[Frame]) -> list[str]:
    return [f.text for f in frames if type(f) is cls]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ models
def test_language_model_covers_the_domains_and_is_cached(speech_settings: Settings,
                                                          language_model: LanguageModel) -> None:
    assert models.language_model(speech_settings) is language_model
    assert language_model.directory.parent == models.speech_dir(speech_settings).resolve()
    words = {line.split()[0].split("(")[0] for line in language_model.dict_path.read_text().splitlines()}
    assert {"todo", "calendar", "reservation", "priority", "percent", "dot"} <= words
    again = build_language_model(models.corpus_sentences(), models.speech_dir(speech_settings), config=models.LM_CONFIG)
    assert again.from_cache and again.key == language_model.key


def test_spoken_form_of_written_slot_values() -> None:
    assert models.spoken_form("invite bob@example.com") == "invite bob at example dot com"
    assert models.spoken_form("a rate of 6.5%") == "a rate of six point five percent"
    assert models.spoken_form("borrow $350000 or 120k") == "borrow three hundred fifty thousand dollars or one hundred twenty thousand"


def test_warm_up_loads_what_the_providers_need(speech_settings: Settings, language_model: LanguageModel,
                                               decoder_pool: DecoderPool) -> None:
    report = models.warm_up(speech_settings)
    assert set(report.timings) == {"hibari_voice", "language_model", "decoder_workers"}
    assert report.timings["language_model"] < 1.0  # already built: a dictionary lookup
    assert hibari.is_loaded() and len(decoder_pool.pids) == decoder_pool.size
    cloud = speech_settings.model_copy(update={"stt_provider": "deepgram", "tts_provider": "cartesia"})
    assert models.warm_up(cloud).timings == {}


def test_decoder_settings_rates() -> None:
    assert models.decoder_settings(8000).decoder_rate() == 16000  # phone audio is upsampled
    assert models.decoder_settings(16000).decoder_rate() == 16000
    with pytest.raises(ValueError, match="8000 or 16000"):
        models.decoder_settings(24000)


@pytest.mark.parametrize(("best", "alternatives", "chosen"), [
    ("when are my teams", ("where my teams", "what are my teams", "who are my teams"), "what are my teams"),
    ("what are my todos", ("when are my todos",), "what are my todos"),  # the best reading is understood
    ("buy oat milk", ("by oat milk", "buy oat mill"), None),  # a free answer: nothing parses
    ("yes please", ("yes police",), "yes please"),  # a conversation move is understood
    ("when are my teams", (), None),
    # only a word-for-word reading counts: the relaxed parse (dropping "however") would guess wrong
    ("however the appointment for tomorrow", ("how last the appointment for tomorrow",), None),
])
def test_grammar_choice_prefers_a_reading_the_assistant_understands(best: str, alternatives: tuple[str, ...],
                                                                     chosen: str | None) -> None:
    assert models.grammar_choice(SpeechEvent("final", best, alternatives=alternatives)) == chosen


# ------------------------------------------------------------------ STT
@pytest.mark.parametrize(("rate", "text"), [(8000, COMMAND), (16000, QUESTION)])
async def test_sphinx_transcribes_speech(rate: int, text: str, language_model: LanguageModel,
                                         decoder_pool: DecoderPool) -> None:
    sent = utterance(text, rate)
    down, up = await run_test(
        sphinx(language_model, decoder_pool),
        frames_to_send=[*sent, SleepFrame(0.6)],
        pipeline_params=PipelineParams(audio_in_sample_rate=rate, enable_metrics=True),
    )
    finals = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert [f.text for f in finals] == [text]
    assert finals[0].finalized
    interims = texts(down, InterimTranscriptionFrame)
    assert interims and all(interims)  # partial hypotheses while speaking, never empty
    assert all(a != b for a, b in itertools.pairwise(interims))  # only when they change
    assert interims[-1].split()[:2] == text.split()[:2]
    # audio passes through for the VAD; the final closes the STT TTFB measurement
    assert sum(isinstance(f, InputAudioRawFrame) for f in down) == sum(isinstance(f, InputAudioRawFrame) for f in sent)
    assert any(isinstance(d, TTFBMetricsData) and d.processor.startswith("SphinxSTTService") and d.value > 0
               for f in down if isinstance(f, MetricsFrame) for d in f.data)
    assert not [f for f in up if isinstance(f, ErrorFrame)]


async def test_sphinx_pushes_the_transcript_chosen_from_its_readings(language_model: LanguageModel,
                                                                    decoder_pool: DecoderPool) -> None:
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str:
        seen.append(event)
        return event.alternatives[-1]

    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(0.6)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert [e.text for e in seen] == [COMMAND] and len(seen[0].alternatives) == models.NBEST
    assert COMMAND not in seen[0].alternatives
    assert texts(down, TranscriptionFrame) == [seen[0].alternatives[-1]]


@pytest.mark.parametrize("pause", [False, True])
async def test_sphinx_rereads_with_the_domain_model_when_no_reading_will_do(
        pause: bool, language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    """`choose` refuses every reading of the main search: the utterance is decoded again with the
    in-domain model alone and `choose` picks among those readings (during the pause when there is one)."""
    assert language_model.domain_lm_path is not None
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str | None:
        seen.append(event)
        return None if len(seen) == 1 else f"reread {event.text}"

    sent = utterance(COMMAND, 8000)
    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*(paused(sent) if pause else sent), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert [e.text for e in seen] == [COMMAND, COMMAND]  # the second from the domain model's search
    assert texts(down, TranscriptionFrame) == [f"reread {COMMAND}"]


async def test_a_failed_reread_keeps_the_best_reading() -> None:
    calls: list[str] = []

    async def reread() -> FinalResult:
        calls.append("reread")
        raise DecoderCrashed("the worker exited")

    event = SpeechEvent("final", "by oat mill", alternatives=("buy oat milk",))
    assert await choose_transcript(event, models.grammar_choice, reread) == "by oat mill"
    assert calls == ["reread"]  # nothing understood, so it was asked; its failure costs only the reread
    understood = SpeechEvent("final", "when are my todos", alternatives=("what are my todos",))
    assert await choose_transcript(understood, models.grammar_choice, reread) == "what are my todos"
    assert calls == ["reread"]  # a reading was understood: no reread


async def test_sphinx_keeps_the_best_reading_when_the_reread_will_not_do_either(
        language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str | None:
        seen.append(event)
        return None

    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*utterance(COMMAND, 8000), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert len(seen) == 2 and texts(down, TranscriptionFrame) == [COMMAND]


def paused(frames: list[Frame], at: int = -13) -> list[Frame]:
    """`frames` (an `utterance`) with a `SpeechPauseFrame` `at` frames before the end (-13: 40 ms into the
    trailing silence, where the stop strategy sends it)."""
    return [*frames[:at], SpeechPauseFrame(), *frames[at:]]


async def test_sphinx_finishes_at_a_pause_and_pushes_at_the_vad_stop(language_model: LanguageModel,
                                                                     decoder_pool: DecoderPool) -> None:
    """The final is decoded and chosen during the VAD stop window; the VAD stop only releases it."""
    seen: list[SpeechEvent] = []

    def choose(event: SpeechEvent) -> str:
        seen.append(event)
        return event.text

    sent = paused(utterance(COMMAND, 8000))
    stop = len(sent) - 1
    down, _ = await run_test(
        sphinx(language_model, decoder_pool, choose),
        frames_to_send=[*sent[:stop], SleepFrame(0.8), *sent[stop:], SleepFrame(0.3)],
        pipeline_params=PipelineParams(audio_in_sample_rate=8000),
    )
    assert texts(down, TranscriptionFrame) == [COMMAND]
    assert len(seen) == 1  # chosen once, during the pause
    order = [type(f) for f in down if isinstance(f, (TranscriptionFrame, VADUserStoppedSpeakingFrame))]
    assert order == [VADUserStoppedSpeakingFrame, TranscriptionFrame]  # held until the VAD stop


async def test_sphinx_resumes_when_the_caller_goes_on(language_model: LanguageModel,
                                                      decoder_pool: DecoderPool) -> None:
    """A pause in the middle of a sentence, then more speech: one final with all of it."""
    sent = utterance(COMMAND, 8000)
    middle = len(sent) - 40
    frames = [*sent[:middle], SpeechPauseFrame(), SleepFrame(0.3), *sent[middle: middle + 2],
              SpeechResumedFrame(), *sent[middle + 2:]]
    down, _ = await run_test(sphinx(language_model, decoder_pool), frames_to_send=[*frames, SleepFrame(0.6)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert texts(down, TranscriptionFrame) == [COMMAND]


async def test_sphinx_two_utterances_and_other_rates(language_model: LanguageModel,
                                                     decoder_pool: DecoderPool) -> None:
    """A 48 kHz pipeline is decoded at 16 kHz; each utterance gets its own final."""
    down, _ = await run_test(
        sphinx(language_model, decoder_pool),
        frames_to_send=[*utterance(COMMAND, 48000), *utterance(QUESTION, 48000, seed=1), SleepFrame(0.8)],
        pipeline_params=PipelineParams(audio_in_sample_rate=48000),
    )
    assert texts(down, TranscriptionFrame) == [COMMAND, QUESTION]


async def test_sphinx_behind_silero_in_the_user_aggregator(language_model: LanguageModel,
                                                          decoder_pool: DecoderPool) -> None:
    """The real order of events: audio at real-time pace, Silero's VAD frames coming back upstream
    from the user aggregator, and the aggregator turning the final transcript into the user turn."""
    context = LLMContext(messages=[])
    user, _ = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
        vad_analyzer=SileroVADAnalyzer(params=VADParams(stop_secs=0.2)),
        user_turn_strategies=UserTurnStrategies(stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.2)]),
    ))
    pcm = np.concatenate([np.zeros(4000, np.int16), speech(COMMAND, 8000), np.zeros(8000, np.int16)])
    paced = [x for f in audio_frames(pcm, 8000) for x in (f, SleepFrame(0.02))]
    down, _ = await run_test(Pipeline([sphinx(language_model, decoder_pool), user]),
                             frames_to_send=[*paced, SleepFrame(1.0)],
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert any(isinstance(f, LLMContextFrame) for f in down)
    assert context.get_messages() == [{"role": "user", "content": COMMAND}]


async def test_sphinx_says_nothing_for_noise_outside_speech_or_for_silence(
        language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    """Only what the VAD calls speech is decoded (plus the 0.8 s before it), and silence yields no
    words. Noise inside a VAD segment is decoded like speech: the VAD is the gate."""
    rng = np.random.default_rng(0)
    noise = (rng.standard_normal(8000 * 2) * 1500).astype(np.int16)
    silence = np.zeros(8000, np.int16)
    frames = [*audio_frames(noise, 8000), *audio_frames(silence, 8000),
              VADUserStartedSpeakingFrame(), *audio_frames(silence, 8000), VADUserStoppedSpeakingFrame(stop_secs=0.2),
              SleepFrame(0.5)]
    down, _ = await run_test(sphinx(language_model, decoder_pool), frames_to_send=frames,
                             pipeline_params=PipelineParams(audio_in_sample_rate=8000))
    assert not [f for f in down if isinstance(f, (InterimTranscriptionFrame, TranscriptionFrame))]


class _KillWorkers(SystemFrame):
    pass


class _WorkerKiller(FrameProcessor):
    """Kills the decoder workers when `_KillWorkers` passes, as a crash in pocketsphinx would."""

    def __init__(self, pool: DecoderPool) -> None:
        super().__init__()
        self._pool = pool

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, _KillWorkers):
            for pid in self._pool.pids:
                os.kill(pid, signal.SIGKILL)
        else:
            await self.push_frame(frame, direction)


async def test_sphinx_survives_a_crashed_decoder(language_model: LanguageModel) -> None:
    pool = DecoderPool(processes=1)
    try:
        stt = sphinx(language_model, pool)
        down, up = await run_test(
            Pipeline([_WorkerKiller(pool), stt]),
            frames_to_send=[_KillWorkers(), *utterance(COMMAND, 8000), SleepFrame(2.5),
                            *utterance(QUESTION, 8000, seed=1), SleepFrame(0.8)],
            pipeline_params=PipelineParams(audio_in_sample_rate=8000),
            start_timeout=10.0,
        )
    finally:
        pool.shutdown()
    errors = [f for f in up if isinstance(f, ErrorFrame)]
    assert errors and "recogniser failed" in errors[0].error and not errors[0].fatal
    assert texts(down, TranscriptionFrame) == [QUESTION]  # a new worker took over for the next utterance


async def test_pool_reports_a_dead_worker(language_model: LanguageModel) -> None:
    pool = DecoderPool(processes=1)
    try:
        stream = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        os.kill(stream.worker_pid, signal.SIGKILL)
        with pytest.raises(DecoderCrashed):
            await stream.feed(np.zeros(1600, np.int16).tobytes())
        stream.close()
        again = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        assert again.worker_pid != stream.worker_pid
        assert (await again.finish()).event.text == ""
    finally:
        pool.shutdown()


async def test_decoder_workers_do_not_inherit_the_servers_secrets(language_model: LanguageModel,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "twilio-token-for-this-test")
    monkeypatch.setenv("JWT_SECRET", "jwt-secret-for-this-test")
    pool = DecoderPool(processes=1)
    try:
        stream = await pool.open(language_model.lm_path, language_model.dict_path, 8000, models.decoder_settings(8000))
        environ = (await asyncio.to_thread(Path(f"/proc/{stream.worker_pid}/environ").read_bytes)).split(b"\0")
        names = {entry.split(b"=", 1)[0].decode() for entry in environ if entry}
        assert "PATH" in names and "PYTHONPATH" in names
        assert not names & {"TWILIO_AUTH_TOKEN", "JWT_SECRET"}, names
        assert (await stream.finish()).event.text == ""  # and the worker decodes all the same
        stream.close()
    finally:
        pool.shutdown()


# ------------------------------------------------------------------ TTS
def audio_of(frames: Sequence[Frame]) -> list[TTSAudioRawFrame]:
    return [f for f in frames if isinstance(f, TTSAudioRawFrame)]


async def test_hibari_speaks_at_the_phone_rate_in_small_chunks() -> None:
    down, up = await run_test(
        HibariTTSService(),
        frames_to_send=[TTSSpeakFrame("Your todo buy milk is added for tomorrow.")],
        pipeline_params=PipelineParams(audio_out_sample_rate=8000, enable_metrics=True),
    )
    names = [type(f).__name__ for f in down if not isinstance(f, (TTSAudioRawFrame, MetricsFrame))]
    assert names.index("TTSStartedFrame") < names.index("TTSStoppedFrame")
    chunks = audio_of(down)
    assert len(chunks) > 20
    assert {c.sample_rate for c in chunks} == {8000} and {c.num_channels for c in chunks} == {1}
    assert max(len(c.audio) for c in chunks) == 640  # 40 ms at 8 kHz
    seconds = sum(len(c.audio) for c in chunks) / 2 / 8000
    assert 1.5 < seconds < 5.0  # eight words
    first = down.index(chunks[0])
    assert any(isinstance(f, TTSStartedFrame) for f in down[:first])
    assert any(isinstance(f, TTSStoppedFrame) for f in down[down.index(chunks[-1]):])
    ttfb = [d for f in down if isinstance(f, MetricsFrame) for d in f.data
            if isinstance(d, TTFBMetricsData) and d.value > 0]
    assert ttfb and ttfb[0].value < 2.0
    assert not [f for f in up if isinstance(f, ErrorFrame)]


@pytest.mark.parametrize(("text", "parts"), [
    ("You have five todos: buy milk, call mom, pay rent, and walk the dog.",
     ["You have five todos:", "buy milk, call mom, pay rent, and walk the dog."]),
    ("Okay, I added buy milk to your todos for tomorrow.", ["Okay, I added buy milk to your todos for tomorrow."]),
    ("Your calendar is clear.", ["Your calendar is clear."]),
    ("Here is what I found for you, in short.", ["Here is what I found for you, in short."]),
])
def test_a_long_sentence_is_voiced_from_its_first_clause(text: str, parts: list[str]) -> None:
    assert first_clause(text) == parts


async def test_hibari_speaks_llm_text_sentence_by_sentence() -> None:
    down, _ = await run_test(
        HibariTTSService(),
        frames_to_send=[LLMFullResponseStartFrame(), LLMTextFrame("Sure. Which day "), LLMTextFrame("works for you?"),
                        LLMFullResponseEndFrame()],
        pipeline_params=PipelineParams(audio_out_sample_rate=16000),
    )
    spoken = [f.text for f in down if isinstance(f, TTSTextFrame)]
    assert [s.strip() for s in spoken] == ["Sure.", "Which day works for you?"]
    first, second = (down.index(f) for f in down if isinstance(f, TTSTextFrame))
    assert audio_of(down[:first]) and audio_of(down[first:second])  # each sentence's audio precedes its text
    assert {c.sample_rate for c in audio_of(down)} == {16000}


class _InterruptOnFirstAudio(FrameProcessor):
    """Asks the worker for an interruption as soon as the first audio comes out, like a caller barging in."""

    def __init__(self) -> None:
        super().__init__()
        self.fired = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSAudioRawFrame) and not self.fired:
            self.fired = True
            await self.push_frame(InterruptionWorkerFrame(), FrameDirection.UPSTREAM)
        await self.push_frame(frame, direction)


async def test_hibari_stops_when_interrupted() -> None:
    long = ("This is the first sentence of a long answer. Here is the second one, which goes on for a while. "
            "A third follows it, so there is plenty left to say. And the fourth sentence ends it.")
    full, _ = hibari.synthesize(long, 8000, seed=0)
    tts = HibariTTSService()
    down, _ = await run_test(
        Pipeline([tts, _InterruptOnFirstAudio()]),
        frames_to_send=[TTSSpeakFrame(long), SleepFrame(1.0), TTSSpeakFrame("Okay.")],
        pipeline_params=PipelineParams(audio_out_sample_rate=8000),
    )
    cut = next(i for i, f in enumerate(down) if isinstance(f, InterruptionFrame))
    before, after = audio_of(down[:cut]), audio_of(down[cut:])
    assert before and sum(len(c.audio) for c in before) / 2 < full.size / 4
    assert after and {c.context_id for c in after}.isdisjoint({c.context_id for c in before})
    assert sum(len(c.audio) for c in after) / 2 / 8000 < 1.5  # only "Okay." after the barge-in
