"""Twilio's side of a phone call, spoken on the real wire protocol to a Convonet server on loopback.

`FakeTwilio` does what Twilio does for an incoming call: POSTs the signed voice webhook, reads
the TwiML, opens the signed Media Streams websocket it names, sends `connected` and `start`
(with the `<Parameter>`s), then streams 20 ms μ-law frames in real time — silence, or the
caller's speech — plus `dtmf` tones. It plays the bot's audio on a real-time clock: `mark`s
are echoed once the audio before them has played, and `clear` drops what is buffered (and
echoes pending marks). It also serves the REST call resource, so a hang-up by the server ends
the call the way Twilio would (`stop`, then close).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import numpy as np
import websockets
from aiohttp import web

from speech.audio import mulaw_decode, mulaw_encode
from tests.voice import VOICE
from transports.twilio_signature import sign

RATE = 8000
FRAME_BYTES = 160  # 20 ms of 8 kHz μ-law
FRAME_SECONDS = 0.02
SILENCE = b"\xff" * FRAME_BYTES


def speech_frames(text: str) -> list[bytes]:
    """`text` in hibari's voice, as Twilio would carry it: 8 kHz μ-law in 20 ms frames."""
    pcm, _ = VOICE.synthesize(text, RATE, seed=0)
    ulaw = mulaw_encode(pcm).tobytes()
    ulaw += b"\xff" * (-len(ulaw) % FRAME_BYTES)
    return [ulaw[i : i + FRAME_BYTES] for i in range(0, len(ulaw), FRAME_BYTES)]


def is_audible(ulaw: bytes, threshold: int = 500) -> bool:
    return bool(np.abs(mulaw_decode(ulaw).astype(np.int32)).max(initial=0) > threshold)


@dataclass
class Playback:
    """The bot's audio as the caller hears it."""

    media_messages: int = 0
    pcm: bytearray = field(default_factory=bytearray)
    first_audio_at: list[float] = field(default_factory=list)  # when audible bot audio arrived
    clears: int = 0
    marks_echoed: list[str] = field(default_factory=list)


