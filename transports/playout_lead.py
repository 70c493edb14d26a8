"""A websocket output that keeps the far end's play-out buffer a little ahead of what it plays.

Pipecat's websocket output sends each 40 ms chunk of the bot's audio and then sleeps one chunk's
time, and after a late wake-up it restarts that clock from the moment it woke: the far end never
holds more than the chunk it is playing, so every event-loop stall over ~40 ms is a hole the caller
hears, and the lost time is never made up. With 20 offline calls on one process, 580 of 589 holes
in the replies came with the audio already synthesised and waiting (p50 1.4 s of it), the loop being
50-170 ms late to send it (`tests/benchmarks/test_bench_capacity.py`).

`LeadingWebsocketTransport` sends audio until the far end holds `lead_secs` of it, then paces at
real time on a clock that does not lose the time a stall took: a stall shorter than the lead is
not heard. Twilio buffers what it is sent and drops it all on `clear` (sent on an interruption), so
barging in still cuts the bot off at once; only the server's notion of when the bot stops speaking
runs up to `lead_secs` early.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import WebSocket
from pipecat.frames.frames import Frame, InterruptionFrame, OutputAudioRawFrame
from pipecat.processors.frame_processor import FrameDirection
from pipecat.transports.base_transport import BaseTransport
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketClient,
    FastAPIWebsocketOutputTransport,
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from transports.inbound_audio import CatchingUpInput

PLAYOUT_CHUNK_10MS = 20
"""The bot's audio goes out in 200 ms media messages, not Pipecat's 40 ms: every message costs its
call's output task ~6 turns of the event loop (queue hand-offs, `wait_for` tasks), so with 40 ms
messages a loop taking 20 ms a turn carried 0.28 s of audio a second and the caller heard a hole every
chunk; with 200 ms messages, 0.9 s a second and none (`FastAPIWebsocketParams.audio_out_10ms_chunks`).
The last message of an utterance is padded with up to that much silence."""

PLAYOUT_LEAD_SECS = 0.3
"""Audio the far end holds beyond what it is playing. The server's event loop, at 20 offline calls on
the 2-core machine, woke up to 170 ms late (loop lag max); a reply's audio is usually synthesised
seconds ahead, so this is what the caller can be spared."""


class LeadingWebsocketOutput(FastAPIWebsocketOutputTransport):
    """Pipecat's websocket output, paced `lead_secs` ahead of the far end's play-out."""

    def __init__(self, transport: BaseTransport, client: FastAPIWebsocketClient, params: FastAPIWebsocketParams,
                 *, lead_secs: float = PLAYOUT_LEAD_SECS, **kwargs: Any) -> None:
        super().__init__(transport, client, params, **kwargs)
        self._lead_secs = lead_secs
        self._plays_until = 0.0  # monotonic: when the far end will have played everything sent so far
        self._frame_secs = 0.0

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self._frame_secs = len(frame.audio) / (2 * max(1, frame.num_channels) * max(1, frame.sample_rate))
        return await super().write_audio_frame(frame)

    async def _write_audio_sleep(self) -> None:
        """After a frame is sent (Pipecat 1.14 calls this from `write_audio_frame`): wait until the far
        end holds no more than the lead."""
        now = time.monotonic()
        self._plays_until = max(self._plays_until, now) + self._frame_secs
        wait = self._plays_until - self._lead_secs - now
        if wait > 0:  # below the lead the next chunk goes at once, without waiting a turn of the loop
            await asyncio.sleep(wait)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InterruptionFrame):
            self._plays_until = 0.0  # the serializer's `clear` emptied the far end's buffer


class LeadingWebsocketTransport(FastAPIWebsocketTransport):
    """`FastAPIWebsocketTransport` whose output is a `LeadingWebsocketOutput` and whose input passes on
    queued-up caller audio at once (`transports.inbound_audio.CatchingUpInput`)."""

    def __init__(self, websocket: WebSocket, params: FastAPIWebsocketParams, *,
                 lead_secs: float = PLAYOUT_LEAD_SECS, **kwargs: Any) -> None:
        super().__init__(websocket, params, **kwargs)
        self._input = CatchingUpInput(self, self._client, self._params, name=self._input_name)
        self._output = LeadingWebsocketOutput(self, self._client, self._params, lead_secs=lead_secs,
                                              name=self._output_name)
