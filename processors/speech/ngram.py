"""N-gram models for PocketSphinx: the wheel's general English LM (read from its binary trie), an in-domain
Kneser-Ney trigram, and their mixture written as ARPA."""


from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from processors.speech.lexicon import default_dict_path, default_general_lm_path, load_cmudict

log = logging.getLogger(__name__)

BUILDER_VERSION = "1"
LOG10_BASE = math.log10(1.0001)  # pocketsphinx trie stores log_1.0001 values
BOS, EOS = "<s>", "</s>"
_ARPA_FLOOR = -99.0




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


# ------------------------------------------------------ in-domain KN trigram
@dataclass
class DomainModel:
    """Interpolated Kneser-Ney trigram in back-off form (natural-log values)."""

    vocab: list[str]
    unigram: dict[str, float]
    bigram: dict[tuple[str, str], float]
    trigram: dict[tuple[str, str, str], float]
    bo1: dict[str, float]
    bo2: dict[tuple[str, str], float]

    def logp(self, w: str, h: Sequence[str]) -> float:
        """Back-off log P(w | h) (h = up to two previous words)."""
        if len(h) >= 2:
            k3 = (h[-2], h[-1], w)
            if k3 in self.trigram:
                return self.trigram[k3]
            return self.bo2.get((h[-2], h[-1]), 0.0) + self.logp(w, h[-1:])
        if len(h) == 1:
            k2 = (h[-1], w)
            if k2 in self.bigram:
                return self.bigram[k2]
            return self.bo1.get(h[-1], 0.0) + self.logp(w, ())
        return self.unigram.get(w, -math.inf)


def _discount(counts: Iterable[int]) -> float:
    c = list(counts)
    n1 = sum(1 for x in c if x == 1)
    n2 = sum(1 for x in c if x == 2)
    if n1 == 0 or n2 == 0:
        return 0.5
    return min(0.9, max(0.1, n1 / (n1 + 2 * n2)))


def build_domain_model(sentences: Sequence[Sequence[str]], extra_words: Iterable[str] = ()) -> DomainModel:
    """Interpolated Kneser-Ney trigram over tokenised sentences (with <s>, </s> added)."""
    c3: dict[tuple[str, str, str], int] = defaultdict(int)
    c2: dict[tuple[str, str], int] = defaultdict(int)
    for s in sentences:
        toks = [BOS, *s, EOS]
        for i in range(1, len(toks)):
            c2[(toks[i - 1], toks[i])] += 1
            if i >= 2:
                c3[(toks[i - 2], toks[i - 1], toks[i])] += 1
    # continuation counts for the lower orders; n-grams starting at <s> keep raw counts
    cc2: dict[tuple[str, str], int] = defaultdict(int)
    for (u, v, w) in c3:
        cc2[(v, w)] += 1
    for (v, w), n in c2.items():
        if v == BOS:
            cc2[(v, w)] = n
    cc1: dict[str, int] = defaultdict(int)
    for (v, w) in cc2:
        cc1[w] += 1
    vocab = sorted({w for (_, w) in c2} | {w for w in extra_words if w} | {EOS})
    d3, d2, d1 = _discount(c3.values()), _discount(cc2.values()), _discount(cc1.values())

    # unigram: KN continuation + uniform floor over the vocabulary
    tot1 = sum(cc1.values()) or 1
    nz = sum(1 for w in vocab if cc1.get(w, 0) > 0)
    lam1 = d1 * nz / tot1
    unif = 1.0 / len(vocab)
    p1 = {w: max(cc1.get(w, 0) - d1, 0.0) / tot1 + lam1 * unif for w in vocab}
    s1 = sum(p1.values())
    p1 = {w: p / s1 for w, p in p1.items()}

    # bigram
    tot2: dict[str, int] = defaultdict(int)
    typ2: dict[str, int] = defaultdict(int)
    for (v, w), n in cc2.items():
        tot2[v] += n
        typ2[v] += 1
    gam2 = {v: d2 * typ2[v] / tot2[v] for v in tot2}
    p2 = {(v, w): max(n - d2, 0.0) / tot2[v] + gam2[v] * p1[w] for (v, w), n in cc2.items()}

    def p2_full(v: str, w: str) -> float:
        if (v, w) in p2:
            return p2[(v, w)]
        return gam2.get(v, 1.0) * p1[w]

    # trigram
    tot3: dict[tuple[str, str], int] = defaultdict(int)
    typ3: dict[tuple[str, str], int] = defaultdict(int)
    for (u, v, w), n in c3.items():
        tot3[(u, v)] += n
        typ3[(u, v)] += 1
    gam3 = {h: d3 * typ3[h] / tot3[h] for h in tot3}
    p3 = {(u, v, w): max(n - d3, 0.0) / tot3[(u, v)] + gam3[(u, v)] * p2_full(v, w) for (u, v, w), n in c3.items()}

    ln = math.log
    return DomainModel(
        vocab=vocab,
        unigram={w: ln(p) for w, p in p1.items()},
        bigram={k: ln(p) for k, p in p2.items()},
        trigram={k: ln(p) for k, p in p3.items()},
        bo1={v: ln(g) for v, g in gam2.items()},
        bo2={h: ln(g) for h, g in gam3.items()},
    )


