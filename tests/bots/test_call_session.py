"""A call's record: written in progress when the call starts, completed in one transaction at the end."""

from __future__ import annotations

import json

from sqlmodel import select

from bots.agent.agent import Agent
from bots.session import CallInfo, CallSession
from core.models import CallRecording
from core.monitor import TurnRecord
from core.runtime import Runtime
from processors.pin_auth import Caller
from tests.processors.callers import CALLER_PHONE, register_caller


async def row_of(runtime: Runtime, call_sid: str) -> CallRecording:
    async with runtime.sessions() as session:
        rows = (await session.exec(select(CallRecording).where(CallRecording.call_sid == call_sid))).all()
    assert len(rows) == 1
    return rows[0]


async def test_record_lifecycle_and_monitor_events(runtime: Runtime) -> None:
    user = await register_caller(runtime)
    async with Agent.open(runtime) as agent:
        call = CallSession(runtime, agent, CallInfo("CA-life", "phone", CALLER_PHONE, "+15550100000"))
        await call.open_record()
        assert (await row_of(runtime, "CA-life")).status == "in-progress"

        await call.authenticate(Caller(user.id, "Ann"))
        result = await call.turn("create a todo to buy milk")
        call.add_line("user", "create a todo to buy milk")
        call.add_line("assistant", result.reply, interrupted=False)
        await call.publish_turn(TurnRecord(**call.call_info(), turn=1, stt_ms=300.0))
        await call.close_record()

    row = await row_of(runtime, "CA-life")
    assert row.status == "completed" and row.ended_at is not None and row.user_id == user.id
    assert [line["role"] for line in row.transcript] == ["user", "assistant"]
    [timing] = row.timings
    assert {k: timing[k] for k in ("type", "call_sid", "channel", "user_id", "turn", "stt_ms")} == {
        "type": "turn", "call_sid": "CA-life", "channel": "phone", "user_id": str(user.id), "turn": 1, "stt_ms": 300.0}
    assert TurnRecord.model_validate(timing).stt_ms == 300.0
    recent = [json.loads(m) for m in await runtime.store.range("monitor:recent")]
    assert recent[0]["call_sid"] == "CA-life"


async def test_a_failed_close_leaves_the_row_as_started(runtime: Runtime) -> None:
    async with Agent.open(runtime) as agent:
        call = CallSession(runtime, agent, CallInfo("CA-broken", "phone", None, None))
        await call.open_record()
        call.failed = True
        call.transcript.append({"role": "user", "text": object()})  # cannot be stored: the update must fail whole
        await call.close_record()
    row = await row_of(runtime, "CA-broken")
    assert row.status == "in-progress" and row.transcript == [] and row.ended_at is None


async def test_failed_call_is_marked_failed_and_a_reconnect_reuses_the_row(runtime: Runtime) -> None:
    async with Agent.open(runtime) as agent:
        first = CallSession(runtime, agent, CallInfo("CA-again", "phone", None, None))
        await first.open_record()
        first.failed = True
        await first.close_record()
        again = CallSession(runtime, agent, CallInfo("CA-again", "phone", None, None))
        await again.open_record()
        assert again.recording_id == first.recording_id
    assert (await row_of(runtime, "CA-again")).status == "failed"
