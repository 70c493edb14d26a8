"""Twilio Media Streams: the TwiML that connects a call, the stream's handshake, and the call itself.

Twilio speaks JSON over the websocket: `connected`, `start` (with our `<Parameter>`s), then
20 ms `media` frames of base64 μ-law at 8 kHz, `dtmf`, `mark` (echoing ours once played)
and `stop`. Pipecat's serializer does the audio; this module adds what a public endpoint
needs on top: a bounded handshake, tolerance for malformed or oversized messages (dropped,
the call goes on), marks after each bot utterance, and a hang-up that waits for the goodbye
to finish playing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

with warnings.catch_warnings():  # deprecated in 3.11, gone in 3.13 (then the audioop-lts package); Pipecat uses it
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

from fastapi import WebSocket
from pipecat.audio.utils import ulaw_to_pcm
from pipecat.frames.frames import (
    AudioRawFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    OutputTransportMessageFrame,
    TTSStoppedFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams

from bots.agent.agent import Agent
from bots.pipeline import run_call
from bots.session import CallInfo, CallSession, find_line
from core.lines import greeting_of
from core.runtime import Runtime
from transports.inbound_audio import QuietBatcher
from transports.playout_lead import PLAYOUT_CHUNK_10MS, LeadingWebsocketTransport
from transports.twilio_ticket import TICKET_PARAMETER
from transports.twilio_transfer import pbx_transfer, resume_caller, unanswered_transfer

log = logging.getLogger(__name__)

TWILIO_RATE = 8000
MAX_MESSAGE_CHARS = 64 * 1024  # a 20 ms media message is ~250 characters
HANDSHAKE_SECONDS = 10.0
MAX_HANGUP_WAIT = 15.0


class StreamError(Exception):
    """The websocket did not start like a Twilio Media Stream."""


@dataclass(frozen=True)
class StreamStart:
    stream_sid: str
    call_sid: str
    from_number: str | None
    to_number: str | None
    parameters: dict[str, str] = field(default_factory=dict)


def answer_twiml(stream_url: str, *, from_number: str, to_number: str, call_sid: str, ticket: str) -> str:
    """`<Connect><Stream>` to our websocket, carrying who called whom and the call's stream ticket
    (`transports.twilio_ticket`) as stream parameters."""
    params = "".join(
        f"<Parameter name={quoteattr(name)} value={quoteattr(value)}/>"
        for name, value in (("From", from_number), ("To", to_number), ("CallSid", call_sid),
                            (TICKET_PARAMETER, ticket))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Connect><Stream url={quoteattr(stream_url)}>{params}</Stream></Connect></Response>"
    )


BUSY = "Sorry, all our lines are busy right now. Please call again in a few minutes. Goodbye."


def busy_twiml() -> str:
    """What a caller hears when this process takes no more calls (full, or draining for a restart)."""
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Say>{BUSY}</Say><Hangup/></Response>'


def _parse(message: str) -> dict[str, Any] | None:
    if len(message) > MAX_MESSAGE_CHARS:
        return None
    try:
        data = json.loads(message)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


async def read_start(websocket: WebSocket, wait: float = HANDSHAKE_SECONDS) -> StreamStart:
    """Read up to the `start` event (ignoring anything before it); StreamError if none comes in time."""
    try:
        async with asyncio.timeout(wait):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    raise StreamError("the stream closed before it started")
                data = _parse(message.get("text") or "")
                if data is None or data.get("event") != "start":
                    continue  # connected, early media, junk: nothing to do before start
                start = data.get("start")
                if not isinstance(start, dict) or not (start.get("streamSid") or data.get("streamSid")):
                    raise StreamError("start event without a stream")
                raw = start.get("customParameters")
                custom = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
                return StreamStart(
                    stream_sid=str(start.get("streamSid") or data.get("streamSid")),
                    call_sid=str(start.get("callSid") or custom.get("CallSid") or ""),
                    from_number=custom.get("From") or None,
                    to_number=custom.get("To") or None,
                    parameters=custom,
                )
    except TimeoutError as exc:
        raise StreamError("no start event") from exc


class ConvonetTwilioSerializer(TwilioFrameSerializer):
    """Pipecat's Twilio serializer, hardened for a public endpoint.

    * malformed, oversized or unexpected messages are dropped instead of ending the call;
    * `mark` echoes are recorded (`marks_played`);
    * the REST hang-up waits until the audio already sent (the goodbye) has played out.
    """

    def __init__(self, *args: Any, hangover_secs: float = 1.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._hangover_secs = hangover_secs  # audio passes frame by frame this long after anything is heard
        self._batcher: QuietBatcher | None = None
        self.marks_played: list[str] = []
        self.dropped = 0
        self._playing_until = 0.0

    async def deserialize(self, data: str | bytes) -> Frame | None:
        # Every 20 ms of caller audio comes through here: the message is parsed and its payload
        # decoded once (Pipecat's deserialize would parse and decode it again).
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        message = _parse(text)
        if message is None:
            self._drop("unreadable message")
            return None
        event = message.get("event")
        if event == "media":
            media = message.get("media")
            payload = media.get("payload") if isinstance(media, dict) else None
            if not isinstance(payload, str):
                self._drop("media without a payload")
                return None
            try:
                ulaw = base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                self._drop("media with a bad payload")
                return None
            if not ulaw:
                return None
            if self._sample_rate == self._twilio_sample_rate:
                pcm = audioop.ulaw2lin(ulaw, 2)  # what ulaw_to_pcm does, without the no-op resample
            else:
                pcm = await ulaw_to_pcm(ulaw, self._twilio_sample_rate, self._sample_rate, self._input_resampler)
            if not pcm:
                return None
            if self._batcher is None:
                self._batcher = QuietBatcher(self._sample_rate, hangover_secs=self._hangover_secs)
            audio = self._batcher.add(pcm)  # silence in 60 ms pieces (transports/inbound_audio.py)
            return InputAudioRawFrame(audio=audio, num_channels=1, sample_rate=self._sample_rate) if audio else None
        if event == "mark":
            mark = message.get("mark")
            if isinstance(mark, dict) and isinstance(mark.get("name"), str):
                self.marks_played.append(mark["name"])
            return None
        if event == "dtmf":
            if not isinstance(message.get("dtmf"), dict):
                self._drop("dtmf without a digit")
                return None
            return await super().deserialize(text)
        return None  # connected, start, stop and unknown events carry nothing for the pipeline

    def _drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped <= 5 or self.dropped % 100 == 0:
            log.warning("twilio stream: dropped %s (%d so far)", why, self.dropped)

    async def serialize(self, frame: Frame) -> str | bytes | None:
        now = time.monotonic()
        if isinstance(frame, InterruptionFrame):
            self._playing_until = now  # `clear` discards what Twilio had buffered
        elif isinstance(frame, AudioRawFrame):
            seconds = len(frame.audio) / 2 / max(frame.sample_rate, 1) / max(frame.num_channels, 1)
            self._playing_until = max(self._playing_until, now) + seconds
        elif isinstance(frame, EndFrame):  # hang up only once the goodbye has played
            await asyncio.sleep(min(max(0.0, self._playing_until - now), MAX_HANGUP_WAIT))
        return await super().serialize(frame)


class TwilioMarks(FrameProcessor):
    """Asks Twilio to echo a `mark` once each bot utterance has played (placed before the output)."""

    def __init__(self, stream_sid: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._stream_sid = stream_sid
        self._count = 0

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if isinstance(frame, TTSStoppedFrame) and direction == FrameDirection.DOWNSTREAM:
            self._count += 1
            mark = {"event": "mark", "streamSid": self._stream_sid, "mark": {"name": f"utterance-{self._count}"}}
            await self.push_frame(OutputTransportMessageFrame(message=mark))


def make_serializer(runtime: Runtime, start: StreamStart) -> ConvonetTwilioSerializer:
    settings = runtime.settings
    can_hang_up = bool(settings.twilio_account_sid and settings.twilio_auth_token and start.call_sid)
    return ConvonetTwilioSerializer(
        stream_sid=start.stream_sid,
        call_sid=start.call_sid or None,
        account_sid=settings.twilio_account_sid if can_hang_up else None,
        auth_token=settings.twilio_auth_token if can_hang_up else None,
        base_url=settings.twilio_api_base_url,
        params=TwilioFrameSerializer.InputParams(
            twilio_sample_rate=TWILIO_RATE, sample_rate=TWILIO_RATE, auto_hang_up=can_hang_up
        ),
        hangover_secs=settings.vad_stop_secs + 1.0,
    )


async def run_media_stream(
    websocket: WebSocket, start: StreamStart, runtime: Runtime, agent: Agent, *, outbound: str | None = None,
    resume: str | None = None, **options: Any
) -> CallSession:
    """Run one phone call over an accepted, started Media Streams websocket; `outbound`: the call an agent
    placed (`transports.twilio_outbound`), whose callee talks to that agent, not the assistant; `resume`:
    the stream's ticket says the caller comes back from a transfer (`transfer-{DialCallStatus}`)."""
    transport = LeadingWebsocketTransport(  # the caller's audio buffered a little ahead
        websocket,
        FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=make_serializer(runtime, start),
            allowed_origins=[],  # Twilio sends no Origin header; the signature is the check
            audio_out_end_silence_secs=0,  # the hang-up already waits for the audio to play out
            audio_out_10ms_chunks=PLAYOUT_CHUNK_10MS,
        ),
    )
    info = CallInfo(start.call_sid or start.stream_sid, "phone", start.from_number, start.to_number)
    if outbound is not None:
        session = CallSession(runtime, agent, info)
        session.outbound_call_id = outbound
        await run_call(transport, session, sample_rate=TWILIO_RATE, before_output=[TwilioMarks(start.stream_sid)],
                       **{**options, "require_pin": False})
        return session
    line = await find_line(runtime, start.to_number)
    session = CallSession(runtime, agent, info, line)
    session.pbx_transfer = pbx_transfer(runtime, session)  # None unless Twilio + FusionPBX are configured
    back = await resume_caller(runtime, info.call_sid)  # back from an unanswered PBX transfer
    session.unanswered_transfer = await unanswered_transfer(runtime, info.call_sid, resume)  # offer a call back
    if line is not None and session.is_public:  # no PIN: the caller is a contact, greeted by the line
        await session.admit_contact()
        options = {**options, "require_pin": False, **({} if back else {"greeting": greeting_of(line)})}
    elif back is not None:
        await session.authenticate(back)
        options = {**options, "require_pin": False}
    await run_call(
        transport,
        session,
        sample_rate=TWILIO_RATE,
        before_output=[TwilioMarks(start.stream_sid)],
        **options,
    )
    return session
