"""A call's observers hear only about the frames they watch; the others' frames never reach their queues."""

from __future__ import annotations

from pipecat.frames.frames import InputAudioRawFrame, TextFrame, TTSSpeakFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame
from pipecat.workers.runner import WorkerRunner

from bots.call_worker import CallWorker, FilteredWorkerObserver


class Relay(FrameProcessor):
    async def process_frame(self, frame, direction: FrameDirection) -> None:  # type: ignore[no-untyped-def]
        await super().process_frame(frame, direction)
        await self.push_frame(frame, direction)


class Watcher(BaseObserver):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.pushed: list[type] = []

    async def on_push_frame(self, data: FramePushed) -> None:
        self.pushed.append(type(data.frame))


class TextWatcher(Watcher):
    frame_types = (TextFrame,)


class ProcessingWatcher(Watcher):
    frame_types = (TextFrame,)

    def __init__(self) -> None:
        super().__init__()
        self.processed: list[type] = []

    async def on_process_frame(self, data: FrameProcessed) -> None:
        self.processed.append(type(data.frame))


async def test_observers_hear_only_the_frames_they_watch() -> None:
    everything, text, processing = Watcher(), TextWatcher(observe_every_push=False), ProcessingWatcher()
    worker = CallWorker(Pipeline([Relay(), Relay(), Relay()]), params=PipelineParams(),
                        observers=[everything, text, processing], idle_timeout_secs=None,
                        enable_turn_tracking=False, enable_rtvi=False)
    assert isinstance(worker._observer, FilteredWorkerObserver)
    audio = [InputAudioRawFrame(bytes(320), 8000, 1) for _ in range(5)]
    await worker.queue_frames([*audio, TextFrame("hello"), TTSSpeakFrame("bye"), SleepFrame(0.1)])
    await worker.stop_when_done()
    await WorkerRunner(handle_sigint=False).run(worker)
    assert everything.pushed.count(InputAudioRawFrame) >= 5 * 3  # an observer that says nothing hears it all
    assert text.pushed == [TextFrame]  # its one frame, once (only the first push)
    assert set(processing.pushed) == {TextFrame} and len(processing.pushed) >= 3  # every push of it
    assert set(processing.processed) == {TextFrame}  # and its processing, never the audio's
