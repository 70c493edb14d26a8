"""Sentence templates: `[please] (add|create) a {priority} priority todo to {title}` and what they mean.

Pattern syntax: plain words; `[optional words]`; `(one|or|another)`; `{slot}` or `{slot:type}` where the
type defaults to the slot's name. `Template.slots` maps a slot to its tool argument (or a tuple of
arguments for a slot whose value is a tuple, such as a date range), `Template.fixed` adds constant ones.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from core.grammar.slot_type import SlotType
from core.grammar.slots import slot_type
from core.grammar.text import drop_hesitations, normalize

ArgNames = str | tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Template:
    """One way of saying one tool call."""

    domain: str
    tool: str
    pattern: str
    slots: Mapping[str, ArgNames] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)


def phrasings(
    domain: str,
    tool: str,
    *patterns: str,
    slots: Mapping[str, ArgNames] | None = None,
    fixed: Mapping[str, Any] | None = None,
) -> tuple[Template, ...]:
    """Several patterns for one tool call, sharing the slot mapping and fixed arguments."""
    return tuple(Template(domain, tool, p, dict(slots or {}), dict(fixed or {})) for p in patterns)


@dataclass(frozen=True)
class Ask:
    """A required argument the caller may leave out, and the question that asks for it."""

    arg: str
    slot_type: str
    question: str


@dataclass(frozen=True)
class ToolWords:
    """What the assistant says around one tool: questions, a confirmation, and replies to its result.

    `ref` names the argument that refers to one of the caller's things (read back in full when earlier
    results show which one it is; see `lookup`). `done` holds reply sentences with `{field}` places filled from the call's arguments and its result;
    the first one whose fields are all known is used; `negative` replaces it when the result says
    `available`/`ok`/`success` is false. `items` names list results ("todo", "todos"), `intro` leads a
    list ("You have three todos: ..."), `label` holds formats that name one item, and `empty` is said for
    an empty list.
    """

    tool: str
    asks: tuple[Ask, ...] = ()
    confirm: str | None = None
    ref: str | None = None
    done: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()
    items: tuple[str, str] | None = None
    intro: str = "You have"
    offer: str = ""
    details: str | None = None
    label: tuple[str, ...] = ("{title}", "{name}", "{message}", "{email}")
    empty: str = ""
    lookup: str | None = None
    """The tool that lists the records `ref` names, read before acting: the reference resolves to one
    record (a confirmation then reads its details), or to a `kin` tool's record when it names none of these."""
    lookup_days: tuple[tuple[str, int], ...] = ()
    """Arguments of the `lookup` call that are dates this many days from today (a calendar's window)."""
    kin: tuple[str, ...] = ()
    """Tools that do the same to another kind of record (a todo's update, a reminder's, an event's)."""
    answers: tuple[Ask, ...] = ()
    """How to hear the answer to a question the tool itself asks (its error names the arguments, see
    `core.errors.Question`): "the code or the name on the booking", "the code I texted you"."""


@dataclass(frozen=True)
class DomainGrammar:
    """Everything a domain says and understands."""

    domain: str
    capabilities: tuple[str, ...]
    examples: tuple[str, ...]
    templates: tuple[Template, ...]
    tools: tuple[ToolWords, ...] = ()
    phrasings: tuple[Phrasing, ...] = ()
    """Hand-written requests that teach the intent model how callers ask (not parsed word for word)."""
    slot_types: tuple[SlotType, ...] = ()
    """The kinds of values only this domain's callers say (a party size, a symptom), registered when the
    grammar is installed."""
    synonyms: tuple[tuple[str, str], ...] = ()
    """This domain's callers' words for what its templates say (a "home loan" for the loan its templates name)."""


@dataclass(frozen=True)
class Phrasing:
    """One way a caller asks for a tool, in their own words; free-text values in [brackets]."""

    tool: str | None
    said: str

    @property
    def carrier(self) -> str:
        """The words around the free text: what says which tool is meant."""
        return " ".join(_BRACKETED.sub(" ", self.said).split())

    @property
    def values(self) -> tuple[str, ...]:
        """The free-text values, without their brackets."""
        return tuple(m[1:-1].strip() for m in _BRACKETED.findall(self.said))