class FakeCall:
    """One call's media stream."""

    def __init__(self, ws: Any, stream_sid: str, call_sid: str) -> None:
        self.ws = ws
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.playback = Playback()
        self.events: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self.close_code: int | None = None
        self._outgoing: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue()
        self._play_until = 0.0
        self._heard_until = 0.0  # when the last audible audio received ends playing
        self._marks: list[tuple[float, str]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.speech_ended_at: float | None = None  # when the last audible frame of the caller's speech ended
        self._utterance_done: asyncio.Future[None] | None = None

    def start_streaming(self) -> None:
        self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._receive_loop()),
                       asyncio.create_task(self._mark_loop())]

    # --- caller → server ------------------------------------------------------------------------
    async def say(self, text: str, *, then_silence: float = 0.0) -> None:
        """Speak `text` (real time); returns when the last frame has been sent."""
        frames = await asyncio.to_thread(speech_frames, text)
        await self.send_frames(frames)
        if then_silence:
            await asyncio.sleep(then_silence)

    async def send_frames(self, frames: list[bytes]) -> None:
        """Queue μ-law frames behind whatever is being sent; returns once the last one is out."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._utterance_done = done
        last_loud = max((i for i, f in enumerate(frames) if is_audible(f)), default=len(frames) - 1)
        for i, frame in enumerate(frames):
            self._outgoing.put_nowait((frame, i == last_loud))
        self._outgoing.put_nowait((b"", False))  # marker: the utterance is out
        await done

    async def press(self, digits: str, gap: float = 0.15) -> None:
        for digit in digits:
            await self.send({"event": "dtmf", "streamSid": self.stream_sid, "dtmf": {"track": "inbound_track",
                                                                                  "digit": digit}})
            await asyncio.sleep(gap)

    async def send(self, message: Mapping[str, Any] | str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def _send_loop(self) -> None:
        chunk = 1
        next_at = time.monotonic()
        while not self.closed.is_set():
            try:
                frame, last_loud = self._outgoing.get_nowait()
            except asyncio.QueueEmpty:
                frame, last_loud = SILENCE, False
            if frame == b"":
                if self._utterance_done is not None and not self._utterance_done.done():
                    self._utterance_done.set_result(None)
                continue
            if last_loud:
                self.speech_ended_at = time.monotonic() + FRAME_SECONDS  # once this frame has played
            payload = base64.b64encode(frame).decode()
            await self.send({"event": "media", "streamSid": self.stream_sid,
                             "media": {"track": "inbound", "chunk": str(chunk), "timestamp": str(chunk * 20),
                                       "payload": payload}})
            chunk += 1
            next_at += FRAME_SECONDS
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    # --- server → caller ------------------------------------------------------------------------
    async def _receive_loop(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                self.events.append(message)
                await self._on_event(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()

    async def _on_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        now = time.monotonic()
        if event == "media":
            ulaw = base64.b64decode(message["media"]["payload"])
            pcm = mulaw_decode(ulaw)
            self.playback.media_messages += 1
            self.playback.pcm += pcm.astype("<i2").tobytes()
            starts = max(self._play_until, now)  # the server may send ahead of the play-out
            if is_audible(ulaw):
                if starts > self._heard_until + 0.05:
                    self.playback.first_audio_at.append(starts)  # audible audio after a quiet spell, as heard
                self._heard_until = starts + len(ulaw) / RATE
            self._play_until = starts + len(ulaw) / RATE
        elif event == "mark":
            self._marks.append((max(self._play_until, now), message["mark"]["name"]))
        elif event == "clear":
            self.playback.clears += 1
            self._play_until = now
            self._heard_until = min(self._heard_until, now)
            self._marks = [(now, name) for _, name in self._marks]

    async def _mark_loop(self) -> None:
        while not self.closed.is_set():
            now = time.monotonic()
            due = [m for m in self._marks if m[0] <= now]
            self._marks = [m for m in self._marks if m[0] > now]
            for _, name in due:
                self.playback.marks_echoed.append(name)
                await self.send({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}})
            await asyncio.sleep(0.01)

    def unplayed_seconds(self) -> float:
        """Bot audio received but not yet played."""
        return max(0.0, self._play_until - time.monotonic())

    # --- waiting --------------------------------------------------------------------------------
    async def wait_for_bot(self, after: float, within: float = 10.0) -> float:
        """Seconds from `after` to the first audible bot audio that arrived after it."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            later = [t for t in self.playback.first_audio_at if t > after]
            if later:
                return later[0] - after
            await asyncio.sleep(0.01)
        raise TimeoutError("the bot said nothing")

    async def wait_quiet(self, quiet: float = 0.6, within: float = 15.0) -> None:
        """Until the bot's audio has played out and nothing new came for `quiet` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            now = time.monotonic()
            if self._play_until + quiet <= now:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError("the bot kept talking")

    async def hang_up(self) -> None:
        await self.send({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}})
        await self.close()

    async def drop(self) -> None:
        """The line dies: the TCP connection goes away with no stop event and no close handshake."""
        self.ws.transport.abort()
        await self.close()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        self.closed.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


@dataclass
class HangUp:
    account_sid: str
    call_sid: str
    status: str | None
    authorization: str | None
    unplayed_seconds: float  # bot audio still buffered, unheard, when the hang-up came


@dataclass
class TextMessage:
    account_sid: str
    to: str
    from_: str
    body: str
    authorization: str | None


@dataclass
class PlacedCall:
    """A call the server asked Twilio to place (`POST …/Calls.json`)."""

    call_sid: str
    account_sid: str
    to: str
    from_: str
    url: str
    status_callback: str
    timeout: str
    authorization: str | None
    twiml: str = ""  # a call placed with its TwiML instead of a Url


class FakeTwilio:
    """Twilio for tests: places calls at a Convonet server and serves the REST hang-up, text messages and
    outbound calls (numbers in `unreachable` are refused with Twilio's 400, code 21211). A placed call
    rings until the test answers it (`answer_placed`) or reports how it ended (`report_status`)."""

    def __init__(self, server_url: str, *, auth_token: str | None, account_sid: str = "AC" + "0" * 32) -> None:
        self.server_url = server_url.rstrip("/")
        self.auth_token = auth_token
        self.account_sid = account_sid
        self.hang_ups: list[HangUp] = []
        self.messages: list[TextMessage] = []
        self.unreachable: set[str] = set()
        self.placed: list[PlacedCall] = []
        self.calls: dict[str, FakeCall] = {}
        self._runner: web.AppRunner | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.rest_url = ""

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls/{call}.json", self._rest_hang_up)
        app.router.add_post("/2010-04-01/Accounts/{account}/Messages.json", self._rest_message)
        app.router.add_post("/2010-04-01/Accounts/{account}/Calls.json", self._rest_place_call)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.rest_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*self._background, return_exceptions=True)
        for call in self.calls.values():
            await call.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _rest_hang_up(self, request: web.Request) -> web.Response:
        form = await request.post()
        call_sid = request.match_info["call"]
        status = form.get("Status")
        call = self.calls.get(call_sid)
        unplayed = call.unplayed_seconds() if call is not None else 0.0
        self.hang_ups.append(HangUp(request.match_info["account"], call_sid, str(status) if status else None,
                                    request.headers.get("Authorization"), unplayed))
        if call is not None and status == "completed":  # Twilio answers first, then ends the call
            self._background.add(asyncio.create_task(call.hang_up()))
        return web.json_response({"sid": call_sid, "status": "completed"})

    async def _rest_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        to, account = str(form.get("To", "")), request.match_info["account"]
        if to in self.unreachable:
            return web.json_response({"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                                      "status": 400}, status=400)
        self.messages.append(TextMessage(account, to, str(form.get("From", "")), str(form.get("Body", "")),
                                         request.headers.get("Authorization")))
        sid = "SM" + uuid.uuid4().hex
        return web.json_response({"sid": sid, "account_sid": account, "to": to, "from": form.get("From"),
                                  "body": form.get("Body"), "status": "queued"}, status=201)

    async def _rest_place_call(self, request: web.Request) -> web.Response:
        form = await request.post()
        to, account = str(form.get("To", "")), request.match_info["account"]
        if to in self.unreachable:
            return web.json_response({"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.",
                                      "status": 400}, status=400)
        placed = PlacedCall("CA" + uuid.uuid4().hex, account, to, str(form.get("From", "")), str(form.get("Url", "")),
                            str(form.get("StatusCallback", "")), str(form.get("Timeout", "")),
                            request.headers.get("Authorization"), str(form.get("Twiml", "")))
        self.placed.append(placed)
        return web.json_response({"sid": placed.call_sid, "account_sid": account, "to": to, "from": placed.from_,
                                  "status": "queued", "direction": "outbound-api"}, status=201)

    async def signed_post(self, url: str, params: dict[str, str]) -> httpx.Response:
        """POST a webhook the way Twilio does: form-encoded, signed over `url`."""
        headers = {"X-Twilio-Signature": sign(self.auth_token, url, params)} if self.auth_token else {}
        async with httpx.AsyncClient() as client:
            return await client.post(url, data=params, headers=headers)

    async def answer_placed(self, placed: PlacedCall) -> FakeCall:
        """The callee picks up: Twilio fetches the call's TwiML from its Url and opens the stream it names."""
        response = await self.signed_post(placed.url, {
            "CallSid": placed.call_sid, "AccountSid": placed.account_sid, "From": placed.from_, "To": placed.to,
            "CallStatus": "in-progress", "Direction": "outbound-api"})
        response.raise_for_status()
        stream = ET.fromstring(response.text).find("./Connect/Stream")
        assert stream is not None, response.text
        parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
        return await self.open_stream(stream.get("url", ""), placed.call_sid, parameters)

    async def report_status(self, placed: PlacedCall, status: str) -> httpx.Response:
        """Twilio's status callback for a placed call (busy, no-answer, failed, canceled, completed)."""
        return await self.signed_post(placed.status_callback, {
            "CallSid": placed.call_sid, "AccountSid": placed.account_sid, "From": placed.from_, "To": placed.to,
            "CallStatus": status, "Direction": "outbound-api"})

    # --- the webhook ----------------------------------------------------------------------------
    async def webhook(self, params: dict[str, str], *, signature: str | None = None,
                      public_url: str | None = None) -> httpx.Response:
        """POST the voice webhook, signed over `public_url` (what Twilio was configured with)."""
        url = f"{self.server_url}/twilio/call"
        headers = {}
        if signature is None and self.auth_token:
            signature = sign(self.auth_token, public_url or url, params)
        if signature:
            headers["X-Twilio-Signature"] = signature
        async with httpx.AsyncClient() as client:
            return await client.post(url, data=params, headers=headers)

    async def place_call(self, from_number: str, to_number: str = "+15550100000", *,
                         forge_stream_signature: bool = False,
                         before_start: Sequence[Mapping[str, Any] | str] | None = None) -> FakeCall:
        call_sid = "CA" + uuid.uuid4().hex
        response = await self.webhook({"CallSid": call_sid, "AccountSid": self.account_sid, "From": from_number,
                                       "To": to_number, "CallStatus": "ringing", "Direction": "inbound"})
        response.raise_for_status()
        stream = ET.fromstring(response.text).find("./Connect/Stream")
        assert stream is not None, response.text
        parameters = {p.get("name", ""): p.get("value", "") for p in stream.findall("Parameter")}
        call = await self.open_stream(stream.get("url", ""), call_sid, parameters,
                                      forge_signature=forge_stream_signature, before_start=before_start)
        return call

    async def open_stream(self, url: str, call_sid: str, parameters: dict[str, str], *,
                          forge_signature: bool = False, sign_it: bool = True,
                          before_start: Sequence[Mapping[str, Any] | str] | None = None) -> FakeCall:
        headers = {}
        if self.auth_token and sign_it:
            headers["X-Twilio-Signature"] = sign("wrong-token" if forge_signature else self.auth_token, url)
        ws = await websockets.connect(url, additional_headers=headers, max_size=2**22)
        stream_sid = "MZ" + uuid.uuid4().hex
        call = FakeCall(ws, stream_sid, call_sid)
        self.calls[call_sid] = call
        await call.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        for early in before_start or []:
            await call.send(early)
        await call.send({
            "event": "start", "sequenceNumber": "1", "streamSid": stream_sid,
            "start": {"streamSid": stream_sid, "accountSid": self.account_sid, "callSid": call_sid,
                      "tracks": ["inbound"], "customParameters": parameters,
                      "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1}},
        })
        call.start_streaming()
        return call
