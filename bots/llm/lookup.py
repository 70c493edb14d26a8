"""Which of the caller's records a request names, read from the records themselves.

Before the local model changes, completes, deletes or cancels something, it lists that kind of record
(and the kinds its `kin` tools act on) and reads the reference against them:
* one record matches: the call names that record by its id, and a confirmation reads the record's
  details ("Cancel Friday at ten for a checkup?");
* several match: the caller is asked which, by name;
* none of this kind but exactly one of a kin's ("move the budget review", a calendar event, read as a
  reminder): the kin tool is meant;
* "cancel my appointment" with one upcoming appointment: that one;
* none by its words, but one whose name sounds like them (the recogniser wrote "hauling forth" for
  Hollingsworth, "garage sail" for garage sale): the caller is asked "Did you mean ...?" first.
Anything else leaves the call as it was, and the tool says what it could not find.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bots.llm.sounds import sounds_alike
from core.grammar.registry import tool_words
from core.grammar.templates import ToolWords

_GENERIC = frozenset({
    "my", "the", "a", "an", "one", "that", "this", "it", "its", "on", "at", "for", "of", "with", "our", "your",
    "todo", "todos", "task", "tasks", "item", "items", "reminder", "reminders", "event", "events",
    "appointment", "appointments", "reservation", "reservations", "booking", "bookings", "table", "visit",
    "thing", "entry", "list", "calendar", "i", "me", "booked", "made", "have", "had", "got", "put", "set",
    "just", "said", "please", "um", "uh", "so", "and", "yes", "yeah", "no", "mean", "meant",
})
"""Words of a reference that name no record in particular ("my appointment", "the one i booked")."""
_KINDS = frozenset({"meeting", "meetings", "alert", "alerts", "party", "under",
                    "name", "named", "called", "for", "delete", "remove", "cancel", "change", "move"})
"""Words around a name that say what kind of record it is, not which ("the hollingsworth party")."""
_CODE = re.compile(r"^[A-Z]{2}-[A-Z0-9]{4}$")
_DAY = re.compile(r"^(\d{4}-\d\d-\d\d)(?:[ T](\d\d:\d\d))?")
_SKIP_KEYS = frozenset({"status", "count"})
_NAME_KEYS = frozenset({"title", "message", "name", "reason"})
SOUNDS_LIKE = 0.6
"""How alike (`sounds.sounds_alike`) a reference and a record's name must sound to be offered."""
SOUNDS_LEAD = 0.2
"""By how much the record offered must sound closer than any other."""
_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1, "latter": -1, "former": 0}


@dataclass(frozen=True)
class Lookup:
    """A list call made to read the records a reference may name."""

    tool: str
    args: dict[str, Any]


def lookups(tool: str, bound: Collection[str] | None, now: datetime) -> list[Lookup]:
    """The list calls to make before acting with `tool`: its own records' and its kin's (bound ones only)."""
    words = tool_words(tool)
    if words is None or words.lookup is None or not _bound(words.lookup, bound):
        return []
    out: dict[str, Lookup] = {}
    for name in (tool, *words.kin):
        kin = tool_words(name)
        if kin is None or kin.lookup is None or not _bound(name, bound) or not _bound(kin.lookup, bound):
            continue
        args = {arg: (now.date() + timedelta(days=days)).isoformat() for arg, days in kin.lookup_days}
        out.setdefault(kin.lookup, Lookup(kin.lookup, args))
    return list(out.values())


def _bound(tool: str, bound: Collection[str] | None) -> bool:
    return bound is None or tool in bound


@dataclass(frozen=True)
class Resolution:
    """What the records say: the tool meant, its arguments, and what to ask or read back.

    `which` lists the matching records' labels when several match; `label` is the one record's spoken
    details when exactly one does."""

    tool: str
    args: dict[str, Any]
    which: tuple[str, ...] = ()
    label: str = ""
    choices: tuple[str, ...] = ()
    """The ids of the records `which` reads out, in the same order."""
    heard_as: bool = False
    """`which` is the one record whose name sounds like the reference: ask "Did you mean ...?"."""


