"""`pipecat.tests.utils.run_test` with one more kind of step: `Until`, which waits for a condition on the
frames received so far instead of a fixed `SleepFrame`, so a test that waits for a turn to be answered
takes as long as the turn, not as long as the slowest turn it allowed for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pipecat.frames.frames import EndFrame, Frame, StartFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame
from pipecat.workers.runner import WorkerRunner


@dataclass(frozen=True)
class Until:
    """A step: wait until `ready(frames received downstream so far)` holds; fail after `within` seconds."""

    ready: Callable[[list[Frame]], bool]
    within: float = 15.0


class _Sink(FrameProcessor):
    """The pipeline's end: keeps every downstream frame but the StartFrame, in order."""

    def __init__(self) -> None:
        super().__init__(enable_direct_mode=True)
        self.frames: list[Frame] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction == FrameDirection.DOWNSTREAM and not isinstance(frame, StartFrame):
            self.frames.append(frame)
        await self.push_frame(frame, direction)


async def _holds(step: Until, frames: list[Frame]) -> bool:
    """Whether `step.ready(frames)` comes to hold within `step.within` seconds (polled every 10 ms)."""
    for _ in range(int(step.within / 0.01)):
        if step.ready(frames):
            return True
        await asyncio.sleep(0.01)
    return step.ready(frames)


async def run_until(processor: FrameProcessor, *, steps: Sequence[Frame | Until],
                    expected_down_frames: Sequence[type] | None = None) -> list[Frame]:
    """Run `processor` between a source and a sink as `run_test` does: each step is a frame sent downstream,
    a `SleepFrame` (a fixed wait) or an `Until`; then an EndFrame. Returns the frames received downstream
    (the EndFrame left out) and, given `expected_down_frames`, asserts their types one for one."""
    sink = _Sink()
    worker = PipelineWorker(Pipeline([processor, sink]), cancel_on_idle_timeout=False, enable_rtvi=False)
    started = asyncio.Event()
    failures: list[str] = []

    @worker.event_handler("on_pipeline_started")
    async def _on_started(_worker: PipelineWorker, _frame: Frame) -> None:
        started.set()

    async def push() -> None:
        await asyncio.wait_for(started.wait(), timeout=5.0)
        for step in steps:
            if isinstance(step, Until):
                if not await _holds(step, sink.frames):
                    failures.append(f"not so within {step.within} s: {[type(f).__name__ for f in sink.frames]}")
                    break
            elif isinstance(step, SleepFrame):
                await asyncio.sleep(step.sleep)
            else:
                await worker.queue_frame(step)
        await worker.queue_frame(EndFrame())

    runner = WorkerRunner()
    await runner.add_workers(worker)
    await asyncio.gather(runner.run(), push())
    assert not failures, failures[0]
    down = [f for f in sink.frames if not isinstance(f, EndFrame)]
    if expected_down_frames is not None:
        names = [type(f).__name__ for f in down]
        assert len(down) == len(expected_down_frames), names
        for frame, expected in zip(down, expected_down_frames, strict=True):
            assert isinstance(frame, expected), names
    return down
