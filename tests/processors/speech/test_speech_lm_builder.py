"""Language-model builder: files, caching, pronunciations, the trie reader."""

import math
import time
from pathlib import Path

import pytest

from speech import lm_builder as lb
from tests.voice import VOICE

SENTENCES = ["create a high priority todo to buy milk tomorrow", "what's on my calendar next Friday?",
             "Book a table for 4 at 7:30", "transfer me to a person", "my email is bob at convonet dot com"]


def test_normalize_text() -> None:
    assert lb.normalize_text("Book a table for 4 at 7:30!") == ["book", "a", "table", "for", "four", "at", "seven", "thirty"]
    assert lb.normalize_text("What's on my calendar?") == ["what's", "on", "my", "calendar"]
    assert lb.normalize_text("on the 21st") == ["on", "the", "twenty", "first"]
    assert lb.normalize_text("at 9:05") == ["at", "nine", "o", "five"]
    assert lb.number_to_words(450000) == "four hundred fifty thousand"


def test_misaki_to_arpabet() -> None:
    assert lb.misaki_to_arpabet("plˈʌməɹ") == ["P", "L", "AH", "M", "ER"]
    assert lb.misaki_to_arpabet("hˈænɑk") == ["HH", "AE", "N", "AA", "K"]
    assert lb.misaki_to_arpabet("tədˈu") == ["T", "AH", "D", "UW"]


def test_build_writes_files_and_caches(tmp_path: Path) -> None:
    cfg = lb.LMConfig(general_vocab_size=2000, max_general_bigrams=20000)
    t0 = time.perf_counter()
    lm = lb.build_language_model(SENTENCES, tmp_path, voice=VOICE, extra_words=["Hanok"], config=cfg)
    assert time.perf_counter() - t0 < 30
    assert not lm.from_cache
    assert lm.lm_path.is_file() and lm.lm_path.stat().st_size > 1000
    assert lm.lm_path.read_bytes()[:19] == b"Trie Language Model"
    words = {line.split()[0] for line in lm.dict_path.read_text().splitlines()}
    for w in ("todo", "what's", "seven", "thirty", "convonet", "hanok", "the", "people"):
        assert w in words, w
    assert "convonet" in lm.g2p_words and "hanok" in lm.g2p_words  # not in CMUdict: hibari G2P
    assert lm.ngram_counts["3"] > 0 and lm.vocab_size > 2000

    again = lb.build_language_model(list(reversed(SENTENCES)), tmp_path, extra_words=["Hanok"], config=cfg)
    assert again.from_cache and again.key == lm.key and again.lm_path == lm.lm_path

    changed = lb.build_language_model([*SENTENCES, "cancel my appointment"], tmp_path, voice=VOICE, extra_words=["Hanok"],
                                      config=cfg)
    assert not changed.from_cache and changed.key != lm.key
    assert len(list(tmp_path.glob("general-*.npz"))) == 1  # general part built once


def test_lm_loads_in_pocketsphinx_and_prefers_domain(tmp_path: Path) -> None:
    from pocketsphinx import Config, LogMath, NGramModel

    lm = lb.build_language_model(SENTENCES, tmp_path, voice=VOICE, config=lb.LMConfig(general_vocab_size=2000,
                                                                         max_general_bigrams=20000))
    lmath = LogMath(1.0001)
    model = NGramModel(Config(), lmath, str(lm.lm_path))
    # NGramModel.prob takes [word, history...] (most recent history first)
    in_domain = model.prob(["milk", "buy", "to"])
    general = model.prob(["bread", "buy", "to"])
    assert in_domain > general


@pytest.mark.parametrize("history", [[], ["to"], ["todo", "priority"], ["the", "plumber"]])
def test_mixture_is_normalised(tmp_path: Path, history: list[str]) -> None:
    """Sum over the vocabulary of P(w | history) is one, as pocketsphinx scores it."""
    from pocketsphinx import Config, LogMath, NGramModel

    lm = lb.build_language_model(SENTENCES, tmp_path, voice=VOICE, config=lb.LMConfig(general_vocab_size=1500,
                                                                         max_general_bigrams=15000))
    lmath = LogMath(1.0001)
    model = NGramModel(Config(), lmath, str(lm.lm_path))
    vocab = {line.split()[0] for line in lm.dict_path.read_text().splitlines() if "(" not in line.split()[0]}
    hist = list(reversed(history))  # most recent first
    total = sum(10 ** (model.prob([w, *hist]) * lb.LOG10_BASE) for w in [*vocab, "</s>"])
    assert abs(total - 1.0) < 1e-3, total


def test_domain_only_model(tmp_path: Path) -> None:
    lm = lb.build_language_model(SENTENCES, tmp_path, voice=VOICE, config=lb.LMConfig(general_vocab_size=0))
    assert lm.vocab_size < 50


def test_empty_input_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        lb.build_language_model(["", "  ", "!!"], tmp_path)


def test_trie_reader_matches_pocketsphinx() -> None:
    """Our reader of the shipped en-us.lm.bin agrees with pocketsphinx's own scoring."""
    from pocketsphinx import Config, LogMath, NGramModel

    words, uni, _bo, (hist, pred, p10, _bo2) = lb.read_trie_lm(lb.default_general_lm_path())
    assert len(words) == 72547
    lmath = LogMath(1.0001)
    model = NGramModel(Config(), lmath, str(lb.default_general_lm_path()))
    wid = {w: i for i, w in enumerate(words)}
    for w in ("the", "milk", "plumber"):
        assert abs(model.prob([w]) * lb.LOG10_BASE - uni[wid[w]]) < 1e-3
    import numpy as np

    for h, w in (("of", "the"), ("buy", "milk"), ("call", "the")):
        sel = np.nonzero((hist == wid[h]) & (pred == wid[w]))[0]
        assert sel.size == 1
        assert abs(model.prob([w, h]) * lb.LOG10_BASE - p10[sel[0]]) < 1e-3, (h, w)


def test_general_model_is_normalised() -> None:
    import numpy as np

    gm = lb.build_general_model(1000, 10000)
    uni = np.exp(gm.unigram)
    assert math.isclose(uni.sum(), 1.0, rel_tol=1e-6)
    for ctx in np.unique(gm.bi_ctx)[:20]:
        m = gm.bi_ctx == ctx
        total = np.exp(gm.bi_logp[m]).sum() + np.exp(gm.backoff[ctx]) * (1 - uni[gm.bi_word[m]].sum())
        assert math.isclose(total, 1.0, rel_tol=1e-6)