def resolve(tool: str, args: Mapping[str, Any], listed: Mapping[str, Any], now: datetime,
            reread: Any = None) -> Resolution:
    """Read `args`' reference against the records `listed` (lookup tool -> its decoded result).

    `reread(kin_tool)` gives the arguments the caller's sentence states for a kin tool (or None)."""
    words = tool_words(tool)
    if words is None or words.ref is None or words.lookup is None:
        return Resolution(tool, dict(args))
    mine = _records(listed.get(words.lookup), tool_words(words.lookup))
    ref = args.get(words.ref)
    if mine is None:
        return Resolution(tool, dict(args))
    if not isinstance(ref, str) or not _names_something(ref):
        if len(mine) == 1:
            return _chosen(tool, words, args, mine[0], now)
        if len(mine) > 1 and ref is not None:
            return _which(tool, words, args, mine, now)
        return Resolution(tool, dict(args))
    own = [r for r in mine if _matches(ref, r)]
    if len(own) > 1:  # "buy milk" names buy milk, not buy oat milk
        own = [r for r in own if _same_name(ref, r)] or own
    if len(own) == 1:
        return _chosen(tool, words, args, own[0], now)
    if len(own) > 1:
        return _which(tool, words, args, own, now)
    hits = []
    for name in words.kin:
        kin = tool_words(name)
        if kin is None or kin.ref is None or kin.lookup is None:
            continue
        theirs = _records(listed.get(kin.lookup), tool_words(kin.lookup)) or []
        found = [r for r in theirs if _matches(ref, r)]
        if found:
            hits.append((name, kin, found))
    if len(hits) == 1 and len(hits[0][2]) == 1:
        name, kin, (record,) = hits[0]
        stated = reread(name) if reread is not None else None
        kin_args = dict(stated) if isinstance(stated, Mapping) else {}
        kin_args.setdefault(kin.ref, ref)
        return _chosen(name, kin, kin_args, record, now)
    if not hits:
        # no record has the words: one whose name sounds like them, of this kind or a kin's, is offered
        pool: list[tuple[Mapping[str, Any], str, ToolWords]] = [(r, tool, words) for r in mine]
        for name in words.kin:
            kin = tool_words(name)
            if kin is not None and kin.ref is not None and kin.lookup is not None:
                pool += [(r, name, kin) for r in _records(listed.get(kin.lookup), tool_words(kin.lookup)) or []]
        guess = _sounds_like(ref, [r for r, _, _ in pool])
        if guess is not None:
            n, heard = guess
            record, meant, meant_words = pool[n]
            meant_args = dict(args)
            if meant != tool:
                stated = reread(meant) if reread is not None else None
                meant_args = dict(stated) if isinstance(stated, Mapping) else {}
                meant_args.setdefault(str(meant_words.ref), ref)
            asked = _which(meant, meant_words, meant_args, [record], now)
            label = asked.which[0] if heard.lower() in asked.which[0].lower() else f"{heard}, {asked.which[0]}"
            return replace(asked, which=(label,), heard_as=True)
    if not hits and len(mine) == 1 and words.confirm:
        # "cancel my doctor appointment" with one appointment: that one, read back before anything happens
        return _chosen(tool, words, args, mine[0], now)
    return Resolution(tool, dict(args))


def _which(tool: str, words: ToolWords, args: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
           now: datetime) -> Resolution:
    shown = records[:5]
    return Resolution(tool, dict(args), which=tuple(_label(r, words, now) for r in shown),
                      choices=tuple(str(_ident(r, words) or "") for r in shown))


def _ident(record: Mapping[str, Any], words: ToolWords) -> Any:
    return record.get(f"{words.ref}_id") or record.get("id")


def _chosen(tool: str, words: ToolWords, args: Mapping[str, Any], record: Mapping[str, Any],
            now: datetime) -> Resolution:
    assert words.ref is not None
    ident = _ident(record, words)
    out = dict(args)
    if isinstance(ident, str) and ident:
        out[words.ref] = ident
    return Resolution(tool, out, label=_label(record, words, now))


def _label(record: Mapping[str, Any], words: ToolWords, now: datetime) -> str:
    from bots.llm.replies import label_of

    return label_of(record, tool_words(words.lookup) if words.lookup else None, now)


