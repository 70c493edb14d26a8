"""Retention: what callers said is kept for RETENTION_DAYS, then purged everywhere it was copied.

A purge removes, for calls that started before the cutoff: their `call_recordings` rows (transcript,
timings, summary) and audio files, their agent conversation (the checkpointer's thread
`call-<CallSid>`), their call-center outcome entries, callback requests (with the transcript they
carry, and the voice messages' audio files) made before the cutoff; and from the store, monitor records older
than the cutoff. It runs hourly inside the server when RETENTION_DAYS is set (`running`), and on
demand with `convonet purge`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlmodel import col, delete, select

from core import monitor
from core.db import transaction
from core.logging import describe_error, report_exception
from core.models import CallRecording
from core.runtime import Runtime
from core.timeutil import utcnow
from domains.transfer.callbacks import CallbackRequest
from domains.transfer.models import CallCenterOutcome

log = logging.getLogger(__name__)

SWEEP_SECONDS = 3600.0
BATCH = 500

ForgetThread = Callable[[str], Awaitable[None]]


@dataclass
class Purged:
    calls: int = 0
    audio_files: int = 0
    threads: int = 0
    outcomes: int = 0
    callbacks: int = 0
    monitor_records: int = 0


def _inside(path: str, root: Path) -> Path | None:
    resolved = (root / path).resolve()
    return resolved if resolved.is_relative_to(root.resolve()) else None


async def purge(runtime: Runtime, days: int, forget_thread: ForgetThread | None, *,
                now: datetime | None = None) -> Purged:
    """Remove everything older than `days` days (see the module's docstring)."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    done = Purged()
    while True:
        async with transaction(runtime.sessions) as session:
            rows = (await session.exec(
                select(CallRecording.id, CallRecording.call_sid, CallRecording.audio_path)
                .where(col(CallRecording.started_at) < cutoff).limit(BATCH)
            )).all()
            if not rows:
                break
            await session.exec(delete(CallRecording).where(col(CallRecording.id).in_([r[0] for r in rows])))
        done.calls += len(rows)
        for _, call_sid, audio_path in rows:
            if audio_path and (path := _inside(audio_path, runtime.settings.data_dir)) is not None and path.is_file():
                path.unlink()
                done.audio_files += 1
            if forget_thread is not None:
                await forget_thread(f"call-{call_sid}")
                done.threads += 1
    async with transaction(runtime.sessions) as session:
        result = await session.exec(delete(CallCenterOutcome).where(col(CallCenterOutcome.at) < cutoff))
        done.outcomes = int(result.rowcount or 0)
        messages = (await session.exec(
            select(CallbackRequest.message_path).where(col(CallbackRequest.created_at) < cutoff,
                                                       col(CallbackRequest.message_path).is_not(None))
        )).all()
        result = await session.exec(delete(CallbackRequest).where(col(CallbackRequest.created_at) < cutoff))
        done.callbacks = int(result.rowcount or 0)
    for message_path in messages:
        if message_path and (path := _inside(message_path, runtime.settings.data_dir)) is not None and path.is_file():
            path.unlink()
            done.audio_files += 1
    for message in await runtime.store.range(monitor.MONITOR_RECENT):
        record = monitor.parse(message)
        if record is None or (record.at is not None and record.at < cutoff):
            done.monitor_records += await runtime.store.remove(monitor.MONITOR_RECENT, message)
    return done


@asynccontextmanager
async def running(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
    """The hourly purge for the app's lifetime, when RETENTION_DAYS is set (enter it after the agent opens)."""
    days = runtime.settings.retention_days
    if days is None:
        yield
        return

    async def forget(thread_id: str) -> None:
        agent = getattr(app.state, "agent", None)
        if agent is not None and agent.graph.checkpointer is not None:
            await agent.graph.checkpointer.adelete_thread(thread_id)

    async def sweep() -> None:
        while True:
            try:
                purged = await purge(runtime, days, forget)
                log.info("retention: purged %s", purged)
            except Exception as exc:  # the next sweep tries again; the server goes on
                log.error("retention: purge failed: %s", describe_error(exc))
                report_exception(exc)
            await asyncio.sleep(SWEEP_SECONDS)

    task = asyncio.get_running_loop().create_task(sweep(), name="retention")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
