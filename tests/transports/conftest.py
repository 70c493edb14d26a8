"""The app served on loopback behind a fake Twilio (see tests/fakes/phone_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server


@pytest.fixture(scope="session")
def voice_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One DATA_DIR for the session's phone servers, so the speech language model is built once."""
    return tmp_path_factory.mktemp("voice-data")


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> AsyncIterator[PhoneServer]:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir) as server:
        yield server
