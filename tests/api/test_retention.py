"""Retention: past RETENTION_DAYS a call's words are gone from every place they were copied to."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from langgraph.checkpoint.base import empty_checkpoint
from sqlmodel import select

from api.retention import purge
from bots.agent.checkpoint import open_checkpointer
from core import monitor
from core.models import CallRecording
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.transfer.callbacks import CallbackRequest
from domains.transfer.models import CallCenterOutcome


async def test_purge_removes_old_calls_everywhere_and_keeps_recent_ones(runtime: Runtime) -> None:
    now = utcnow()
    old, new = now - timedelta(days=31), now - timedelta(days=1)
    audio = runtime.settings.data_dir / "recordings" / "CAold.wav"
    audio.parent.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(b"RIFF")
    message = runtime.settings.data_dir / "voicemail" / "c1.wav"
    message.parent.mkdir(parents=True, exist_ok=True)
    message.write_bytes(b"RIFF")
    async with runtime.sessions() as session, session.begin():
        session.add(CallRecording(call_sid="CAold", channel="phone", started_at=old, audio_path="recordings/CAold.wav",
                                  transcript=[{"role": "user", "text": "my date of birth is 1 May 1960"}]))
        session.add(CallRecording(call_sid="CAnew", channel="phone", started_at=new,
                                  transcript=[{"role": "user", "text": "hello"}]))
        session.add(CallCenterOutcome(call_id="c1", call_sid="CAold", outcome="answered", at=old,
                                      entry={"summary": "chest pain"}))
        session.add(CallCenterOutcome(call_id="c2", call_sid="CAnew", outcome="answered", at=new))
        session.add(CallbackRequest(call_id="c1", department="support", caller_name="Ann", created_at=old,
                                    transcript=[{"role": "user", "text": "my date of birth is 1 May 1960"}],
                                    message_path="voicemail/c1.wav"))
        session.add(CallbackRequest(call_id="c2", department="support", caller_name="Bo", created_at=new))
    for at, sid in ((old, "CAold"), (new, "CAnew")):
        await monitor.publish(runtime.store, monitor.TransferRecord(at=at, call_sid=sid, request=TransferRequest("billing", reason="x")))

    async with open_checkpointer(runtime.settings) as saver:
        for thread in ("call-CAold", "call-CAnew"):
            config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
            await saver.aput(config, empty_checkpoint(), {}, {})  # type: ignore[arg-type]
        purged = await purge(runtime, 30, saver.adelete_thread)
        assert await saver.aget_tuple({"configurable": {"thread_id": "call-CAold"}}) is None
        assert await saver.aget_tuple({"configurable": {"thread_id": "call-CAnew"}}) is not None

    assert (purged.calls, purged.audio_files, purged.threads, purged.outcomes, purged.monitor_records) == (1, 2, 1, 1, 1)
    assert purged.callbacks == 1 and not message.exists()
    assert not audio.exists()
    async with runtime.sessions() as session:
        assert [r.call_sid for r in (await session.exec(select(CallRecording))).all()] == ["CAnew"]
        assert [o.call_sid for o in (await session.exec(select(CallCenterOutcome))).all()] == ["CAnew"]
        assert [c.call_id for c in (await session.exec(select(CallbackRequest))).all()] == ["c2"]
    assert [r.call_sid for r in await monitor.recent(runtime.store)] == ["CAnew"]
    again = await purge(runtime, 30, None)
    assert (again.calls, again.outcomes, again.monitor_records) == (0, 0, 0)


async def test_audio_paths_outside_the_data_dir_are_never_deleted(runtime: Runtime, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path_factory.mktemp("elsewhere") / "keep.wav"
    outside.write_bytes(b"RIFF")
    async with runtime.sessions() as session, session.begin():
        session.add(CallRecording(call_sid="CAx", channel="phone", started_at=utcnow() - timedelta(days=90),
                                  audio_path=str(outside)))
    purged = await purge(runtime, 30, None)
    assert purged.calls == 1 and purged.audio_files == 0 and outside.exists()


async def test_the_server_purges_on_its_own_when_retention_is_set(runtime: Runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """RETENTION_DAYS set: the app's job purges at start (then hourly), with no one running `convonet purge`."""
    from fastapi import FastAPI

    from api.retention import running
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, runtime.settings.database_url, runtime.settings.redis_url, retention_days=30)
    kept = type(runtime)(settings, runtime.engine, runtime.sessions, runtime.store)
    async with runtime.sessions() as session, session.begin():
        session.add(CallRecording(call_sid="CAold", channel="phone", started_at=utcnow() - timedelta(days=31)))

    async def left() -> list[str]:
        async with runtime.sessions() as session:
            return [r.call_sid for r in (await session.exec(select(CallRecording))).all()]

    async with running(FastAPI(), kept):
        for _ in range(100):
            if not await left():
                break
            await asyncio.sleep(0.05)
    assert await left() == []
