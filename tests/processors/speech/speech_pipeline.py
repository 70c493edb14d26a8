"""Helpers of the speech service tests: the STT service on the product's models, and hibari speech as
20 ms frames with the VAD frames around it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)

from processors.speech.stt_service import SphinxSTTService
from speech import hibari, models
from speech.audio import phone_channel
from speech.lm_builder import LanguageModel
from speech.sphinx_decoder import SpeechEvent
from speech.sphinx_pool import DecoderPool
from tests.voice import VOICE


def sphinx(language_model: LanguageModel, pool: DecoderPool,
           choose: Callable[[SpeechEvent], str | None] | None = None) -> SphinxSTTService:
    return SphinxSTTService(language_model=lambda: language_model, pool=pool,
                            decoder_settings=models.decoder_settings, choose=choose)


def speech(text: str, rate: int, seed: int = 0) -> np.ndarray:
    """hibari saying `text` at `rate`; at 8 kHz through a mu-law phone channel, as a caller sounds."""
    pcm, _ = VOICE.synthesize(text, hibari.MODEL_RATE, seed=seed)
    if rate == 8000:
        return phone_channel(pcm, hibari.MODEL_RATE)
    return VOICE.synthesize(text, rate, seed=seed)[0]


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


