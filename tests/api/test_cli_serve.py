"""`convonet serve --workers N`: several processes need PostgreSQL and Redis, and say so before starting."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from api.cli import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    for name, value in {"ENVIRONMENT": "test", "JWT_SECRET": "t" * 40, "DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    for name in ("DATABASE_URL", "REDIS_URL", "WORKERS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_several_workers_without_postgres_and_redis_are_refused(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit, match=r"2 workers need a shared database and store.*DATABASE_URL.*REDIS_URL"):
        main(["serve", "--workers", "2"])
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # Redis alone is not enough: SQLite is one process's
    monkeypatch.setenv("WORKERS", "3")
    with pytest.raises(SystemExit, match="3 workers need"):
        main(["serve"])
    assert not (env / "convonet.db").exists()  # nothing was started


def test_a_port_in_use_is_a_clear_error(env: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit, match=f"cannot listen on 127.0.0.1:{port}"):
            main(["serve", "--workers", "1", "--port", str(port)])
