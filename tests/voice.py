"""The test process's one hibari voice, VAD/turn sessions and Moonshine reader, shared by the tests that
speak or listen and by every test server's `SpeechModels` (`speech_models`): a server loads its own
otherwise, ~1 s for the voice and turn models and as much again to start its Moonshine worker process and
stop it, and the suite starts a hundred. Each is loaded on first use; `tests/conftest.py` stops the
reader at the end of the session."""

from __future__ import annotations

from core.config import Settings
from speech.hibari import HibariVoice
from speech.models import SpeechModels, moonshine_readers
from speech.moonshine_worker import MoonshineWorkers
from speech.turn import TurnModels

VOICE = HibariVoice()
TURN = TurnModels()
MOONSHINE = MoonshineWorkers("tiny", count=1)


def speech_models(settings: Settings) -> SpeechModels:
    """A server's speech models on the shared voice and turn sessions, and on the shared Moonshine reader
    when the settings ask for one of the tiny model (`make_settings`); a test of the worker processes
    themselves makes its own `SpeechModels`."""
    shared = settings.moonshine_model == MOONSHINE.model and moonshine_readers(settings) == MOONSHINE.count
    return SpeechModels(settings, voice=VOICE, turn=TURN, moonshine=MOONSHINE if shared else None)
