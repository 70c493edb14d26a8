"""The offline speech models: the domains' language model, spoken forms, warm-up, decoder settings and
the transcript chosen among the decoder's readings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from core.config import Settings
from speech import models
from speech.lm_builder import LanguageModel, build_language_model
from speech.models import SpeechModels
from speech.moonshine_worker import MoonshineWorkers
from speech.sphinx_decoder import SpeechEvent
from speech.sphinx_pool import DecoderPool
from tests.voice import TURN, VOICE


def test_language_model_covers_the_domains_and_is_cached(speech_settings: Settings, speech_models: SpeechModels,
                                                          language_model: LanguageModel) -> None:
    assert speech_models.language_model() is language_model
    assert language_model.directory.parent == models.speech_dir(speech_settings).resolve()
    words = {line.split()[0].split("(")[0] for line in language_model.dict_path.read_text().splitlines()}
    assert {"todo", "calendar", "reservation", "priority", "percent", "dot"} <= words
    again = build_language_model(models.corpus_sentences(), models.speech_dir(speech_settings), config=models.LM_CONFIG,
                                 voice=VOICE)
    assert again.from_cache and again.key == language_model.key


def test_spoken_form_of_written_slot_values() -> None:
    assert models.spoken_form("invite bob@example.com") == "invite bob at example dot com"
    assert models.spoken_form("a rate of 6.5%") == "a rate of six point five percent"
    assert models.spoken_form("borrow $350000 or 120k") == "borrow three hundred fifty thousand dollars or one hundred twenty thousand"


def test_warm_up_loads_what_the_providers_need(speech_settings: Settings, speech_models: SpeechModels,
                                               language_model: LanguageModel, decoder_pool: DecoderPool) -> None:
    assert set(speech_models.warm_up().timings) == {"turn_models", "hibari_voice", "moonshine"}  # the default
    speech_models.settings = speech_settings.model_copy(update={"stt_provider": "sphinx"})
    try:
        report = speech_models.warm_up()
    finally:
        speech_models.settings = speech_settings
    assert set(report.timings) == {"turn_models", "hibari_voice", "language_model", "decoder_workers"}
    assert report.timings["language_model"] < 1.0  # already built: a dictionary lookup
    assert VOICE.is_loaded and len(decoder_pool.pids) == decoder_pool.size
    cloud = speech_settings.model_copy(update={"stt_provider": "deepgram", "tts_provider": "cartesia"})
    assert set(SpeechModels(cloud, voice=VOICE, turn=TURN).warm_up().timings) == {"turn_models"}  # the VAD: any provider


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




def test_the_speech_engine_imports_no_pipecat() -> None:
    """`speech` stands alone (a script or another framework can use it): importing every module of it
    loads neither Pipecat nor any layer above it."""
    program = ("import importlib, pkgutil, sys, speech\n"
               "for m in pkgutil.iter_modules(speech.__path__): importlib.import_module('speech.' + m.name)\n"
               "print(sorted({m.split('.')[0] for m in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[3])
    loaded = set(ast.literal_eval(done.stdout))
    assert "speech" in loaded and "core" in loaded
    assert not loaded & {"pipecat", "processors", "bots", "transports", "api", "domains"}


def test_each_holder_has_its_own_models(speech_settings: Settings, speech_models: SpeechModels) -> None:
    """A second app or a test holds its own worker processes; closing one leaves the other's running."""
    other = SpeechModels(speech_settings)
    assert other.moonshine_worker() is not speech_models.moonshine_worker()
    assert other.decoder_pool() is not speech_models.decoder_pool()
    other.close()
    assert other.decoder_pool() is not speech_models.decoder_pool()


def test_the_voice_and_turn_models_are_the_holder_s_own_unless_given(speech_settings: Settings) -> None:
    """Every call of a server shares its voice and turn sessions; closing it stops the threads of those it
    owns (the next use starts new ones) and leaves alone those it was given."""
    own = SpeechModels(speech_settings)
    assert own.voice is not VOICE and own.turn is not TURN
    threads, shared_threads = own.turn.smart_turn_threads(), TURN.smart_turn_threads()
    assert own.turn.smart_turn_threads() is threads  # one pool for every call
    own.close()
    assert own.turn.smart_turn_threads() is not threads
    own.close()
    given = SpeechModels(speech_settings, voice=VOICE, turn=TURN)
    given.close()
    assert TURN.smart_turn_threads() is shared_threads


def test_given_moonshine_workers_are_read_with_and_left_running(speech_settings: Settings) -> None:
    """Servers in one process (the tests) may share one Moonshine reader: a holder given it reads with it and
    does not stop it on closing; one of another model than MOONSHINE_MODEL is refused."""
    reader = MoonshineWorkers("tiny")
    reader.start()
    try:
        held = SpeechModels(speech_settings, voice=VOICE, turn=TURN, moonshine=reader)
        assert held.moonshine_worker() is reader
        pids = reader.pids
        held.close()
        assert reader.pids == pids and len(pids) == 1
    finally:
        reader.shutdown()
    with pytest.raises(ValueError, match="MOONSHINE_MODEL"):
        SpeechModels(speech_settings, moonshine=MoonshineWorkers("base"))
