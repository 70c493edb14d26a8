"""Utterance -> the tool call a person meant, for the sentences people actually say.

Three readers, most exact first:
1. the templates, word for word or after the relaxed pass (`Parser`), on the sentence with restarts
   resolved ("thursday no wait friday" -> "friday") and repeated words dropped;
2. the intent model (`IntentModel`) names the tool when no template reads the sentence, or when the
   template that did is one the model finds unlikely ("book me in for a physical" is not a calendar
   event); the tool's arguments are then taken from the sentence by `extract`;
3. a reading the model is only fairly sure of is returned as `sure=False`: the agent asks before acting.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from core.grammar import trained
from core.grammar.dates import DATE_RE
from core.grammar.extract import ToolShape, extract, shapes
from core.grammar.fuzzy import FUNCTION_WORDS
from core.grammar.intents import IntentModel, Ranked, training_sentences
from core.grammar.notes import split_note
from core.grammar.parser import Match, Parser
from core.grammar.restarts import resolve_restarts
from core.grammar.templates import Group, Node, Phrasing, Template, Word, parse_pattern
from core.grammar.text import drop_hesitations, normalize, strip_fillers

SURE = 0.6
"""The intent model's posterior at which a reading is acted on without asking."""
GUESS = 0.3
"""Below this the model's best tool is not even offered as a question."""
EVIDENCE = 2.0
"""Nats by which the sentence's own words must favour the best tool before it is offered at all."""
SURE_EVIDENCE = 2.0
"""... and before it is acted on without asking."""
_TEMPLATE_DOUBT = 0.05
"""A relaxed template reading is overruled when the model gives its tool less than this..."""
_OVERRULE = 0.95
"""... and an exact one only when the model is this sure of another tool, whose words also favour it more."""

_RECENT = 64
_RECORD_NOUNS = frozenset({
    "todo", "task", "item", "reminder", "alert", "event", "meeting", "appointment", "reservation", "booking",
    "table", "calendar", "list",
})
"""Words that say which kind of record a reference is about, when a tool's templates use them."""
_KIND_ONLY = frozenset({"todo", "task", "reminder", "alert", "appointment", "reservation", "booking"})
"""Of those, the ones that are never part of a record's own name (a "pta meeting" is an event's title)."""
_LONGEST_SURE = 30
"""Words past which a sentence is a monologue: a reading of it by the model is checked with the caller (as
is one of a single word: "cough", heard alone, is no request to note a symptom)."""
NOTHING = "(nothing)"
"""The intent model's class for sentences that ask no tool for anything."""

How = Literal["template", "relaxed", "model"]

@dataclass(frozen=True)
class Reading:
    """What the caller asked for, how it was read, and whether to act on it without asking."""

    domain: str
    tool: str
    args: dict[str, Any]
    confidence: float
    how: How
    sure: bool = True


_CLOCKISH = re.compile(r"\b(?:am|pm|oclock|o'clock|noon|midnight|\d{1,2}(?::\d\d)?)\b")
"""Words of a clock time: free text holding one has swallowed a time its template should have read."""
_CODE = re.compile(r"[A-Z]{2}-[A-Z0-9]{4}|\d{4}-\d\d-\d\d(?: \d\d:\d\d)?")
"""A booking as its slot type writes one it recognised: a confirmation code (HT-4K2P), a day, a day and time."""
_SAID_APART = frozenset({"phone", "email", "birth_date"})
"""Values that say what they are wherever they stand: one a template did not read is the caller's too."""
_EVIDENCE_LEAD = 2.0
"""Nats by which a close rival's own words must outweigh an unsure best tool's to be read instead."""


_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT(\d\d:\d\d)(?::\d\d)?")
_DAY_SAID = re.compile(rf"\b(?:{DATE_RE}|tonight|morning|afternoon|evening|night)\b")


def keep_day(args: dict[str, Any], text: str) -> dict[str, Any]:
    """A record's new moment said as a clock time alone keeps the record's day ("push dinner with the
    okonkwos to eight pm": the dinner is not moved to today): its date-time becomes the clock time
    ("20:00"), which the tools place on the record's own day. A day said anywhere but in the name of the
    record keeps the whole date-time ("move the vet reminder to thursday at four")."""
    moments = {k: m[1] for k, v in args.items() if isinstance(v, str) and (m := _MOMENT.fullmatch(v))}
    if not moments:
        return args
    rest = text
    for value in args.values():
        if isinstance(value, str) and not _MOMENT.fullmatch(value) and value.strip():
            rest = rest.replace(normalize(value), " ")
    if _DAY_SAID.search(rest):
        return args
    return {**args, **moments}


