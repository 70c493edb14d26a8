"""The project's own Moonshine decoder: the wheel's tokenizer read right, a beam of finished readings
best first, and spellings of the same words pooled before the best is chosen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from moonshine_voice.utils import get_model_path
from speech_pipeline import speech

from speech.audio import int16_to_float
from speech.moonshine import MODEL_NAME, MoonshineRecognizer, best_words
from speech.moonshine_decoder import MoonshineModel, Reading, read_tokenizer


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
