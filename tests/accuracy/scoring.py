"""Whether the agent understood an utterance, and the figures per domain and per tool.

Understood means `bots.llm.understanding.understand` (the route plus the local intent model, the
first turn of a call) makes the move the line expects:

* a tool is expected: a call (or the look-up of the caller's records that comes first), a question or a
  confirmation about that tool, whose arguments equal the
  expected ones. Free text is compared by its content words as said (`same_words`: "a checkup" and
  "checkup" are the same reason, "water the to main" is not "water the tomato plants"), numbers as
  numbers, dates and times as dates and times (a record's new clock time alone keeps the record's day:
  `on_the_records_day`); an argument that names an existing record (`RECORD_ARGS`) matches when the content
  words of one value contain the other's, since the tool finds the record by words of its title, and a
  reference that names no record in particular ("my reservation") counts as no reference, since the
  look-up reads both alike (the one there is, or "which one?");
* no tool is expected: a spoken reply only, no call and no question about a tool.

An offer of the expected call ("Do you want me to ...?", the model unsure) is not counted; `report`
says how many misses were such offers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bots.llm.understanding import Understanding
from core.grammar.dates import DATE_RE, parse_date
from core.grammar.registry import REFERENCE_NOW
from core.grammar.text import normalize
from speech.lexicon import normalize_text
from speech.spoken import spoken_form

from .sets import Utterance

RECORD_ARGS = frozenset({"todo", "reminder", "event", "appointment", "reservation"})
TOOL_MOVES = frozenset({"call", "look", "ask", "confirm"})
# Words that say nothing about which record is meant.
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "i", "we", "my", "our", "your", "his", "her", "their", "this", "that", "these", "those", "one",
    "to", "for", "of", "with", "on", "in", "at", "by", "from", "and",
})
_DETERMINERS = frozenset({"a", "an", "the", "these", "those", "some"})
_UNITS = frozenset({"minute", "hour", "day", "week", "month", "year", "fortnight"})
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_PHONE = re.compile(r"\+?[\d\s().-]{7,}")  # a phone number written with or without separators
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?")


def said_words(text: str) -> list[str]:
    """Text as the words a person says: lowercase, no punctuation, digits, dates and money in words."""
    return normalize_text(spoken_form(normalize(text)))


def canonical(value: Any) -> Any:
    """A value in the form two equal arguments share: "W2" and "w two", 4 and 4.0 and "4",
    "2026-11-27T15:00" and "2026-11-27T15:00:00", "617-555-2234" and "6175552234", "a checkup" and
    "checkup" (a leading article or determiner does not change what free text names)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        s = value.strip()
        if _DATE.match(s):
            try:
                return datetime.fromisoformat(s) if "T" in s else date.fromisoformat(s)
            except ValueError:
                pass
        if _TIME.fullmatch(s):
            return time(*map(int, s.split(":")))
        if _PHONE.fullmatch(s) and sum(c.isdigit() for c in s) >= 7:
            return re.sub(r"\D", "", s)
        if _NUMBER.fullmatch(s):
            return float(s)
        words = said_words(s)
        if len(words) == 2 and words[0] in ("a", "an") and words[1] in _UNITS:
            words = ["one", words[1]]  # "a week" and "1 week" are the same length of time
        return " ".join(_without_determiners(words))
    if isinstance(value, list | tuple):
        return tuple(canonical(v) for v in value)
    if isinstance(value, Mapping):
        return {k: canonical(v) for k, v in value.items()}
    return value


def _without_determiners(words: list[str]) -> list[str]:
    """"a checkup" and "checkup" name the same thing."""
    while len(words) > 1 and words[0] in _DETERMINERS:
        words = words[1:]
    return words


def content_words(text: str) -> frozenset[str]:
    """The words of `text` that say something, singular and plural alike: a phone line's band stops below
    the hiss of a final "s", so "the wiper blade" is heard for "the wiper blades" (the word error rate
    counts it; the todo still says what the caller asked). A possessive is the plural's sound ("farmer's
    market", "farmers market")."""
    return frozenset(_singular(w) for w in said_words(text)) - _FUNCTION_WORDS


def _singular(word: str) -> str:
    if word.endswith("'s") and len(word) > 4:
        word = word[:-2] + "s"  # "farmer's market" and "farmers market" sound the same: speech carries no apostrophe
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def same_record(expected: Any, got: Any) -> bool:
    """Two names of a record match when the content words of one contain the other's, or when one is a
    date and the other names that day ("saturday's dinner" and 2026-11-28: the look-up finds the booking on
    that day either way)."""
    if not isinstance(expected, str) or not isinstance(got, str):
        return canonical(expected) == canonical(got)
    if (day := _named_day(got)) is not None and day == _named_day(expected):
        return True
    a, b = content_words(expected), content_words(got)
    return bool(a and b) and (a <= b or b <= a)