# ----------------------------------------------------------------- mixture
def _backoff_lookup(sorted_keys: np.ndarray, vals: np.ndarray, query: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """vals for query keys listed in sorted_keys, else the back-off estimate ``fallback``."""
    if sorted_keys.size == 0 or query.size == 0:
        return fallback
    pos = np.minimum(np.searchsorted(sorted_keys, query), sorted_keys.size - 1)
    return np.where(sorted_keys[pos] == query, vals[pos], fallback)


def _logsumexp2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = np.maximum(a, b)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(a - m) + np.exp(b - m))


def write_mixture_arpa(path: Path, dom: DomainModel, gen: GeneralModel | None, general_weight: float) -> dict[str, int]:
    """Write the static mixture of the domain trigram and the general bigram as ARPA.

    Returns the n-gram counts written.
    """
    lw_d = math.log(1.0 - general_weight) if gen is not None else 0.0
    lw_g = math.log(general_weight) if gen is not None and general_weight > 0 else -math.inf
    words: list[str] = [BOS] + [w for w in dom.vocab if w != BOS]
    if gen is not None:
        seen = set(words)
        words += [w for w in gen.words if w not in seen]
    wid = {w: i for i, w in enumerate(words)}
    V = len(words)
    bos = wid[BOS]

    # ---- unigrams
    ud = np.full(V, -np.inf)
    for w, lp in dom.unigram.items():
        ud[wid[w]] = lp
    ug = np.full(V, -np.inf)
    gmap = np.array([wid[w] for w in gen.words], np.int64) if gen is not None else np.zeros(0, np.int64)
    if gen is not None:
        ug[gmap] = gen.unigram
    um = _logsumexp2(ud + lw_d, ug + lw_g)
    um[bos] = -np.inf

    # ---- bigrams: union of both listings
    dk = np.array([wid[v] * V + wid[w] for (v, w) in dom.bigram], np.int64)
    dlp = np.array(list(dom.bigram.values()), np.float64)
    so = np.argsort(dk)
    dk, dlp = dk[so], dlp[so]
    bo_d = np.zeros(V)
    for v, b in dom.bo1.items():
        bo_d[wid[v]] = b
    if gen is not None:
        gk = gmap[gen.bi_ctx] * V + gmap[gen.bi_word]
        glp = gen.bi_logp
        so = np.argsort(gk)
        gk, glp = gk[so], glp[so]
        bo_g = np.zeros(V)
        bo_g[gmap] = gen.backoff
    else:
        gk, glp, bo_g = np.zeros(0, np.int64), np.zeros(0), np.zeros(V)
    keys = np.union1d(dk, gk)
    ctx, wrd = keys // V, keys % V

    bd = _backoff_lookup(dk, dlp, keys, bo_d[ctx] + ud[wrd])
    bg = _backoff_lookup(gk, glp, keys, bo_g[ctx] + ug[wrd])
    bm = _logsumexp2(bd + lw_d, bg + lw_g)
    # back-off weights of the mixture
    pm = np.exp(bm)
    num = 1.0 - np.bincount(ctx, weights=pm, minlength=V)
    den = 1.0 - np.bincount(ctx, weights=np.exp(um[wrd]), minlength=V)
    has_ctx = np.bincount(ctx, minlength=V) > 0
    bom = np.zeros(V)
    bom[has_ctx] = np.log(np.clip(num[has_ctx], 1e-12, None)) - np.log(np.clip(den[has_ctx], 1e-12, None))

    # ---- trigrams (domain only; the general part is a bigram) and their context back-offs
    tri = sorted(dom.trigram.items())
    t_u = np.array([wid[k[0]] for k, _ in tri], np.int64)
    t_v = np.array([wid[k[1]] for k, _ in tri], np.int64)
    t_w = np.array([wid[k[2]] for k, _ in tri], np.int64)
    t_lpd = np.array([lp for _, lp in tri], np.float64)
    t_vw = t_v * V + t_w
    t_lpg = _backoff_lookup(gk, glp, t_vw, bo_g[t_v] + ug[t_w])
    t_lpm = _logsumexp2(t_lpd + lw_d, t_lpg + lw_g) if gen is not None else t_lpd
    t_low = _backoff_lookup(keys, bm, t_vw, bom[t_v] + um[t_w])  # mixture's own bigram estimate
    t_ctx = t_u * V + t_v
    uctx, inv = np.unique(t_ctx, return_inverse=True)
    num3 = 1.0 - np.bincount(inv, weights=np.exp(t_lpm), minlength=uctx.size)
    den3 = 1.0 - np.bincount(inv, weights=np.exp(t_low), minlength=uctx.size)
    bo3 = np.log(np.clip(num3, 1e-12, None)) - np.log(np.clip(den3, 1e-12, None))
    bo2_lookup = dict(zip(uctx.tolist(), bo3.tolist(), strict=False))
    tri_lines = [(f"{k[0]} {k[1]} {k[2]}", p) for (k, _), p in zip(tri, t_lpm.tolist(), strict=False)]

    l10 = 1.0 / math.log(10.0)

    def f(x: float) -> str:
        return f"{max(x * l10, _ARPA_FLOOR):.5f}"

    n1, n2, n3 = V, int(keys.size), len(tri_lines)
    with open(path, "w", encoding="utf-8") as out:
        out.write("\\data\\\n")
        out.write(f"ngram 1={n1}\n")
        out.write(f"ngram 2={n2}\n")
        if n3:
            out.write(f"ngram 3={n3}\n")
        out.write("\n\\1-grams:\n")
        for i, w in enumerate(words):
            p = _ARPA_FLOOR if i == bos else um[i] * l10
            out.write(f"{max(p, _ARPA_FLOOR):.5f} {w} {f(bom[i])}\n")
        out.write("\n\\2-grams:\n")
        lines = []
        for k, c, w_, p in zip(keys.tolist(), ctx.tolist(), wrd.tolist(), bm.tolist(), strict=False):
            b = bo2_lookup.get(k)  # type: ignore[assignment]
            if b is None:
                lines.append(f"{f(p)} {words[c]} {words[w_]}\n")
            else:
                lines.append(f"{f(p)} {words[c]} {words[w_]} {f(b)}\n")
        out.writelines(lines)
        if n3:
            out.write("\n\\3-grams:\n")
            out.writelines(f"{f(p)} {k}\n" for k, p in tri_lines)
        out.write("\n\\end\\\n")
    return {"1": n1, "2": n2, "3": n3}


