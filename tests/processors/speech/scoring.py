"""How a heard transcript is scored against what was said: word errors, and whether it means the tool call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.grammar.registry import REFERENCE_NOW, interpret
from core.grammar.text import normalize
from speech.lm_builder import normalize_text
from speech.spoken import spoken_form
from tests.processors.speech.accuracy_sets import Utterance


def word_errors(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Levenshtein distance over words (substitutions + deletions + insertions)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def _canonical(value: Any) -> Any:
    """Free-text values compared as said: "W2" and "w two", "Harris" and "harris" are the same words."""
    if isinstance(value, str):
        return " ".join(normalize_text(spoken_form(normalize(value))))
    return value


def means(text: str, utterance: Utterance) -> bool:
    """Whether the product's understanding (`interpret`: templates, intent model, extraction) reads `text`
    as the tool call `utterance` means."""
    found = interpret(text, REFERENCE_NOW)
    if found is None or found.tool != utterance.tool:
        return False
    got = {k: _canonical(v) for k, v in found.args.items()}
    return got == {k: _canonical(v) for k, v in utterance.args.items()}
