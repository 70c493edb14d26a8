"""A local stand-in for the cloud speech APIs, for testing Pipecat's real Deepgram, ElevenLabs and
Cartesia clients: one aiohttp server on 127.0.0.1 speaking enough of each websocket protocol for a
transcript to come back and audio to come out.

* Deepgram listen (`/v1/listen`): binary audio in; an interim `Results` after every
  `interim_every` seconds of audio, and on `Finalize` a final one (`is_final`, `from_finalize`)
  carrying `transcript`. `KeepAlive` is ignored; `CloseStream` closes.
* Deepgram speak (`/v1/speak`): `Speak` texts are buffered; `Flush` sends them as linear16 audio
  (binary messages) and then `Flushed`; `Clear` answers `Cleared`; `Close` closes.
* Cartesia (`/tts/websocket`): a message with a `transcript` gets `chunk`s (base64 pcm_s16le) and
  word `timestamps`; `continue: false` ends the context with `done`; `cancel` drops it.
* ElevenLabs (`/v1/text-to-speech/{voice}/multi-stream-input`): `text` gets `audio` messages;
  `close_context` answers `isFinal`; `close_socket` closes.

The audio is a 440 Hz tone, `seconds_per_char` long per character of text, at the sample rate the
client asked for. Every connection and text is recorded for assertions.

Options for benchmarks (the defaults keep the behaviour above): `final_delay` (seconds from
`Finalize` to the final `Results`, as Deepgram takes ~150 ms) and `first_audio_delay` (seconds from
the text, or the `Flush`, to the first audio, ~120 ms for a cloud TTS), both sent from a task so the
socket keeps reading meanwhile; and `recognise`, a map from a fragment of 16-bit PCM to its
transcript: the final transcript is the one whose fragment occurs in the audio since the last
`Finalize` (so concurrent calls each get what their caller said), `transcript` when none does, and
interims are only sent while the audio is not silent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import math
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from aiohttp import WSMsgType, web


@dataclass
class Connection:
    """One websocket a client opened."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    audio_bytes: int = 0
    texts: list[str] = field(default_factory=list)  # TTS: texts received; STT: final transcripts sent
    messages: list[dict[str, Any]] = field(default_factory=list)


def tone(text: str, sample_rate: int, seconds_per_char: float) -> bytes:
    """16-bit mono PCM of a 440 Hz tone whose length follows the text."""
    n = int(sample_rate * max(0.1, seconds_per_char * len(text.strip())))
    t = np.arange(n) / sample_rate
    return (0.3 * 32767 * np.sin(2 * math.pi * 440.0 * t)).astype("<i2").tobytes()


def _loud(pcm: bytes, threshold: int = 500) -> bool:
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], "<i2")
    return bool(samples.size and int(np.abs(samples.astype(np.int32)).max()) > threshold)


def partial_send(send: Callable[[Any], Awaitable[None]], message: Any) -> Callable[[], Awaitable[None]]:
    return lambda: send(message)


def _chunks(pcm: bytes, sample_rate: int, ms: int = 100) -> list[bytes]:
    step = 2 * sample_rate * ms // 1000
    return [pcm[i: i + step] for i in range(0, len(pcm), step)]


