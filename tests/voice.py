"""The test process's one hibari voice and VAD/turn sessions, shared by the tests that speak or listen
and by every test server's `SpeechModels` (`speech_models`): a server loads its own otherwise, ~1 s
each, and the suite starts a hundred. Each is loaded on first use."""

from __future__ import annotations

from core.config import Settings
from speech.hibari import HibariVoice
from speech.models import SpeechModels
from speech.turn import TurnModels

VOICE = HibariVoice()
TURN = TurnModels()


def speech_models(settings: Settings) -> SpeechModels:
    """A server's speech models on the shared voice and turn sessions (its worker processes its own)."""
    return SpeechModels(settings, voice=VOICE, turn=TURN)
