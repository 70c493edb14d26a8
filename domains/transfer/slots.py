"""The departments a caller may ask for ."""

from __future__ import annotations

from core.grammar.choices import Choice
from core.grammar.slots import choice_type

DEPARTMENT = Choice(
    "department",
    {
        "support": ("customer support", "customer service", "help desk", "tech support", "technical support"),
        "billing": ("accounts", "payments", "the billing department"),
        "sales": ("the sales team",),
        "mortgage": ("a loan officer", "mortgages", "loans"),
        "healthcare": ("a nurse", "the clinic", "the front desk", "the clinic front desk", "the clinic's front desk",
                       "the front desk at the clinic"),
        "restaurant": ("the restaurant", "the host", "reservations", "hanok table"),  # the restaurant's name
    },
)

TYPES = (choice_type(DEPARTMENT, "<department>", frozenset(DEPARTMENT.values)),)