def _records(data: Any, words: ToolWords | None) -> list[Mapping[str, Any]] | None:
    """The records a list result holds, or None when it is no list (an error, a missing result)."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError:
            return None
    if isinstance(data, list):
        return [r for r in data if isinstance(r, Mapping)]
    if isinstance(data, Mapping):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) == 1:
            return [r for r in lists[0] if isinstance(r, Mapping)]
    return None


def _names_something(ref: str) -> bool:
    return bool(_content(ref) or _CODE.match(ref.upper()) or _DAY.match(ref))


def _content(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9']+", text.lower()) if w not in _GENERIC]


def _stem(word: str) -> str:
    word = word.removesuffix("'s")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _matches(ref: str, record: Mapping[str, Any]) -> bool:
    """Whether `ref` (words of a title, a day and time, a confirmation code) names `record`."""
    if any(k.endswith("id") and v == ref for k, v in record.items()):
        return True
    values = [str(v) for k, v in record.items() if isinstance(v, str | int) and k not in _SKIP_KEYS
              and not k.endswith("id")]
    code = ref.upper().replace(" ", "")
    if _CODE.match(code):
        return any(v.upper() == code for v in values)
    day = _DAY.match(ref)
    if day is not None:
        date, clock = day.groups()
        return any(v.startswith(date) and (clock is None or v[11:16] == clock) for v in values)
    wanted = _content(ref)
    have = {_stem(w) for v in values for w in re.findall(r"[a-z0-9']+", v.lower())}
    return bool(wanted) and all(w in have for w in wanted)


def _names_of(record: Mapping[str, Any]) -> list[str]:
    return [v for k, v in record.items() if k in _NAME_KEYS and isinstance(v, str) and v.strip()]


def _sounds_like(ref: str, records: Sequence[Mapping[str, Any]]) -> tuple[int, str] | None:
    """Which record a name in `ref` sounds like, clearly closer than any other, and that name; or None. Every run of
    the reference's words is tried against each name ("scrap the garage sail task altogether": "garage
    sail" against "garage sale")."""
    spoken = [w for w in re.findall(r"[a-z']+", ref.lower()) if w not in _GENERIC and w not in _KINDS]
    runs = {" ".join(spoken[i:j]) for i in range(len(spoken)) for j in range(i + 1, min(len(spoken), i + 4) + 1)}

    def alike(run: str, name: str) -> float:  # a run as long as the name, give or take a third
        a, b = len(run.replace(" ", "")), len(re.sub(r"[^a-z]", "", name.lower()))
        return sounds_alike(run, name) if b and 0.67 <= a / b <= 1.5 else 0.0

    scored = sorted((max(((alike(run, name), name) for run in runs for name in _names_of(r)), default=(0.0, "")), n)
                    for n, r in enumerate(records))
    scored.sort(key=lambda s: -s[0][0])
    if not scored or scored[0][0][0] < SOUNDS_LIKE:
        return None
    if len(scored) > 1 and scored[1][0][0] > scored[0][0][0] - SOUNDS_LEAD:
        return None
    (_, name), n = scored[0]
    return n, name


def _same_name(ref: str, record: Mapping[str, Any]) -> bool:
    wanted = set(_content(ref))
    return any(set(_content(v)) == wanted for k, v in record.items() if k in _NAME_KEYS and isinstance(v, str))


def ordinal(text: str) -> int | None:
    """ "the second one" -> 1, "the last one" -> -1: a choice among records just read out."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _ORDINALS:
            return _ORDINALS[word]
    return None


def results_by_tool(results: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """(tool, result text) pairs as tool -> decoded result (the text itself when it is no JSON)."""
    out: dict[str, Any] = {}
    for tool, content in results:
        try:
            out[tool] = json.loads(content)
        except json.JSONDecodeError:
            out[tool] = content
    return out


def spoken_which(labels: Sequence[str], heard_as: bool = False) -> str:
    from bots.llm.speech import join_list

    if heard_as:
        return f"Did you mean {labels[0]}?"
    return f"Which one: {join_list(list(labels[:5]), 'or')}?"
