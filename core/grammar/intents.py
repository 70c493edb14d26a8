"""Which tool a request is about, when no template reads it word for word: a naive Bayes intent model.

It is trained when first used (well under a second) from the same sentence grammar the parser and the
speech model use: every phrasing of every template, slot values replaced by their kind (`<num>`,
`<day>`, `<time>`), free-text slots left out. Words are reduced to a crude stem and mapped through the
relaxed pass's synonyms, so "booked", "bookings" and "reserve" meet "book". It scores single words and
word pairs; words it never saw in training (a todo's title, a person's name) carry no weight.

`rank` gives each tool's posterior and `evidence`: how much the sentence's content words favour that
tool over the average tool (in nats), so a sentence made of words no template uses ("what is the
weather like") is recognised as about nothing.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.grammar import slots
from core.grammar.dates import _MONTH_NUM, WEEKDAYS
from core.grammar.fuzzy import FUNCTION_WORDS, with_synonyms
from core.grammar.numbers import ONES, ORDINAL_WORDS, SCALES, TENS
from core.grammar.slots import SLOT_TYPES
from core.grammar.templates import Template, flatten
from core.grammar.text import normalize, strip_fillers
from core.grammar.vocab import EVERYDAY_THINGS

_NUM = frozenset((*ONES, *TENS[2:], "hundred", *SCALES, "k", "grand", "dollars", "bucks", "percent", "point"))
_DAY = frozenset((*WEEKDAYS, *_MONTH_NUM, *ORDINAL_WORDS, "today", "tomorrow", "tonight", "weekend", "tmrw", "thanksgiving",
                  "christmas", "halloween"))
_TOD = frozenset(("am", "pm", "noon", "midnight", "oclock", "morning", "afternoon", "evening", "night"))
_SLOT_PLACE = re.compile(r"\{(\w+)\}")
_WEAK = frozenset({
    "go", "going", "get", "gett", "got", "like", "want", "need", "know", "think", "ask", "tell", "say", "was",
    "were", "been", "be", "being", "did", "last", "please", "thank", "thanks", "okay", "ok", "yes", "no", "one",
    "right", "now", "well", "really", "let", "make", "take", "put", "see", "look", "something", "thing", "again",
    "time", "keep", "app",
})
"""Words too common in everyday talk to count as evidence that a sentence is about any tool."""
_ALPHA = 0.2
_PAIR_WEIGHT = 0.6
_AT_MEAN = 0.3
"""Around the average tool's use of a word (nats), its evidence for a tool grows from none to all: half at
the average, all at 0.15 above. A hard cut at the average made a tool's evidence jump whenever another
tool's phrasings moved the average a hair."""


def _stem(word: str) -> str:
    """A crude stem that puts "booked", "bookings" and "book", or "value" and "valued", together."""
    if word.endswith("'s"):
        word = word[:-2]
    if word.startswith("<") or len(word) <= 4 or word in FUNCTION_WORDS:
        return word
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: len(word) - len(suffix)] + repl
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


_word_classes: dict[int, tuple[dict[str, str], frozenset[str]]] = {}


def _classes() -> tuple[dict[str, str], frozenset[str]]:
    """Each lexicon word's class, and every class, from the registered slot types (`SlotType.lexicon`)."""
    key = slots.version()
    built = _word_classes.get(key)
    if built is None:
        words: dict[str, str] = {}
        for kind in SLOT_TYPES.values():
            if kind.word_class:
                for word in kind.lexicon:
                    words.setdefault(word, kind.word_class)
        names = frozenset((*(k.word_class for k in SLOT_TYPES.values() if k.word_class), "<code>"))
        _word_classes.clear()
        built = _word_classes[key] = (words, names)
    return built


def lexical() -> frozenset[str]:
    """Word classes that are evidence of a tool on their own (a symptom word says "clinic")."""
    return _classes()[1]
_EVERYDAY_SLOTS = frozenset({"title", "message", "event_title", "ref", "text"})
"""Free-text slots filled in training with everyday errands and events (see `EVERYDAY_THINGS`)."""


def _kind(word: str, previous: str = "") -> str:
    if word.startswith("<"):
        return word
    if (name := _classes()[0].get(word)) is not None:
        return name
    if word in ("am", "pm") and previous != "<num>":
        return word
    if word[0].isdigit() or word.startswith("$") or word in _NUM:
        return "<num>"
    if word in _DAY:
        return "<day>"
    if word in _TOD:
        return "<time>"
    if "@" in word:
        return "<email>"
    return _stem(word)


_UNIT = r"(?:[a-z0-9]|zero|one|two|three|four|five|six|seven|eight|nine|oh)"
_CODE = re.compile(rf"\bh ?t[ -]?{_UNIT}(?: ?{_UNIT}){{3}}\b")
"""A reservation's confirmation code as said ("h t four k two p"): the intent model's `<code>`."""


def tokens(text: str) -> list[str]:
    """The words a normalised sentence is scored on: synonyms rewritten, slot values as their kind, stems."""
    out: list[str] = []
    for word in _CODE.sub(" <code> ", with_synonyms(strip_fillers(text))).split():
        token = _kind(word, out[-1] if out else "")
        if token == "<num>" and out and out[-1] == "<num>":
            continue
        out.append(token)
    return out


