"""Shared fixtures for the speech tests (real hibari + real pocketsphinx, no mocks)."""

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.config import Settings
from speech.lm_builder import LanguageModel
from speech.models import SpeechModels
from speech.moonshine import MoonshineRecognizer
from speech.sphinx_pool import DecoderPool
from tests.voice import VOICE
from tests.voice import speech_models as shared_speech_models

_HERE = Path(__file__).resolve().parent
for p in (_HERE.parents[2], _HERE):  # repo root (for `processors`) and this folder (corpus, harness)
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


@pytest.fixture(scope="session")
def speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh LM cache directory for the session."""
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture(scope="session")
def domain_lm(speech_cache: Path):
    """LM + dictionary built from the template expansion in speech_corpus."""
    import speech_corpus

    from speech.lm_builder import build_language_model

    return build_language_model(speech_corpus.expand(), speech_cache, voice=VOICE)


@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("speech-data"), _env_file=None)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def speech_models(speech_settings: Settings) -> Iterator[SpeechModels]:
    """The speech tests' own models, as a server holds them (on the shared voice and turn sessions); their
    worker processes stop at the end."""
    held = shared_speech_models(speech_settings)
    yield held
    held.close()


@pytest.fixture(scope="session")
def language_model(speech_models: SpeechModels) -> LanguageModel:
    """Built once from the domains' grammar, by three threads asking at the same time."""
    with ThreadPoolExecutor(3) as ex:
        built = list(ex.map(lambda _: speech_models.language_model(), range(3)))
    assert built[0] is built[1] is built[2]
    return built[0]


@pytest.fixture(scope="session")
def decoder_pool(speech_models: SpeechModels) -> DecoderPool:
    pool = speech_models.decoder_pool()
    pool.start()
    return pool


@pytest.fixture(scope="session")
def recognizer(speech_models: SpeechModels) -> MoonshineRecognizer:
    """A Moonshine model in this process, loaded once for the session."""
    return speech_models.recognizer()
