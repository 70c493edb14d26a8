"""Closed sets of words a slot may hold, each said several ways: priorities and roles here, a domain's own
(departments, employment status) with its slot types."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Choice:
    """A slot whose value is one of a few canonical words, each said several ways."""

    name: str
    synonyms: Mapping[str, tuple[str, ...]]
    lookup: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        table = {word: value for value, words in self.synonyms.items() for word in (value.replace("_", " "), *words)}
        object.__setattr__(self, "lookup", table)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self.synonyms)

    @property
    def pattern(self) -> str:
        return "(?:" + "|".join(sorted(self.lookup, key=len, reverse=True)) + ")"

    def parse(self, text: str) -> str | None:
        return self.lookup.get(text.strip())

    def say(self, value: str) -> str:
        return value.replace("_", " ")

    def phrase(self, value: str, rng: random.Random) -> str:
        return rng.choice([value.replace("_", " "), *self.synonyms[value]])


PRIORITY = Choice(
    "priority",
    {"low": ("low",), "medium": ("normal", "regular"), "high": ("important", "high"), "urgent": ("critical", "top")},
)
IMPORTANCE = Choice("importance", {"low": ("low", "minor"), "medium": ("normal", "regular", "medium"),
                                  "high": ("high", "top", "important")})
"""How much a reminder matters; said with its noun ("high importance", "low priority") so that a "high chair"
in a message is no importance."""
ROLE = Choice("role", {"admin": ("administrator", "owner"), "member": ("regular member",), "viewer": ("read only",)})
ALL: tuple[Choice, ...] = (PRIORITY, ROLE)
"""The choices every domain may use; a domain's own come with its slot types."""