def features(token_list: Sequence[str]) -> list[tuple[str, float]]:
    """Single words (function words count half) and neighbouring pairs."""
    feats = [(t, 0.5 if t in FUNCTION_WORDS else 1.0) for t in token_list]
    feats += [(f"{a}_{b}", _PAIR_WEIGHT) for a, b in itertools.pairwise(token_list)]
    return feats


@dataclass(frozen=True)
class Ranked:
    """One tool's score for a sentence."""

    tool: str
    probability: float
    evidence: float


class IntentModel:
    """Multinomial naive Bayes over `features`, one class per tool, uniform prior."""

    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for text, tool in examples:
            for feat, weight in features(tokens(text)):
                counts[tool][feat] += weight
        self._vocab = frozenset(f for c in counts.values() for f in c)
        size = len(self._vocab)
        self._log: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        for tool, c in counts.items():
            # every tool's counts scaled to the same total, so a tool with many phrasings is no likelier
            scale = 1000.0 / max(sum(c.values()), 1e-9)
            total = 1000.0 + _ALPHA * size
            self._log[tool] = {f: math.log((n * scale + _ALPHA) / total) for f, n in c.items()}
            self._unseen[tool] = math.log(_ALPHA / total)
        self.tools: tuple[str, ...] = tuple(sorted(counts))
        self._mean: dict[str, tuple[float, float]] = {}

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every feature seen in training."""
        return self._vocab

    def unexplained(self, text: str) -> tuple[list[str], list[str]]:
        """The sentence's content words no tool's phrasings use (a "wine" or a "carpet"), and those some do (a
        value's kind, such as a day or a priority, among them)."""
        content = [t for t in dict.fromkeys(tokens(normalize(text))) if t not in FUNCTION_WORDS and t not in _WEAK
                   and len(t) > 2]
        return ([t for t in content if t not in self._vocab and not t.startswith("<")],
                [t for t in content if t in self._vocab or t.startswith("<")])

    def known(self, text: str) -> list[str]:
        """The sentence's features the model has seen (what its decision rests on)."""
        return [f for f, _ in features(tokens(text)) if f in self._vocab]

    def rank(self, text: str, tools: Collection[str] | None = None) -> list[Ranked]:
        """Tools by posterior, best first (only `tools` when given)."""
        toks = tokens(normalize(text))
        feats = [(f, w) for f, w in features(toks) if f in self._vocab]
        candidates = [t for t in self.tools if tools is None or t in tools]
        if not candidates:
            return []
        scores = {t: sum(w * self._log[t].get(f, self._unseen[t]) for f, w in feats) for t in candidates}
        top = max(scores.values())
        norm = top + math.log(sum(math.exp(s - top) for s in scores.values()))
        content = [t for t in dict.fromkeys(toks) if t in self._vocab and t not in FUNCTION_WORDS and t not in _WEAK
                   and (not t.startswith("<") or t in lexical())]
        ranked = [Ranked(t, math.exp(s - norm), self._support(t, content)) for t, s in scores.items()]
        return sorted(ranked, key=lambda r: -r.probability)

    def _support(self, tool: str, content: Sequence[str]) -> float:
        """How much the sentence's content words say it is about `tool` or its kin (nats): each word the tool
        uses at least as often as the average tool counts as much as the word is specific to any tool
        ("reminder" counts for setting one as much as for deleting one); near the average, in part (`_AT_MEAN`)."""
        total = 0.0
        for word in content:
            mean, specific = self._word_stats(word)
            above = self._log[tool].get(word, self._unseen[tool]) - mean
            total += specific * min(1.0, max(0.0, 0.5 + above / _AT_MEAN))
        return total

    def _word_stats(self, word: str) -> tuple[float, float]:
        """A word's mean log-probability over the tools, and how far above it the likeliest tool puts it."""
        stats = self._mean.get(word)
        if stats is None:
            logs = [self._log[t].get(word, self._unseen[t]) for t in self.tools]
            top = max(logs)
            mean = top + math.log(sum(math.exp(v - top) for v in logs) / len(logs))
            stats = self._mean[word] = (mean, top - mean)
        return stats


def training_sentences(templates: Iterable[Template], now: datetime, seed: int = 0,
                       phrasings: int = 64) -> list[tuple[str, str]]:
    """Each template's phrasings with typed slots filled by example values and free text left out. Each
    template draws its values from its own seeded stream, so adding or changing one template leaves what
    every other one teaches as it was."""
    rng = random.Random(seed)

    def fill(match: re.Match[str]) -> str:
        kind = SLOT_TYPES[match[1]]
        if kind.word_class and kind.free_text:
            return kind.word_class
        if kind.name in _EVERYDAY_SLOTS:
            return rng.choice(EVERYDAY_THINGS)
        if kind.free_text:
            return ""
        return kind.phrase(rng.choice(list(kind.examples(now))), now, rng)

    out: list[tuple[str, str]] = []
    for template in templates:
        rng.seed(f"{seed}:{template.tool}:{template.pattern}")
        for pattern in flatten(template, phrasings):
            out.append((normalize(_SLOT_PLACE.sub(fill, pattern)), template.tool))
    return out
