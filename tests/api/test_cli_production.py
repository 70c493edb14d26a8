"""`convonet` commands that must not run, or must say why, in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name, value in {"ENVIRONMENT": "production", "JWT_SECRET": "p" * 40, "DATA_DIR": str(tmp_path),
                        "TWILIO_ENABLED": "false"}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def test_seed_is_refused_in_production(production: Path) -> None:
    with pytest.raises(SystemExit, match="refused in production"):
        main(["seed"])
    assert not (production / "convonet.db").exists()  # nothing was created


def test_production_without_a_twilio_token_does_not_start(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_ENABLED")
    with pytest.raises(SystemExit, match="TWILIO_AUTH_TOKEN must be set in production"):
        main(["serve"])
