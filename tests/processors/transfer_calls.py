"""A phone call's transfer bridge in a running pipeline with the real agent and call session, as the
transfer tests drive it: the call, what reached the rest of the pipeline, and an agent's audio leg."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pipecat.frames.frames import AudioRawFrame, Frame, LLMContextFrame, LLMTextFrame, TTSSpeakFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.workers.runner import WorkerRunner
from sqlmodel import select

from bots.agent.agent import Agent
from bots.session import CallInfo, CallSession
from core.models import User
from core.runtime import Runtime
from domains.productivity.models import Todo
from processors.agent_bridge import AgentBridge
from processors.pin_auth import Caller
from processors.transfer_bridge import TransferBridge

TIMEOUT = 1.5
"""Seconds a queued call rings before nobody has answered (the tests' TRANSFER_TIMEOUT)."""


class Sink(FrameProcessor):
    """The rest of the pipeline, as far as the bridge can tell: it keeps what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        self.frames.append(frame)
        await self.push_frame(frame, direction)

    def spoken(self) -> list[str]:
        return [f.text for f in self.frames if isinstance(f, (TTSSpeakFrame, LLMTextFrame))]


@dataclass
class Call:
    session: CallSession
    transfer: TransferBridge
    worker: PipelineWorker
    sink: Sink
    context: LLMContext = field(default_factory=lambda: LLMContext(messages=[]))

    async def say(self, text: str) -> None:
        """What the user aggregator does at the end of the caller's turn."""
        self.context.add_message({"role": "user", "content": text})
        await self.worker.queue_frame(LLMContextFrame(self.context))

    async def heard(self, text: str, within: float = 10.0) -> None:
        await eventually(lambda: holds(any(text.lower() in s.lower() for s in self.sink.spoken())), within)


async def holds(value: bool) -> bool:
    """`value`, awaitable (for `eventually`)."""
    return value


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            assert value, "never happened"
            return value
        await asyncio.sleep(0.05)


@asynccontextmanager
async def phone_call(runtime: Runtime, agent: Agent, user: User) -> AsyncIterator[Call]:
    session = CallSession(runtime, agent, CallInfo("CA-transfer-test", "phone", "+15551234567"))
    await session.authenticate(Caller(user.id, "Ann"))
    transfer = TransferBridge(session)
    session.transfer_handler = transfer.request
    bridge = AgentBridge(session, filler_after=None, on_transfer=session.request_transfer)
    sink = Sink()
    worker = PipelineWorker(Pipeline([transfer, bridge, sink]), params=PipelineParams(), enable_rtvi=False,
                            idle_timeout_secs=None)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    task = asyncio.create_task(runner.run())
    try:
        yield Call(session, transfer, worker, sink)
    finally:
        if not task.done():
            await worker.cancel(reason="test over")
        await asyncio.wait_for(task, 10)
        await runtime.background.drain()


async def todos_of(runtime: Runtime, user: User) -> list[str]:
    async with runtime.sessions() as session:
        return [t.title for t in (await session.exec(select(Todo).where(Todo.creator_id == user.id))).all()]


async def has_todo(runtime: Runtime, user: User, title: str) -> bool:
    return title in await todos_of(runtime, user)


def tone(seconds: float, rate: int = 8000) -> bytes:
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * 300 * t) * 8000).astype("<i2").tobytes()


class RecordingLeg:
    """The bridge's side of an agent's audio leg (the SmallWebRTC one is in tests/e2e): keeps the caller's audio."""

    def __init__(self) -> None:
        self.heard: list[AudioRawFrame] = []
        self.hung_up = False

    async def to_agent(self, frame: AudioRawFrame) -> None:
        self.heard.append(frame)

    async def hang_up(self) -> None:
        self.hung_up = True

