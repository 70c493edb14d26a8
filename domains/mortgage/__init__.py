"""Mortgage applications: one active application per caller, its figures, its documents, payment estimates."""

import re

from domains.domain import Domain
from domains.mortgage import grammar, models, staff, tools

DOMAIN = Domain(
    name="mortgage",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt=(
        "You help the caller with a mortgage application: starting it, filling in income, employment, "
        "property value, loan amount, down payment and credit score range, the documents still needed, "
        "and payment estimates. Estimates are not offers."
    ),
    keywords=re.compile(r"\b(mortgage|loan|down payment|refinanc\w*|credit score|property value|pre-?approv\w*)\b"),
    tables=(models.MortgageApplication, models.MortgageDocument, models.MortgageSettings),
    staff=staff.router,
    page="mortgage_dashboard",
)