def _by_evidence(ranked: list[Ranked]) -> list[Ranked]:
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


def _flag_cues(templates: Iterable[Template]) -> dict[str, dict[tuple[str, Any], frozenset[str]]]:
    """Per tool, the words that only its templates with a fixed yes/no argument use ("finished" for
    completed todos, "left" for open ones)."""
    words: dict[str, dict[tuple[str, Any] | None, set[str]]] = {}
    for template in templates:
        mine: set[str] = set()
        _words(parse_pattern(template.pattern), mine)
        flags: list[tuple[str, Any] | None] = [(k, v) for k, v in template.fixed.items() if isinstance(v, bool)]
        for flag in flags or [None]:
            words.setdefault(template.tool, {}).setdefault(flag, set()).update(mine)
    out: dict[str, dict[tuple[str, Any], frozenset[str]]] = {}
    for tool, groups in words.items():
        for key, group in groups.items():
            if key is None:
                continue
            others = set().union(*(g for k, g in groups.items() if k != key))
            cues = frozenset(group - others - FUNCTION_WORDS)
            if cues:
                out.setdefault(tool, {})[key] = cues
    return out


def _training_text(phrasing: Phrasing) -> str:
    """A phrasing as the intent model learns it: the words around its free text, plus the words inside
    that are evidence on their own ("[a bad headache]" says clinic, whatever the headache is)."""
    from core.grammar.intents import _kind, lexical

    inside = [w for value in phrasing.values for w in normalize(value).split() if _kind(w) in lexical()]
    return " ".join([normalize(phrasing.carrier), *inside])


def _words(nodes: Iterable[Node], out: set[str]) -> None:
    for node in nodes:
        if isinstance(node, Word):
            out.update(node.text.split())
        elif isinstance(node, Group):
            for option in node.options:
                _words(option, out)


