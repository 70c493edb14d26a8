"""How the intent model's best tool gives way to a close rival: the rules `Interpreter` applies to a ranking
when no template read the sentence (a rival the sentence's words speak for, one of the kind of record named,
one the sentence answers every question of, one that reads the same words into more arguments)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.grammar.extract import ToolShape
from core.grammar.intents import IntentModel, Ranked
from core.grammar.parser import Match
from core.grammar.templates import Template

SURE = 0.6
"""The intent model's posterior at which a reading is acted on without asking."""
EVIDENCE = 2.0
"""Nats by which the sentence's own words must favour the best tool before it is offered at all."""
_EVIDENCE_LEAD = 2.0
"""Nats by which a close rival's own words must outweigh an unsure best tool's to be read instead."""
KIND_ONLY = frozenset({"todo", "task", "reminder", "alert", "appointment", "reservation", "booking", "event"})
"""Words that say which kind of record a reference is about and are never part of a record's own name (a
"pta meeting" is an event's title)."""


_ERRAND_VERBS = frozenset({"wash", "buy", "pick", "pay", "fix", "clean", "send", "email", "renew", "return", "order",
                           "finish", "mow", "water", "feed", "call", "take", "drop", "mail", "file", "submit", "write"})


def an_errand(words: list[str]) -> bool:
    """Whether a record's name is worded as a thing to do ("call the plumber", "wash the car"), not as a
    happening ("call with the zephyr folks", "book club")."""
    return len(words) > 1 and words[0] in _ERRAND_VERBS and words[1] not in ("with", "about", "for")


def by_evidence(ranked: list[Ranked]) -> list[Ranked]:
    """An unsure best tool gives way to a close rival the sentence's own words speak for much more ("what
    tables have i got booked": the tables say reservations, whatever the other words lean to)."""
    if not ranked or (ranked[0].probability >= SURE and ranked[0].evidence >= EVIDENCE):
        return ranked  # sure, and for the sentence's own words
    top = ranked[0]
    for rival in ranked[1:3]:
        if rival.probability >= 0.4 * top.probability and rival.evidence >= top.evidence + _EVIDENCE_LEAD:
            # the rival takes an unsure top's place; a top sure only by the model's priors lends it nothing
            lent = top.probability if top.probability < SURE else rival.probability
            return [replace(rival, probability=lent), *[r for r in ranked if r is not rival]]
    return ranked


_COMPLETE_RIVAL = 0.001
"""How unlikely (against the top reading) a rival of the same domain may be and still win by needing no question
the top one needs."""


