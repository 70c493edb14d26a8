"""`/webrtc/ws`, the replaced system's JSON voice channel, spoken by a test client against the real app on
loopback: sign in with a PIN, send a spoken command as MediaRecorder would (WebM/Opus chunks, made here
with PyAV from hibari's voice), hear back `transcript_final`, `agent_final` and the reply as WAV; a
wrong PIN is refused, messages out of order are answered with an error and the call goes on."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import websockets
from sqlmodel import select

from domains.productivity.models import Todo
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.processors.callers import CALLER_PIN, register_caller
from tests.voice import VOICE

SHARED_PIN = "135790"


@pytest.fixture
async def server(backend: Backend, tmp_path: Path, voice_data_dir: Path) -> AsyncIterator[PhoneServer]:
    async with open_phone_server(backend, tmp_path, data_dir=voice_data_dir, voice_pin=SHARED_PIN,
                                 voice_pin_user="ann@example.com") as running:
        yield running


def webm_of(text: str, lead_silence: float = 0.3) -> bytes:
    """`text` in hibari's voice as a browser's MediaRecorder makes it: WebM with Opus, streamed (sizes unknown)."""
    pcm, _ = VOICE.synthesize(text, 48000, seed=0)
    samples = np.concatenate([np.zeros(int(48000 * lead_silence), np.int16), np.asarray(pcm, np.int16)])

    class Sink(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.data += bytes(b)
            return len(b)

    sink = Sink()
    with av.open(sink, "w", format="webm", options={"live": "1"}) as out:
        stream = out.add_stream("libopus", rate=48000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return bytes(sink.data)


class Client:
    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def send(self, **msg: Any) -> None:
        await self.ws.send(json.dumps(msg))

    async def next(self, kind: str | None = None, within: float = 30.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                msg = json.loads(await self.ws.recv())
                if kind is None or msg["type"] == kind:
                    return dict(msg)

    async def speak(self, text: str, chunk: int = 1500) -> None:
        data = webm_of(text)
        await self.send(type="start_recording")
        for at in range(0, len(data), chunk):
            await self.send(type="audio_chunk", audio=base64.b64encode(data[at : at + chunk]).decode())
        await self.send(type="stop_recording")


def audible_wav(msg: dict[str, Any]) -> float:
    """Seconds of the reply's WAV (asserting it is one, with sound in it)."""
    assert msg["type"] == "audio_chunk" and msg["format"] == "wav"
    with wave.open(io.BytesIO(base64.b64decode(msg["audio"]))) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, msg["sample_rate"])
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.abs(pcm.astype(np.int32)).max() > 1000
    return len(pcm) / msg["sample_rate"]


def ws_url(server: PhoneServer) -> str:
    return server.url.replace("http://", "ws://") + "/webrtc/ws"


async def test_a_spoken_command_over_the_socket_is_heard_answered_and_done(server: PhoneServer) -> None:
    ann = await register_caller(server.runtime)
    async with websockets.connect(ws_url(server), max_size=None) as ws:
        client = Client(ws)
        await client.send(type="start_recording")
        assert await client.next() == {"type": "error", "text": "Authenticate first."}
        await client.send(type="authenticate", email="ann@example.com", pin="0000")
        assert (await client.next())["type"] == "auth_failed"
        await client.send(type="authenticate", email="ann@example.com", pin=CALLER_PIN)
        assert await client.next() == {"type": "auth_ok", "text": "Hi Ann, how can I help?"}
        assert audible_wav(await client.next("audio_chunk")) > 0.5  # the greeting, spoken

        # Out of order and malformed: an error each, nothing else changes.
        await client.send(type="stop_recording")
        assert (await client.next())["text"] == "stop_recording without start_recording."
        await client.send(type="audio_chunk", audio=base64.b64encode(b"x" * 100).decode())
        assert (await client.next())["text"] == "audio_chunk before start_recording."
        await client.send(type="start_recording")
        await client.send(type="audio_chunk", audio=base64.b64encode(b"not a webm file").decode())
        assert "not a WebM recording" in (await client.next())["text"]
        await ws.send("{" * 10)
        assert (await client.next())["type"] == "error"

        await client.speak("create a todo to buy milk")
        heard = await client.next("transcript_final")
        assert "buy milk" in heard["text"].lower()
        answer = await client.next("agent_final")
        assert "milk" in answer["text"].lower()
        assert audible_wav(await client.next("audio_chunk")) > 0.5
    async with server.runtime.sessions() as session:
        titles = [t.title for t in (await session.exec(select(Todo).where(Todo.creator_id == ann.id))).all()]
    assert any("milk" in t.lower() for t in titles), titles


async def test_a_pin_alone_is_the_shared_voice_pin_and_a_wrong_one_is_refused(server: PhoneServer) -> None:
    await register_caller(server.runtime)
    async with websockets.connect(ws_url(server)) as ws:
        client = Client(ws)
        await ws.send(b"\x00\x01 not text")
        assert await client.next() == {"type": "error", "text": "Authenticate first."}
        await client.send(type="authenticate", pin=CALLER_PIN)  # Ann's own PIN needs her email
        assert await client.next() == {"type": "auth_failed", "text": "That PIN is not right."}
        await client.send(type="authenticate", pin="12")
        assert (await client.next())["type"] == "auth_failed"
        await client.send(type="authenticate", pin=SHARED_PIN)
        assert (await client.next())["type"] == "auth_ok"
        await client.send(type="authenticate", pin=SHARED_PIN)
        assert (await client.next("error"))["text"] == "Already authenticated."
