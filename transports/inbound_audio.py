"""Caller audio into the pipeline in fewer, larger frames while the caller is silent.

Every inbound frame costs the same hand-offs through the transport, the STT, the PIN gate, the
user aggregator and the transfer bridge, whatever it holds: 20 ms frames are 50 trips a second
through all of them for a call where nobody speaks. `QuietBatcher` passes audio on as it comes
while anything is heard and for `hangover_secs` after (the whole VAD stop window, so the end of a
turn is seen exactly when it was), and in `chunk_secs` pieces in a longer silence. The first
audible frame goes on at once with the silence held before it, so neither the start of speech nor
a barge-in waits.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():  # deprecated in 3.11, gone in 3.13 (then the audioop-lts package); Pipecat uses it
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

QUIET_PEAK = 64
"""Peak sample (16-bit) at or below which a frame is silence here: -54 dBFS, under the VAD's
`min_volume` (-50 LUFS), so nothing the VAD could call speech is ever held back."""

CHUNK_SECS = 0.06
"""Silence per piece: three Twilio frames. Under the call recorder's 100 ms gap (`processors.recorder`
lines the caller's track up by arrival time and fills a longer gap with silence)."""


class QuietBatcher:
    def __init__(self, sample_rate: int, *, hangover_secs: float, chunk_secs: float = CHUNK_SECS,
                 quiet_peak: int = QUIET_PEAK) -> None:
        self._chunk = int(chunk_secs * sample_rate) * 2
        self._hangover = int(hangover_secs * sample_rate) * 2
        self._quiet_peak = quiet_peak
        self._since_heard = self._hangover  # bytes of silence since the last audible frame
        self._held = bytearray()

    def add(self, pcm: bytes) -> bytes | None:
        """The audio to pass on now (16-bit mono), or None while a silent chunk is filling."""
        if audioop.max(pcm, 2) > self._quiet_peak:
            self._since_heard = 0
        else:
            self._since_heard += len(pcm)
        if self._since_heard < self._hangover:
            if not self._held:
                return pcm
            self._held += pcm
        else:
            self._held += pcm
            if len(self._held) < self._chunk:
                return None
        out = bytes(self._held)
        self._held.clear()
        return out
