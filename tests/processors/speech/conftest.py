"""Shared fixtures for the speech tests (real hibari + real pocketsphinx, no mocks)."""

import sys
from pathlib import Path

import pytest

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

    from processors.speech.lm_builder import build_language_model

    return build_language_model(speech_corpus.expand(), speech_cache)