def _named_day(text: str) -> date | None:
    """The day a record reference names: an ISO date, or a day said in words ("saturday", "tonight")."""
    if _DATE.fullmatch(text.strip()):
        return date.fromisoformat(text.strip())
    words = normalize(text).replace("'s", "").split()
    # the longest words that say a day, first said first ("christmas eve dinner": the 24th, not christmas)
    spans = ((i, n) for i in range(len(words)) for n in range(min(4, len(words) - i), 0, -1))
    return next((d for i, n in spans if (d := parse_date(" ".join(words[i:i + n]), REFERENCE_NOW)) is not None), None)


def _run_together(text: str) -> str:
    """The content words of `text` in order with no spaces: "pick up" and "pickup", "walk through" and
    "walkthrough", "counter offer" and "counteroffer" are written either way."""
    return "".join(_singular(w) for w in said_words(text) if w not in _FUNCTION_WORDS)


def same_words(expected: Any, got: Any) -> bool:
    """Free text matches when it says the same content words ("by the window" and "window", "our
    anniversary" and "anniversary", a compound written as one word or two); anything else by its
    canonical value."""
    a, b = canonical(expected), canonical(got)
    if isinstance(a, str) and isinstance(b, str) and a.split() == _without_determiners(said_words(str(expected))):
        if not content_words(str(expected)):
            return False
        return (content_words(str(expected)) == content_words(str(got))
                or _run_together(str(expected)) == _run_together(str(got)))
    return a == b


def as_said(expected: Any, got: Any) -> bool:
    """The strict rule: free text equal word for word as said ("by the window" is not "window"); dates,
    times, numbers and phone numbers by their canonical value."""
    a, b = canonical(expected), canonical(got)
    if isinstance(expected, str) and isinstance(got, str) and isinstance(a, str) and isinstance(b, str):
        return said_words(expected) == said_words(got)
    return a == b


_RECORD_KINDS = frozenset({"reservation", "reservations", "booking", "bookings", "appointment", "appointments",
                           "todo", "todos", "task", "tasks", "reminder", "reminders", "event", "events", "table"})


def _named(key: str, value: Any) -> bool:
    """Whether an argument says something: not None, and a record reference not made of kind words only."""
    if value is None:
        return False
    if key in RECORD_ARGS and isinstance(value, str):
        return bool(content_words(value) - _RECORD_KINDS)
    return True


def args_match(expected: Mapping[str, Any], got: Mapping[str, Any], strict: bool = False) -> bool:
    """The same argument names (None-valued ones and references that name nothing left out) with equal
    values; `strict` compares free text word for word as said instead of by its content words."""
    want = {k: v for k, v in expected.items() if _named(k, v)}
    have = {k: v for k, v in got.items() if _named(k, v)}
    if set(want) != set(have):
        return False
    equal = as_said if strict else same_words
    return all(same_record(v, have[k]) if k in RECORD_ARGS else equal(v, have[k]) for k, v in want.items())


_DAY_WORDS = re.compile(rf"\b(?:{DATE_RE}|tonight|morning|afternoon|evening|night)\b")


def on_the_records_day(utterance: Utterance, got: Mapping[str, Any]) -> dict[str, Any]:
    """`got` with a clock time alone ("20:00", what the agent gives for "push dinner with the okonkwos to
    eight pm") read as the expected date-time at that clock: the tool keeps the record's own day, which the
    set's line writes as the day its writer had in mind. Only when the sentence names no day outside the
    record's name: a day said and dropped is a miss."""
    said = normalize(utterance.said)
    for key in RECORD_ARGS:
        if isinstance(utterance.args.get(key), str):
            said = said.replace(normalize(utterance.args[key]), " ")
    if _DAY_WORDS.search(said):
        return dict(got)
    out = dict(got)
    for key, value in got.items():
        want = utterance.args.get(key)
        if (isinstance(value, str) and _TIME.fullmatch(value.strip()) and isinstance(want, str)
                and isinstance(moment := canonical(want), datetime) and moment.time() == canonical(value)):
            out[key] = want
    return out


