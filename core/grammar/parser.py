"""Utterance -> tool call: match normalised text against every compiled template and keep the best reading."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from core.grammar.fuzzy import best_relaxed
from core.grammar.slots import slot_type
from core.grammar.templates import Compiled, Template, compile_template
from core.grammar.text import drop_hesitations, normalize, strip_fillers, words

RELAXED_FLOOR = 0.55
"""Relaxed readings below this confidence are treated as no reading at all."""


@dataclass(frozen=True)
class Match:
    """A parsed utterance: which tool, with which arguments, and how sure the parser is (0-1)."""

    domain: str
    tool: str
    args: dict[str, Any]
    confidence: float
    template: Template


class Parser:
    """A matcher over a fixed set of templates, compiled once."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self._compiled = tuple(compile_template(t) for t in templates)
        self._content = frozenset(w for c in self._compiled for w in c.required)

    @property
    def templates(self) -> tuple[Template, ...]:
        return tuple(c.template for c in self._compiled)

    def warm(self) -> None:
        """Compile every template's regex now (about a second) rather than on first use."""
        for compiled in self._compiled:
            compiled.regex()

    def parse(
        self,
        text: str,
        now: datetime,
        tools: Collection[str] | None = None,
        domains: Collection[str] | None = None,
        relaxed: bool = True,
    ) -> Match | None:
        """The best reading of `text`, limited to `tools` / `domains` when given; None when nothing fits.

        With `relaxed`, a request no template matches exactly gets a second, slower pass (`fuzzy`)."""
        norm = normalize(text)
        for variant in dict.fromkeys((strip_fillers(norm), drop_hesitations(norm), norm)):
            if variant and (found := self._best(variant, now, tools, domains)):
                return found
        if not relaxed or not (core := strip_fillers(norm)):
            return None

        def attempt(variant: str) -> tuple[float, object] | None:
            found = self._best(variant, now, tools, domains)
            return (found.confidence, found) if found else None

        best = best_relaxed(core, attempt, self._content)
        if best is None or best[0] < RELAXED_FLOOR:
            return None
        score, reading = best
        assert isinstance(reading, Match)
        return replace(reading, confidence=round(score, 3))

    def _best(
        self, text: str, now: datetime, tools: Collection[str] | None, domains: Collection[str] | None
    ) -> Match | None:
        present = words(text)
        subject = text + " "
        best: Match | None = None
        best_key: tuple[float, int] = (-1.0, 0)
        for compiled in self._compiled:
            template = compiled.template
            if not compiled.required <= present:
                continue
            if tools is not None and template.tool not in tools:
                continue
            if domains is not None and template.domain not in domains:
                continue
            m = compiled.regex().fullmatch(subject)
            if m is None:
                continue
            reading = _read(compiled, m.groupdict(), now)
            if reading is None and compiled.has_loose:
                m = compiled.precise().fullmatch(subject)
                reading = _read(compiled, m.groupdict(), now) if m else None
            if reading is None:
                continue
            args, free_chars, typed = reading
            structure = 1.0 - free_chars / max(len(text), 1)
            key = (round(structure, 6), typed)
            if key > best_key:
                confidence = round(0.5 + 0.5 * structure, 3)
                best, best_key = Match(template.domain, template.tool, args, confidence, template), key
        return best


def _read(compiled: Compiled, groups: dict[str, str | None], now: datetime) -> tuple[dict[str, Any], int, int] | None:
    template = compiled.template
    args: dict[str, Any] = dict(template.fixed)
    free_chars = typed = 0
    for group, name, kind in compiled.groups:
        raw = groups.get(group)
        if raw is None:
            continue
        value = kind.parse(raw, now)
        if value is None:
            return None
        if kind.free_text:
            free_chars += len(raw)
        else:
            typed += 1
        target = template.slots.get(name, name)
        if isinstance(target, tuple):
            args.update({arg: v for arg, v in zip(target, value, strict=True) if v is not None})
        else:
            args[target] = value
    return args, free_chars, typed


def parse_slot(type_name: str, text: str, now: datetime) -> Any:
    """Parse a bare answer ("buy milk", "tomorrow at noon") as one slot type; None when it is not one."""
    kind = slot_type(type_name)
    norm = normalize(text)
    for variant in dict.fromkeys((strip_fillers(norm), drop_hesitations(norm), norm)):
        if variant and (value := kind.parse(variant, now)) is not None:
            return value
    return None
