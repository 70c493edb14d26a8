"""Clients of outside services that a domain builds from the settings: one of each per runtime, made
on first use and shared by every call and session of the process (the Google Calendar mirror)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from core.config import Settings

T = TypeVar("T")


class Clients:
    def __init__(self) -> None:
        self._made: dict[Callable[[Settings], object], object] = {}

    def get(self, build: Callable[[Settings], T], settings: Settings) -> T:
        """The client `build` makes from `settings`, made the first time it is asked for (`build` is the
        key: pass the same function each time)."""
        if build not in self._made:
            self._made[build] = build(settings)
        return cast(T, self._made[build])
