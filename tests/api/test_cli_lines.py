"""`convonet line set` and `convonet line list` against the configured database."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from core.runtime import Runtime


@pytest.fixture
def configured(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The environment `convonet` reads, pointing at the test's (emptied) database."""
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    settings = runtime.settings
    values = {"ENVIRONMENT": "test", "JWT_SECRET": "j" * 40, "DATA_DIR": str(tmp_path),
              "DATABASE_URL": settings.database_url, "TWILIO_ENABLED": "false"}
    if settings.redis_url:
        values["REDIS_URL"] = settings.redis_url
    for name, value in values.items():
        monkeypatch.setenv(name, str(value))


def test_line_set_and_list(configured: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["line", "list"])
    assert "no lines" in capsys.readouterr().out
    main(["line", "set", "+15550100000", "--name", "Hanok Table", "--domains", "restaurant", "--public"])
    assert "created +15550100000  public  Hanok Table  (restaurant)" in capsys.readouterr().out
    main(["line", "set", "+15550100000", "--pin"])
    assert "changed +15550100000  pin     Hanok Table  (restaurant)" in capsys.readouterr().out
    main(["line", "set", "+15550100001", "--name", "Front desk", "--domains", ""])
    capsys.readouterr()
    main(["line", "list"])
    assert capsys.readouterr().out.splitlines() == [
        "+15550100000  pin     Hanok Table  (restaurant)",
        "+15550100001  pin     Front desk  (all domains)",
    ]
    with pytest.raises(SystemExit, match="No such domain: pizza"):
        main(["line", "set", "+15550100000", "--domains", "pizza"])
    with pytest.raises(SystemExit):
        main(["line", "set", "+15550100000", "--public", "--pin"])
    main(["line", "delete", "+15550100001"])
    main(["line", "list"])
    assert capsys.readouterr().out.splitlines()[-1] == "+15550100000  pin     Hanok Table  (restaurant)"
