"""The JSON voice websocket of the system this replaces (`/webrtc/ws`), on the same pipeline as every call.

The client authenticates, then talks push-to-talk:

    → {"type": "authenticate", "pin": "1234"[, "email": "…"]}   ← {"type": "auth_ok", "text": greeting}
                                                                ← {"type": "auth_failed", "text": why}
    → {"type": "start_recording"}
    → {"type": "audio_chunk", "audio": "<base64 of MediaRecorder's WebM/Opus>"}  (repeated)
    → {"type": "stop_recording"}
    ← {"type": "transcript_final", "text": what was heard}
    ← {"type": "agent_final", "text": the agent's answer}
    ← {"type": "audio_chunk", "audio": "<base64 WAV>", "format": "wav", "sample_rate": 24000}  (per utterance)
    ← {"type": "error", "text": why}   (a message out of order, too big, or not WebM/Opus; the call goes on)

Without an email the PIN is checked like a phone call from an unknown number: it can only be
`VOICE_PIN`, opening `VOICE_PIN_USER`'s account; with one it is the browser page's check. Chunks
are decoded as they arrive (`transports.webm_opus`); `stop_recording` adds the silence that ends
the turn, so the VAD and turn detection are the ones every call uses.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import logging
import uuid
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextUserTurnFrame,
    OutputAudioRawFrame,
    OutputTransportMessageUrgentFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.agent.agent import Agent
from bots.pipeline import run_call
from bots.session import CallInfo, CallSession
from core.accounts import normalize_email
from core.config import Settings
from core.db import SessionFactory
from core.runtime import Runtime
from core.security import HashingBusy, is_valid_pin
from core.store import Store
from processors.frames import AgentTurnFrame
from processors.pin_auth import Caller, PinOutcome, PinVerifier, Target
from processors.pin_gate import GREETING
from transports.webm_opus import NotWebm, WebmOpusDecoder
from transports.webrtc import BrowserPinVerifier

log = logging.getLogger(__name__)

IN_RATE = 16000
OUT_RATE = 24000
FRAME_SAMPLES = IN_RATE // 50  # 20 ms
MAX_MESSAGE_CHARS = 1024 * 1024  # one audio_chunk; MediaRecorder sends a few KB a second
MAX_RECORDING_BYTES = 4 * 1024 * 1024  # ~10 minutes of Opus
AUTH_SECONDS = 60.0
MAX_AUTH_TRIES = 5
TURN_END_SILENCE = 0.6  # added to VAD_STOP_SECS after stop_recording
OTHER_AUDIO_FLUSH_SECONDS = 1.0  # audio that is not an utterance (a person's voice after a transfer)


def message(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **fields}


def parse(raw: str | bytes) -> dict[str, Any] | None:
    """A client message as a dict, or None for anything else (too big, not JSON, not an object)."""
    if len(raw) > MAX_MESSAGE_CHARS:
        return None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


# --- sign-in --------------------------------------------------------------------------------------


class SocketPinVerifier(PinVerifier):
    """A PIN with no email: the client's address is the source (its own count and lockout) and only
    `VOICE_PIN` can open anything — `VOICE_PIN_USER`'s account, as for an unknown phone number."""

    refuse_when_busy = True

    def __init__(self, sessions: SessionFactory, store: Store, settings: Settings, client: str) -> None:
        super().__init__(sessions, store, settings, None)
        self.fail_key = f"pin:fail:ws:{client}"
        self.lock_key = f"pin:lock:ws:{client}"

    async def _target(self, session: AsyncSession) -> Target:
        if not self._settings.voice_pin:
            return Target(None, False)
        return Target(await self._voice_pin_owner(session), True)


@dataclass(frozen=True)
class SignIn:
    caller: Caller | None
    reply: dict[str, Any]
    final: bool = False  # close after the reply