def _one_name(tool: str | None, args: Mapping[str, Any]) -> dict[str, Any]:
    """`args` with the name a booking is under said once, as the booking's reference: "cancel the reservation
    under lindqvist" may be read (or written in a line) as the reference, as `name_on_booking`, or as both;
    on a public line the tools treat a reference that is the booking's name as `name_on_booking` (a code
    is texted either way), so all three say the same."""
    out = dict(args)
    ref = "appointment" if tool == "cancel_appointment" else "reservation"
    named = out.get("name_on_booking")
    if isinstance(named, str) and (not _named(ref, out.get(ref)) or same_record(named, out[ref])):
        out[ref] = out[ref] if _named(ref, out.get(ref)) else named
        del out["name_on_booking"]
    return out


def _as_the_line_has_it(utterance: Utterance, got: Mapping[str, Any]) -> dict[str, Any]:
    return on_the_records_day(utterance, _one_name(utterance.tool, got))


def understood(utterance: Utterance, move: Understanding, strict: bool = False) -> bool:
    """Whether `move` is what `utterance` expects (see the module docstring)."""
    if utterance.tool is None:
        return move.kind == "reply"
    return (move.kind in TOOL_MOVES and move.tool == utterance.tool
            and args_match(_one_name(utterance.tool, utterance.args), _as_the_line_has_it(utterance, move.args), strict))


def offered(utterance: Utterance, move: Understanding) -> bool:
    """Whether `move` offers the expected call ("Do you want me to ...?"): not counted as understood,
    since the model was not sure, but reported beside the figures."""
    return (utterance.tool is not None and move.kind == "offer" and move.tool == utterance.tool
            and args_match(_one_name(utterance.tool, utterance.args), _as_the_line_has_it(utterance, move.args)))


def describe(move: Understanding) -> str:
    """A move in one line, for the list of misses."""
    if move.kind == "reply":
        return f"[{move.domain}] reply: {move.reply[:70]}"
    return f"[{move.domain}] {move.kind} {move.tool} {dict(move.args)}"


@dataclass(frozen=True)
class Scored:
    """One utterance scored: the text the agent read (typed, or what the recogniser heard) and its move."""

    utterance: Utterance
    text: str
    move: Understanding
    ok: bool


def score(utterances: Iterable[Utterance], texts: Iterable[str],
          understand: Callable[[str], Understanding]) -> list[Scored]:
    """Score each utterance on the text the agent read for it."""
    out = []
    for u, text in zip(utterances, texts, strict=True):
        move = understand(text)
        out.append(Scored(u, text, move, understood(u, move)))
    return out


@dataclass
class Tally:
    n: int = 0
    ok: int = 0

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else 0.0

    def add(self, ok: bool) -> None:
        self.n += 1
        self.ok += ok


def tally(results: Iterable[Scored], key: Callable[[Scored], str]) -> dict[str, Tally]:
    out: dict[str, Tally] = defaultdict(Tally)
    for r in results:
        out[key(r)].add(r.ok)
    return dict(sorted(out.items()))


def overall(results: Sequence[Scored]) -> Tally:
    return Tally(len(results), sum(r.ok for r in results))


def report(results: Sequence[Scored], show_errors: bool = False, per_tool: bool = True) -> str:
    """Intent per domain, per expected tool ("(none)": no tool should run) and overall; with
    `show_errors`, every miss with what the agent did instead."""
    lines = [f"{'domain':26s} {'intent':>7s} {'n':>5s}"]
    for name, t in tally(results, lambda r: r.utterance.domain).items():
        lines.append(f"  {name:24s} {100 * t.rate:6.1f}% {t.n:5d}")
    everything = overall(results)
    lines.append(f"  {'overall':24s} {100 * everything.rate:6.1f}% {everything.n:5d}")
    word_for_word = sum(understood(r.utterance, r.move, strict=True) for r in results)
    lines.append(f"  {'(free text word for word)':24s} {100 * word_for_word / max(len(results), 1):6.1f}%")
    if offers := sum(offered(r.utterance, r.move) for r in results):
        lines.append(f"  ({offers} of the misses offer the expected call, not counted)")
    if per_tool:
        lines.append(f"{'expected tool':26s} {'intent':>7s} {'n':>5s}")
        for name, t in tally(results, lambda r: r.utterance.tool or "(none)").items():
            lines.append(f"  {name:24s} {100 * t.rate:6.1f}% {t.n:5d}")
    if show_errors:
        misses = [r for r in results if not r.ok]
        lines.append(f"misses ({len(misses)}):")
        for r in misses:
            u = r.utterance
            lines.append(f"  line {u.line}: {u.said}")
            if r.text != u.said:
                lines.append(f"    heard:    {r.text}")
            lines.append(f"    expected: {u.tool or 'no tool'} {dict(u.args) if u.tool else ''}".rstrip())
            lines.append(f"    got:      {describe(r.move)}")
    return "\n".join(lines)
