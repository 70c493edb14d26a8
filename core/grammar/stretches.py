"""Free text: the stretches of the caller's own words and which argument each fills.

Once the typed values of a sentence are taken (`core.grammar.extract`), what remains is cut into
stretches at the tool's own words; each stretch goes to the argument the words around it name ("the
{team} team", "to say {title}", a reason after "about" or "because" to the end), and the longest one
nothing names to the tool's primary free-text argument. A complaint (symptoms) is told whole across
the stretches it spans.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.grammar.fuzzy import FUNCTION_WORDS, SYNONYMS

if TYPE_CHECKING:
    from core.grammar.extract import ArgSlot

_WEAK_LEADS = frozenset({"the", "a", "an", "is", "are", "my", "our", "it", "that", "this", "i", "me", "we", "us", "and"})
_SINGLE_SYNONYMS = {k: v for k, v in SYNONYMS.items() if " " not in k and v and " " not in v}
_TAIL_CUES = frozenset({"about", "because", "regarding", "concerning", "cause"})
_WHY_WORDS = frozenset({"because", "cause", "cuz"})
"""Words after which the rest of the sentence is one free-text value (a reason)."""
_PHRASAL = frozenset((verb, particle) for verb in ("follow", "check", "catch", "work", "clean", "touch", "pick", "drop",
                                                   "warm", "tune", "fill", "hook", "set", "sign", "weigh", "look", "write",
                                                   "acting", "act", "acted", "flaring", "flare", "flared", "swelling",
                                                   "swelled", "swollen", "breaking", "broke")
                     for particle in ("up", "in", "out", "off", "over"))
_OWNERS = frozenset({"my", "our", "his", "her", "their", "a", "an", "the"})
"""Lead-ins that stay at the start of a reason ("my app won't let me log in", "a charge i don't know")."""
LEAD_INS = frozenset({
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
    "prefer", "preferably", "ideally",
})
"""Words that may stand at the edge of free text without being part of it."""


def fill_free_text(args: dict[str, Any], free: Sequence[ArgSlot], tokens: Sequence[str], taken: Sequence[bool],
                    tool_words: frozenset[str], now: datetime, carriers: frozenset[str] = frozenset(),
                    ends: dict[str, int] | None = None, inside: frozenset[int] = frozenset()) -> None:
    """Give each stretch of the caller's own words to the argument the words around it name ("the
    {team} team", "to say {title}"); the longest stretch nothing names goes to the primary argument.
    A stretch made only of `carriers` (words that ask for the tool as often as they fill it: "make my
    checkup") is free text only where a cue names it ("for a physical")."""
    left = _fields_named(free, tokens)
    taken = _take_tails(args, left, tokens, taken, now, ends or {}, inside)
    unnamed: list[tuple[str, int, int, int]] = []
    main_leads = set().union(*(s.before for s in free if s.primary))
    splits = frozenset(w for s in free if not s.primary for w in s.before if w in ("at", "in", "about", "because"))
    found = stretches(tokens, taken, tool_words, splits - main_leads)
    why = next((i for i, w in enumerate(tokens) if i > 2 and w in _WHY_WORDS), None)
    if why is not None and not any(_WHY_WORDS & s.before for s in free):
        # "order the costumes ... because the school is breathing down my neck": why is none of the values
        found = [f for f in found if f[1] < why]
    told = set().union(*(s.kind.lexicon for s in free)) & {w for text, _s, _e in found for w in bare_words(text)}

    def led(start: int) -> set[str]:
        """The words just before, back to a typed value: "at noon [brunch with the cousins]": "at" led in the time."""
        return {tokens[i] for i in itertools.takewhile(lambda i: not taken[i], range(start - 1, max(-1, start - 3), -1))}

    spelled = [start for _v, start, _e in found if "spelled" in tokens[max(0, start - 2):start]]

    def a_name(start: int) -> bool:
        """A name is what follows "spelled", or else "name" ("fix my first name on my [clinic] record it is
        spelled [cathryn]": the record is not the name)."""
        return start in spelled if spelled else "name" in tokens[max(0, start - 3):start]

    spelled += [start for _v, start, _e in found if tokens[max(0, start - 2):start] == ["should", "be"]
                and {"name", "surname"} & set(tokens[:start])]  # "my first name is misspelled ... it should be [alexis]"

    for n, (value, start, end) in enumerate(found):
        prev = led(start)
        nxt = tokens[end] if end < len(tokens) else ""
        named = [s for s in left if (prev & s.before) - _WEAK_LEADS or (nxt in s.after and not any(
            (led(later) & s.before) - _WEAK_LEADS - FUNCTION_WORDS for _v, later, _e in found[n + 1:]))  # "make a todo [sign the lease]"
                 or (s.kind.name == "name" and a_name(start))]
        if told and not told & bare_words(value):
            # "my migraines, they've been happening": the words of a complaint, not the ones after "been"
            named = [s for s in named if not s.kind.lexicon]
        if named and named[0].primary and named[0].kind.lexicon and (named[0].kind.lexicon & bare_words(value) or any(
                lo < start and named[0].kind.lexicon & bare_words(text) and not any(taken[hi:start])
                and not _ASKS & set(tokens[hi:start]) for text, _n, lo, hi in unnamed)):
            # a complaint is told whole: "i feel [tired] all the [time] and ... [headaches]", "my knee has been
            # [swollen and stiff]" (begun before "been", it goes on through it)
            unnamed.append((value, len(value.split()), start, end))
            continue
        if len(named) > 1:
            named = [s for s in named if nxt in s.after] or named
        if named and named[0].kind.name == "name" and " " in value:
            names = [s for s in left if s.kind.name == "name"]
            first, rest = _name_pair(value)
            if len(names) >= 2:  # "i am harold jenkins": a first and a last name
                for slot, part in zip(names, (first, rest), strict=False):
                    assign(args, slot.arg, slot.kind.parse(part, now))
                    left.remove(slot)
                continue
        if named:
            parsed = named[0].kind.parse(value, now)
            if parsed is not None:
                assign(args, named[0].arg, parsed)
                left.remove(named[0])
                said = len(str(parsed).split())
                if named[0].kind.name == "name" and said < len(value.split()):
                    # "under okonkwo [it is our office holiday party]": what follows the name is words of their own
                    after = value.split()[said:]
                    while after and after[0] in LEAD_INS and after[0] not in _OWNERS:
                        after = after[1:]
                    if set(after) - FUNCTION_WORDS - carriers:
                        unnamed.append((" ".join(after), len(after), end - len(after), end))
                continue
        if not set(value.split()) - carriers - FUNCTION_WORDS:
            continue
        unnamed.append((value, len(value.split()), start, end))
    main = next((s for s in left if s.primary), None)
    if main is not None and main.kind.name == "reason":
        # a reason no cue leads in is a clause ("my app keeps crashing"), or a word callers give as one
        # ("a checkup"); "this robot isn't helping" or "i'd like to be transferred" states none
        unnamed = [u for u in unnamed if u[1] > 1 or u[0] in carriers]
    if main is not None and main.kind.name == "name":
        # "i'd like to get registered ... [i am] maya lindqvist": the words a caller introduces themselves with
        unnamed = [u for u in unnamed if " ".join(tokens[max(0, u[2] - 2):u[2]]) in _INTRODUCES] or unnamed
    if main is not None and unnamed:
        value = max(unnamed, key=lambda u: u[1])[0]
        if main.kind.lexicon:
            value = _complaint(tokens, taken, unnamed, main.kind.lexicon) or value
        names = [s for s in left if s.kind.name == "name"]
        if main.kind.name == "name" and len(names) >= 2 and " " in value:
            first, rest = _name_pair(value)
            for slot, part in zip(names, (first, rest), strict=False):
                assign(args, slot.arg, slot.kind.parse(part, now))
            return
        parsed = main.kind.parse(value, now)
        if parsed is not None:
            assign(args, main.arg, parsed)


def _fields_named(free: Sequence[ArgSlot], tokens: Sequence[str]) -> list[ArgSlot]:
    """The free-text arguments a sentence may fill: when it names some by their own words ("my [last] name ...
    it is hargreave now"), not the others that words of their own would name ("... it is [aetna] now")."""
    said = set(tokens)
    own = {id(s): s.cues - FUNCTION_WORDS - set().union(*(o.cues for o in free if o is not s)) for s in free}
    if not any(own[id(s)] & said for s in free if not s.primary):
        return list(free)
    return [s for s in free if s.primary or not own[id(s)] or own[id(s)] & said]


_INTRODUCES = frozenset({"i am", "this is", "name is", "names are", "it is", "call me", "am called"})
_ASKS = frozenset({"can", "could", "would", "need", "want", "please", "should"})
_TIME_OF_DAY = re.compile(r"(?:at|in the|during the|every|each) (?:night|morning|evening|afternoon|day)")


def _complaint(tokens: Sequence[str], taken: Sequence[bool], unnamed: Sequence[tuple[str, int, int, int]],
               lexicon: frozenset[str]) -> str | None:
    """A value told as a whole complaint ("my knee is swollen after i fell off my bike", "coughing at
    night"): from the first stretch with a word of `lexicon` through the stretches that follow it, as long
    as no stated value and no new request ("can i ...") comes between, and a time of day said after it."""
    first = next((u for u in unnamed if lexicon & bare_words(u[0])), None)
    if first is None:
        return None
    start, end = first[2], first[3]
    words = list(tokens[start:end])
    for _value, _n, lo, hi in unnamed:
        if lo < end:
            continue
        if any(taken[end:lo]) or _ASKS & set(tokens[end:lo]):
            break
        gap = " ".join(tokens[end:lo])
        # "tired all the time [and i've been getting] headaches": a second complaint's own lead-in is left out
        words += [*tokens[end:lo]] if not (m := _SECOND_LEAD.fullmatch(gap)) else [m[1]] if m[1] else []
        words += tokens[lo:hi]
        end = hi
    rest = " ".join(tokens[end:end + 3])
    if (m := _TIME_OF_DAY.match(rest)) and not any(taken[end:end + len(m.group().split())]):
        words += m.group().split()
    return " ".join(words)


_SECOND_LEAD = re.compile(r"(?:(and|but|plus) )?(?:also )?i (?:have |am |keep )?(?:also )?(?:been )?"
                          r"(?:getting|having|feeling|feel|get|have|got|keep getting|keep having)")
"""A first person's lead-in to a further complaint ("... and i have been getting [headaches]")."""


def bare_words(text: str) -> set[str]:
    """The words of `text`, a possessive or "is"/"has" said short as the word itself ("my heartburn's been bad")."""
    return {w[:-2] if w.endswith("'s") else w for w in text.split()}


def _take_tails(args: dict[str, Any], left: list[ArgSlot], tokens: Sequence[str], taken: Sequence[bool],
                now: datetime, ends: dict[str, int], inside: frozenset[int] = frozenset()) -> list[bool]:
    """A reason said after "about" or "because" runs to the end of what the caller said, whatever words it
    holds ("... in billing about a charge i don't recognize"); the slot whose templates lead it in so
    takes it; it runs over the words of `inside` (a value it may hold: a department). Returns the words still
    free."""
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
            while lo < len(tokens) and tokens[lo] in LEAD_INS and tokens[lo] not in _OWNERS:
                lo += 1
            cue = next((k for k in range(lo, min(lo + 3, len(tokens) - 1)) if tokens[k] in _TAIL_CUES), None)
            if cue is not None and tokens[lo - 1] != "to":  # not "i want to [hear about] your plans"
                lo = cue + 1  # "the restaurant manager [about] a catering order": the reason is what it is about
            words = tokens[lo:]
            value = slot.kind.parse(" ".join(words), now) if sum(
                w not in FUNCTION_WORDS and w not in LEAD_INS for w in words) >= 2 else None
            if value is not None:
                assign(args, slot.arg, value)
                left.remove(slot)
                out[i:] = [True] * (len(tokens) - i)
                continue
        cues = slot.before & _TAIL_CUES
        for i, token in enumerate(tokens) if cues else ():
            if token not in cues or out[i] or i + 1 >= len(tokens) or out[i + 1]:
                continue
            j = i + 1
            while j < len(tokens) and (not out[j] or j in inside):
                j += 1  # "about my [mortgage] paperwork": the department named inside the reason stays in it
            hi = j
            while hi > i + 1 and tokens[hi - 1] in LEAD_INS:
                hi -= 1
            lo = i + 1
            if i and tokens[i - 1] in _ASKED_ABOUT and not out[i - 1]:
                lo = i - 1  # "i have [questions about my test results]": what the caller has is the reason
            words = tokens[lo:hi]
            if not any(w not in FUNCTION_WORDS and w not in LEAD_INS for w in words):
                continue
            value = slot.kind.parse(" ".join(words), now)
            if value is None:
                continue
            assign(args, slot.arg, value)
            left.remove(slot)
            for k in range(min(lo, i), j):
                out[k] = True
            break
        if slot in left and (m := _ASKS_FOR_SOMEONE.search(" ".join(tokens))) is not None:
            # "[this isn't working] can you connect me to support": what the caller says before asking is why
            k = len(" ".join(tokens)[:m.start()].split())
            lo = 0
            while lo < k and tokens[lo] in _OPENERS:
                lo += 1
            words = tokens[lo:k]
            if len(words) >= 2 and not any(out[lo:k]) and any(w not in FUNCTION_WORDS and w not in LEAD_INS for w in words):
                value = slot.kind.parse(" ".join(words), now)
                if value is not None:
                    assign(args, slot.arg, value)
                    left.remove(slot)
                    out[lo:k] = [True] * (k - lo)
    return out


_ASKS_FOR_SOMEONE = re.compile(
    r"\b(?:(?:so |and )?(?:can|could|would) you (?:please |just )?|(?:so |and )?please |just )?(?:put|connect|transfer|get|patch|pass|send)"
    r" (?:me|my call)\b|\bi need (?:billing|support|sales|tech support|a human|a person|someone|somebody|an agent|a real person)\b")
"""The words that ask for a person, after which a reason said first ends."""
_OPENERS = frozenset({"hi", "hello", "hey", "yes", "yeah", "um", "uh", "so", "okay", "ok", "well", "oh", "there", "sorry",
                      "look", "listen", "honestly", "alright"})


_ASKED_ABOUT = frozenset({"question", "questions", "problem", "problems", "issue", "issues", "concern", "concerns",
                          "complaint", "query"})


def _name_pair(value: str) -> tuple[str, str]:
    """A first and a last name from the end of the words ("a patient file for me keiko tanaka")."""
    words = value.split()
    return (words[-2], words[-1]) if len(words) >= 2 else (value, "")


def assign(args: dict[str, Any], arg: str | tuple[str, ...], value: Any) -> None:
    """Set one argument, or several at once from a tuple value (a first and a last name)."""
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
_HEADS = frozenset({"party", "meeting"})
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
            if j < len(tokens) and tokens[j] in splits and any(t not in LEAD_INS for t in tokens[i:j]):
                break
        lo, hi = i, j
        while lo < hi and (tokens[lo] in LEAD_INS or tokens[lo] in tool_words):
            lo += 1
        back = max(0, i - 5)
        while back < i and taken[back]:
            back += 1
        if (who := _SOME_OF_US.search(" ".join(tokens[back:lo]))) is not None:
            lo = back + len(" ".join(tokens[back:lo])[:who.start()].split())  # "[one of us has] a peanut allergy"
        while hi > lo and (tokens[hi - 1] in LEAD_INS or tokens[hi - 1] in tool_words) and not (
                tokens[hi - 1] in _HEADS and _modifies(tokens, taken, hi - 1, lo, strong)):
            hi -= 1
        if (i >= 3 and _is_tool_word(tokens[i - 1], strong) and tokens[i - 2] == "to" and taken[i - 3]
                and not taken[i - 1] and hi > lo):
            lo = i - 1  # "... at nine p m to [put the bins out]": a verb after a time's "to" starts what to do
        if hi > lo and hi < len(tokens) and not taken[hi] and (tokens[hi - 1], tokens[hi]) in _PHRASAL:
            hi += 1  # "for a follow up": the particle is part of the words, whatever the tool uses it for
        if any(t not in FUNCTION_WORDS for t in tokens[lo:hi]):
            out.append((" ".join(tokens[lo:hi]), lo, hi))
        i = j
    return out
