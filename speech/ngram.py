"""N-gram models for PocketSphinx: an in-domain Kneser-Ney trigram, and its mixture with the wheel's
general English bigram (:mod:`speech.general_lm`) written as ARPA."""


from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from speech.general_lm import (  # noqa: F401  (re-exported: this module was their home)
    GeneralModel,
    build_general_model,
    load_general_model,
    read_trie_lm,
)

log = logging.getLogger(__name__)

BOS, EOS = "<s>", "</s>"
_ARPA_FLOOR = -99.0




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
        total: np.ndarray = m + np.log(np.exp(a - m) + np.exp(b - m))
        return total


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