class Interpreter:
    """The three readers over one set of templates (every domain's, or a test's own)."""

    def __init__(self, templates: Iterable[Template], domains: Mapping[str, str], now: datetime,
                 primary: Mapping[str, str] | None = None, phrasings: Iterable[Phrasing] = (),
                 asks: Mapping[str, tuple[str, ...]] | None = None, cache_dir: Path | None = None) -> None:
        """`cache_dir`, when given, keeps what is trained here (the intent model and the argument shapes)
        between starts (`trained`)."""
        self.templates = tuple(templates)
        self.parser = Parser(self.templates)
        said = tuple(phrasings)

        def train() -> tuple[IntentModel, dict[str, ToolShape]]:
            examples = [(_training_text(p), p.tool or NOTHING) for p in said]
            model = IntentModel([*training_sentences(self.templates, now), *examples])
            return model, shapes(self.templates, primary, said)

        name = trained.key(self.templates, said, now, {"primary": primary, "asks": asks}) if cache_dir else ""
        self.model, self.shapes = trained.Stored(cache_dir).load_or_build(name, train)
        self._domains = domains
        self._asks = dict(asks or {})
        self._flags = _flag_cues(self.templates)
        self._record_nouns = frozenset(
            w for sh in self.shapes.values() if any(a.kind.name in ("ref", "booking") for a in sh.args)
            for w in sh.words if w in _RECORD_NOUNS
        )
        self._on_records = frozenset(
            tool for tool, sh in self.shapes.items() if any(a.kind.name in ("ref", "booking") for a in sh.args))
        """The tools that change one of the caller's records."""
        self._parsers: dict[str, Parser] = {}
        self._recent: dict[tuple[str, datetime], Reading | None] = {}

    def domain_of(self, tool: str) -> str:
        return self._domains.get(tool, "")

    def read(self, text: str, now: datetime, tools: Collection[str] | None = None) -> Reading | None:
        """The best reading of `text` among `tools` (all when None), or None when nothing is likely.

        A turn reads the same sentence twice (the router over every tool, then the domain's model over
        its own): the reading over every tool is kept for a few sentences and reused when its tool is
        among `tools`, since reading among fewer tools could only find the same one."""
        everything = self._read_all(text, now)
        if tools is None or (everything is not None and everything.tool in tools):
            return everything
        if everything is not None and everything.sure:
            return None  # clearly a request for a tool that is not among these
        return self._read(text, now, tools)

    def _read_all(self, text: str, now: datetime) -> Reading | None:
        key = (text, now)
        if key in self._recent:
            return self._recent[key]
        reading = self._read(text, now, None)
        self._recent[key] = reading
        while len(self._recent) > _RECENT:
            self._recent.pop(next(iter(self._recent)))
        return reading

    def _read(self, text: str, now: datetime, tools: Collection[str] | None) -> Reading | None:
        reading = self._read_noted(text, now, tools)
        if reading is None or reading.tool not in self._on_records:
            return reading
        args = keep_day(reading.args, normalize(text))
        return reading if args == reading.args else replace(reading, args=args)

    def _read_noted(self, text: str, now: datetime, tools: Collection[str] | None) -> Reading | None:
        if (parts := split_note(normalize(text))) is not None:
            request = self._read_request(parts[0], now, tools)
            shape = self.shapes.get(request.tool) if request is not None else None
            if request is not None and shape is not None and "description" not in request.args and any(
                    a.arg == "description" for a in shape.args):
                return replace(request, args={**request.args, "description": parts[1]})
        return self._read_request(text, now, tools)

    def _read_request(self, text: str, now: datetime, tools: Collection[str] | None) -> Reading | None:
        norm = normalize(text)
        clean = resolve_restarts(norm)
        ranked = self.model.rank(clean, None if tools is None else (*tools, NOTHING))
        if ranked and ranked[0].tool == NOTHING:
            ranked = []  # small talk or something no tool does: no guess
        ranked = [r for r in ranked if r.tool != NOTHING]
        top = ranked[0] if ranked else None

        found = self._exact(clean, now, tools, ranked) or (self._exact(norm, now, tools, ranked) if clean != norm else None)
        exact = found is not None
        if found is None:
            found = self.parser.parse(clean, now, tools) or (self.parser.parse(norm, now, tools) if clean != norm else None)
        if found is not None:
            mine = next((r for r in ranked if r.tool == found.tool), None)
            prob, evidence = (mine.probability, mine.evidence) if mine else (0.0, 0.0)
            literal = exact and "{" not in found.template.pattern  # the sentence is a template word for word
            overruled = (top is not None and top.probability >= _OVERRULE and top.evidence > evidence
                         and not literal)
            trusted = (prob >= _TEMPLATE_DOUBT or (exact and not overruled)) and not self._names_another_kind(found)
            if trusted:
                how: How = "template" if exact else "relaxed"
                args = self._fuller(found.tool, found.args, clean, now)
                finer = None if literal else self._finer(found.tool, args, ranked, clean, now)
                if finer is not None:
                    return Reading(self.domain_of(finer[0].tool), finer[0].tool, finer[1], found.confidence, how, True)
                return Reading(found.domain, found.tool, args, found.confidence, how, True)
        if top is None or top.probability < GUESS:
            return None
        ranked = _by_evidence(ranked)
        top, args = self._most_complete(ranked, clean, now)
        top, args = self._of_the_kind_named(top, args, ranked, clean, now)
        typed = len({str(v) for v in args.values() if not isinstance(v, str) or v[:1].isdigit()})
        if top.evidence < EVIDENCE and typed < 2 and len(args) < 3:
            return None  # likely only by elimination, and the sentence says nothing the tool needs
        if self._about_something_else(top.tool, args, clean):
            return None
        sure = (top.probability >= SURE and (top.evidence >= SURE_EVIDENCE or typed >= 2)
                and (bool(args) or not self._takes_args(top.tool))
                and (1 < len(clean.split()) <= _LONGEST_SURE or (typed >= 2 and len(args) >= 3)))  # values, not a monologue
        return Reading(self.domain_of(top.tool), top.tool, args, round(top.probability, 3), "model", sure)

    def arguments_for(self, text: str, now: datetime, tool: str) -> dict[str, Any]:
        """The arguments `text` states for `tool`, whichever tool it reads as best (the words of a request
        about a reminder, once the caller's records show it is about an event)."""
        return self._arguments(Ranked(tool, 1.0, 0.0), resolve_restarts(normalize(text)), now)

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
            for noun in ({words[0], words[-1]} & self._record_nouns & _KIND_ONLY) - shape.words:
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

    def _exact(self, text: str, now: datetime, tools: Collection[str] | None, ranked: list[Ranked]) -> Match | None:
        """A word-for-word reading; when templates of several tools read the sentence equally well ("cancel
        the physical"), the one whose tool the model finds likeliest."""
        found = self.parser.parse(text, now, tools, relaxed=False)
        if found is None:
            return None
        for r in ranked[:3]:
            if r.tool == found.tool:
                break
            rival = self.parser.parse(text, now, (r.tool,), relaxed=False)
            if rival is not None and rival.confidence >= found.confidence:
                return rival
        return found

    def _arguments(self, top: Ranked, clean: str, now: datetime) -> dict[str, Any]:
        parser = self._parsers.get(top.tool)
        if parser is None:
            parser = self._parsers[top.tool] = Parser(t for t in self.templates if t.tool == top.tool)
        found = parser.parse(clean, now)
        if found is not None and found.confidence >= 0.8:
            return self._fuller(top.tool, found.args, clean, now)
        shape = self.shapes.get(top.tool)
        if shape is None:
            return {}
        return self._with_flags(top.tool, extract(shape, drop_hesitations(strip_fillers(clean)), now), clean)

    def _with_flags(self, tool: str, args: dict[str, Any], clean: str) -> dict[str, Any]:
        said = set(clean.split())
        for (arg, value), cues in self._flags.get(tool, {}).items():
            if arg not in args and said & cues:
                args = {**args, arg: value}
        return args

    def _fuller(self, tool: str, args: dict[str, Any], clean: str, now: datetime) -> dict[str, Any]:
        """A template's reading, or the arguments `extract` finds when they say all it says and more: a
        due day or priority the template left inside the title ("... the brisket it is urgent"); a yes/no
        setting its words give ("... the ones i already finished": completed)."""
        args = self._with_flags(tool, args, clean)
        shape = self.shapes.get(tool)
        if shape is None:
            return args
        full = len(args) == sum(len(a.arg) if isinstance(a.arg, tuple) else 1 for a in shape.args)
        if full and not any(a.kind.name == "booking" for a in shape.args):
            return args
        found = extract(shape, drop_hesitations(strip_fillers(clean)), now)
        booking = {a.arg for a in shape.args if a.kind.name == "booking"}
        coded = {k: v for k, v in found.items() if k in booking and isinstance(v, str) and _CODE.fullmatch(v)
                 and not (isinstance(args.get(k), str) and _CODE.fullmatch(args[k]))
                 and v not in args.values()}  # a day read as the new date is not the booking's name
        if coded:
            # a confirmation code or a day the template skipped as stray words ("... ht2x8q", "tonight's")
            return {**args, **coded}
        if full:
            return args
        free = {a.arg for a in shape.args if a.kind.free_text and isinstance(a.arg, str)}
        if not any(isinstance(v, str) and v[:1].isalpha() for v in args.values()):
            # every word the template read is a value of its own: what it left can only be free text
            # ("for a physical"), not another typed value ("invite a team member" names no role)
            found = {k: v for k, v in found.items() if k in args or k in free}
        if set(args) < set(found) and all(
            found[k] == v or (isinstance(v, str) and isinstance(found[k], str) and found[k] in v) for k, v in args.items()
        ):
            return found
        runs_on = {a.arg for a in shape.args if a.kind.name in ("reason", "name")}
        if set(args) == set(found) and found != args and all(
            found[k] == v or (k in runs_on and isinstance(v, str) and isinstance(found[k], str) and v in found[k])
            for k, v in args.items()
        ):
            # a reason runs on past where a template stopped ("about a charge i don't recognize"); a name
            # of several words is more than the template's one ("under the name kim lee")
            return found
        moved = [k for k in args if k not in free and k in found and found[k] != args[k]]
        if moved and any(isinstance(args.get(k), str) and _CLOCKISH.search(args[k]) for k in free):
            return found  # the template left the time in free text ("... tomorrow at [three pm guitar lesson]")
        typed = {a.arg for a in shape.args if isinstance(a.arg, str) and a.kind.name in _SAID_APART}
        extra = {k: v for k, v in found.items() if k in typed and k not in args}
        if extra:
            return {**args, **extra}  # a second change said after the first ("... to aetna and my phone to ...")
        return args

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
