"""A runtime's outside-service clients are made once, on first use, per builder."""

from __future__ import annotations

from core.clients import Clients
from core.config import Settings


def test_each_client_is_made_once_per_clients() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    made: list[str] = []

    def build(_settings: Settings) -> list[str]:
        made.append("client")
        return made

    def other(_settings: Settings) -> str | None:
        return None

    clients = Clients()
    assert clients.get(build, settings) is clients.get(build, settings) is made
    assert clients.get(other, settings) is None and clients.get(other, settings) is None
    assert made == ["client"]
    Clients().get(build, settings)
    assert made == ["client", "client"]