_BRACKETED = re.compile(r"\[[^\]]*\]")


def load_phrasings(path: Path) -> tuple[Phrasing, ...]:
    """Phrasings from a JSON-lines file of `{"tool": ..., "said": ...}` (ValueError names a bad line)."""
    out: list[Phrasing] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            out.append(Phrasing(data["tool"], str(data["said"])))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a phrasing ({exc})") from exc
    return tuple(out)


@dataclass(frozen=True)
class Example:
    """A generated utterance and the tool call it must parse to."""

    text: str
    domain: str
    tool: str
    args: dict[str, Any]


# ---------------------------------------------------------------- pattern syntax tree
@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Slot:
    name: str
    type: SlotType


@dataclass(frozen=True)
class Group:
    options: tuple[tuple[Node, ...], ...]
    optional: bool


Node = Word | Slot | Group

_TOKEN = re.compile(r"\[|\]|\(|\)|\||\{[^}]+\}|[^\s\[\]()|{}]+")


@cache
def parse_pattern(pattern: str) -> tuple[Node, ...]:
    """Parse pattern syntax into a tree (ValueError on unbalanced brackets or unknown slot types); the
    tree is immutable, so each pattern is parsed once per process."""
    tokens = _TOKEN.findall(pattern)
    nodes, end = _parse_seq(tokens, 0, pattern)
    if end != len(tokens):
        raise ValueError(f"unbalanced pattern: {pattern!r}")
    return nodes


def _parse_seq(tokens: list[str], i: int, pattern: str) -> tuple[tuple[Node, ...], int]:
    out: list[Node] = []
    while i < len(tokens) and tokens[i] not in ("]", ")", "|"):
        tok = tokens[i]
        if tok in ("[", "("):
            close = "]" if tok == "[" else ")"
            options: list[tuple[Node, ...]] = []
            i += 1
            while True:
                seq, i = _parse_seq(tokens, i, pattern)
                options.append(seq)
                if i >= len(tokens):
                    raise ValueError(f"unclosed {tok!r} in {pattern!r}")
                if tokens[i] == "|":
                    i += 1
                    continue
                if tokens[i] != close:
                    raise ValueError(f"mismatched {tokens[i]!r} in {pattern!r}")
                i += 1
                break
            out.append(Group(tuple(options), optional=tok == "["))
        elif tok.startswith("{"):
            name, _, kind = tok[1:-1].partition(":")
            out.append(Slot(name, slot_type(kind or name)))
            i += 1
        else:
            if text := drop_hesitations(normalize(tok, sentence=False)):
                out.append(Word(text))
            i += 1
    return tuple(out), i


# ---------------------------------------------------------------- compiling to a regex
@dataclass(eq=False)
class Compiled:
    """A template ready to match: its regex sources, its slot groups and the words every match contains.

    Regexes compile on first use (a few milliseconds each). `regex()` finds big typed slots by vocabulary
    only; `precise()` is the exact regex, for when a slot parser refuses what the loose one found.
    """

    template: Template
    groups: tuple[tuple[str, str, SlotType], ...]
    required: frozenset[str]
    has_loose: bool
    _sources: tuple[str, str]
    _compiled: list[re.Pattern[str] | None] = field(default_factory=lambda: [None, None])

    def regex(self) -> re.Pattern[str]:
        return self._get(0)

    def precise(self) -> re.Pattern[str]:
        return self._get(1) if self.has_loose else self._get(0)

    def _get(self, i: int) -> re.Pattern[str]:
        pattern = self._compiled[i]
        if pattern is None:
            pattern = self._compiled[i] = re.compile(self._sources[i])
        return pattern


