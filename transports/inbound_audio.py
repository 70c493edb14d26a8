"""Caller audio into the pipeline in fewer, larger frames: while the caller is silent, and when the
pipeline has fallen behind.

Every inbound frame costs the same hand-offs through the transport, the STT, the PIN gate, the
user aggregator and the transfer bridge, whatever it holds: 20 ms frames are 50 trips a second
through all of them for a call where nobody speaks. `QuietBatcher` passes audio on as it comes
while anything is heard and for `hangover_secs` after (the whole VAD stop window, so the end of a
turn is seen exactly when it was), and in `chunk_secs` pieces in a longer silence. The first
audible frame goes on at once with the silence held before it, so neither the start of speech nor
a barge-in waits.

`CatchingUpInput` is the phone websocket's input: Pipecat's takes one queued frame per two turns of the
event loop at best (a `wait_for` task per frame), so when a turn took over ~10 ms a talking caller's
20 ms frames queued up: at 20 offline calls the STT saw the caller's audio up to 2.6 s late (p95 of each
call's worst in 2 s), and so the end of each turn. It passes on whatever has queued as one frame.
"""

from __future__ import annotations

import warnings

from pipecat.frames.frames import InputAudioRawFrame
from pipecat.transports.websocket.fastapi import FastAPIWebsocketInputTransport

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


MAX_CATCH_UP_SECS = 1.0
"""Most caller audio passed on as one frame when it has queued up."""


class CatchingUpInput(FastAPIWebsocketInputTransport):
    """Pipecat's websocket input, passing on the caller audio that queued up while the pipeline was busy
    as one frame (in order, nothing dropped) instead of one frame per two turns of the event loop."""

    async def _audio_task_handler(self) -> None:
        """Replaces Pipecat 1.14's (whose input timeout only skips a turn): the same filter and passthrough."""
        queue = self._audio_in_queue
        while True:
            frame = await queue.get()  # no `wait_for`: no task per frame
            taken = 1
            if not queue.empty():
                limit = int(MAX_CATCH_UP_SECS * frame.sample_rate) * 2 * frame.num_channels
                audio = bytearray(frame.audio)
                while not queue.empty() and len(audio) < limit:
                    audio += queue.get_nowait().audio
                    taken += 1
                frame = InputAudioRawFrame(audio=bytes(audio), sample_rate=frame.sample_rate,
                                           num_channels=frame.num_channels)
            if self._params.audio_in_filter:
                frame.audio = await self._params.audio_in_filter.filter(frame.audio)
            if frame.audio and self._params.audio_in_passthrough:
                await self.push_frame(frame)
            for _ in range(taken):
                queue.task_done()
