"""How alike two names sound: what the recogniser wrote for a name it did not know ("ockeffer", "hauling
forth") against the names on the caller's own records ("Okafor", "Hollingsworth").

A small Metaphone-like key (consonant sounds, the first letter kept, letters that sound alike folded:
"ph" and "f", "ck" and "k", a soft "c" and "s", "z" and "s") compared by edit distance, averaged with
the plain spelling's edit distance, so both a misspelling and a mishearing score close to 1.
"""

from __future__ import annotations

import re
from functools import cache

_FOLDS: tuple[tuple[str, str], ...] = (
    (r"^kn", "n"), (r"^gn", "n"), (r"^pn", "n"), (r"^wr", "r"), (r"^x", "s"),
    (r"ph", "f"), (r"gh(?=[^aeiouy]|$)", ""), (r"sch", "sk"), (r"tch", "x"), (r"ch", "x"), (r"sh", "x"),
    (r"th", "0"), (r"wh", "w"), (r"ck", "k"), (r"qu", "kw"), (r"q", "k"), (r"x", "ks"),
    (r"c(?=[eiy])", "s"), (r"c", "k"), (r"dg", "j"), (r"g(?=[eiy])", "j"), (r"z", "s"), (r"v", "f"),
    (r"w(?![aeiouy])", ""), (r"y(?![aeiou])", ""),
)
_COMPILED = tuple((re.compile(p), r) for p, r in _FOLDS)


@cache
def sound_key(text: str) -> str:
    """The consonant sounds of `text` ("Hollingsworth" -> "hlngswr0"): letters only, the first kept (a
first vowel as "a": "akaffer" and "okafor" start alike)."""
    word = re.sub(r"[^a-z]", "", text.lower())
    if not word:
        return ""
    for pattern, repl in _COMPILED:
        word = pattern.sub(repl, word)
    if not word:
        return ""
    head, rest = ("a" if word[0] in "aeiouy" else word[0]), re.sub(r"[aeiouy]", "", word[1:])
    return re.sub(r"(.)\1+", r"\1", head + rest)


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _similar(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    return 1.0 - _distance(a, b) / max(len(a), len(b))


def sounds_alike(heard: str, name: str) -> float:
    """0..1: how alike `heard` and `name` sound, spaces and case ignored ("hauling forth" and
    "Hollingsworth" ~0.75, "garage sail" and "garage sale" 1.0, "milk" and "bread" ~0)."""
    a, b = re.sub(r"[^a-z]", "", heard.lower()), re.sub(r"[^a-z]", "", name.lower())
    if a == b:
        return 1.0 if a else 0.0
    return (_similar(sound_key(a), sound_key(b)) + _similar(a, b)) / 2
