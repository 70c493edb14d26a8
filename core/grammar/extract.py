"""A tool's arguments from a sentence no template reads word for word, once the tool is known.

The tool's own templates say which slots it has and of what type. Typed values (dates, times, amounts,
emails, priorities...) are found anywhere in the sentence, longest first; when two arguments share a type
(an income and a home's value are both money) the words around the value pick the one whose templates
use them. Free text (a todo's title, a reminder's message, a symptom) is what remains once the typed
values, the words the tool's templates are built from and the usual lead-ins are taken away: the
longest stretch of the caller's own words.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from core.grammar.fuzzy import FUNCTION_WORDS, SYNONYMS
from core.grammar.numbers import NUMBER_RE
from core.grammar.slots import SLOT_TYPES, SlotType
from core.grammar.templates import Group, Node, Phrasing, Slot, Template, Word, flatten, parse_pattern
from core.grammar.text import normalize

_MAX_SPAN = 12
_BARE_NUMBER = re.compile(NUMBER_RE)
_PARTS_OF_DAY = frozenset({"morning", "afternoon", "evening", "night", "tonight"})
_WEAK_LEADS = frozenset({"the", "a", "an", "is", "are", "my", "our", "it", "that", "this", "i", "me", "we", "us"})
_SINGLE_SYNONYMS = {k: v for k, v in SYNONYMS.items() if " " not in k and v and " " not in v}
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
_TAIL_CUES = frozenset({"about", "because", "regarding", "concerning", "cause"})
_TOPIC_CUES = frozenset({"about", "regarding", "concerning"})
_CLAUSE_BREAKS = frozenset({"and", "but", "then", "plus", "also"})
_PHRASAL = frozenset((verb, particle) for verb in ("follow", "check", "catch", "work", "clean", "touch", "pick", "drop",
                                                   "warm", "tune", "fill", "hook", "set", "sign", "weigh", "look", "write")
                     for particle in ("up", "in", "out", "off", "over"))
_DETERMINERS = frozenset({"a", "an", "the", "my", "our", "this", "that", "at"})
_PRIORITY_NOUNS = frozenset({"priority", "importance", "prio", "one", "todo", "todos", "task", "tasks", "item", "items",
                             "thing", "reminder", "to"})
_DAY_KINDS = frozenset({"date", "datetime", "event_time", "due_date", "date_range"})
"""Words after which the rest of the sentence is one free-text value (a reason)."""
_OWNERS = frozenset({"my", "our", "his", "her", "their", "a", "an", "the"})
"""Lead-ins that stay at the start of a reason ("my app won't let me log in", "a charge i don't know")."""
_REPLACED = frozenset({("instead", "of"), ("rather", "than"), ("not", "on"), ("not", "at")})
"""Words before a value that the caller is replacing, not asking for."""
_LEAD_INS = frozenset({
    "i", "me", "we", "us", "you", "need", "needs", "want", "wanna", "would", "like", "to", "gotta", "got", "have",
    "has", "please", "could", "can", "will", "let", "lets", "just", "also", "so", "and", "oh", "okay", "ok", "hey",
    "hi", "hello", "yeah", "yes", "well", "one", "thing", "something", "item", "new", "another", "there", "it",
    "that", "this", "is", "am", "are", "do", "does", "did", "be", "go", "ahead", "actually", "really", "quick",
    "quickly", "now", "for", "again", "um", "uh", "hmm", "alright", "right", "then", "real", "an", "a",
    "the", "my", "our", "your", "on", "off", "in", "at", "of", "with", "about", "some", "should", "must", "may",
    "might", "know", "think", "say", "said", "tell", "ask", "remember", "sure", "any", "if", "when",
    "what", "which", "all", "kind", "sort", "them", "they", "he", "she", "him", "her", "its", "thanks", "thank",
    "as", "by", "from", "or", "but", "since", "before", "after", "because", "while", "already", "still",
    "was", "were", "going", "gonna", "honestly", "frankly", "seriously", "literally", "maybe", "perhaps",
    "rather", "probably", "definitely", "totally", "anyway", "anyways", "though", "down", "instead", "sorry",
})
"""Words that may stand at the edge of free text without being part of it."""


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
    values = {tool: {w for w, n in counts.items() if n >= 2 and n > seen[tool][w] and w not in _LEAD_INS}
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
                continue
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
            value = slot.kind.parse(text, now)
            if value is None:
                continue
            if end - start > 1 and end < len(tokens) and slot.kind.name in _CLOCK_KINDS and slot.kind.parse(
                    " ".join(tokens[end - 1:end + 1]), now) is not None:
                continue  # "from seven to seven thirty": not ten to seven, the end is a time of its own
            led = ((start and tokens[start - 1] in slot.before) or (end < len(tokens) and tokens[end] in slot.after)
                   or (slot.kind.name in _CLOCK_KINDS and end - start > 1 and start and _DAY_WORD.fullmatch(tokens[start - 1])))
            # "december twelfth [seven thirty]": a clock time said right after the day
            if _BARE_NUMBER.fullmatch(text) and not led and not (
                isinstance(value, float) and value >= 1000
            ):
                continue  # "one of us has an allergy" is not a time; "for two" is a party
            found.append(_Span(start, end, value, slot))
            break
    return found


def _cue_score(tokens: Sequence[str], span: _Span) -> int:
    after = tokens[span.end:span.end + 4]
    cut = next((i for i, t in enumerate(after) if t in _CLAUSE_BREAKS), len(after))
    # the words after a value count up to the next clause ("price is [X] and the down payment is [Y]")
    window = set(tokens[max(0, span.start - 5):span.start]) | set(after[:cut])
    lead = 2 if span.start and tokens[span.start - 1] in span.slot.before else 0
    follow = 2 if span.end < len(tokens) and tokens[span.end] in span.slot.after else 0
    return len(window & span.slot.cues) + lead + follow


def extract(shape: ToolShape, text: str, now: datetime) -> dict[str, Any]:
    """The arguments of `shape.tool` that `text` states (normalised text; fillers already dropped)."""
    tokens = text.split()
    typed = [s for s in shape.args if not s.kind.free_text]
    # a booking named by its day ("cancel thursday's table") is found like any date
    typed += [replace(s, kind=SLOT_TYPES[k]) for s in shape.args if s.kind.name == "booking"
              for k in ("date", "booking_code")]
    spans = [span for slot in typed for span in _typed_spans(tokens, slot, now)]
    # longest values first; among namesake arguments, the one whose words stand around the value
    spans.sort(key=lambda s: (-(s.end - s.start), -_cue_score(tokens, s), s.start))
    taken = [False] * len(tokens)
    args: dict[str, Any] = {}
    filled: set[str | tuple[str, ...]] = set()
    clock_tonight = False  # a clock time was read ("tonight at seven thirty")
    ends: dict[str, int] = {}  # where each typed value ends
    for span in spans:
        if any(taken[span.start:span.end]):
            continue
        before = tuple(tokens[max(0, span.start - 2):span.start])
        if before in _REPLACED or before[-1:] == ("not",):
            for i in range(span.start - len(before), span.end):  # "six people instead of four": four is the old value
                taken[i] = True
            continue
        if span.slot.arg in filled:
            if span.end - span.start > 1 and span.slot.kind.name in _CLOCK_KINDS:
                for i in range(span.start, span.end):  # "at seven thirty to [eight thirty]": a time, not a party of eight
                    taken[i] = True
            continue
        if before[-1:] in (("from",), ("for",), ("at",)) and not _shares_kind(shape, span.slot) and any(
                o.slot.arg == span.slot.arg and o.start > span.end and tokens[o.start - 1] == "to" for o in spans):
            for i in range(span.start - 1, span.end):  # "from four people to six": four is the old value
                taken[i] = True
            continue
        namesakes = [s for s in spans if s.slot.kind.name == span.slot.kind.name and s.slot.arg not in filled
                     and (s.start, s.end) == (span.start, span.end)]
        best = max(namesakes, key=lambda s: _cue_score(tokens, s)) if namesakes else span
        _assign(args, best.slot.arg, best.value)
        filled.add(best.slot.arg)
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
            _assign(args, day.arg, now.date().isoformat())
            filled.add(day.arg)
    for slot in shape.args:
        if slot.kind.name == "booking" and isinstance(slot.arg, str) and (m := _BOOKED_UNDER.search(text)) and (
                not taken[len(text[:m.start(1)].split())]):
            # "we can't make it tonight, cancel the table for castellanos": the name says which, not the day
            _assign(args, slot.arg, m[1].title())
            filled.add(slot.arg)
            taken[len(text[:m.start(1)].split())] = True
    free = [s for s in shape.args if s.kind.free_text and s.arg not in filled]
    if free:
        _fill_free_text(args, free, tokens, taken, shape.words - shape.values, now, shape.words & shape.values, ends)
    return args


_BOOKED_UNDER = re.compile(
    r"\b(?:(?:table|reservation|booking) for|(?:table|reservation|booking|appointment) under)(?: the name(?: of)?)? (?!(?:the|a|an|my|our|us|me|tonight|today|"
    r"tomorrow|dinner|lunch|brunch|breakfast|party|people|this|next|that|it|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|one)\b)([a-z][a-z'-]+)$")
"""A booking named by the one name it is under, said last ("... cancel the table for kim")."""


def _shares_kind(shape: ToolShape, slot: ArgSlot) -> bool:
    """Whether another argument of the tool holds the same kind of value (an event's start and end)."""
    return any(a.kind.name == slot.kind.name and a.arg != slot.arg for a in shape.args)


def _fill_free_text(args: dict[str, Any], free: Sequence[ArgSlot], tokens: Sequence[str], taken: Sequence[bool],
                    tool_words: frozenset[str], now: datetime, carriers: frozenset[str] = frozenset(),
                    ends: dict[str, int] | None = None) -> None:
    """Give each stretch of the caller's own words to the argument the words around it name ("the
    {team} team", "to say {title}"); the longest stretch nothing names goes to the primary argument.
    A stretch made only of `carriers` (words that ask for the tool as often as they fill it: "make my
    checkup") is free text only where a cue names it ("for a physical")."""
    left = list(free)
    taken = _take_tails(args, left, tokens, taken, now, ends or {})
    unnamed: list[tuple[str, int, int, int]] = []
    main_leads = set().union(*(s.before for s in free if s.primary))
    splits = frozenset(w for s in free if not s.primary for w in s.before if w in ("at", "in", "about", "because"))
    found = stretches(tokens, taken, tool_words, splits - main_leads)
    told = set().union(*(s.kind.lexicon for s in free)) & {w for text, _s, _e in found for w in text.split()}

    def led(start: int) -> set[str]:
        """The words just before, back to a typed value: "at noon [brunch with the cousins]": "at" led in the time."""
        return {tokens[i] for i in itertools.takewhile(lambda i: not taken[i], range(start - 1, max(-1, start - 3), -1))}

    for n, (value, start, end) in enumerate(found):
        prev = led(start)
        nxt = tokens[end] if end < len(tokens) else ""
        named = [s for s in left if (prev & s.before) - _WEAK_LEADS or (nxt in s.after and not any(
            (led(later) & s.before) - _WEAK_LEADS - FUNCTION_WORDS for _v, later, _e in found[n + 1:]))  # "make a todo [sign the lease]"
                 or (s.kind.name == "name" and "name" in tokens[max(0, start - 3):start])]
        if told and not told & set(value.split()):
            # "my migraines, they've been happening": the words of a complaint, not the ones after "been"
            named = [s for s in named if not s.kind.lexicon]
        if len(named) > 1:
            named = [s for s in named if nxt in s.after] or named
        if named and named[0].kind.name == "name" and " " in value:
            names = [s for s in left if s.kind.name == "name"]
            first, rest = _name_pair(value)
            if len(names) >= 2:  # "i am harold jenkins": a first and a last name
                for slot, part in zip(names, (first, rest), strict=False):
                    _assign(args, slot.arg, slot.kind.parse(part, now))
                    left.remove(slot)
                continue
        if named:
            parsed = named[0].kind.parse(value, now)
            if parsed is not None:
                _assign(args, named[0].arg, parsed)
                left.remove(named[0])
                continue
        if not set(value.split()) - carriers - FUNCTION_WORDS:
            continue
        unnamed.append((value, len(value.split()), start, end))
    main = next((s for s in left if s.primary), None)
    if main is not None and main.kind.name == "reason":
        # a reason no cue leads in is a clause ("my app keeps crashing"), or a word callers give as one
        # ("a checkup"); "this robot isn't helping" or "i'd like to be transferred" states none
        unnamed = [u for u in unnamed if u[1] > 1 or u[0] in carriers]
    if main is not None and unnamed:
        value = max(unnamed, key=lambda u: u[1])[0]
        if main.kind.lexicon:
            value = _complaint(tokens, taken, unnamed, main.kind.lexicon) or value
        names = [s for s in left if s.kind.name == "name"]
        if main.kind.name == "name" and len(names) >= 2 and " " in value:
            first, rest = _name_pair(value)
            for slot, part in zip(names, (first, rest), strict=False):
                _assign(args, slot.arg, slot.kind.parse(part, now))
            return
        parsed = main.kind.parse(value, now)
        if parsed is not None:
            _assign(args, main.arg, parsed)


_ASKS = frozenset({"can", "could", "would", "need", "want", "please", "should"})
_TIME_OF_DAY = re.compile(r"(?:at|in the|during the|every|each) (?:night|morning|evening|afternoon|day)")


def _complaint(tokens: Sequence[str], taken: Sequence[bool], unnamed: Sequence[tuple[str, int, int, int]],
               lexicon: frozenset[str]) -> str | None:
    """A value told as a whole complaint ("my knee is swollen after i fell off my bike", "coughing at
    night"): from the first stretch with a word of `lexicon` through the stretches that follow it, as long
    as no stated value and no new request ("can i ...") comes between, and a time of day said after it."""
    first = next((u for u in unnamed if lexicon & set(u[0].split())), None)
    if first is None:
        return None
    start, end = first[2], first[3]
    for _value, _n, lo, hi in unnamed:
        if lo < end:
            continue
        if any(taken[end:lo]) or _ASKS & set(tokens[end:lo]):
            break
        end = hi
    rest = " ".join(tokens[end:end + 3])
    if (m := _TIME_OF_DAY.match(rest)) and not any(taken[end:end + len(m.group().split())]):
        end += len(m.group().split())
    return " ".join(tokens[start:end])


def _take_tails(args: dict[str, Any], left: list[ArgSlot], tokens: Sequence[str], taken: Sequence[bool],
                now: datetime, ends: dict[str, int]) -> list[bool]:
    """A reason said after "about" or "because" runs to the end of what the caller said, whatever words it
    holds ("... in billing about a charge i don't recognize"); the slot whose templates lead it in so
    takes it. Returns the words still free."""
    out = list(taken)
    for slot in list(left):
        if slot.kind.name != "reason":
            continue
        # "... somebody from support [my app won't let me log in]": what follows the value its templates
        # put just before the reason ("{department} {reason}") to the end is the reason
        after = [ends[c[1:-1]] for c in slot.before if c.startswith("{") and c[1:-1] in ends]
        i = min(after, default=len(tokens))
        if i < len(tokens) and not any(out[i:]):
            lo = i
            while lo < len(tokens) and tokens[lo] in _LEAD_INS and tokens[lo] not in _OWNERS:
                lo += 1
            words = tokens[lo:]
            value = slot.kind.parse(" ".join(words), now) if sum(
                w not in FUNCTION_WORDS and w not in _LEAD_INS for w in words) >= 2 else None
            if value is not None:
                _assign(args, slot.arg, value)
                left.remove(slot)
                out[i:] = [True] * (len(tokens) - i)
                continue
        cues = slot.before & _TAIL_CUES
        if not cues:
            continue
        for i, token in enumerate(tokens):
            if token not in cues or out[i] or i + 1 >= len(tokens) or out[i + 1]:
                continue
            j = i + 1
            while j < len(tokens) and not out[j]:
                j += 1
            hi = j
            while hi > i + 1 and tokens[hi - 1] in _LEAD_INS:
                hi -= 1
            lo = i + 1
            if i and tokens[i - 1] in _ASKED_ABOUT and not out[i - 1]:
                lo = i - 1  # "i have [questions about my test results]": what the caller has is the reason
            words = tokens[lo:hi]
            if not any(w not in FUNCTION_WORDS and w not in _LEAD_INS for w in words):
                continue
            value = slot.kind.parse(" ".join(words), now)
            if value is None:
                continue
            _assign(args, slot.arg, value)
            left.remove(slot)
            for k in range(min(lo, i), j):
                out[k] = True
            break
    return out


_ASKED_ABOUT = frozenset({"question", "questions", "problem", "problems", "issue", "issues", "concern", "concerns",
                          "complaint", "query"})


def _name_pair(value: str) -> tuple[str, str]:
    """A first and a last name from the end of the words ("a patient file for me keiko tanaka")."""
    words = value.split()
    return (words[-2], words[-1]) if len(words) >= 2 else (value, "")


def _assign(args: dict[str, Any], arg: str | tuple[str, ...], value: Any) -> None:
    if isinstance(arg, tuple):
        args.update({a: v for a, v in zip(arg, value, strict=True) if v is not None})
    else:
        args[arg] = value


_PLURAL_KINDS = {"appointments": "appointment", "reservations": "reservation", "reminders": "reminder",
                 "bookings": "booking"}
"""A kind of record said in the plural where its templates say it once ("appointments for a physical")."""


def _is_tool_word(token: str, strong: frozenset[str]) -> bool:
    return (token in strong or _SINGLE_SYNONYMS.get(token, "") in strong
            or _PLURAL_KINDS.get(token, "") in strong)


_MODIFIERS = frozenset({"new", "more", "another", "other", "extra"})
"""Words a template uses ("a new todo") that inside the caller's own words modify the next ("order [new]
filters", "buy [more] potting soil")."""


_SOME_OF_US = re.compile(r"\b(?:one|two|three|some|both|all|a couple|a few|several|most|none) of (?:us|them|our guests)"
                         r" (?:has|have|is|are|needs|need|will need|uses|use)(?: an?)?$")
_HEADS = frozenset({"party"})
"""Words a template uses ("a party of six") that after the caller's own words are what they name ("a
retirement [party]")."""


def _modifies(tokens: Sequence[str], taken: Sequence[bool], j: int, start: int, strong: frozenset[str]) -> bool:
    """Whether tool word `tokens[j]` modifies the word after it, inside a stretch begun at `start`, or is
    the word the stretch names."""
    if tokens[j] in _HEADS:
        return j > start and not _is_tool_word(tokens[j - 1], strong) and tokens[j - 1] not in FUNCTION_WORDS and (
            j + 1 >= len(tokens) or tokens[j + 1] != "of")
    return (tokens[j] in _MODIFIERS and j > start and j + 1 < len(tokens) and not taken[j + 1]
            and not _is_tool_word(tokens[j + 1], strong) and tokens[j + 1] not in FUNCTION_WORDS)


def stretches(tokens: Sequence[str], taken: Sequence[bool], tool_words: frozenset[str],
              splits: frozenset[str] = frozenset()) -> list[tuple[str, int, int]]:
    """The stretches of the caller's own words, as (text, start, end): cut at typed values and at the tool's
    content words (and before a word of `splits` once a stretch has begun: "thanksgiving dinner | at aunt
    carol's"), trimmed of lead-ins and the tool's words at both ends; ones of function words only dropped."""
    strong = tool_words - FUNCTION_WORDS
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(tokens):
        if taken[i] or _is_tool_word(tokens[i], strong):
            i += 1
            continue
        j = i
        while j < len(tokens) and not taken[j] and (not _is_tool_word(tokens[j], strong) or _modifies(tokens, taken, j, i, strong)):
            j += 1
            if j < len(tokens) and tokens[j] in splits and any(t not in _LEAD_INS for t in tokens[i:j]):
                break
        lo, hi = i, j
        while lo < hi and (tokens[lo] in _LEAD_INS or tokens[lo] in tool_words):
            lo += 1
        back = max(0, i - 5)
        while back < i and taken[back]:
            back += 1
        if (who := _SOME_OF_US.search(" ".join(tokens[back:lo]))) is not None:
            lo = back + len(" ".join(tokens[back:lo])[:who.start()].split())  # "[one of us has] a peanut allergy"
        while hi > lo and (tokens[hi - 1] in _LEAD_INS or tokens[hi - 1] in tool_words) and not (
                tokens[hi - 1] in _HEADS and _modifies(tokens, taken, hi - 1, lo, strong)):
            hi -= 1
        if hi > lo and hi < len(tokens) and not taken[hi] and (tokens[hi - 1], tokens[hi]) in _PHRASAL:
            hi += 1  # "for a follow up": the particle is part of the words, whatever the tool uses it for
        if any(t not in FUNCTION_WORDS for t in tokens[lo:hi]):
            out.append((" ".join(tokens[lo:hi]), lo, hi))
        i = j
    return out