def _within(args: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether every value of `args` was said inside one of `other`'s free-text values or is one of its
    values: the same words, read into more arguments."""
    theirs = [v for v in other.values() if isinstance(v, str)]
    for value in args.values():
        if value in other.values():
            continue
        if not isinstance(value, str) or not any(f" {value} " in f" {v} " for v in theirs):
            return False
    return bool(theirs)


class RivalRules:
    """The rules over a ranking; `Interpreter` holds the state they read."""

    shapes: dict[str, ToolShape]
    model: IntentModel
    templates: tuple[Template, ...]
    _asks: Mapping[str, tuple[str, ...]]
    _record_nouns: frozenset[str]

    def domain_of(self, tool: str) -> str:
        raise NotImplementedError

    def _arguments(self, top: Ranked, clean: str, now: datetime) -> dict[str, Any]:
        raise NotImplementedError

    def _names_another_kind(self, found: Match) -> bool:
        """Whether a reference the template read ends in a word that names another tool's records and not
        this one's ("take off my [pick up the kids reminder]" is no todo)."""
        shape = self.shapes.get(found.tool)
        if shape is None:
            return False
        for slot in shape.args:
            value = found.args.get(slot.arg) if isinstance(slot.arg, str) else None
            if slot.kind.name not in ("ref", "booking") or not isinstance(value, str) or not value.strip():
                continue
            words = value.split()
            for edge in {words[0], words[-1]} - shape.words:
                if edge in self._record_nouns:
                    return True
        return False

    def _of_the_kind_named(self, top: Ranked, args: dict[str, Any], ranked: list[Ranked], clean: str,
                           now: datetime) -> tuple[Ranked, dict[str, Any]]:
        """The model's tool, or a close rival whose records the reference names by their kind ("delete the
        biryani shopping [todo]" read as a reminder is a todo's deletion)."""
        shape = self.shapes.get(top.tool)
        if shape is None:
            return top, args
        if "calendar" in clean.split() and "calendar" not in shape.words:  # "... delete it from my calendar"
            for rival in ranked[1:3]:
                theirs = self.shapes.get(rival.tool)
                if theirs is not None and "calendar" in theirs.words and rival.probability >= 0.1 * top.probability:
                    return replace(rival, probability=top.probability), self._arguments(rival, clean, now)
        for slot in shape.args:
            value = args.get(slot.arg) if isinstance(slot.arg, str) else None
            if slot.kind.name not in ("ref", "booking") or not isinstance(value, str) or not value.strip():
                continue
            words = value.split()
            for noun in ({words[0], words[-1]} & self._record_nouns & KIND_ONLY) - shape.words:
                for rival in ranked[1:4]:
                    theirs = self.shapes.get(rival.tool)
                    if theirs is not None and noun in theirs.words and any(
                            a.kind.name in ("ref", "booking") for a in theirs.args):
                        return replace(rival, probability=top.probability), self._arguments(rival, clean, now)
        return top, args

    def _most_complete(self, ranked: list[Ranked], clean: str, now: datetime) -> tuple[Ranked, dict[str, Any]]:
        """The model's best tool, or a close rival whose questions the sentence answers where the best's it
        does not ("add buy milk" is a todo of one's own, not a team's with no team named)."""
        top = ranked[0]
        best = (top, self._arguments(top, clean, now))
        missing = self._missing(top.tool, best[1])
        finer = self._finer(top.tool, best[1], ranked, clean, now, guessed=True)
        if finer is not None:
            return replace(finer[0], probability=top.probability), finer[1]
        if not missing:
            # a kin tool that would have to ask what the sentence does not say ("add get the serpentine belt
            # checked", a team's todo with no team named) lends its likelihood to the one that need not
            verb = top.tool.split("_")[0]
            lent = sum(r.probability for r in ranked[1:3] if r.tool.split("_")[0] == verb
                       and r.probability >= 0.2 * top.probability and self._missing(r.tool, self._arguments(r, clean, now)))
            return (replace(top, probability=min(1.0, top.probability + lent)), best[1]) if lent else best
        for rival in ranked[1:3]:
            if rival.probability < 0.2 * top.probability or rival.evidence < EVIDENCE:
                continue
            args = self._arguments(rival, clean, now)
            if len(self._missing(rival.tool, args)) < len(missing) and args:
                kin = rival.tool.split("_")[0] == top.tool.split("_")[0]  # "create" a todo or a team's todo
                return replace(rival, probability=min(1.0, top.probability + rival.probability) if kin
                               else top.probability), args
        return best

    def _finer(self, tool: str, args: dict[str, Any], ranked: list[Ranked], clean: str, now: datetime,
               guessed: bool = False) -> tuple[Ranked, dict[str, Any]] | None:
        """A likely rival that reads the same words into more arguments: `tool`'s free text swallowed what the
        rival reads as arguments of its own ("make the radiator flush [urgent]", "a todo [on the night shift
        team] restock the pads"). When the model `guessed` `tool` (no template read the sentence), also a kin
        tool doing the same (its name's verb) that needs no question where `tool` must ask one."""
        mine = next((r for r in ranked if r.tool == tool), None)
        if mine is None:
            return None
        for rival in ranked[:3]:
            if (rival.tool == tool or rival.probability < _COMPLETE_RIVAL * mine.probability or rival.evidence < EVIDENCE
                    or rival.evidence < mine.evidence):
                continue
            theirs = self._arguments(rival, clean, now)
            missing, rival_missing = len(self._missing(tool, args)), len(self._missing(rival.tool, theirs))
            if (rival.probability >= 0.1 * mine.probability and self._typed(rival.tool, theirs) > self._typed(tool, args)
                    and len(theirs) > len(args) and _within(theirs, args) and rival_missing <= missing):
                return rival, theirs
            if (guessed and rival.probability < 0.1 * mine.probability and theirs and rival_missing == 0 < missing
                    and self.domain_of(rival.tool) == self.domain_of(tool)
                    and rival.tool.split("_", 1)[0] == tool.split("_", 1)[0]
                    and self._typed(rival.tool, theirs) >= self._typed(tool, args)):
                # "a todo for [calling the plumber]": no team's name, the caller's own todo (a likelier kin is
                # settled by `_most_complete`)
                return rival, theirs
        return None

    def _typed(self, tool: str, args: dict[str, Any]) -> int:
        """How many of `args` hold a value of a kind (a priority, a day), not free text."""
        shape = self.shapes.get(tool)
        free = {a.arg for a in shape.args if a.kind.free_text and isinstance(a.arg, str)} if shape else set()
        return sum(1 for k in args if k not in free)

    def _missing(self, tool: str, args: dict[str, Any]) -> list[str]:
        return [a for a in self._asks.get(tool, ()) if a not in args]

    def _about_something_else(self, tool: str, args: dict[str, Any], clean: str) -> bool:
        """A guess at a tool with no free text that leaves as many of the sentence's content words unexplained
        as it explains ("what kind of [wine] do you have" is no question about departments, "how do i get a
        [coffee stain] out of my [carpet]" no mortgage): nothing in the tool would take those words."""
        shape = self.shapes.get(tool)
        if shape is None or any(a.kind.free_text for a in shape.args):
            return False
        unknown, known = self.model.unexplained(clean)
        said = " ".join(str(v) for v in args.values()).lower()
        unknown = [w for w in unknown if w not in said]
        return bool(unknown) and len(unknown) >= len(known)

    def _takes_args(self, tool: str) -> bool:
        """Whether every template of `tool` has a slot (a call with no arguments means nothing)."""
        shape = self.shapes.get(tool)
        return bool(shape and shape.args) and all("{" in t.pattern for t in self.templates if t.tool == tool)
