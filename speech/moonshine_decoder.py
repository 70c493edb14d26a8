"""Moonshine English (tiny or base) run on onnxruntime by the project: the whole utterance, beam search.

The wheel ``moonshine-voice==0.0.55`` ships tiny as two onnxruntime files (``encoder_model.ort``,
``decoder_model_merged.ort``, Hugging Face's export with a key/value cache) and its tokenizer
(``tokenizer.bin``: 32,768 length-prefixed byte strings, "▁" for a space); ``moonshine-cpp==0.1.4``
ships base the same way (its export has no attention-mask inputs, and a tokenizer of 32,000 strings
for 32,768 logits). The shape of the cache (layers, heads, head size) is read from the decoder
session's declared inputs and only the inputs a session declares are fed, so both run through this
code. The package's own C library reads
them greedily, one token at a time, in segments its voice detector cuts, so a pause in the middle of a
sentence ("duty. number four") splits it and the second part is read without the first. Here the
utterance the pipeline's VAD already delimited is read whole, and a beam keeps the `BEAM` likeliest
readings alive instead of one: "is there a table for two to nine at eight" becomes "... tonight at
eight" when the better whole sentence wins over the better next token.

Readings that differ only in spelling, case or punctuation ("December 9th?", "december ninth") are the
same words to everything downstream (`spoken.spoken_transcript`), so their probabilities are summed
before the best is chosen.

Measured on the hand-written dev3 set (220 sentences never used to build the model or the grammar,
hibari voice over the phone line; README "Understanding what callers say"): word error rate 5.3 -> 4.9 % at
1.0x and 7.0 -> 6.3 % at 1.15x; intent 77.3 -> 78.6 % and 73.6 -> 75.0 %.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

START, END = 1, 2
"""Token ids of the decoder's start and end of text."""
TOKENS_PER_SECOND = 6.5
"""Longest reading per second of audio (speech is ~3 tokens a second): a model that loops stops."""
BEAM = 6
"""Readings kept alive at each step (tiny's; `speech.moonshine.MODELS` sets each model's own)."""
SETTLED = 4.0
"""Nats: the search ends when no reading still growing is within this of the best finished one (scores
only fall as tokens are added, so nothing better can come; the margin lets close spellings of the same
words finish and add their probability)."""
THREADS = 1
"""onnxruntime threads per session. The model runs in the server's worker processes, one utterance at a
time each; one thread each leaves the other cores to the calls' audio (and to another worker's reading)."""

_CACHE_KINDS = ("decoder", "encoder")
_PAST = re.compile(r"past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)")


def read_tokenizer(path: Path) -> list[bytes]:
    """The token strings of ``tokenizer.bin``: each a length (one byte, or two as a 7-bit varint) then
    its bytes; tokens 3..258 are the 256 single bytes."""
    data = path.read_bytes()
    tokens: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            n = (n & 127) | (data[i] << 7)
            i += 1
        tokens.append(data[i : i + n])
        i += n
    return tokens


@dataclass(frozen=True)
class Reading:
    """One hypothesis: its text and its log probability (natural log, summed over its tokens)."""

    text: str
    logprob: float


