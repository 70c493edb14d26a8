"""The relaxed second pass for requests no template matches word for word.

It retries the exact matcher on variants of the utterance: common synonyms rewritten to the words the
templates use ("jot down" -> "add", "group" -> "team"), then with one or two words left out ("how's my
loan application *looking*"). Each change lowers the reading's confidence, so an exact reading of
another template always wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import combinations

from core.grammar.dates import MONTHS, WEEKDAYS
from core.grammar.numbers import ONES, ORDINAL_WORDS, TENS

SYNONYMS: dict[str, str] = {
    # verbs
    "jot down": "add", "note down": "add", "write down": "add", "put down": "add", "stick": "put",
    "throw away": "delete", "throw out": "delete", "toss": "delete", "ditch": "delete", "scrap": "delete",
    "trash": "delete", "drop": "delete", "erase": "delete", "get rid of": "delete",
    "bump up": "change", "bump": "change", "raise": "change", "lower": "change", "switch": "change",
    "modify": "change", "alter": "change", "push back": "move", "bring forward": "move",
    "spin up": "create", "kick off": "start", "set up": "create", "open up": "open",
    "pull up": "show", "bring up": "show", "read out": "read", "give me": "show me", "tell me": "show me",
    "ping me": "remind me", "nudge me": "remind me", "give me a nudge": "remind me", "give me a heads up": "remind me",
    "wipe out": "delete", "wipe": "delete", "alert me": "remind me", "notify me": "remind me",
    "do not let me forget": "remind me", "make sure i remember": "remind me", "remind me that i need": "remind me",
    "sign me up": "register me", "sign up": "register", "enroll me": "register me",
    "reach": "talk to", "get through to": "talk to", "get hold of": "talk to", "chat with": "talk to",
    "speak with": "talk to", "speak to": "talk to", "talk with": "talk to",
    "look for": "search for", "hunt for": "search for", "locate": "find",
    "reserve": "book", "grab": "book", "bring home": "make", "take home": "make", "pull in": "make",
    "what have i got": "what do i have", "what is going on": "what is happening",
    # nouns
    "group": "team", "human being": "person", "somebody": "someone",
    "to do list": "todo list", "todo items": "todos", "chores": "todos", "checklist": "todo list",
    "openings": "availability", "spots": "availability", "slots": "availability", "vacancies": "availability",
    "paperwork": "documents", "papers": "documents", "docs": "documents",
    "appt": "appointment", "doc": "doctor", "physician": "doctor", "gp": "doctor",
    "mtg": "meeting", "meetings": "meetings", "gatherings": "events",
    "booking": "reservation", "bookings": "reservations",
    # how a quick "what're" comes out of the recogniser (heard so on generated phone audio)
    "where my": "what are my",
    # small connectors
    "around about": "around", "at about": "at", "at around": "at", "approximately": "about",
    "please": "", "for me": "", "real quick": "", "right away": "", "asap": "",
}
def _synonym_re() -> re.Pattern[str]:
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(SYNONYMS, key=len, reverse=True)) + r")\b")


_SYNONYM_RE = _synonym_re()


def add_synonyms(words: dict[str, str]) -> None:
    """A domain's own words for what its templates say ("a home loan" for a loan the templates name)."""
    global _SYNONYM_RE
    clash = {k: v for k, v in words.items() if SYNONYMS.get(k, v) != v}
    if clash:
        raise ValueError(f"synonyms already mean something else: {clash}")
    SYNONYMS.update(words)
    _SYNONYM_RE = _synonym_re()
_MAX_DROPS = 2
_MAX_WORDS = 18
_DECAY = 0.85


def with_synonyms(text: str) -> str:
    """Rewrite common synonyms to the template vocabulary."""
    return re.sub(r"\s+", " ", _SYNONYM_RE.sub(lambda m: SYNONYMS[m.group(1)], text)).strip()


FUNCTION_WORDS = frozenset(
    {
        "a", "an", "the", "my", "our", "your", "i", "me", "we", "you", "to", "for", "on", "at", "in", "of",
        "is", "are", "am", "be", "do", "does", "have", "has", "what", "which", "who", "when", "how", "and",
        "or", "it", "that", "this", "there", "any", "some", "up", "with", "from", "as", "can", "could",
        "would", "will", "just", "about", "so"
    }
)
_CONTENT_DROP = 2.5
_VALUE_WORDS = frozenset((*ONES[2:], "zero", *TENS[2:], "hundred", "thousand", "noon", "midnight", "am", "pm",
                          *WEEKDAYS, *MONTHS, *ORDINAL_WORDS, "today", "tonight", "tomorrow"))
"""Words that carry a value (a clock time, a count, a day of the month): leaving one out changes what the caller
asked for ("friday at two about the budget" is not "friday at about the budget", "the ninth of december" is not
"the of december"), so the relaxed pass keeps them."""


def _inside_a_date(tokens: list[str], i: int) -> bool:
    """Whether word `i` joins a day of the month to its month ("the ninth [of] december")."""
    return tokens[i] == "of" and 0 < i < len(tokens) - 1 and tokens[i - 1] in ORDINAL_WORDS and tokens[i + 1] in MONTHS


def variants(text: str, content: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    """Relaxed forms of normalised `text` with what each change costs, cheapest first.

    A synonym rewrite costs 1; leaving out a word costs 1, or more for a word in `content` (the
    templates' own content words, such as "reservations"), so "what reservations do i have coming up"
    loses "coming up" rather than "reservations"."""
    rewritten = with_synonyms(text)
    bases = [(text, 0.0)] + ([(rewritten, 1.0)] if rewritten != text else [])
    costs: dict[str, float] = {}
    for base, base_cost in bases:
        costs[base] = min(costs.get(base, base_cost), base_cost)
        tokens = base.split(" ")
        if len(tokens) > _MAX_WORDS:
            continue
        weights = [_CONTENT_DROP if t in content and t not in FUNCTION_WORDS else 1.0 for t in tokens]
        droppable = [i for i, t in enumerate(tokens) if t not in _VALUE_WORDS and not t[:1].isdigit()
                     and not _inside_a_date(tokens, i)]
        for drops in range(1, _MAX_DROPS + 1):
            if len(tokens) - drops < 2:
                break
            for gone in combinations(droppable, drops):
                candidate = " ".join(t for i, t in enumerate(tokens) if i not in gone)
                cost = base_cost + sum(weights[i] for i in gone)
                if cost < costs.get(candidate, float("inf")):
                    costs[candidate] = cost
    return sorted(((v, c) for v, c in costs.items() if v != text or c == 0), key=lambda vc: vc[1])


def best_relaxed(
    text: str, attempt: Callable[[str], tuple[float, object] | None], content: frozenset[str] = frozenset()
) -> tuple[float, object] | None:
    """The best reading over all variants; `attempt` returns (confidence, reading) or None."""
    best: tuple[float, object] | None = None
    for variant, cost in variants(text, content):
        if best is not None and best[0] >= _DECAY**cost:
            break
        found = attempt(variant)
        if found is None:
            continue
        score = found[0] * (_DECAY**cost)
        if best is None or score > best[0]:
            best = (score, found[1])
    return best
