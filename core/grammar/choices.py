"""Closed sets of words: priorities, roles, departments, employment status, credit ranges, loan purposes."""

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
ROLE = Choice("role", {"admin": ("administrator", "owner"), "member": ("regular member",), "viewer": ("read only",)})
DEPARTMENT = Choice(
    "department",
    {
        "support": ("customer support", "customer service", "help desk", "tech support", "technical support"),
        "billing": ("accounts", "payments", "the billing department"),
        "sales": ("the sales team",),
        "mortgage": ("a loan officer", "mortgages", "loans"),
        "healthcare": ("a nurse", "the clinic", "the front desk"),
        "restaurant": ("the restaurant", "the host", "reservations"),
    },
)
EMPLOYMENT = Choice(
    "employment_status",
    {
        "employed": ("employed full time", "working full time", "working", "a salaried employee", "work full time",
                     "full time", "work part time", "working part time", "part time", "on salary", "have a job"),
        "self_employed": ("self employed", "a freelancer", "freelancing", "a business owner"),
        "retired": (),
        "unemployed": ("not working", "between jobs", "out of work"),
    },
)
CREDIT = Choice(
    "credit_score_range",
    {
        "excellent": ("great", "very good", "exceptional"),
        "good": ("pretty good",),
        "fair": ("average", "okay", "ok"),
        "poor": ("bad", "low", "not great"),
    },
)
_BUYING = tuple(
    f"{verb} {whose} {what}"
    for verb in ("buying", "buy", "purchasing", "purchase", "bought", "found", "closing on")
    for whose in ("a", "my", "our", "the", "my own", "our own", "my first", "our first", "a new", "a little")
    for what in ("home", "house", "condo", "place", "apartment", "townhouse", "property", "bungalow")
)
"""The ways a caller says the loan is for buying a home ("finally buying my own condo")."""
LOAN_PURPOSE = Choice(
    "loan_purpose",
    {"purchase": ("home purchase", *_BUYING),
     "refinance": ("refinancing", "refi", "refinance our home", "refinance my home", "refinance my house")},
)

ALL: tuple[Choice, ...] = (PRIORITY, ROLE, DEPARTMENT, EMPLOYMENT, CREDIT, LOAN_PURPOSE)