class MoonshineModel:
    """The encoder, the decoder and the tokenizer of one model directory; `read` is thread-safe
    (onnxruntime sessions may be run from several threads).

    ``drop_empty``: `read` leaves out the empty reading (the end of text right after its start) when
    any other finished. Base often scores that reading highest on plain speech (4 of the 220 dev3
    phone utterances came out empty with it kept); tiny keeps it, and reads silence as nothing."""

    def __init__(self, model_dir: Path, *, threads: int = THREADS, beam: int = BEAM,
                 drop_empty: bool = False) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        providers = ["CPUExecutionProvider"]
        self._encoder = ort.InferenceSession(str(model_dir / "encoder_model.ort"), options, providers=providers)
        self._decoder = ort.InferenceSession(str(model_dir / "decoder_model_merged.ort"), options, providers=providers)
        self._outputs = [o.name for o in self._decoder.get_outputs()]
        self._encoder_inputs = {i.name for i in self._encoder.get_inputs()}
        self._decoder_inputs = {i.name for i in self._decoder.get_inputs()}
        self.cache_dims = cache_shape(self._decoder)
        """(layers, heads, head size) of the decoder's cache: tiny (6, 8, 36), base (8, 8, 52)."""
        self.tokens = read_tokenizer(model_dir / "tokenizer.bin")
        """The tokenizer's strings: tiny has one for each of its 32,768 logits, base 32,000 (the rest unused)."""
        self._lock = threading.Lock()
        self.beam = beam
        self.drop_empty = drop_empty

    def text(self, ids: list[int]) -> str:
        raw = b"".join(self.tokens[i] for i in ids if END < i < len(self.tokens))  # base: 32,000 of 32,768
        return raw.decode("utf-8", "replace").replace("\u2581", " ").strip()

    def _step(self, hidden: np.ndarray, samples: int, ids: np.ndarray, past: dict[str, np.ndarray],
              first: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Log probabilities of the next token for each row of ``ids``, and the cache after it. The
        encoder's part of the cache is computed at the first step only and kept as it is."""
        rows = ids.shape[0]
        feed: dict[str, np.ndarray] = {
            "input_ids": ids,
            "encoder_hidden_states": hidden[:rows],
            "use_cache_branch": np.array([not first]),
            **past,
        }
        if "encoder_attention_mask" in self._decoder_inputs:  # tiny's export has it, base's not
            feed = {"encoder_attention_mask": np.ones((rows, samples), np.int64), **feed}
        out = self._decoder.run(None, {k: v for k, v in feed.items() if k in self._decoder_inputs})
        logits = out[0][:, -1, :].astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        logprobs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        cache: dict[str, np.ndarray] = {}
        for name, value in zip(self._outputs[1:], out[1:], strict=True):
            key = name.replace("present", "past_key_values")
            cache[key] = value if first or ".decoder." in name else past[key]
        return logprobs, cache

    def read(self, audio: np.ndarray, beam: int | None = None) -> list[Reading]:
        """The finished readings of ``audio`` (float32 mono at 16 kHz, at least ~0.1 s), best first
        (``beam``: the model's own unless given)."""
        beam = beam or self.beam
        samples = int(audio.size)
        x = audio.astype(np.float32)[None, :]
        inputs = {"input_values": x, "attention_mask": np.ones_like(x, np.int64)}
        hidden = self._encoder.run(None, {k: v for k, v in inputs.items() if k in self._encoder_inputs})[0]
        longest = int(samples / 16000 * TOKENS_PER_SECOND) + 4
        layers, heads, head_dim = self.cache_dims
        empty = {f"past_key_values.{layer}.{kind}.{kv}": np.zeros((1, heads, 0, head_dim), np.float32)
                 for layer in range(layers) for kind in _CACHE_KINDS for kv in ("key", "value")}
        logprobs, cache = self._step(hidden, samples, np.array([[START]], np.int64), empty, True)
        # every beam shares the encoder's cache and hidden states: repeated once, sliced, never reordered
        hidden = np.repeat(hidden, beam, axis=0)
        shared = {k: np.repeat(v, beam, axis=0) for k, v in cache.items() if ".encoder." in k}
        cache = {k: np.repeat(v, beam, axis=0) for k, v in cache.items() if ".decoder." in k}
        alive: list[tuple[list[int], float]] = [([START], 0.0)]
        done: list[tuple[list[int], float]] = []
        for _ in range(longest):
            candidates: list[tuple[float, int, int]] = []
            for r, (_, score) in enumerate(alive):
                top = np.argpartition(-logprobs[r], beam)[:beam]
                candidates.extend((score + float(logprobs[r, t]), r, int(t)) for t in top)
            candidates.sort(reverse=True)
            grown: list[tuple[list[int], float]] = []
            parents: list[int] = []
            for score, r, t in candidates:
                if t == END:
                    done.append((alive[r][0], score))
                else:
                    grown.append((alive[r][0] + [t], score))
                    parents.append(r)
                if len(grown) == beam:
                    break
            best_done = max((s for _, s in done), default=-np.inf)
            grown = [(ids, s) for ids, s in grown if s > best_done - SETTLED]
            if not grown:
                break
            parents = parents[: len(grown)]
            rows = np.asarray(parents, np.int64)  # the cache row each growing reading continues
            past = {k: v[rows] for k, v in cache.items() if ".decoder." in k}
            past.update({k: v[: len(grown)] for k, v in shared.items()})
            alive = grown
            ids = np.array([[b[0][-1]] for b in alive], np.int64)
            logprobs, step_cache = self._step(hidden, samples, ids, past, False)
            cache = {k: v for k, v in step_cache.items() if ".decoder." in k}
        else:
            done.extend(alive)  # out of room: what was still growing is all there is
        readings = sorted((Reading(self.text(ids), s) for ids, s in done), key=lambda r: -r.logprob)
        if self.drop_empty:
            return [r for r in readings if r.text] or readings
        return readings


def cache_shape(decoder: ort.InferenceSession) -> tuple[int, int, int]:
    """(layers, heads, head size) of a decoder's key/value cache, from the inputs it declares
    (``past_key_values.<layer>.<decoder|encoder>.<key|value>`` shaped batch x heads x length x size)."""
    layers: set[int] = set()
    shapes: set[tuple[object, object]] = set()
    for i in decoder.get_inputs():
        m = _PAST.fullmatch(i.name)
        if m:
            layers.add(int(m.group(1)))
            shapes.add((i.shape[1], i.shape[3]))
    if not layers or layers != set(range(len(layers))) or len(shapes) != 1:
        raise ValueError(f"not a Moonshine decoder with a key/value cache: inputs {[i.name for i in decoder.get_inputs()]}")
    heads, size = shapes.pop()
    if not isinstance(heads, int) or not isinstance(size, int):
        raise ValueError(f"the decoder's cache has no fixed heads and size: {heads} x {size}")
    return len(layers), heads, size
