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
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from core.grammar import trained
from core.grammar.apart import AT_A_CLOCK
from core.grammar.clauses import leading_clauses
from core.grammar.extract import ToolShape, extract, shapes
from core.grammar.fuzzy import FUNCTION_WORDS
from core.grammar.intents import IntentModel, Ranked, training_sentences
from core.grammar.moments import keep_day
from core.grammar.notes import split_note
from core.grammar.parser import Match, Parser
from core.grammar.restarts import resolve_restarts
from core.grammar.rivals import EVIDENCE, SURE, RivalRules, an_errand, by_evidence
from core.grammar.templates import Group, Node, Phrasing, Template, Word, parse_pattern
from core.grammar.text import drop_hesitations, normalize, strip_fillers

GUESS = 0.3
"""Below this the model's best tool is not even offered as a question."""
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
_SAID_APART = frozenset({"phone", "email", "birth_date", "priority", "importance"})
"""Values that say what they are wherever they stand: one a template did not read is the caller's too."""



_NOT_DONE = re.compile(r"\bnot (?:yet |been |even )?(?:done|finished|completed|complete|checked|crossed|started|ticked)\b")
"""A "not" that says what state the records are in ("the ones not done"), not one of any clause."""
_AS_FAR_AS = re.compile(r"\bas far as\b")
_DONE_WORDS = frozenset({"finished", "done", "completed", "complete"})


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


_TODO_KIN = {"update_calendar_event": "update_todo", "delete_calendar_event": "delete_todo"}
"""The todo tool that does what an event tool does."""


class Interpreter(RivalRules):
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
        self._recent_lock = threading.Lock()

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
        with self._recent_lock:  # calls read in threads of their own at once
            if key in self._recent:
                return self._recent[key]
        reading = self._read(text, now, None)
        with self._recent_lock:
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
        whole = self._read_noted_whole(text, now, tools)
        if whole is not None and whole.how == "template":
            return whole
        first = self._leading_clause(text, now, tools)
        if first is not None and (whole is None or (not whole.sure and set(first.args) >= set(whole.args))):
            return first  # only where the whole sentence read as nothing sure, and the clause loses no argument
        return whole

    def _leading_clause(self, text: str, now: datetime, tools: Collection[str] | None) -> Reading | None:
        """A request read word for word by a template once what the caller goes on to say after it is left
        out ("what have i got going on tomorrow [i need to know if i can babysit]", "the piano lesson deposit
        that one is done now [i dropped the check off yesterday]"): only a clause that starts as a new one
        ("i", "we", "my", "because" ...) is left out, and only for a word-for-word reading."""
        for head in leading_clauses(normalize(text)):
            reading = self._read_request(head, now, tools)
            if reading is not None and reading.how == "template" and reading.sure:
                return reading
        return None

    def _read_noted_whole(self, text: str, now: datetime, tools: Collection[str] | None) -> Reading | None:
        if (parts := split_note(normalize(text))) is not None:
            request = self._read_request(parts[0], now, tools)
            if request is None:
                # "on the library books one add a note that ...": the request needs the words of the note's ask
                whole = self._read_request(text, now, tools)
                if whole is not None and not any(isinstance(v, str) and (parts[1] in v or v in parts[1])
                                                 for v in whole.args.values()):
                    request = whole
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
        ranked = by_evidence(ranked)
        top, args = self._most_complete(ranked, clean, now)
        top, args = self._of_the_kind_named(top, args, ranked, clean, now)
        typed = len({str(v) for v in args.values() if not isinstance(v, str) or v[:1].isdigit()})
        if top.evidence < EVIDENCE and typed < 2 and len(args) < 3:
            return None  # likely only by elimination, and the sentence says nothing the tool needs
        if self._about_something_else(top.tool, args, clean):
            # a kin tool of the same domain whose free text takes the words the guess leaves over ("a group of
            # ten december twelfth seven thirty and one of us has a peanut allergy": a booking, not a question)
            kin = next((r for r in ranked[1:3] if r.probability >= 0.1 * top.probability
                        and self.domain_of(r.tool) == self.domain_of(top.tool)
                        and r.tool in self.shapes and any(a.kind.free_text for a in self.shapes[r.tool].args)),
                       None) if typed >= 2 else None
            kin_args = self._arguments(kin, clean, now) if kin is not None else {}
            if kin is None or not set(args.items()) <= set(kin_args.items()) or len(kin_args) <= len(args):
                return None
            top, args = replace(kin, probability=top.probability), kin_args
        sure = (top.probability >= SURE and (top.evidence >= SURE_EVIDENCE or typed >= 2)
                and (bool(args) or not self._takes_args(top.tool))
                and (1 < len(clean.split()) <= _LONGEST_SURE or (typed >= 2 and len(args) >= 3)))  # values, not a monologue
        return Reading(self.domain_of(top.tool), top.tool, args, round(top.probability, 3), "model", sure)

    def arguments_for(self, text: str, now: datetime, tool: str) -> dict[str, Any]:
        """The arguments `text` states for `tool`, whichever tool it reads as best (the words of a request
        about a reminder, once the caller's records show it is about an event)."""
        return self._arguments(Ranked(tool, 1.0, 0.0), resolve_restarts(normalize(text)), now)

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
                found = rival
                break
        todo_kin = _TODO_KIN.get(found.tool)
        if todo_kin is not None and (tools is None or todo_kin in tools) and an_errand(str(found.args.get("event", "")).split()):
            # "rename [wash the car] to ...": a record worded as a thing to do is a todo, when a todo's template
            # reads the sentence as well (an event is named by a noun: "the standup", "call with the zephyr folks")
            rival = self.parser.parse(text, now, (todo_kin,), relaxed=False)
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
        said = set(_AS_FAR_AS.sub(" ", clean).split())  # "as far as todos go" is no "so far"
        if "not" in said and not _NOT_DONE.search(clean):
            said.discard("not")  # "i do not have time for the rest" asks for no open ones
        flags = self._flags.get(tool, {})
        for (arg, value), cues in flags.items():
            if arg not in args and said & cues:
                args = {**args, arg: value}
        done, open_ = flags.get(("completed", True)), flags.get(("completed", False))
        if done and open_ and "completed" not in args and said & _DONE_WORDS and not said & open_:
            args = {**args, "completed": True}  # "which ones have i actually finished" (and nothing left or not yet)
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
        named = found.get("name_on_booking")
        if isinstance(named, str) and any(isinstance(v, str) and v.lower() == named.lower() for v in args.values()):
            # "cancel my allergy shot under [miguel santos]": the template took the name for the record (which
            # stays named by it when nothing else names it: the tool needs one)
            return {**args, **found}
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
        if moved and any(isinstance(args.get(k), str) and (_CLOCKISH.search(args[k]) or AT_A_CLOCK.search(args[k]))
                         for k in free):
            return found  # the template left the time in free text ("... tomorrow at [three pm guitar lesson]")
        typed = {a.arg for a in shape.args if isinstance(a.arg, str) and a.kind.name in _SAID_APART}
        extra = {k: v for k, v in found.items() if k in typed and k not in args}
        if extra:
            said = {str(v) for v in extra.values()}
            # "change the deck to [urgent my boss moved the deadline up]": the template's new title is the priority
            # and what the caller said after it, not a title
            kept = {k: v for k, v in args.items() if not (k in free and isinstance(v, str) and v.split()[0] in said)}
            return {**kept, **extra}  # a second change said after the first ("... to aetna and my phone to ...")
        return args

