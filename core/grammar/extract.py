"""A tool's arguments from a sentence no template reads word for word, once the tool is known.

The tool's own templates say which slots it has and of what type. Typed values (dates, times, amounts,
emails, priorities...) are found anywhere in the sentence, longest first; when two arguments share a type
(an income and a home's value are both money) the words around the value pick the one whose templates
use them. Free text (a todo's title, a reminder's message, a symptom) is what remains once the typed
values, the words the tool's templates are built from and the usual lead-ins are taken away: the
longest stretch of the caller's own words (`core.grammar.stretches`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from core.grammar.apart import clock_said_apart, moved_to_a_clock
from core.grammar.fuzzy import FUNCTION_WORDS
from core.grammar.numbers import NUMBER_RE
from core.grammar.slot_type import SlotType
from core.grammar.slots import SLOT_TYPES
from core.grammar.stretches import LEAD_INS, assign, fill_free_text
from core.grammar.templates import Group, Node, Phrasing, Slot, Template, Word, flatten, parse_pattern
from core.grammar.text import normalize

_MAX_SPAN = 12
_BARE_NUMBER = re.compile(NUMBER_RE)
_PARTS_OF_DAY = frozenset({"morning", "afternoon", "evening", "night", "tonight"})
_ATTACHED = frozenset({
    "on", "at", "by", "for", "due", "before", "until", "till", "from", "in", "around", "about", "this", "of",
    "as", "with", "to", "is", "be", "are", "under", "since",
})
"""Words that lead into a typed value ("due friday", "as high priority") and go with it."""
_CLOCK_KINDS = frozenset({"time", "meal_time"})
_PLACE_NOUNS = frozenset({
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "drive", "floor", "grade",
    "place", "court", "way", "parkway", "highway",
})
"""Words after a number or an ordinal that make it part of an address ("fifth street", "third floor")."""
_TOPIC_CUES = frozenset({"about", "regarding", "concerning"})
_CLAUSE_BREAKS = frozenset({"and", "but", "then", "plus", "also"})
_ASKING = frozenset({"can", "could", "would", "please"})
_PUT = frozenset({"put", "add", "note", "mark", "write", "list", "update", "set", "change"})
"""Words that start a request of their own after a value ("... [X] can you put that on my application")."""
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "this", "that", "at"})
_PRIORITY_NOUNS = frozenset({"priority", "importance", "prio", "one", "ones", "todo", "todos", "task", "tasks", "item", "items",
                             "stuff", "things",
                             "thing", "reminder", "to"})
_DAY_KINDS = frozenset({"date", "datetime", "event_time", "due_date", "date_range"})
_REPLACED = frozenset({("instead", "of"), ("rather", "than"), ("not", "on"), ("not", "at")})
"""Words before a value that the caller is replacing, not asking for."""


@dataclass(frozen=True)
class ArgSlot:
    """One argument of a tool as its templates fill it."""

    arg: str | tuple[str, ...]
    kind: SlotType
    cues: frozenset[str]
    before: frozenset[str] = frozenset()
    """Words the templates put right before this slot ("for" two people, "at" seven)."""
    after: frozenset[str] = frozenset()
    """Words the templates put right after this slot (the design "team")."""
    primary: bool = False
    """Free text the tool is about (a todo's title): filled without a cue word."""


@dataclass(frozen=True)
class ToolShape:
    """What a tool's templates are made of: its arguments and its own words."""

    tool: str
    args: tuple[ArgSlot, ...]
    words: frozenset[str]
    fixed: tuple[tuple[str, Any], ...] = ()
    values: frozenset[str] = frozenset()
    """Content words callers use inside this tool's free text ("physical" is a visit's reason as often as
    it asks for a visit): they do not end a stretch of free text."""


def _walk(nodes: Sequence[Node], words: set[str], slots: list[Slot]) -> None:
    for node in nodes:
        if isinstance(node, Word):
            words.update(node.text.split())
        elif isinstance(node, Slot):
            slots.append(node)
        elif isinstance(node, Group):
            for option in node.options:
                _walk(option, words, slots)


def shapes(templates: Iterable[Template], primary: Mapping[str, str] | None = None,
           phrasings: Iterable[Phrasing] = ()) -> dict[str, ToolShape]:
    """Each tool's arguments (with the words that come with each) and vocabulary, from its templates.

    `primary` names, per tool, the free-text argument to fill when no word says which one it is. Words
    that two or more of a tool's `phrasings` use outside their free text join its vocabulary."""
    vocab: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    inside: dict[str, Counter[str]] = defaultdict(Counter)
    for said in phrasings:
        if said.tool:
            seen[said.tool].update(set(normalize(said.carrier).split()))
            inside[said.tool].update({w for value in said.values for w in normalize(value).split()})
    for tool, counts in seen.items():
        vocab[tool] |= {w for w, n in counts.items() if n >= 2}
    before: dict[str, dict[str | tuple[str, ...], Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    after: dict[str, dict[str | tuple[str, ...], Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    kinds: dict[str, dict[str | tuple[str, ...], SlotType]] = defaultdict(dict)
    cue_counts: dict[str, dict[str | tuple[str, ...], Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    for template in templates:
        words: set[str] = set()
        slots: list[Slot] = []
        _walk(parse_pattern(template.pattern), words, slots)
        vocab[template.tool] |= words
        by_kind: dict[str, str | tuple[str, ...]] = {}
        for slot in slots:
            arg = template.slots.get(slot.name, slot.name)
            kinds[template.tool].setdefault(arg, slot.type)
            cue_counts[template.tool][arg].update(words - FUNCTION_WORDS)
            by_kind[slot.type.name] = arg if by_kind.get(slot.type.name, arg) == arg else ""
        for flat in flatten(template, 64):
            parts = flat.split()
            for i, part in enumerate(parts):
                if part.startswith("{") and (target := by_kind.get(part[1:-1])):
                    if i:
                        before[template.tool][target][parts[i - 1]] += 1
                    if i + 1 < len(parts) and not parts[i + 1].startswith("{"):
                        after[template.tool][target][parts[i + 1]] += 1
    for tool, args in kinds.items():  # a free-text slot's own examples count as callers' values too
        inside[tool].update(w for kind in args.values() if kind.free_text
                            for v in kind.examples(datetime.min) for w in set(normalize(str(v)).split()))
    values = {tool: {w for w, n in counts.items() if n >= 2 and n > seen[tool][w] and w not in LEAD_INS}
              for tool, counts in inside.items()}
    out: dict[str, ToolShape] = {}
    for tool, args in kinds.items():
        slots_out = []
        for arg, kind in args.items():
            same_kind = [a for a, k in args.items() if k.name == kind.name and a != arg]
            own = set(cue_counts[tool][arg])
            for other in same_kind:  # keep the words that tell this argument from its namesakes
                own -= set(cue_counts[tool][other])
            main = (primary or {}).get(tool)
            is_primary = kind.free_text and arg == main
            slots_out.append(ArgSlot(arg, kind, frozenset(own), frozenset(before[tool][arg]),
                                     frozenset(after[tool][arg]) - FUNCTION_WORDS, is_primary))
        out[tool] = ToolShape(tool, tuple(slots_out), frozenset(vocab[tool]),
                              values=frozenset(values.get(tool, set()) - FUNCTION_WORDS))
    for tool, words in vocab.items():
        out.setdefault(tool, ToolShape(tool, (), frozenset(words)))
    return out


@cache
def _bounded(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    value: Any
    slot: ArgSlot


_CHANGE_BY = frozenset({"extra", "more", "additional", "fewer", "less"})
_DAY_WORD = re.compile(r"today|tomorrow|tonight|(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{1,2}(?:st|nd|rd|th)|first|second|third"
                       r"|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth"
                       r"|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth")


def _typed_spans(tokens: Sequence[str], slot: ArgSlot, now: datetime) -> list[_Span]:
    regex = _bounded(slot.kind.pattern)
    found: list[_Span] = []
    for start in range(len(tokens)):
        for end in range(min(len(tokens), start + _MAX_SPAN), start, -1):
            text = " ".join(tokens[start:end])
            if regex.fullmatch(text) is None:
                if not moved_to_a_clock(tokens, start, slot.kind.name, text):
                    continue
                text = f"at {text}"  # "push it back to [eleven]": a clock time alone, the new moment
            if end < len(tokens) and tokens[end] in _PLACE_NOUNS:
                continue  # "kim's on fifth street": an address, not a day
            if end < len(tokens) and tokens[end] in _CHANGE_BY and _BARE_NUMBER.fullmatch(text):
                continue  # "one extra person ... so five": a change by, not the new value
            if (slot.kind.name == "priority" and start and tokens[start - 1] in _DETERMINERS and end < len(tokens)
                    and tokens[end] not in _PRIORITY_NOUNS):
                continue  # "buy a high chair", "the top shelf": a word of the name, not the todo's priority
            if (start and tokens[start - 1] in _TOPIC_CUES and slot.kind.name in _DAY_KINDS
                    and tokens[start - 2:start - 1] not in (["how"], ["what"])):
                continue  # "call grandma about thanksgiving": what the call is about, not when ("how about sunday" is)
            if (slot.kind.name in _CLOCK_KINDS and "to" in tokens[start + 1:end - 1] and start
                    and (tokens[start - 1] == "from" or _BARE_NUMBER.fullmatch(tokens[start - 1]))):
                continue  # "from seven to eight", "from six [thirty to seven]": two times, not minutes to the hour
            value = slot.kind.parse(text, now)
            if value is None:
                continue
            if end - start > 1 and end < len(tokens) and slot.kind.name in _CLOCK_KINDS and slot.kind.parse(
                    " ".join(tokens[end - 1:end + 1]), now) is not None:
                continue  # "from seven to seven thirty": not ten to seven, the end is a time of its own
            led = ((start and tokens[start - 1] in slot.before) or (end < len(tokens) and tokens[end] in slot.after)
                   or (slot.kind.name in _CLOCK_KINDS and end - start > 1 and start and _DAY_WORD.fullmatch(tokens[start - 1])))
            # "december twelfth [seven thirty]": a clock time said right after the day
            led = led or _from_to(tokens, _Span(start, end, None, slot))  # "from [six thirty] to [seven]"
            if _BARE_NUMBER.fullmatch(text) and not led and not (
                isinstance(value, float) and value >= 1000
            ):
                continue  # "one of us has an allergy" is not a time; "for two" is a party
            found.append(_Span(start, end, value, slot))
            break
    return found


def _own_lead(tokens: Sequence[str], span: _Span) -> bool:
    """Whether the word before a value is a content word the argument's templates lead it in with ("due")."""
    return bool(span.start) and tokens[span.start - 1] in span.slot.before and tokens[span.start - 1] not in FUNCTION_WORDS


_TO = ("to", "till", "until")
_HELD_IN_A_REASON = frozenset({"department"})
"""Kinds of value a reason may hold as well ("someone about my [mortgage] paperwork")."""


def _from_to(tokens: Sequence[str], span: _Span) -> bool:
    """Whether a clock time is one end of "from X to Y"."""
    if span.slot.kind.name not in _CLOCK_KINDS or not span.start:
        return False
    if tokens[span.start - 1] == "from":
        return span.end < len(tokens) and tokens[span.end] in _TO
    if tokens[span.start - 1] not in _TO or "from" not in tokens[max(0, span.start - 5):span.start - 1]:
        return False
    first = max(i for i in range(max(0, span.start - 5), span.start - 1) if tokens[i] == "from")
    # the words between are a time too ("from six thirty to"; not "from four people to")
    return _bounded(span.slot.kind.pattern).fullmatch(" ".join(tokens[first + 1:span.start - 1])) is not None


def _said(tokens: Sequence[str], span: _Span) -> int:
    """How many words say a value, without a function word leading it ("on saturday": one)."""
    return span.end - span.start - (tokens[span.start] in FUNCTION_WORDS)


def _cue_score(tokens: Sequence[str], span: _Span) -> int:
    after = tokens[span.end:span.end + 4]
    cut = next((i for i, t in enumerate(after) if t in _CLAUSE_BREAKS or t in _ASKING
                or (t in _PUT and after[i + 1:i + 2] in (["that"], ["it"], ["this"]))), len(after))
    # the words after a value count up to the next clause ("price is [X] and the down payment is [Y]", "[X] can
    # you put that on ...")
    window = set(tokens[max(0, span.start - 5):span.start]) | set(after[:cut])
    lead = 2 if span.start and tokens[span.start - 1] in span.slot.before else 0
    follow = 2 if span.end < len(tokens) and tokens[span.end] in span.slot.after else 0
    # when the words near it say nothing, those from the start of its clause do ("the asking price on the ranch
    # house we want is [X]"): a tie-breaker only
    before = tokens[max(0, span.start - 8):span.start]
    start = max((i + 1 for i, t in enumerate(before) if t in _CLAUSE_BREAKS or t in _ASKING), default=0)
    far = len(set(before[start:]) & span.slot.cues)
    return 16 * (len(window & span.slot.cues) + lead + follow) + far


def extract(shape: ToolShape, text: str, now: datetime) -> dict[str, Any]:
    """The arguments of `shape.tool` that `text` states (normalised text; fillers already dropped)."""
    proof = any(s.arg == "name_on_booking" for s in shape.args)
    if proof:  # "... but i don't have the code": what the name said with it is for
        text = " ".join(_NO_CODE.sub(" ", text).split())
    tokens = text.split()
    typed = [s for s in shape.args if not s.kind.free_text]
    # a booking named by its day ("cancel thursday's table") is found like any date
    typed += [replace(s, kind=SLOT_TYPES[k]) for s in shape.args if s.kind.name == "booking"
              for k in ("date", "booking_code")]
    spans = [span for slot in typed for span in _typed_spans(tokens, slot, now)]
    # longest values first; among namesake arguments, the one whose words stand around the value
    # and first of all the clock times of a "from seven to eight" (not a party of eight)
    spans.sort(key=lambda s: (not _from_to(tokens, s), -(s.end - s.start), -_cue_score(tokens, s), s.start))
    taken = [False] * len(tokens)
    args: dict[str, Any] = {}
    filled: set[str | tuple[str, ...]] = set()
    clock_tonight = False  # a clock time was read ("tonight at seven thirty")
    ends: dict[str, int] = {}  # where each typed value ends
    by_arg: dict[str | tuple[str, ...], _Span] = {}  # the span each argument was filled from
    for span in spans:
        if any(taken[span.start:span.end]):
            continue
        before = tuple(tokens[max(0, span.start - 2):span.start])
        if before in _REPLACED or before[-1:] == ("not",):
            for i in range(span.start - len(before), span.end):  # "six people instead of four": four is the old value
                taken[i] = True
            continue
        if span.slot.arg in filled:
            first = by_arg.get(span.slot.arg)
            if (first is not None and _own_lead(tokens, span) and not _own_lead(tokens, first)
                    and _said(tokens, span) >= _said(tokens, first)):
                # "a recital on saturday ... buy flowers due friday": the value the argument's own word leads in
                assign(args, span.slot.arg, span.value)
                by_arg[span.slot.arg] = span
                for i in range(span.start - 1, span.end):
                    taken[i] = True
                continue
            if span.end - span.start > 1 and span.slot.kind.name in _CLOCK_KINDS:
                for i in range(span.start, span.end):  # "at seven thirty to [eight thirty]": a time, not a party of eight
                    taken[i] = True
            continue
        new = next((o for o in spans if o.slot.arg == span.slot.arg and o.start > span.end and tokens[o.start - 1] == "to"
                    and not any(taken[o.start:o.end])), None)
        if before[-1:] in (("from",), ("for",), ("at",)) and not _shares_kind(shape, span.slot) and new is not None:
            for i in range(span.start - 1, span.end):  # "from four people to six": four is the old value
                taken[i] = True
            if before[-1:] == ("from",) and span.slot.arg not in filled:
                # "from six thirty to seven": the new value is the same kind as the old, whatever else it could be
                assign(args, new.slot.arg, new.value)
                filled.add(new.slot.arg)
                by_arg[new.slot.arg] = new
                for i in range(new.start - 1, new.end):
                    taken[i] = True
            continue
        namesakes = [s for s in spans if s.slot.kind.name == span.slot.kind.name and s.slot.arg not in filled
                     and (s.start, s.end) == (span.start, span.end)]
        best = max(namesakes, key=lambda s: _cue_score(tokens, s)) if namesakes else span
        assign(args, best.slot.arg, best.value)
        filled.add(best.slot.arg)
        by_arg[best.slot.arg] = best
        if isinstance(best.slot.arg, str):
            ends[best.slot.arg] = span.end
        clock_tonight = clock_tonight or best.slot.kind.name in ("time", "meal_time")
        for i in range(span.start, span.end):
            taken[i] = True
        j = span.start - 1
        while j >= 0 and not taken[j] and tokens[j] in _ATTACHED:
            taken[j] = True
            j -= 1
        if span.end < len(tokens) and tokens[span.end] in _PARTS_OF_DAY and best.slot.kind.name in _DAY_KINDS | _CLOCK_KINDS:
            taken[span.end] = True  # "tomorrow night" with no time asked for: the night is no title ("for two tonight" is a day)
    if clock_tonight and any(taken[i] for i, t in enumerate(tokens) if t == "tonight"):
        # "tonight at seven thirty" read as the time says the day too, when the day was not read apart
        day = next((s for s in shape.args if s.kind.name == "date" and s.arg not in filled), None)
        if day is not None:
            assign(args, day.arg, now.date().isoformat())
            filled.add(day.arg)
    for slot in shape.args:
        if slot.kind.name == "booking" and isinstance(slot.arg, str) and (m := _BOOKED_UNDER.search(text)) and (
                not taken[len(text[:m.start(1)].split())]):
            # "we can't make it tonight, cancel the table for castellanos": the name says which, not the day
            assign(args, slot.arg, m[1].title())
            filled.add(slot.arg)
            taken[len(text[:m.start(1)].split())] = True
    if proof and "name_on_booking" not in filled and (m := _NAME_ON_BOOKING.search(text)):
        said_at = len(text[:m.start()].split())
        if not any(taken[said_at:]):
            # "cancel my knee checkup under [thaddeus bright]", "... the name is [greta vanderhoek]"
            assign(args, "name_on_booking", m[1])
            filled.add("name_on_booking")
            taken[said_at:] = [True] * (len(tokens) - said_at)
    for arg, span in by_arg.items():  # "remind me on friday to call bob [at three]"
        joined = clock_said_apart(span.slot.kind.name, tokens[span.start:span.end], tokens, taken, span.slot.kind.parse, now)
        if joined is not None:
            assign(args, arg, joined)
    free = [s for s in shape.args if s.kind.free_text and s.arg not in filled]
    if free:
        inside = frozenset(i for span in by_arg.values() if span.slot.kind.name in _HELD_IN_A_REASON
                           for i in range(span.start, span.end))
        fill_free_text(args, free, tokens, taken, shape.words - shape.values, now, shape.words & shape.values, ends,
                       inside)
    return args


_BOOKED_UNDER = re.compile(
    r"\b(?:(?:table|reservation|booking) for|(?:table|reservation|booking|appointment) under)(?: the name(?: of)?)? (?!(?:the|a|an|my|our|us|me|tonight|today|"
    r"tomorrow|dinner|lunch|brunch|breakfast|party|people|this|next|that|it|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|one)\b)([a-z][a-z'-]+)$")
"""A booking named by the one name it is under, said last ("... cancel the table for kim")."""


_NO_CODE = re.compile(r"\b(?:(?:but|and|since|because) )?i (?:do not|did not) (?:have|get|remember|know) (?:the|my|a|any|that)"
                      r" (?:confirmation )?(?:code|number)\b")
"""A caller saying they have no code to give (public lines: the name on the booking is then asked for)."""
_NAME_ON_BOOKING = re.compile(
    r"\b(?:under|the name(?: on it)? is|name is|it is under|booked under)(?: the name(?: of)?)? (?!(?:the|a|an|my|our|us|me|"
    r"tonight|today|tomorrow|this|next|that|it|for|at|on)\b)([a-z][a-z'-]+(?: (?!(?:please|thanks|thank)\b)[a-z][a-z'-]+)?)$")
"""The name a booking is under, said last ("cancel my knee checkup under thaddeus bright")."""


def _shares_kind(shape: ToolShape, slot: ArgSlot) -> bool:
    """Whether another argument of the tool holds the same kind of value (an event's start and end)."""
    return any(a.kind.name == slot.kind.name and a.arg != slot.arg for a in shape.args)
