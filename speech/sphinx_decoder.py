"""Streaming PocketSphinx recogniser for 8 kHz (phone) and 16 kHz (browser) PCM.

One :class:`SphinxStream` per call/connection (a pocketsphinx ``Decoder`` holds
utterance state and is not thread-safe). Feed 16-bit mono PCM in any chunk
size (a Pipecat STTService feeds 20 ms frames) and get back
:class:`SpeechEvent` items:

* ``partial`` - interim hypothesis while the caller speaks (throttled);
* ``final``   - hypothesis at end of utterance.

End of utterance comes either from the built-in endpointer (pocketsphinx's
WebRTC-style VAD, ``endpointing=True``) or from the caller via
:meth:`SphinxStream.finish` (e.g. on Pipecat's VAD "user stopped speaking").

The acoustic front end and search settings (and how 8 kHz phone audio is decoded with the wheel's
16 kHz model) are in :mod:`speech.sphinx_config`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from .audio import BandExtender, Upsampler2x, as_int16
from .sphinx_config import PHONE_CMNINIT, DecoderSettings, make_config

__all__ = [
    "DOMAIN_SEARCH",
    "PHONE_CMNINIT",
    "DecoderSettings",
    "SpeechEvent",
    "SphinxStream",
    "decode_pcm",
    "iter_chunks",
    "make_config",
]

EventKind = Literal["partial", "final"]

DOMAIN_SEARCH = "domain"
"""Name of the second search (the in-domain language model alone) when a stream has one."""


@dataclass(frozen=True)
class SpeechEvent:
    """A recognition result; ``text`` is lowercase words separated by spaces."""

    kind: EventKind
    text: str
    start_time: float | None = None  # seconds from stream start (endpointer mode)
    end_time: float | None = None
    score: int | None = None  # pocketsphinx path score (log base 1.0001; higher is better)
    alternatives: tuple[str, ...] = ()  # finals: other readings from the lattice, best first (DecoderSettings.nbest)


class SphinxStream:
    """Incremental recogniser for one audio stream.

    Usage without endpointing (external VAD)::

        s = SphinxStream(lm.lm_path, lm.dict_path, sample_rate=8000, endpointing=False)
        for chunk in frames: events = s.feed(chunk)   # partials
        final = s.finish()

    With ``endpointing=True`` utterances start and end by themselves and
    ``feed`` returns their finals too.
    """

    def __init__(self, lm_path: str | os.PathLike[str] | None = None, dict_path: str | os.PathLike[str] | None = None,
                 sample_rate: int = 16000, *, settings: DecoderSettings | None = None, endpointing: bool = False,
                 partial_interval: float = 0.2, vad_mode: int = 0, vad_window: float = 0.3,
                 vad_ratio: float = 0.9, domain_lm_path: str | os.PathLike[str] | None = None) -> None:
        from pocketsphinx import Decoder, Endpointer

        if sample_rate not in (8000, 16000):
            raise ValueError("sample_rate must be 8000 or 16000")
        self.settings = settings or DecoderSettings(sample_rate=sample_rate)
        if self.settings.sample_rate != sample_rate:
            self.settings = DecoderSettings(**{**self.settings.__dict__, "sample_rate": sample_rate})
        self.sample_rate = sample_rate
        self._rate = self.settings.decoder_rate()
        self.decoder = Decoder(**make_config(lm_path, dict_path, self.settings))
        self._domain_search = domain_lm_path is not None
        if domain_lm_path is not None:  # a second search over the same dictionary, for `reread`
            self.decoder.add_lm_file(DOMAIN_SEARCH, str(domain_lm_path))
        self._cmn_start = ""  # the cepstral mean the open utterance started with (`reread` starts there too)
        self._last_utt = b""  # the last finished utterance's audio as decoded (for `reread`)
        self.partial_interval = partial_interval
        self.endpointing = endpointing
        self._ep = Endpointer(window=vad_window, ratio=vad_ratio, vad_mode=vad_mode,
                              sample_rate=self._rate) if endpointing else None
        self._upsampler = Upsampler2x() if self._rate != sample_rate else None
        self._extender = BandExtender(self.settings.bandwidth_extension,
                                      self.settings.fricative_extension) if self._upsampler is not None else None
        self._pending = b""
        self._in_utt = False
        self._utt_pcm: list[bytes] = []  # the open utterance's audio as decoded (for `resume`)
        self._held: SpeechEvent | None = None  # a speculative final, until `finish` or `resume`
        self._utt_audio = 0.0
        self._last_partial_at = 0.0
        self._last_partial = ""
        self.cpu_seconds = 0.0
        self.audio_seconds = 0.0

    # -------------------------------------------------------------- control
    @property
    def in_utterance(self) -> bool:
        """True between the start and the end of an utterance."""
        return self._in_utt

    def start(self) -> None:
        """Begin an utterance explicitly (no-op if one is open)."""
        if not self._in_utt:
            if self._domain_search:
                self._cmn_start = self.decoder.get_cmn()
            self.decoder.start_utt()
            self._in_utt = True
            self._utt_pcm = []
            self._utt_audio = 0.0
            self._last_partial_at = 0.0
            self._last_partial = ""

    @property
    def holding(self) -> bool:
        """True between a speculative ``finish`` and the ``finish`` or ``resume`` that settles it."""
        return self._held is not None

    def finish(self, speculative: bool = False) -> SpeechEvent:
        """End the current utterance and return its final hypothesis ('' if none).

        ``speculative=True`` (external VAD only): the caller *may* have stopped (a pause is starting).
        The final is computed now, and audio fed afterwards is kept but not decoded: the next
        ``finish()`` returns the same final at once (the pause was the end; what came after was the
        silence), while ``resume()`` re-opens the utterance and decodes everything fed since it
        began (the caller went on speaking). That moves the second search pass (fwdflat, bestpath,
        N-best: ~50 ms CPU p50, ~100 ms p95 on phone commands) off the end of the turn.
        """
        if self._held is not None:
            held, self._held, self._utt_pcm = self._held, None, []
            return held
        if self._ep is not None and self._pending:
            self._pending = b""
        if not self._in_utt:
            return SpeechEvent("final", "")
        t0 = time.process_time()
        if self._upsampler is not None and self._ep is None:
            tail = self._to_decoder_bytes(np.zeros(0, np.int16), last=True)
            if tail:
                self.decoder.process_raw(tail, False, False)
                self._utt_pcm.append(tail)
        self.decoder.end_utt()
        self._in_utt = False
        hyp = self.decoder.hyp()
        text = _clean(hyp.hypstr) if hyp else ""
        alternatives = self._alternatives(text) if hyp else ()
        self.cpu_seconds += time.process_time() - t0
        event = SpeechEvent("final", text, score=hyp.best_score if hyp else None, alternatives=alternatives)
        if self._domain_search:
            self._last_utt = b"".join(self._utt_pcm)
        if speculative and self._ep is None:
            self._held = event
        else:
            self._utt_pcm = []
        return event

    def resume(self) -> list[SpeechEvent]:
        """Undo a speculative ``finish``: the utterance goes on, with every sample fed so far decoded
        again (its first pass: ~0.08 s CPU per second of speech). No-op without a held final."""
        if self._held is None:
            return []
        t0 = time.process_time()
        self._held = None
        pcm, self._utt_pcm = self._utt_pcm, []
        self.start()
        data = b"".join(pcm)
        if data:
            self.decoder.process_raw(data, False, False)
        self._utt_pcm = [data]
        self._utt_audio = len(data) / 2 / self._rate
        events: list[SpeechEvent] = []
        self._maybe_partial(events)
        self.cpu_seconds += time.process_time() - t0
        return events

    def reread(self) -> SpeechEvent:
        """The last finished utterance decoded again with the in-domain language model alone (the
        ``domain_lm_path`` search), its readings in ``alternatives``: what the caller said if it was a
        command, where the main model let a general English word win ("however the appointment" for
        "call off the appointment"). Run only when no reading of the main search is understood: it
        costs ~0.05 s CPU per second of speech. An empty final when there is no such search, no
        finished utterance, or a new one is open. The decoder's state (cepstral mean, search) is as
        before afterwards."""
        if not self._domain_search or self._in_utt or not self._last_utt:
            return SpeechEvent("final", "")
        t0 = time.process_time()
        cmn_after = self.decoder.get_cmn()
        try:
            if self._cmn_start:
                self.decoder.set_cmn(self._cmn_start)
            self.decoder.activate_search(DOMAIN_SEARCH)
            self.decoder.start_utt()
            self.decoder.process_raw(self._last_utt, False, True)
            self.decoder.end_utt()
            hyp = self.decoder.hyp()
            text = _clean(hyp.hypstr) if hyp else ""
            event = SpeechEvent("final", text, score=hyp.best_score if hyp else None,
                                alternatives=self._alternatives(text) if hyp else ())
        finally:
            self.decoder.activate_search()
            self.decoder.set_cmn(cmn_after)
            self.cpu_seconds += time.process_time() - t0
        return event

    def _alternatives(self, best: str) -> tuple[str, ...]:
        """Distinct other readings from the lattice's N-best list (fillers dropped), best first."""
        want = self.settings.nbest
        if want <= 0:
            return ()
        seen = {best}
        out: list[str] = []
        for i, h in enumerate(self.decoder.nbest()):
            if len(out) >= want or i >= 10 * want:
                break
            text = _clean(h.hypstr)
            if text and text not in seen:
                seen.add(text)
                out.append(text)
        return tuple(out)

    def reset(self) -> None:
        """Drop any open utterance and buffered audio."""
        if self._in_utt:
            self.decoder.end_utt()
            self._in_utt = False
        self._held = None
        self._utt_pcm = []
        self._last_utt = b""
        self._pending = b""
        if self._upsampler is not None:
            self._upsampler.reset()
        if self._extender is not None:
            self._extender.reset()

    # ----------------------------------------------------------------- audio
    def _to_decoder_bytes(self, pcm: bytes | bytearray | np.ndarray, last: bool = False) -> bytes:
        if self._upsampler is None:
            if isinstance(pcm, (bytes, bytearray)):
                return bytes(pcm)
            return as_int16(pcm).astype("<i2", copy=False).tobytes()
        x = self._upsampler.flush() if last else self._upsampler.process(as_int16(pcm))
        assert self._extender is not None
        x = self._extender.process(x, last)
        return x.clip(-32768, 32767).astype("<i2").tobytes()

    def feed(self, pcm: bytes | bytearray | np.ndarray) -> list[SpeechEvent]:
        """Process a chunk of 16-bit mono PCM at ``sample_rate``; returns new events."""
        t0 = time.process_time()
        data = self._to_decoder_bytes(pcm)
        self.audio_seconds += len(data) / 2 / self._rate
        events: list[SpeechEvent] = []
        if self._held is not None:  # after a speculative finish: kept for `resume`, not decoded
            self._utt_pcm.append(data)
        elif self._ep is None:
            self.start()
            if data:
                self.decoder.process_raw(data, False, False)
                self._utt_pcm.append(data)
            self._utt_audio += len(data) / 2 / self._rate
            self._maybe_partial(events)
        else:
            self._feed_endpointer(data, events)
        self.cpu_seconds += time.process_time() - t0
        return events

    def _feed_endpointer(self, data: bytes, events: list[SpeechEvent]) -> None:
        assert self._ep is not None
        buf = self._pending + data
        n = self._ep.frame_bytes
        i = 0
        while len(buf) - i >= n:
            frame = buf[i: i + n]
            i += n
            was = self._ep.in_speech
            speech = self._ep.process(frame)
            if speech is None:
                continue
            if not was:
                self.start()
            self.decoder.process_raw(speech, False, False)
            self._utt_audio += len(speech) / 2 / self._rate
            if self._ep.in_speech:
                self._maybe_partial(events)
            else:
                t_start, t_end = self._ep.speech_start, self._ep.speech_end
                fin = self._finish_raw()
                events.append(SpeechEvent("final", fin[0], t_start, t_end, fin[1], fin[2]))
        self._pending = buf[i:]

    def _finish_raw(self) -> tuple[str, int | None, tuple[str, ...]]:
        self.decoder.end_utt()
        self._in_utt = False
        hyp = self.decoder.hyp()
        text = _clean(hyp.hypstr) if hyp else ""
        return text, (hyp.best_score if hyp else None), (self._alternatives(text) if hyp else ())

    def _maybe_partial(self, events: list[SpeechEvent]) -> None:
        if self.partial_interval <= 0 or self._utt_audio - self._last_partial_at < self.partial_interval:
            return
        self._last_partial_at = self._utt_audio
        hyp = self.decoder.hyp()
        text = _clean(hyp.hypstr) if hyp else ""
        if text and text != self._last_partial:
            self._last_partial = text
            events.append(SpeechEvent("partial", text))

    def flush(self) -> list[SpeechEvent]:
        """End of stream: close an utterance the endpointer still holds open."""
        events: list[SpeechEvent] = []
        if self._ep is not None and self._pending:
            speech = self._ep.end_stream(self._pending)
            self._pending = b""
            if speech is not None and self._in_utt:
                self.decoder.process_raw(speech, False, False)
        if self._in_utt or self._held is not None:
            events.append(self.finish())
        return events

    @property
    def cpu_per_audio_second(self) -> float:
        """Process CPU time spent per second of audio fed so far."""
        return self.cpu_seconds / self.audio_seconds if self.audio_seconds else 0.0