def compile_template(template: Template) -> Compiled:
    """Prepare a template for matching normalised text followed by one space."""
    nodes = parse_pattern(template.pattern)
    groups: list[tuple[str, str, SlotType]] = []
    loose = _regex(nodes, groups, loose=True)
    precise = _regex(nodes, [], loose=False)
    has_loose = any(kind.loose for _, _, kind in groups)
    return Compiled(template, tuple(groups), frozenset(_required(nodes)), has_loose, (loose, precise))


def _regex(nodes: tuple[Node, ...], groups: list[tuple[str, str, SlotType]], loose: bool) -> str:
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Word):
            # the article agrees with the next word when spoken ("an engineering team" for "a {team} team")
            parts.append("(?:a|an) " if node.text in ("a", "an") else re.escape(node.text) + " ")
        elif isinstance(node, Slot):
            group = f"g{len(groups)}"
            groups.append((group, node.name, node.type))
            pattern = node.type.loose if loose and node.type.loose else node.type.pattern
            parts.append(f"(?P<{group}>{pattern}) ")
        else:
            options = sorted(node.options, key=_literal_length, reverse=True)
            body = "|".join(_regex(option, groups, loose) for option in options)
            parts.append(f"(?:{body})" + ("?" if node.optional else ""))
    return "".join(parts)


def _literal_length(nodes: tuple[Node, ...]) -> int:
    """Longer literal alternatives are tried first, so "have been suffering from" beats "have"."""
    return sum(len(n.text) if isinstance(n, Word) else _literal_length(max(n.options, key=_literal_length))
               if isinstance(n, Group) else 0 for n in nodes)


def _required(nodes: tuple[Node, ...]) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, Word):
            out.update(w for w in node.text.split() if w not in ("a", "an"))
        elif isinstance(node, Group) and not node.optional:
            common = [_required(option) for option in node.options]
            out.update(set.intersection(*common) if common else set())
    return out


# ---------------------------------------------------------------- generating utterances
def sample(template: Template, rng: random.Random, now: datetime) -> Example:
    """One random utterance of `template` with the exact tool call it means."""
    words: list[str] = []
    values: dict[str, Any] = {}
    _walk(parse_pattern(template.pattern), rng, now, words, values)
    args: dict[str, Any] = dict(template.fixed)
    for name, value in values.items():
        target = template.slots.get(name, name)
        if isinstance(target, tuple):
            args.update({arg: v for arg, v in zip(target, value, strict=True) if v is not None})
        else:
            args[target] = value
    return Example(" ".join(words), template.domain, template.tool, args)


def _walk(nodes: tuple[Node, ...], rng: random.Random, now: datetime, words: list[str], values: dict[str, Any]) -> None:
    for node in nodes:
        if isinstance(node, Word):
            words.append(node.text)
        elif isinstance(node, Slot):
            value = rng.choice(list(node.type.examples(now)))
            values[node.name] = value
            words.append(node.type.phrase(value, now, rng))
        elif not node.optional or rng.random() < 0.5:
            _walk(rng.choice(node.options), rng, now, words, values)


def flatten(template: Template, limit: int = 64) -> Iterator[str]:
    """The template's phrasings with slots left as `{type}` (for class-based language models)."""
    yield from _flattened(template.pattern, limit)


@cache
def _flattened(pattern: str, limit: int) -> tuple[str, ...]:
    out: list[str] = []
    for words in _flat(parse_pattern(pattern)):
        out.append(" ".join(w for w in words if w))
        if len(out) >= limit:
            break
    return tuple(out)


def _flat(nodes: tuple[Node, ...]) -> Iterator[list[str]]:
    if not nodes:
        yield []
        return
    head, rest = nodes[0], nodes[1:]
    if isinstance(head, Word):
        heads: list[list[str]] = [[head.text]]
    elif isinstance(head, Slot):
        heads = [[f"{{{head.type.name}}}"]]
    else:
        heads = [w for option in head.options for w in _flat(option)] + ([[]] if head.optional else [])
    for h in heads:
        for tail in _flat(rest):
            yield h + tail
