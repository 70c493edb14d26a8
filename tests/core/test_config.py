"""Settings: secrets refused outside development, generated and kept in development."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import Settings, SettingsError, export_library_environment
from core.settings_doc import settings_table


def test_placeholder_secret_refused_outside_development(tmp_path: Path) -> None:
    for secret in (None, "changeme", "secret", "short"):
        with pytest.raises((SettingsError, ValueError)):
            Settings(environment="production", jwt_secret=secret, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    ok = Settings(environment="production", jwt_secret="z" * 40, twilio_auth_token="t" * 32, data_dir=tmp_path,
                  _env_file=None)  # type: ignore[call-arg]
    assert ok.signing_key == "z" * 40


def test_production_refuses_open_twilio_routes_without_a_token(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="TWILIO_AUTH_TOKEN must be set in production"):
        Settings(environment="production", jwt_secret="z" * 40, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    off = Settings(environment="production", jwt_secret="z" * 40, twilio_enabled=False, data_dir=tmp_path,
                   _env_file=None)  # type: ignore[call-arg]
    assert off.twilio_auth_token is None


def test_development_generates_a_secret_once(tmp_path: Path) -> None:
    first = Settings(environment="development", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    key = first.signing_key
    assert len(key) >= 32
    assert (tmp_path / "jwt_secret").read_text() == key
    second = Settings(environment="development", data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert second.signing_key == key


def test_database_defaults_to_sqlite_under_data_dir(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert s.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/convonet.db"
    pg = Settings(data_dir=tmp_path, database_url="postgresql+asyncpg://u:p@h/db", _env_file=None)  # type: ignore[call-arg]
    assert pg.effective_database_url.startswith("postgresql+asyncpg://")


def test_env_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PORT=9123\nLLM_PROVIDERS=[\"openai\",\"local\"]\n")
    s = Settings()  # type: ignore[call-arg]
    assert s.port == 9123
    assert s.llm_providers == ["openai", "local"]


def test_readme_lists_every_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert settings_table() in readme, "README settings table is stale: run `make readme`"


def test_production_voice_pin_needs_six_digits_and_its_account(tmp_path: Path) -> None:
    base = {"environment": "production", "jwt_secret": "z" * 40, "twilio_auth_token": "t" * 32,
            "data_dir": tmp_path, "_env_file": None}
    for bad in ({"voice_pin": "123456"}, {"voice_pin": "1234", "voice_pin_user": "desk@example.com"}):
        with pytest.raises(SettingsError, match="VOICE_PIN in production"):
            Settings(**base, **bad)  # type: ignore[arg-type]
    ok = Settings(**base, voice_pin="482913", voice_pin_user="desk@example.com")  # type: ignore[arg-type]
    assert ok.voice_pin == "482913"


def test_a_library_reads_its_own_variable_from_our_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """prometheus-client takes its multiprocess directory only from PROMETHEUS_MULTIPROC_DIR: it is written from
    METRICS_DIR, and removed when METRICS_DIR is unset, so the library and the settings never disagree."""
    import os

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", "/somewhere/else")  # restored after the test
    export_library_environment(Settings(metrics_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(tmp_path)
    export_library_environment(Settings(_env_file=None))  # type: ignore[call-arg]
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