async def sign_in(runtime: Runtime, data: dict[str, Any], client: str) -> SignIn:
    """Check one `authenticate` message."""
    pin, email = data.get("pin"), data.get("email")
    if not isinstance(pin, str) or not is_valid_pin(pin.strip()):
        return SignIn(None, message("auth_failed", text="The PIN is 4 to 6 digits."))
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > 254):
        return SignIn(None, message("auth_failed", text="That is not an email address."))
    rt = runtime
    verifier: PinVerifier = (BrowserPinVerifier(rt.sessions, rt.store, rt.settings, normalize_email(email)) if email
                             else SocketPinVerifier(rt.sessions, rt.store, rt.settings, client))
    try:
        outcome, caller = await verifier.check(pin.strip())
    except HashingBusy:
        return SignIn(None, message("auth_failed", text="The server is busy; try again in a moment."))
    if outcome is PinOutcome.LOCKED:
        return SignIn(None, message("auth_failed", text="Too many wrong PINs. Try again in 15 minutes."), final=True)
    if outcome is not PinOutcome.OK or caller is None:
        return SignIn(None, message("auth_failed", text="That PIN is not right."))
    return SignIn(caller, message("auth_ok", text=GREETING.format(name=caller.first_name)))


async def authenticate(websocket: WebSocket, runtime: Runtime) -> Caller | None:
    """Read messages until a right PIN (None: the client gave up, was locked out, or took too long)."""
    client = websocket.client.host if websocket.client else "unknown"
    try:
        async with asyncio.timeout(AUTH_SECONDS):
            for _ in range(MAX_AUTH_TRIES):
                while True:
                    received = await websocket.receive()
                    if received["type"] == "websocket.disconnect":
                        raise WebSocketDisconnect(received.get("code", 1000))
                    data = parse(received.get("text") or received.get("bytes") or "")
                    if data is not None and data.get("type") == "authenticate":
                        break
                    await websocket.send_json(message("error", text="Authenticate first."))
                result = await sign_in(runtime, data, client)
                await websocket.send_json(result.reply)
                if result.caller is not None or result.final:
                    return result.caller
    except TimeoutError:
        await websocket.send_json(message("auth_failed", text="No PIN in time."))
    return None


# --- the call -------------------------------------------------------------------------------------


AudioSink = Callable[[InputAudioRawFrame], Awaitable[None]]


class VoiceSocketSerializer(FrameSerializer):
    """The client's messages in, the replies' messages out (see the module's docstring).

    Decoded audio goes to `audio_sink` (the input transport) in 20 ms frames, as a phone's would;
    out of order or bad messages get an `error` reply and change nothing."""

    def __init__(self, vad_stop_secs: float) -> None:
        super().__init__()
        self.audio_sink: AudioSink | None = None
        self._decoder: WebmOpusDecoder | None = None
        self._silence = bytes(2 * int(IN_RATE * (vad_stop_secs + TURN_END_SILENCE)))

    async def serialize(self, frame: Frame) -> str | bytes | None:
        if isinstance(frame, OutputTransportMessageUrgentFrame):
            return json.dumps(frame.message)
        return None  # the reply's audio leaves as `audio_chunk` messages (`VoiceSocketReplies`)

    async def deserialize(self, data: str | bytes) -> Frame | None:
        msg = parse(data)
        if msg is None:
            return _error("Messages are JSON objects of at most 1 MB.")
        kind = msg.get("type")
        if kind == "start_recording":
            self._decoder = WebmOpusDecoder(IN_RATE, max_bytes=MAX_RECORDING_BYTES)
            return None
        if kind == "audio_chunk":
            return await self._chunk(msg.get("audio"))
        if kind == "stop_recording":
            if self._decoder is None:
                return _error("stop_recording without start_recording.")
            decoder, self._decoder = self._decoder, None
            await self._send(decoder.finish() + self._silence)
            return None
        if kind == "authenticate":
            return _error("Already authenticated.")
        return _error(f"Unknown message type: {str(kind)[:40]}.")

    async def _chunk(self, audio: object) -> Frame | None:
        if self._decoder is None:
            return _error("audio_chunk before start_recording.")
        if not isinstance(audio, str):
            return _error("audio_chunk needs `audio`, base64 of WebM/Opus.")
        try:
            webm = base64.b64decode(audio, validate=True)
            pcm = await asyncio.to_thread(self._decoder.feed, webm)
        except (binascii.Error, ValueError) as exc:  # NotWebm is a ValueError
            self._decoder = None
            why = str(exc) if isinstance(exc, NotWebm) else "the audio is not base64"
            return _error(f"Recording dropped: {why}. Start a new one.")
        await self._send(pcm)
        return None

    async def _send(self, pcm: bytes) -> None:
        if self.audio_sink is None:
            return
        step = FRAME_SAMPLES * 2
        for at in range(0, len(pcm) - len(pcm) % 2, step):
            await self.audio_sink(InputAudioRawFrame(audio=pcm[at : at + step], sample_rate=IN_RATE, num_channels=1))


