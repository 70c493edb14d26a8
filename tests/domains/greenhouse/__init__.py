"""A throwaway sixth domain for tests: one package (one tool, its grammar, its prompt and routing
words) that `tests/domains/test_sixth_domain.py` adds to the registry with one line."""

import re

from domains.domain import Domain
from tests.domains.greenhouse import grammar, tools

DOMAIN = Domain(
    name="greenhouse",
    tools=tuple(tools.TOOLS),
    grammar=grammar.GRAMMAR,
    prompt="You look after the caller's greenhouse: you water the plants they name.",
    keywords=re.compile(r"\b(greenhouse|seedlings?)\b"),
)
