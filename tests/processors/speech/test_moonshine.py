"""The Moonshine recogniser on hibari speech: phone and browser audio read alike, silence and broken
input give no words, a long monologue is bounded, and one model serves the whole process."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from speech_pipeline import speech

from core.config import Settings
from speech.audio import ASR_RATE
from speech.models import SpeechModels
from speech.moonshine import MAX_SECONDS, PIECE_SECONDS, MoonshineRecognizer, bounded, pieces

COMMAND = "create a high priority task to call mom"


def words(text: str) -> str:
    return re.sub(r"[^\w' ]", "", text)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_moonshine_reads_phone_and_browser_speech(rate: int, recognizer: MoonshineRecognizer) -> None:
    text = recognizer.transcribe(speech(COMMAND, rate), rate)
    assert text == text.lower()
    assert words(text) == COMMAND


def test_silence_noise_and_empty_audio_give_no_words(recognizer: MoonshineRecognizer) -> None:
    assert recognizer.transcribe(np.zeros(0, np.int16), 8000) == ""
    assert recognizer.transcribe(np.zeros(ASR_RATE, np.int16), ASR_RATE) == ""
    assert recognizer.transcribe(np.zeros(1, np.int16), 8000) == ""
    hum = (40 * np.sin(np.arange(ASR_RATE) * 2 * np.pi * 60 / ASR_RATE)).astype(np.int16)  # mains hum on a quiet line
    assert recognizer.transcribe(hum, ASR_RATE) == ""
    with pytest.raises(ValueError, match="8000 or 16000"):
        recognizer.transcribe(np.zeros(100, np.int16), 44100)


def test_a_long_monologue_is_bounded_to_its_last_seconds(recognizer: MoonshineRecognizer) -> None:
    """30 s of speech decodes only its last `MAX_SECONDS` (cut in a quiet moment), so one caller's
    monologue holds the shared model for two readings at most (about a second)."""
    ramble = speech("i was thinking about everything i have to get done this week at work and at home", 16000)
    request = speech("so please " + COMMAND, 16000)
    repeats = int(np.ceil((30 * ASR_RATE - request.size) / ramble.size))
    pcm = np.concatenate([ramble] * repeats + [request])
    assert pcm.size >= 30 * ASR_RATE
    kept = bounded(pcm, ASR_RATE)
    assert MAX_SECONDS - 1.0 <= kept.size / ASR_RATE <= MAX_SECONDS
    t0 = time.perf_counter()
    text = recognizer.transcribe(pcm, ASR_RATE)
    took = time.perf_counter() - t0
    assert words(text).endswith(COMMAND)
    # what bounds the time is what is read (the size checked above), never a clock here
    print(f"30 s monologue: {took * 1000:.0f} ms for its last {kept.size / ASR_RATE:.1f} s")


def test_a_long_request_is_read_from_its_first_word(recognizer: MoonshineRecognizer) -> None:
    """A request longer than one reading's window (a slow caller's 30 words) is read in pieces cut at
    pauses, so its first words are not lost: before, only its last 10 s were read and "register me
    please it's marisol" of a 12 s registration was dropped."""
    first = "register me as a new patient please my name is maria lopez"
    rest = "and my date of birth is the twelfth of october two thousand one and my phone number is three one two"
    pcm = np.concatenate([speech(first, 16000), speech(rest, 16000)])
    assert pcm.size > PIECE_SECONDS * ASR_RATE
    parts = pieces(pcm, ASR_RATE)
    assert len(parts) == 2 and sum(p.size for p in parts) == pcm.size
    assert all(p.size <= PIECE_SECONDS * ASR_RATE for p in parts)
    text = words(recognizer.transcribe(pcm, ASR_RATE))
    assert text.startswith("register me as a new patient")
    assert "lopez" in text
    assert text.endswith(("three one two", "312"))


def test_a_reading_cut_mid_word_does_not_leak_into_the_next(recognizer: MoonshineRecognizer) -> None:
    """A speculative reading that ends in the middle of a word must not put stray words in front of the
    next reading (the package's C library kept its voice detector's state across calls and did)."""
    pcm = speech(COMMAND, 8000)
    for cut in (0.3, 0.5, 0.8):
        recognizer.transcribe(pcm[: int(pcm.size - cut * 8000)], 8000)
        assert words(recognizer.transcribe(pcm, 8000)) == COMMAND


def test_one_model_per_speech_models(speech_models: SpeechModels, speech_settings: Settings) -> None:
    """Every call of a server reads with its models' one recogniser; another holder (a test, a second
    app) has its own."""
    assert speech_models.recognizer() is speech_models.recognizer()
    assert SpeechModels(speech_settings).recognizer() is not speech_models.recognizer()