def _error(text: str) -> Frame:
    return OutputTransportMessageUrgentFrame(message=message("error", text=text))


def wav(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


class VoiceSocketReplies(FrameProcessor):
    """Before the output: what was heard (`transcript_final`), what the agent answered (`agent_final`)
    and each spoken utterance as one WAV (`audio_chunk`), as messages sent at once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._audio = bytearray()
        self._rate = OUT_RATE
        self._in_utterance = False

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)
        if direction is not FrameDirection.DOWNSTREAM:
            return
        if isinstance(frame, LLMContextUserTurnFrame) and frame.text.strip():
            await self._send(message("transcript_final", text=frame.text.strip()))
        elif isinstance(frame, AgentTurnFrame) and frame.reply:
            await self._send(message("agent_final", text=frame.reply))
        elif isinstance(frame, TTSStartedFrame):
            await self._flush()
            self._in_utterance = True
        elif isinstance(frame, OutputAudioRawFrame):
            self._audio += frame.audio
            self._rate = frame.sample_rate
            if not self._in_utterance and len(self._audio) >= 2 * self._rate * OTHER_AUDIO_FLUSH_SECONDS:
                await self._flush()
        elif isinstance(frame, TTSStoppedFrame):
            self._in_utterance = False
            await self._flush()
        elif isinstance(frame, InterruptionFrame):
            self._audio.clear()
            self._in_utterance = False

    async def _flush(self) -> None:
        if not self._audio:
            return
        audio, self._audio = bytes(self._audio), bytearray()
        await self._send(message("audio_chunk", audio=base64.b64encode(wav(audio, self._rate)).decode(),
                                 format="wav", sample_rate=self._rate))

    async def _send(self, msg: dict[str, Any]) -> None:
        await self.push_frame(OutputTransportMessageUrgentFrame(message=msg))


async def run_voice_socket(websocket: WebSocket, caller: Caller, runtime: Runtime, agent: Agent) -> None:
    """Run one signed-in client's call over its websocket until either side ends it; the greeting is
    spoken first."""
    serializer = VoiceSocketSerializer(runtime.settings.vad_stop_secs)
    transport = FastAPIWebsocketTransport(
        websocket,
        FastAPIWebsocketParams(audio_in_enabled=True, audio_out_enabled=True, add_wav_header=False,
                               serializer=serializer, audio_out_end_silence_secs=0),
    )
    serializer.audio_sink = transport.input().push_audio_frame
    info = CallInfo(call_sid=f"ws-{uuid.uuid4().hex[:16]}", channel="browser")
    session = CallSession(runtime, agent, info)
    await session.authenticate(caller)
    await run_call(transport, session, sample_rate=IN_RATE, out_sample_rate=OUT_RATE, require_pin=False,
                   before_output=[VoiceSocketReplies()], greeting=GREETING.format(name=caller.first_name))
