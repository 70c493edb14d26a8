"""What callers say to the greenhouse, and what the assistant says back."""

from __future__ import annotations

from core.grammar.templates import Ask, DomainGrammar, ToolWords, phrasings

GRAMMAR = DomainGrammar(
    domain="greenhouse",
    capabilities=("water the plants in your greenhouse",),
    examples=("water the tomatoes in the greenhouse",),
    templates=phrasings(
        "greenhouse", "water_plant",
        "[please] water (the|my) {plant:title} in the greenhouse",
        "[please] water (the|my) greenhouse {plant:title}",
        "(give|get) (the|my) greenhouse {plant:title} some water",
        slots={"plant": "plant"},
    ),
    tools=(
        ToolWords("water_plant", asks=(Ask("plant", "title", "Which plant should I water?"),),
                  offer="water a plant in your greenhouse", done=("I watered the {plant}.",)),
    ),
)
