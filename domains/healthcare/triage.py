"""Spotting emergencies in what a caller says about their symptoms. Never advice: only where to turn."""

from __future__ import annotations

import re

NO_ADVICE = "I can't give medical advice."
NOTED = "I've noted your symptoms for the clinic's staff. If they get worse, call your doctor or emergency services."
EMERGENCY = (
    "This could be an emergency. Please call 911 or your local emergency number now, or go to the "
    "nearest emergency room. I can also connect you with a person right away."
)
CRISIS = "If you are thinking about harming yourself, call or text 988, the Suicide and Crisis Lifeline, now."

_SIGNS: dict[str, str] = {
    "chest pain": r"chest (pain|pressure|tightness|hurts)|pain in (my|the) chest|heart attack",
    "trouble breathing": (
        r"(can ?not|can't|cant|unable to) (breathe|breath)|not breathing|short(ness)? of breath"
        r"|(hard|trouble|difficulty|struggling) (to )?breath(e|ing)?|choking"
    ),
    "stroke": r"stroke|face (is )?droop|slurred speech|(numb|weak)(ness)? on one side",
    "severe bleeding": (
        r"(severe|heavy|heavily|uncontrolled|uncontrollable|a lot of) bleed|bleeding (heavily|badly|a lot)"
        r"|(won't|wont|will not|can't|cannot) stop (the )?bleed|bleeding (that )?(won't|wont|will not) stop"
    ),
    "suicidal thoughts": r"suicid|kill(ing)? myself|end(ing)? my life|want to die|hurt(ing)? myself|self[- ]harm",
    "unconsciousness": r"unconscious|passed out|unresponsive|not waking up",
    "overdose": r"overdos",
    "seizure": r"seizure|convulsion",
    "severe allergic reaction": r"anaphyla|throat (is )?(closing|swelling)",
}
_PATTERNS = {name: re.compile(rf"\b({pattern})", re.IGNORECASE) for name, pattern in _SIGNS.items()}


def emergency_signs(text: str) -> list[str]:
    """The emergency warning signs mentioned in `text`, by name; empty when none."""
    text = text.replace("\u2019", "'")
    return [name for name, pattern in _PATTERNS.items() if pattern.search(text)]
