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
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import uuid
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
    texts: list[str] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def tone(text: str, sample_rate: int, seconds_per_char: float) -> bytes:
    """16-bit mono PCM of a 440 Hz tone whose length follows the text."""
    n = int(sample_rate * max(0.1, seconds_per_char * len(text.strip())))
    t = np.arange(n) / sample_rate
    return (0.3 * 32767 * np.sin(2 * math.pi * 440.0 * t)).astype("<i2").tobytes()


def _chunks(pcm: bytes, sample_rate: int, ms: int = 100) -> list[bytes]:
    step = 2 * sample_rate * ms // 1000
    return [pcm[i: i + step] for i in range(0, len(pcm), step)]


class FakeSpeechServer:
    """`async with FakeSpeechServer(transcript="...") as server:` then point the clients at `server.url`."""

    def __init__(self, *, transcript: str = "add a todo to buy milk", interim_every: float = 0.5,
                 seconds_per_char: float = 0.04) -> None:
        self.transcript = transcript
        self.interim_every = interim_every
        self.seconds_per_char = seconds_per_char
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
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    conn.audio_bytes += len(msg.data)
                    heard += len(msg.data) / 2 / rate
                    if heard >= next_interim:
                        next_interim += self.interim_every
                        partial = " ".join(words[: max(1, int(len(words) * min(1.0, heard / 2.0)))])
                        await ws.send_json(self._results(partial, heard, is_final=False))
                elif msg.type == WSMsgType.TEXT:
                    body = json.loads(msg.data)
                    conn.messages.append(body)
                    if body.get("type") == "Finalize":
                        await ws.send_json(self._results(self.transcript, heard, is_final=True, from_finalize=True))
                        heard, next_interim = 0.0, self.interim_every
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
                    for chunk in _chunks(tone(" ".join(buffered), rate, self.seconds_per_char), rate):
                        await ws.send_bytes(chunk)
                    buffered.clear()
                    await ws.send_json({"type": "Flushed", "sequence_id": 0})
                elif kind == "Clear":
                    buffered.clear()
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
                    for chunk in _chunks(tone(text, rate, self.seconds_per_char), rate):
                        await ws.send_json({"audio": base64.b64encode(chunk).decode(), "isFinal": False,
                                            "contextId": ctx})
                    await asyncio.sleep(0)
        finally:
            self._sockets.discard(ws)
        await ws.close()
        return ws
