"""A phone call end to end: fake Twilio ↔ uvicorn ↔ Pipecat ↔ PocketSphinx/hibari ↔ agent ↔ database.

Twilio's part is played on the real wire protocol (tests/fakes/twilio_client.py): a signed
webhook, the TwiML it returns, a signed Media Streams websocket, 20 ms μ-law frames in real
time carrying hibari's voice, keypad tones for the PIN. Nothing in the server is replaced.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from core.models import CallRecording
from core.runtime import Runtime
from domains.productivity.models import Todo
from tests.conftest import Backend
from tests.fakes.phone_server import PhoneServer, open_phone_server
from tests.processors.callers import CALLER_PHONE, CALLER_PIN, register_caller

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow


@pytest.fixture
async def phone(backend: Backend, tmp_path: Path) -> AsyncIterator[PhoneServer]:
    async with open_phone_server(backend, tmp_path, data_dir=tmp_path / "data") as server:
        yield server


async def eventually(check, within: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.1)


async def todos_of(runtime: Runtime) -> list[str]:
    async with runtime.sessions() as session:
        return [t.title for t in (await session.exec(select(Todo))).all()]


async def recording(runtime: Runtime, call_sid: str) -> CallRecording | None:
    async with runtime.sessions() as session:
        return (await session.exec(select(CallRecording).where(CallRecording.call_sid == call_sid))).first()


async def test_caller_keys_pin_and_creates_a_todo_by_voice(phone: PhoneServer) -> None:
    runtime = phone.runtime
    await register_caller(runtime)
    call = await phone.twilio.place_call(CALLER_PHONE)

    welcome_after = time.monotonic()
    await call.wait_for_bot(welcome_after, within=15)  # "Welcome to Convonet. Please say your PIN…"
    await call.wait_quiet()
    row = await recording(runtime, call.call_sid)
    assert row is not None and row.status == "in-progress"  # written when the call started

    await call.press(CALLER_PIN + "#")
    await call.wait_for_bot(time.monotonic() - 1.0)  # "Hi Ann, how can I help?"
    await call.wait_quiet()

    await call.say("create a todo to buy milk")
    assert call.speech_ended_at is not None
    latency = await call.wait_for_bot(call.speech_ended_at, within=15)
    print(f"\nphone path: end of caller speech -> first bot audio at the caller = {latency * 1000:.0f} ms")
    await call.wait_quiet()

    assert await eventually(lambda: todos_of(runtime)) == ["buy milk"]
    assert len(call.playback.pcm) / 2 / 8000 > 2.0  # the bot's audio came back (seconds of it)
    assert call.playback.marks_echoed  # marks were sent after each utterance and played out

    recent = [json.loads(m) for m in await runtime.store.range("monitor:recent")]
    turns = [e for e in recent if e.get("type") == "turn" and e.get("call_sid") == call.call_sid]
    assert len(turns) == 1
    turn = turns[0]
    for stage in ("stt_ms", "llm_first_token_ms", "tts_first_audio_ms", "eos_to_first_audio_ms", "agent_ms"):
        assert isinstance(turn[stage], float) and turn[stage] >= 0, (stage, turn)
    assert turn["tool_calls"][0]["name"] == "create_todo" and turn["tool_calls"][0]["ok"]
    assert turn["channel"] == "phone" and turn["user_id"] and turn["domain"] == "productivity"
    print(f"server-side turn record: {json.dumps({k: v for k, v in turn.items() if k.endswith('_ms')})}")

    await call.hang_up()
    row = await eventually(lambda: _closed(runtime, call.call_sid))
    assert row is not None and row.status == "completed" and row.ended_at is not None
    assert row.user_id is not None and row.from_number == CALLER_PHONE
    said = [(line["role"], line["text"].lower()) for line in row.transcript]
    assert any(role == "user" and "milk" in text for role, text in said)
    assert any(role == "assistant" and "milk" in text for role, text in said)
    assert not any(CALLER_PIN in text for _, text in said)
    assert len(row.timings) == 1


async def _closed(runtime: Runtime, call_sid: str) -> CallRecording | None:
    row = await recording(runtime, call_sid)
    return row if row is not None and row.status != "in-progress" else None
