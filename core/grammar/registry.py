"""The grammar as data: every domain's templates, the slot types, generated utterances and the speech corpus.

Domains declare their sentences as `DomainGrammar`s; `core` never imports a domain. The layer that
starts the app builds a `GrammarSet` from the domain registry's grammars and hands it over with
`install`; the functions below (`interpret`, `default_interpreter`, `parse`, `corpus`...) read the
installed set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from core.grammar.dialogue import DIALOGUE_TEMPLATES, OFF_TOPIC
from core.grammar.fuzzy import add_synonyms
from core.grammar.interpret import Interpreter, Reading
from core.grammar.parser import Match, Parser
from core.grammar.slot_type import SlotType
from core.grammar.slots import SLOT_TYPES
from core.grammar.slots import register as register_slot_types
from core.grammar.templates import DomainGrammar, Example, Template, ToolWords, flatten, sample
from core.grammar.text import normalize

REFERENCE_NOW = datetime(2026, 11, 23, 10, 0)
"""The fixed "now" generated utterances are resolved against (a Monday morning)."""

SLOTS: Mapping[str, SlotType] = SLOT_TYPES
_SLOT_PLACE = re.compile(r"\{(\w+)\}")


class GrammarSet:
    """Some domains' grammars, in registry order, and what is built from them (each once, when first read)."""

    def __init__(self, grammars: Iterable[DomainGrammar], cache_dir: Path | None = None) -> None:
        """`cache_dir` keeps the interpreter's trained parts between starts (see `use_cache`)."""
        self.grammars = tuple(grammars)
        self.cache_dir = cache_dir
        for g in self.grammars:  # before any template naming them is parsed
            register_slot_types(*g.slot_types)
            add_synonyms(dict(g.synonyms))
        names = [g.domain for g in self.grammars]
        if len(set(names)) != len(names):
            raise ValueError(f"two grammars for one domain: {names}")

    def domains(self) -> tuple[str, ...]:
        return tuple(g.domain for g in self.grammars)

    def grammar_for(self, domain: str) -> DomainGrammar:
        for g in self.grammars:
            if g.domain == domain:
                return g
        raise KeyError(f"no grammar for domain {domain!r}")

    @cached_property
    def templates(self) -> tuple[Template, ...]:
        """Every tool template of every domain."""
        return tuple(t for g in self.grammars for t in g.templates)

    @cached_property
    def _tool_words(self) -> dict[str, ToolWords]:
        return {words.tool: words for g in self.grammars for words in g.tools}

    def tool_words(self, tool: str) -> ToolWords | None:
        """What the assistant says around `tool` (questions, confirmation, replies), if the grammar has it."""
        return self._tool_words.get(tool)

    @cached_property
    def interpreter(self) -> Interpreter:
        """Templates, intent model and argument shapes over all the domains (~1 s to build)."""
        domains = {t.tool: t.domain for t in self.templates}
        primary: dict[str, str] = {}
        for g in self.grammars:
            for words in g.tools:
                first = next((a.arg for a in words.asks if SLOT_TYPES[a.slot_type].free_text), words.details)
                if first:
                    primary[words.tool] = first
        phrasings = [p for g in self.grammars for p in g.phrasings] + list(OFF_TOPIC)
        asks = {w.tool: tuple(a.arg for a in w.asks) for g in self.grammars for w in g.tools}
        return Interpreter(self.templates, domains, REFERENCE_NOW, primary, phrasings, asks, self.cache_dir)

    def use_cache(self, directory: Path) -> None:
        """Keep the interpreter's trained parts under `directory` (read back at the next start), unless
        the interpreter is built already."""
        if "interpreter" not in self.__dict__:
            self.cache_dir = directory


_installed: GrammarSet | None = None


def install(grammars: GrammarSet) -> GrammarSet | None:
    """Make `grammars` the set every function below reads; returns the one it replaces."""
    global _installed
    previous, _installed = _installed, grammars
    return previous


def installed() -> GrammarSet:
    """The installed set; an error naming `install` when the app has not handed one over."""
    if _installed is None:
        raise LookupError("no grammars installed: the app hands its domains' grammars to "
                          "core.grammar.registry.install() before anything reads them")
    return _installed


def grammars() -> tuple[DomainGrammar, ...]:
    """Every domain's grammar, in registry order."""
    return installed().grammars


def domains() -> tuple[str, ...]:
    return installed().domains()


def grammar_for(domain: str) -> DomainGrammar:
    return installed().grammar_for(domain)