class FakeSpeechServer:
    """`async with FakeSpeechServer(transcript="...") as server:` then point the clients at `server.url`."""

    def __init__(self, *, transcript: str = "add a todo to buy milk", interim_every: float = 0.5,
                 seconds_per_char: float = 0.04, final_delay: float = 0.0, first_audio_delay: float = 0.0,
                 recognise: Mapping[bytes, str] | None = None) -> None:
        self.transcript = transcript
        self.interim_every = interim_every
        self.seconds_per_char = seconds_per_char
        self.final_delay = final_delay
        self.first_audio_delay = first_audio_delay
        self.recognise = dict(recognise or {})
        self._pending: set[asyncio.Task[None]] = set()
        self.connections: list[Connection] = []
        self._sockets: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_get("/v1/listen", self._deepgram_listen)
        app.router.add_get("/v1/speak", self._deepgram_speak)
        app.router.add_get("/tts/websocket", self._cartesia)
        app.router.add_get("/v1/text-to-speech/{voice}/multi-stream-input", self._elevenlabs)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`: what the *_BASE_URL settings take."""
        return f"http://127.0.0.1:{self._port}"

    def on(self, path_prefix: str) -> list[Connection]:
        """The connections whose path starts with `path_prefix`."""
        return [c for c in self.connections if c.path.startswith(path_prefix)]

    def _later(self, delay: float, send: Callable[[], Awaitable[None]]) -> asyncio.Task[None] | None:
        """Run `send` after `delay` seconds in its own task (None, and nothing run, when delay is 0)."""
        if delay <= 0:
            return None

        async def run() -> None:
            await asyncio.sleep(delay)
            with contextlib.suppress(ConnectionError, RuntimeError):
                await send()

        task = asyncio.create_task(run())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task

    def _heard(self, utterance: bytes | bytearray) -> str:
        """The transcript whose PCM fragment is in `utterance` (the last one, if several are)."""
        found = [(utterance.rfind(fragment), text) for fragment, text in self.recognise.items()]
        hits = [hit for hit in found if hit[0] >= 0]
        return max(hits)[1] if hits else self.transcript

    async def _accept(self, request: web.Request) -> tuple[web.WebSocketResponse, Connection]:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        conn = Connection(request.path, dict(request.query), dict(request.headers))
        self.connections.append(conn)
        self._sockets.add(ws)
        return ws, conn

    # ------------------------------------------------------------------ Deepgram listen
    async def _deepgram_listen(self, request: web.Request) -> web.WebSocketResponse:
        ws, conn = await self._accept(request)
        rate = int(conn.query.get("sample_rate", "16000"))
        heard = 0.0  # seconds of audio in the current utterance
        next_interim = self.interim_every
        words = self.transcript.split()
        utterance = bytearray()  # the PCM since the last Finalize, when recognising
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    conn.audio_bytes += len(msg.data)
                    if self.recognise:
                        utterance += msg.data
                        del utterance[: max(0, len(utterance) - 2 * rate * 30)]  # the last 30 s is plenty
                        if not _loud(msg.data):
                            continue  # interims only while someone speaks
                        words = self._heard(utterance).split()
                    heard += len(msg.data) / 2 / rate
                    if heard >= next_interim:
                        next_interim += self.interim_every
                        partial = " ".join(words[: max(1, int(len(words) * min(1.0, heard / 2.0)))])
                        await ws.send_json(self._results(partial, heard, is_final=False))
                elif msg.type == WSMsgType.TEXT:
                    body = json.loads(msg.data)
                    conn.messages.append(body)
                    if body.get("type") == "Finalize":
                        text = self._heard(utterance)
                        conn.texts.append(text)  # the final transcripts sent, in order
                        final = self._results(text, heard, is_final=True, from_finalize=True)
                        if not self._later(self.final_delay, partial_send(ws.send_json, final)):
                            await ws.send_json(final)
                        heard, next_interim = 0.0, self.interim_every
                        utterance.clear()
                    elif body.get("type") == "CloseStream":
                        break
        finally:
            self._sockets.discard(ws)
        await ws.close()
        return ws

    @staticmethod
    def _results(text: str, duration: float, *, is_final: bool, from_finalize: bool = False) -> dict[str, Any]:
        words = text.split()
        step = duration / max(1, len(words))
        return {
            "type": "Results", "channel_index": [0, 1], "duration": duration, "start": 0.0,
            "is_final": is_final, "speech_final": is_final, "from_finalize": from_finalize,
            "channel": {"alternatives": [{
                "transcript": text, "confidence": 0.99,
                "words": [{"word": w, "start": i * step, "end": (i + 1) * step, "confidence": 0.99,
                           "punctuated_word": w} for i, w in enumerate(words)],
            }]},
            "metadata": {"request_id": str(uuid.uuid4()), "model_uuid": str(uuid.uuid4()),
                         "model_info": {"name": "fake-nova", "version": "1", "arch": "fake"}},
        }

    # ------------------------------------------------------------------ Deepgram speak
    async def _deepgram_speak(self, request: web.Request) -> web.WebSocketResponse:
        ws, conn = await self._accept(request)
        rate = int(conn.query.get("sample_rate", "24000"))
        buffered: list[str] = []
        speaking: set[asyncio.Task[None]] = set()  # delayed Flush answers, cancelled by Clear
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                body = json.loads(msg.data)
                conn.messages.append(body)
                kind = body.get("type")
                if kind == "Speak":
                    conn.texts.append(body["text"])
                    buffered.append(body["text"])
                elif kind == "Flush":
                    audio = _chunks(tone(" ".join(buffered), rate, self.seconds_per_char), rate)
                    buffered.clear()

                    async def speak(ws: web.WebSocketResponse = ws, audio: list[bytes] = audio) -> None:
                        for chunk in audio:
                            await ws.send_bytes(chunk)
                        await ws.send_json({"type": "Flushed", "sequence_id": 0})

                    if (task := self._later(self.first_audio_delay, speak)) is not None:
                        speaking.add(task)
                    else:
                        await speak()
                elif kind == "Clear":
                    buffered.clear()
                    for task in speaking:
                        task.cancel()
                    speaking.clear()
                    await ws.send_json({"type": "Cleared", "sequence_id": 0})
                elif kind == "Close":
                    break
        finally:
            self._sockets.discard(ws)
        await ws.close()
        return ws

    # ------------------------------------------------------------------ Cartesia
    async def _cartesia(self, request: web.Request) -> web.WebSocketResponse:
        ws, conn = await self._accept(request)
        cancelled: set[str] = set()
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                body = json.loads(msg.data)
                conn.messages.append(body)
                ctx = body.get("context_id", "")
                if body.get("cancel"):
                    cancelled.add(ctx)
                    continue
                text = body.get("transcript", "")
                if text.strip() and ctx not in cancelled:
                    conn.texts.append(text)
                    if self.first_audio_delay > 0:
                        await asyncio.sleep(self.first_audio_delay)
                    rate = int(body["output_format"]["sample_rate"])
                    words = text.split()
                    await ws.send_json({"type": "timestamps", "context_id": ctx, "word_timestamps": {
                        "words": words, "start": [i * 0.3 for i in range(len(words))],
                        "end": [(i + 1) * 0.3 for i in range(len(words))]}})
                    for chunk in _chunks(tone(text, rate, self.seconds_per_char), rate):
                        await ws.send_json({"type": "chunk", "context_id": ctx, "done": False,
                                            "data": base64.b64encode(chunk).decode()})
                if body.get("continue") is False and ctx not in cancelled:
                    await ws.send_json({"type": "done", "context_id": ctx, "done": True})
        finally:
            self._sockets.discard(ws)
        await ws.close()
        return ws

    # ------------------------------------------------------------------ ElevenLabs
    async def _elevenlabs(self, request: web.Request) -> web.WebSocketResponse:
        ws, conn = await self._accept(request)
        rate = int(conn.query.get("output_format", "pcm_16000").removeprefix("pcm_"))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                body = json.loads(msg.data)
                conn.messages.append(body)
                ctx = body.get("context_id")
                if body.get("close_socket"):
                    break
                if body.get("close_context"):
                    await ws.send_json({"isFinal": True, "contextId": ctx})
                    continue
                text = body.get("text", "")
                if text.strip():
                    conn.texts.append(text)
                    if self.first_audio_delay > 0:
                        await asyncio.sleep(self.first_audio_delay)
                    for chunk in _chunks(tone(text, rate, self.seconds_per_char), rate):
                        await ws.send_json({"audio": base64.b64encode(chunk).decode(), "isFinal": False,
                                            "contextId": ctx})
                    await asyncio.sleep(0)
        finally:
            self._sockets.discard(ws)
        await ws.close()
        return ws
