"""Shared fixtures for the speech tests (real hibari + real pocketsphinx, no mocks)."""

import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from core.config import Settings
from speech import models
from speech.lm_builder import LanguageModel
from speech.sphinx_pool import DecoderPool

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

    return build_language_model(speech_corpus.expand(), speech_cache)


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