def all_templates() -> tuple[Template, ...]:
    """Every tool template of every domain."""
    return installed().templates


def templates_for(domain: str) -> tuple[Template, ...]:
    return grammar_for(domain).templates


def tool_words(tool: str) -> ToolWords | None:
    """What the assistant says around `tool` (questions, confirmation, replies), if the grammar has it."""
    return installed().tool_words(tool)


def default_parser() -> Parser:
    """The parser over all domains' templates (the interpreter's own), compiled once per grammar set."""
    return default_interpreter().parser


def default_interpreter() -> Interpreter:
    """Templates, intent model and argument shapes over all domains, built once per grammar set (~1 s)."""
    return installed().interpreter


def interpret(text: str, now: datetime, tools: Collection[str] | None = None) -> Reading | None:
    """What the caller most likely asked for among `tools` (all when None), sure or to be asked about."""
    return default_interpreter().read(text, now, tools)


def arguments_for(text: str, now: datetime, tool: str) -> dict[str, Any]:
    """The arguments `text` states for `tool`, whatever it reads as best."""
    return default_interpreter().arguments_for(text, now, tool)


def parse(text: str, now: datetime, tools: frozenset[str] | None = None, domains: frozenset[str] | None = None) -> Match | None:
    """Utterance -> best tool call across all domains (or only `tools` / `domains`)."""
    return default_parser().parse(text, now, tools, domains)


def expand(template: Template, rng: random.Random, n: int, now: datetime = REFERENCE_NOW) -> list[Example]:
    """`n` concrete utterances of `template`, each with the exact tool call it means at `now`."""
    return [sample(template, rng, now) for _ in range(n)]


@dataclass(frozen=True)
class SlotVocab:
    """The phrases one slot type is said with; `free_text` slots need a broad general vocabulary too."""

    name: str
    phrases: tuple[str, ...]
    free_text: bool


@dataclass(frozen=True)
class Corpus:
    """Text for the offline speech recogniser's language model."""

    sentences: tuple[str, ...]  # repeats only with `corpus(balanced=...)`
    patterns: tuple[str, ...]
    slots: Mapping[str, SlotVocab]


def corpus(per_template: int = 12, seed: int = 0, now: datetime = REFERENCE_NOW, phrasings: int = 256,
           balanced: int = 0) -> Corpus:
    """Normalised sentences generated from every template (dialogue moves and PINs included), the
    flattened patterns with `{slot_type}` places, and each slot type's phrases.

    Every phrasing of a template (up to `phrasings` of them) appears at least once, its slots filled
    with example values, and `per_template` more random utterances add variety to the slot values.

    With `balanced`, every template contributes exactly that many sentences instead, repeats kept: a
    random `balanced` of its phrasings when it has more, topped up with random utterances when it has
    fewer. A language model counts words, so this keeps a template's weight from growing with the
    number of ways its pattern flattens ("add" would otherwise start one sentence in six)."""
    rng = random.Random(seed)
    templates = (*all_templates(), *DIALOGUE_TEMPLATES)
    sentences: dict[str, None] = {}
    repeated: list[str] = []

    def fill(match: re.Match[str]) -> str:
        kind = SLOT_TYPES[match[1]]
        return kind.phrase(rng.choice(list(kind.examples(now))), now, rng)

    for template in templates:
        if balanced:
            flat = list(flatten(template, phrasings))
            picked = rng.sample(flat, balanced) if len(flat) > balanced else flat
            repeated += (normalize(_SLOT_PLACE.sub(fill, p)) for p in picked)
            repeated += (normalize(e.text) for e in expand(template, rng, balanced - len(picked), now))
            continue
        for pattern in flatten(template, phrasings):
            sentences[normalize(_SLOT_PLACE.sub(fill, pattern))] = None
        for example in expand(template, rng, per_template, now):
            sentences[normalize(example.text)] = None
    pin = SLOT_TYPES["pin"]
    for value in pin.examples(now):
        phrase = pin.phrase(value, now, rng)
        sentences.update(dict.fromkeys((phrase, f"my pin is {phrase}")))
    patterns = dict.fromkeys(p for t in templates for p in flatten(t, phrasings))
    slots = {}
    for kind in SLOT_TYPES.values():
        phrases = dict.fromkeys(
            normalize(kind.phrase(v, now, rng)) for v in kind.examples(now) for _ in range(12)
        )
        slots[kind.name] = SlotVocab(kind.name, tuple(phrases), kind.free_text)
    return Corpus((*repeated, *sentences), tuple(patterns), slots)
