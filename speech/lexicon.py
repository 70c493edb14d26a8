"""Words for the speech model: the CMU dictionary, text normalisation and a G2P fallback for words it lacks."""


from __future__ import annotations

import logging
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hibari import HibariVoice

log = logging.getLogger(__name__)

BOS, EOS = "<s>", "</s>"
_ARPA_FLOOR = -99.0


# ----------------------------------------------------------------- resources
def model_dir() -> Path:
    """Directory of the pocketsphinx en-us model inside the wheel."""
    from pocketsphinx import get_model_path

    return Path(get_model_path("en-us"))


def default_dict_path() -> Path:
    """The CMUdict shipped with pocketsphinx."""
    return model_dir() / "cmudict-en-us.dict"


def default_general_lm_path() -> Path:
    """The generic US English trigram shipped with pocketsphinx."""
    return model_dir() / "en-us.lm.bin"


@lru_cache(maxsize=4)
def load_cmudict(path: str | None = None) -> dict[str, tuple[tuple[str, ...], ...]]:
    """word -> pronunciations (tuples of ArpaBet phones), variants merged."""
    out: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    with open(path or default_dict_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            word = parts[0]
            if word.endswith(")") and "(" in word:
                word = word[: word.index("(")]
            out[word].append(tuple(parts[1:]))
    return {w: tuple(p) for w, p in out.items()}


# ------------------------------------------------------------ normalisation
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_to_words(n: int) -> str:
    """Spell a non-negative integer (< 10**9) the way people say it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for div, name in ((10**6, "million"), (1000, "thousand")):
        if n >= div:
            rest = n % div
            return number_to_words(n // div) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    raise ValueError(n)


_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*'?")


def normalize_text(text: str) -> list[str]:
    """Lowercase words as the recogniser outputs them: punctuation dropped, digits
    spelled out ("7:30" -> "seven thirty", "4" -> "four"), "&" -> "and"."""
    t = text.lower().replace("&", " and ").replace("’", "'")
    t = re.sub(r"(\d+):(\d\d)", lambda m: f"{m.group(1)} {'o ' if m.group(2).startswith('0') and m.group(2) != '00' else ''}"
               f"{'' if m.group(2) == '00' else int(m.group(2))}", t)
    t = re.sub(r"[-_/]", " ", t)
    words: list[str] = []
    for tok in _TOKEN_RE.findall(t):
        tok = tok.strip("'.")
        if not tok:
            continue
        if tok.isdigit():
            words.extend(number_to_words(int(tok)).split() if len(tok) < 10 else list(map(lambda d: _ONES[int(d)], tok)))
        elif re.fullmatch(r"\d+(st|nd|rd|th)", tok):
            words.extend(_ordinal(int(tok[:-2])).split())
        else:
            words.append(tok)
    return words


def _ordinal(n: int) -> str:
    special = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
               "nine": "ninth", "twelve": "twelfth"}
    words = number_to_words(n).split()
    last = words[-1]
    if last in special:
        words[-1] = special[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


# --------------------------------------------------------------- G2P fallback
_MISAKI_TO_ARPA: dict[str, str] = {
    "ɑ": "AA", "ɒ": "AA", "a": "AA", "æ": "AE", "ə": "AH", "ʌ": "AH", "ɐ": "AH", "ᵊ": "AH", "ɔ": "AO",
    "W": "AW", "I": "AY", "ɛ": "EH", "e": "EH", "ɜ": "ER", "ɚ": "ER", "A": "EY", "ɪ": "IH", "ᵻ": "IH",
    "ɨ": "IH", "i": "IY", "O": "OW", "o": "OW", "Q": "OW", "Y": "OY", "ʊ": "UH", "u": "UW",
    "b": "B", "ʧ": "CH", "d": "D", "ð": "DH", "f": "F", "ɡ": "G", "g": "G", "h": "HH", "ʤ": "JH", "k": "K",
    "l": "L", "m": "M", "n": "N", "ŋ": "NG", "p": "P", "ɹ": "R", "r": "R", "s": "S", "ʃ": "SH", "t": "T",
    "T": "T", "ɾ": "T", "ʔ": "T", "θ": "TH", "v": "V", "w": "W", "j": "Y", "z": "Z", "ʒ": "ZH", "x": "K",
    "ç": "HH",
}


def misaki_to_arpabet(phonemes: str) -> list[str]:
    """Convert a misaki (hibari/Kokoro) phoneme string to ArpaBet phones."""
    out: list[str] = []
    for ch in phonemes:
        ph = _MISAKI_TO_ARPA.get(ch)
        if ph is None:
            continue  # stress marks, length, punctuation, combining marks
        if ph == "R" and out and out[-1] in ("AH", "ER"):
            out[-1] = "ER"  # "əɹ" / "ɜɹ" -> ER
            continue
        out.append(ph)
    return out


def g2p_arpabet(voice: HibariVoice, word: str) -> list[str] | None:
    """ArpaBet pronunciation for a word missing from CMUdict, via the hibari `voice`'s G2P."""
    try:
        ps = voice.phonemize(word)
    except Exception as e:
        log.warning("G2P unavailable for %r: %s", word, e)
        return None
    phones = misaki_to_arpabet(ps)
    return phones or None