def _clean(hypstr: str) -> str:
    """Drop filler tokens (<sil>, [NOISE], ...) and alternate-pronunciation markers."""
    words = []
    for w in hypstr.split():
        if w.startswith(("<", "[", "+")):
            continue
        if w.endswith(")") and "(" in w:
            w = w[: w.index("(")]
        words.append(w)
    return " ".join(words)


def decode_pcm(pcm: bytes | np.ndarray, sample_rate: int, lm_path: str | Path | None = None,
               dict_path: str | Path | None = None, *, chunk_ms: int = 20, settings: DecoderSettings | None = None,
               stream: SphinxStream | None = None) -> str:
    """Decode a whole utterance by streaming it in ``chunk_ms`` chunks; returns the final text."""
    s = stream or SphinxStream(lm_path, dict_path, sample_rate, settings=settings)
    a = as_int16(pcm)
    step = sample_rate * chunk_ms // 1000
    for i in range(0, a.size, step):
        s.feed(a[i: i + step])
    return s.finish().text


def iter_chunks(pcm: np.ndarray, sample_rate: int, chunk_ms: int = 20) -> Iterator[np.ndarray]:
    """Split PCM into fixed-duration chunks (last one may be short)."""
    step = sample_rate * chunk_ms // 1000
    for i in range(0, pcm.size, step):
        yield pcm[i: i + step]
