"""Build a PocketSphinx language model + pronunciation dictionary for Convonet.

The model is a static mixture of two parts:

* an **in-domain trigram** estimated from the sentences the platform expects
  (generated from intent templates elsewhere), with interpolated Kneser-Ney
  smoothing computed here in Python;
* a **general English bigram** taken from the ``en-us.lm.bin`` shipped in the
  pocketsphinx wheel, restricted to its ``general_vocab_size`` most frequent
  words (renormalised) and pruned to ``max_general_bigrams`` bigrams, so words
  that no template contains (free-text slots such as todo titles) can still be
  recognised.

``P(w|h) = (1 - general_weight) * P_domain(w|h) + general_weight * P_general(w|h)``
is written as a standard back-off ARPA model (listed n-grams are the union of
both parts, back-off weights recomputed so every context sums to one), then
converted to pocketsphinx's binary trie format for fast loading. With
``LMConfig.domain_search`` the in-domain trigram is also written alone
(``domain.bin``, same dictionary), for a decoder's second search.

The dictionary is the union of the vocabulary's CMUdict entries (the dict in
the wheel); words missing from it get a pronunciation from hibari's G2P
(lexicon + OOV network, misaki phonemes mapped to ArpaBet) or are skipped with
a warning.

Results are cached under ``cache_dir/<key>/`` where the key hashes the
normalised sentences, extra words and settings: an unchanged input never
rebuilds. The general part is cached separately (``cache_dir/general-*.npz``).

The pocketsphinx 5.1.1 ARPA writer crashes on the shipped ``en-us.lm.bin``
(header/trie count mismatch), so the binary trie is read directly here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from speech.general_lm import (  # noqa: F401  (re-exported for tests; LOG10_BASE is pocketsphinx's log base)
    LOG10_BASE,
    GeneralModel,
    build_general_model,
    load_general_model,
    read_trie_lm,
)
from speech.hibari import HibariVoice
from speech.lexicon import (  # noqa: F401  (re-exported: this module was their home)
    default_dict_path,
    default_general_lm_path,
    g2p_arpabet,
    load_cmudict,
    misaki_to_arpabet,
    model_dir,
    normalize_text,
    number_to_words,
)
from speech.ngram import (  # noqa: F401
    DomainModel,
    build_domain_model,
    write_mixture_arpa,
)

log = logging.getLogger(__name__)

BUILDER_VERSION = "1"
BOS, EOS = "<s>", "</s>"
_ARPA_FLOOR = -99.0


# ------------------------------------------------------------------- build
@dataclass(frozen=True)
class LMConfig:
    """Knobs of the language model build (all part of the cache key)."""

    general_vocab_size: int = 5000     # 0 disables the general English component
    general_weight: float = 0.05       # mixture weight of the general component
    max_general_bigrams: int = 150000
    g2p_fallback: bool = True          # hibari G2P for words missing from CMUdict
    g2p_variants: bool = True          # hibari's pronunciation of in-domain words as a variant too
    domain_search: bool = False        # also write the in-domain trigram alone (``domain.bin``, a second search)


@dataclass(frozen=True)
class LanguageModel:
    """A built (or cached) model: point a decoder at ``lm_path`` and ``dict_path``."""

    directory: Path
    lm_path: Path
    dict_path: Path
    key: str
    vocab_size: int
    ngram_counts: dict[str, int]
    n_sentences: int
    from_cache: bool
    build_seconds: float
    g2p_words: tuple[str, ...] = ()
    skipped_words: tuple[str, ...] = ()
    config: LMConfig = field(default_factory=LMConfig)
    domain_lm_path: Path | None = None  # the in-domain part alone (LMConfig.domain_search), same dictionary


def cache_key(sentences: Sequence[Sequence[str]], extra_words: Sequence[str], config: LMConfig) -> str:
    """Stable hash of the normalised inputs and settings."""
    h = hashlib.sha256()
    h.update(f"v{BUILDER_VERSION}|{json.dumps(asdict(config), sort_keys=True)}\n".encode())
    for s in sorted(" ".join(x) for x in sentences):
        h.update(s.encode())
        h.update(b"\n")
    h.update(b"\x00")
    for w in sorted(set(extra_words)):
        h.update(w.encode())
        h.update(b"\n")
    return h.hexdigest()[:20]


def _load_result(d: Path) -> LanguageModel:
    meta = json.loads((d / "meta.json").read_text())
    return LanguageModel(
        directory=d, lm_path=d / "lm.bin", dict_path=d / "words.dict", key=meta["key"],
        vocab_size=meta["vocab_size"], ngram_counts=meta["ngram_counts"], n_sentences=meta["n_sentences"],
        from_cache=True, build_seconds=0.0, g2p_words=tuple(meta["g2p_words"]),
        skipped_words=tuple(meta["skipped_words"]), config=LMConfig(**meta["config"]),
        domain_lm_path=d / "domain.bin" if (d / "domain.bin").exists() else None,
    )


def build_language_model(sentences: Iterable[str], cache_dir: str | Path, *, extra_words: Iterable[str] = (),
                         config: LMConfig | None = None, voice: HibariVoice | None = None) -> LanguageModel:
    """Build (or fetch from ``cache_dir``) the LM + dictionary for these sentences.

    ``sentences``: in-domain utterances (any casing/punctuation; digits are spelled).
    ``extra_words``: words that must be recognisable although no sentence has them
    (names, places); they get a unigram floor in the domain part.
    ``voice``: the hibari voice whose G2P reads words CMUdict lacks (`LMConfig.g2p_fallback`,
    `g2p_variants`); without it a build that needs one loads a voice of its own.
    """
    t0 = time.perf_counter()
    config = config or LMConfig()
    cache = Path(cache_dir)
    toks = [t for t in (normalize_text(s) for s in sentences) if t]
    extra = sorted({w for e in extra_words for w in normalize_text(e)})
    if not toks and not extra:
        raise ValueError("no sentences or words to build a language model from")
    key = cache_key(toks, extra, config)
    out_dir = cache / key
    if (out_dir / "meta.json").exists() and (out_dir / "lm.bin").exists():
        return _load_result(out_dir)

    cmu = load_cmudict()
    if voice is None and (config.g2p_fallback or config.g2p_variants):
        voice = HibariVoice()
    prons: dict[str, list[tuple[str, ...]]] = {}
    g2p_words: list[str] = []
    skipped: list[str] = []
    for w in sorted({w for s in toks for w in s} | set(extra)):
        if w in cmu:
            prons[w] = list(cmu[w])
            continue
        phones = g2p_arpabet(voice, w) if voice is not None and config.g2p_fallback else None
        if phones:
            prons[w] = [tuple(phones)]
            g2p_words.append(w)
        else:
            skipped.append(w)
    if voice is not None and config.g2p_variants:
        # CMUdict has one reading of many words where people (and the TTS voice) also say another:
        # "december" as D IY S EH M B ER, "todo" as T AH D UW, "remind" as R AH M AY N D.
        for w in sorted(set(prons) - set(g2p_words)):
            phones = g2p_arpabet(voice, w)
            if phones and tuple(phones) not in prons[w]:
                prons[w].append(tuple(phones))
    if skipped:
        log.warning("no pronunciation for %d word(s), dropped from the LM: %s", len(skipped), ", ".join(skipped[:20]))
        drop = set(skipped)
        toks = [[w for w in s if w not in drop] for s in toks]
        toks = [s for s in toks if s]
        extra = [w for w in extra if w not in drop]

    dom = build_domain_model(toks, extra)
    gen = None
    if config.general_vocab_size > 0 and config.general_weight > 0:
        gen = load_general_model(cache, config.general_vocab_size, config.max_general_bigrams)
        for w in gen.words:
            if w not in prons and w not in (BOS, EOS):
                prons[w] = list(cmu[w])

    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache))
    os.chmod(tmp, 0o755)
    try:
        counts = write_mixture_arpa(tmp / "lm.arpa", dom, gen, config.general_weight)
        _arpa_to_bin(tmp / "lm.arpa", tmp / "lm.bin")
        (tmp / "lm.arpa").unlink()
        if config.domain_search and gen is not None:
            write_mixture_arpa(tmp / "domain.arpa", dom, None, 0.0)
            _arpa_to_bin(tmp / "domain.arpa", tmp / "domain.bin")
            (tmp / "domain.arpa").unlink()
        with open(tmp / "words.dict", "w", encoding="utf-8") as f:
            for w in sorted(prons):
                for i, p in enumerate(dict.fromkeys(prons[w])):
                    f.write(f"{w if i == 0 else f'{w}({i + 1})'} {' '.join(p)}\n")
        meta = {"key": key, "vocab_size": counts["1"], "ngram_counts": counts, "n_sentences": len(toks),
                "g2p_words": g2p_words, "skipped_words": skipped, "config": asdict(config),
                "built_at": time.time(), "builder_version": BUILDER_VERSION}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        try:
            os.replace(tmp, out_dir)
        except OSError:  # another process built it concurrently
            shutil.rmtree(tmp, ignore_errors=True)
            return _load_result(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace(_load_result(out_dir), from_cache=False, build_seconds=time.perf_counter() - t0)


def _arpa_to_bin(arpa: Path, out: Path) -> None:
    """Convert ARPA to pocketsphinx's binary trie (loads ~10x faster)."""
    from pocketsphinx import Config, LogMath, NGramModel

    cfg = Config()
    lmath = LogMath(1.0001)  # keep a reference: the model borrows it
    lm = NGramModel(cfg, lmath, str(arpa))
    lm.write(str(out), NGramModel.str_to_type("bin"))
    del lm, lmath, cfg

