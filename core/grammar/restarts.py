"""What a caller takes back or says twice: "thursday no wait friday at two" means "friday at two"."""

from __future__ import annotations

import re

from core.grammar.numbers import ONES, TENS

_RESTART = re.compile(r"\b(?:sorry i mean|no sorry|sorry no|i mean|no wait|wait no|no no|or rather|make that|actually make it"
                      r"|actually no|no make it|no actually|no scratch that|scratch that)\b")
_RESTATED = re.compile(r"^(?:(?:it's|it is|its|that's|that is|i meant?|rather|actually|make it|make that) )+")
"""Words that lead the corrected value without being part of it: "eleanor no sorry it's elinor"."""
_SCALES = frozenset({"hundred", "thousand", "million"})
_REPEAT = re.compile(r"\b(?!(?:" + "|".join((*ONES, *TENS[2:], "oh", "double", "hundred", "thousand")) + r")\b)(\w+)( \1\b)+")
"""A word said twice in a row ("for for two") once; numbers excepted ("five five five", "twenty twenty six")."""
_FILLER_WORDS = re.compile(r"\b(?:um+|uh+m*|er+|erm|hmm+|mm+|ah+|like you know|you know|i guess|basically|kinda"
                           r"|(?:i )?(?:keep|kept|always|often) (?:on )?forget(?:ting)? (?:to|about)"
                           r"|(?:(?:i am|i'm|im) )?(?:so |terribly |really )?sorry to (?:(?:bother|trouble) you|be a (?:bother|pain|nuisance))(?: but)?)\b")
""""I keep forgetting to ...": what follows is the thing itself, not part of its name."""


def _word_class(word: str) -> str:
    from core.grammar.intents import _kind

    kind = _kind(word)
    return kind if kind.startswith("<") else word


_WEIGHT_FIRST = re.compile(r"^(?:so |okay |ok |alright )?(?:this|it)(?: one)?(?:'s| is) (?:a )?(?:really |very |super |pretty )?"
                           r"(important|urgent|high priority|low priority)(?: one)? (?=\w+ \w)")


def _weight_last(text: str) -> str:
    """"this one's really important, remind me ..." -> "remind me ... it is important": how much a request
    matters, said before it, as callers say it after it."""
    m = _WEIGHT_FIRST.match(text)
    return f"{text[m.end():]} it is {m[1]}" if m else text


def _sorry_between_values(text: str) -> str:
    """"six p m sorry six thirty": a bare "sorry" between two values of one kind takes the first back
    (marked as "sorry i mean" for the rule below); "sorry to bother you" is no restart."""
    words = text.split()
    for i, word in enumerate(words[1:-1], 1):
        kind = _word_class(words[i + 1])
        if word == "sorry" and kind.startswith("<") and any(_word_class(w) == kind for w in words[max(0, i - 3):i]):
            words[i] = "sorry i mean"
    return " ".join(words)


def resolve_restarts(text: str) -> str:
    """"thursday no wait friday at two" -> "friday at two"; "for for two" -> "for two"; fillers dropped."""
    t = _FILLER_WORDS.sub(" ", text)
    t = _REPEAT.sub(r"\1", " ".join(t.split()))
    t = _weight_last(_sorry_between_values(t))
    start = 0
    while (m := _RESTART.search(t, start)) is not None:
        before, after = t[: m.start()].split(), t[m.end():].split()
        if not before and m[0] in ("actually make it", "make that"):
            start = m.end()  # nothing said yet to take back: "actually make it five of us" asks for a change
            continue
        after = _RESTATED.sub("", " ".join(after)).split() if before else after
        if not after:
            t = " ".join(before)
            break
        kind = _word_class(after[1] if len(after) > 1 and after[0] in ("a", "an") and after[1] in _SCALES else after[0])
        cut = next((i for i in range(len(before) - 1, -1, -1) if _word_class(before[i]) == kind), None)
        if cut is None and kind.startswith("<"):
            cut = next((i for i in range(len(before) - 1, -1, -1) if _word_class(before[i]).startswith("<")), None)
        if cut is None and _NAME_SAID.search(" ".join(before)) and not kind.startswith("<"):
            cut = len(before) - 1  # "my name is eleanor no sorry elinor": the name said last is taken back
        while cut:  # the whole value is replaced: "one hundred and twelve thousand" by "a hundred and fifteen thousand"
            if _word_class(before[cut - 1]) == _word_class(before[cut]):
                cut -= 1
            elif cut > 1 and before[cut - 1] == "and" and _word_class(before[cut - 2]) == "<num>" == _word_class(before[cut]):
                cut -= 2
            else:
                break
        t = " ".join((before[:cut] if cut is not None else before) + after)
    return t


_NAME_SAID = re.compile(r"\b(?:name is|name's|names|i am|i'm|this is|call me) \w+$")
"""A name said just before a restart: the one word the caller takes back."""
