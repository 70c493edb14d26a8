"""The wheel's general English language model, read from its binary trie (the pocketsphinx 5.1.1 ARPA
writer crashes on it) and cut to a top-N vocabulary bigram: the general part of the recogniser's mixture."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speech.lexicon import default_dict_path, default_general_lm_path, load_cmudict

log = logging.getLogger(__name__)

BUILDER_VERSION = "1"  # part of the general model's cache key
LOG10_BASE = math.log10(1.0001)  # pocketsphinx trie stores log_1.0001 values
BOS, EOS = "<s>", "</s>"


# --------------------------------------------------------- general en-us LM
@dataclass
class GeneralModel:
    """Bigram restricted to a top-N vocabulary; all values natural-log probabilities."""

    words: list[str]            # index -> word; includes <s> and </s>
    unigram: np.ndarray         # log P(w) (log 0 for <s>)
    bi_ctx: np.ndarray          # listed bigram contexts (word index)
    bi_word: np.ndarray         # listed bigram words
    bi_logp: np.ndarray         # log P(w|ctx)
    backoff: np.ndarray         # log backoff weight per context word (0 where none)


def _read_bits(buf: np.ndarray, bit_off: np.ndarray, nbits: int) -> np.ndarray:
    byte = bit_off >> 3
    val = np.zeros(bit_off.size, np.uint64)
    for k in range(8):
        val |= buf[byte + k].astype(np.uint64) << np.uint64(8 * k)
    return ((val >> (bit_off & 7).astype(np.uint64)) & np.uint64((1 << nbits) - 1)).astype(np.int64)


def read_trie_lm(path: str | Path) -> tuple[list[str], np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Read unigrams and bigrams from a pocketsphinx trie ``.lm.bin`` (order >= 2).

    Returns (words, unigram log10 prob, unigram log10 backoff,
    (bigram history, bigram word, log10 prob, log10 backoff)).
    The trie stores n-grams right to left: below each predicted word sit
    its history words.
    """
    data = np.fromfile(path, np.uint8)
    hdr = b"Trie Language Model"
    if data[: len(hdr)].tobytes() != hdr:
        raise ValueError(f"{path}: not a pocketsphinx trie LM")
    off = len(hdr)
    order = int(data[off])
    off += 1
    counts = np.frombuffer(data[off: off + 4 * order].tobytes(), "<u4").astype(np.int64)
    off += 4 * order
    if order < 2:
        raise ValueError("need at least a bigram model")
    off += 4  # legacy quantisation type
    table = 1 << 16
    qsize = ((order - 2) * 2 * table + table) * 4
    quant = np.frombuffer(data[off: off + qsize].tobytes(), "<f4")
    off += qsize
    n1 = int(counts[0])
    ug = np.frombuffer(data[off: off + 12 * (n1 + 1)].tobytes(),
                       dtype=[("prob", "<f4"), ("bo", "<f4"), ("next", "<u4")])
    off += 12 * (n1 + 1)
    word_bits = n1.bit_length()
    if order == 2:
        quant_bits, next_bits = 16, 0
        bi_prob_tab, bi_bo_tab = quant[:table], None
    else:
        quant_bits, next_bits = 32, int(counts[2]).bit_length()
        bi_prob_tab, bi_bo_tab = quant[:table], quant[table: 2 * table]
    total = word_bits + quant_bits + next_bits
    # recompute exactly as lm_trie_alloc_ngram does
    sizes = []
    for i in range(2, order):
        sizes.append(((1 + int(counts[i - 1])) * (word_bits + 32 + int(counts[i]).bit_length()) + 7) // 8 + 8)
    sizes.append(((1 + int(counts[order - 1])) * (word_bits + 16) + 7) // 8 + 8)
    bigram_mem = data[off: off + sizes[0]]
    off += sum(sizes)
    nbytes = int(np.frombuffer(data[off: off + 4].tobytes(), "<i4")[0])
    off += 4
    words = [w.decode("utf-8", "replace") for w in data[off: off + nbytes].tobytes().split(b"\0")[:n1]]

    nexts = ug["next"].astype(np.int64)
    n2 = int(nexts[-1])  # the header count may exceed what the trie holds
    pos = np.arange(n2, dtype=np.int64) * total
    hist = _read_bits(bigram_mem, pos, word_bits)
    if order == 2:
        p = bi_prob_tab[_read_bits(bigram_mem, pos + word_bits, 16)]
        bo = np.zeros(n2, np.float32)
    else:
        q = _read_bits(bigram_mem, pos + word_bits, 32)
        p = bi_prob_tab[q >> 16]
        bo = bi_bo_tab[q & 0xFFFF]  # type: ignore[index]
    pred = np.repeat(np.arange(n1, dtype=np.int64), np.diff(nexts))
    return (words, ug["prob"][:n1].astype(np.float64) * LOG10_BASE, ug["bo"][:n1].astype(np.float64) * LOG10_BASE,
            (hist, pred, p.astype(np.float64) * LOG10_BASE, bo.astype(np.float64) * LOG10_BASE))


_CLEAN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def build_general_model(vocab_size: int, max_bigrams: int, lm_path: str | Path | None = None,
                        dict_words: Iterable[str] | None = None) -> GeneralModel:
    """Restrict the generic LM to its ``vocab_size`` most likely clean words that have
    a CMUdict pronunciation, renormalise, and keep the ``max_bigrams`` bigrams with
    the highest joint probability."""
    words, uni10, bo10, (hist, pred, p10, _bo2) = read_trie_lm(lm_path or default_general_lm_path())
    known = set(dict_words) if dict_words is not None else set(load_cmudict())
    n = len(words)
    ln10 = math.log(10.0)
    uni = uni10 * ln10
    bo = bo10 * ln10
    bip = p10 * ln10
    idx = {w: i for i, w in enumerate(words)}
    cand = [i for i, w in enumerate(words) if _CLEAN_WORD.fullmatch(w) and w in known]
    cand.sort(key=lambda i: -uni[i])
    keep = [*cand[:vocab_size], idx[EOS]]
    bos = idx[BOS]
    in_v = np.zeros(n, bool)
    in_v[keep] = True
    # new ids: <s>, </s>, then words by frequency
    new_words = [BOS, EOS] + [words[i] for i in keep[:-1]]
    new_id = np.full(n, -1, np.int64)
    for j, w in enumerate(new_words):
        new_id[idx[w]] = j

    # unigram restricted + renormalised (<s> is never predicted)
    u = np.exp(uni)
    u_sum = u[in_v].sum()
    uni_new = np.full(len(new_words), -np.inf)
    uni_new[new_id[in_v]] = np.log(u[in_v] / u_sum)

    # bigrams whose history is kept (or <s>) and whose word is kept
    ok = in_v[pred] & (in_v[hist] | (hist == bos))
    h, w, lp = hist[ok], pred[ok], bip[ok]
    # normaliser Z(h) = sum_{w in V} P(w|h) = listed + bo(h) * unlisted unigram mass (original model)
    listed_sum = np.bincount(h, weights=np.exp(lp), minlength=n)
    listed_uni = np.bincount(h, weights=u[w], minlength=n)  # original unigram mass of the listed words
    z = listed_sum + np.exp(bo) * (u_sum - listed_uni)
    z = np.where(z > 0, z, 1.0)
    cond = np.exp(lp) / z[h]

    # prune by joint probability P(h) P(w|h); P(<s>) taken as P(</s>)
    p_hist = np.where(h == bos, u[idx[EOS]] / u_sum, u[h] / u_sum)
    if cond.size > max_bigrams:
        sel = np.argpartition(-(p_hist * cond), max_bigrams)[:max_bigrams]
        h, w, cond = h[sel], w[sel], cond[sel]
    order_ = np.lexsort((w, h))
    h, w, cond = h[order_], w[order_], cond[order_]
    nh, nw = new_id[h], new_id[w]
    # renormalised back-off weights for the kept bigrams
    vnew = len(new_words)
    uni_p = np.exp(uni_new)
    num = 1.0 - np.bincount(nh, weights=cond, minlength=vnew)
    den = 1.0 - np.bincount(nh, weights=uni_p[nw], minlength=vnew)
    has = np.bincount(nh, minlength=vnew) > 0
    backoff = np.zeros(vnew)
    backoff[has] = np.log(np.clip(num[has], 1e-9, None) / np.clip(den[has], 1e-9, None))
    return GeneralModel(new_words, uni_new, nh, nw, np.log(cond), backoff)


def load_general_model(cache_dir: Path, vocab_size: int, max_bigrams: int) -> GeneralModel:
    """Cached :func:`build_general_model` (an ``.npz`` next to the built models)."""
    lm_path = default_general_lm_path()
    st = lm_path.stat()
    key = hashlib.sha256(f"{BUILDER_VERSION}|{vocab_size}|{max_bigrams}|{st.st_size}|{default_dict_path().stat().st_size}"
                         .encode()).hexdigest()[:16]
    path = cache_dir / f"general-{key}.npz"
    if path.exists():
        try:
            z = np.load(path, allow_pickle=False)
            return GeneralModel(list(z["words"]), z["unigram"], z["bi_ctx"], z["bi_word"], z["bi_logp"], z["backoff"])
        except Exception as e:
            log.warning("ignoring unreadable %s: %s", path, e)
    gm = build_general_model(vocab_size, max_bigrams)
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".npz")
    os.close(fd)
    np.savez(tmp, words=np.array(gm.words), unigram=gm.unigram, bi_ctx=gm.bi_ctx, bi_word=gm.bi_word,
             bi_logp=gm.bi_logp, backoff=gm.backoff)
    os.replace(tmp, path)
    return gm
