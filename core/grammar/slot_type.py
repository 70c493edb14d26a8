"""The kind of a slot's value: how a template finds it, how it is parsed, said and phrased."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

Parse = Callable[[str, datetime], Any]
Say = Callable[[Any, datetime], str]
Phrase = Callable[[Any, datetime, random.Random], str]
Examples = Callable[[datetime], Sequence[Any]]


@dataclass(frozen=True, eq=False)
class SlotType:
    """One kind of slot value.

    `pattern` is the regex fragment a template uses to find the slot; `parse` turns the matched words into
    the value a tool receives (None when they are not one); `say` is the words for a spoken reply; `phrase`
    is one of the ways a caller says a value (for generated utterances); `examples` gives sample values.
    `loose`, when set, is a cheap superset of `pattern` that templates try first (see `vocab`).
    `lexicon` holds words that on their own say a value of this kind is meant (a symptom, a department);
    the intent model reads them as the class `word_class`.
    """

    name: str
    pattern: str
    parse: Parse
    say: Say
    phrase: Phrase
    examples: Examples
    free_text: bool = False
    loose: str | None = None
    word_class: str = ""
    lexicon: frozenset[str] = frozenset()


def fixed(values: Sequence[Any]) -> Examples:
    """Examples that do not depend on the day."""
    return lambda _now: values
