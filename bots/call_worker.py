"""One call's PipelineWorker, whose observers hear only about the frames they watch.

Pipecat's `WorkerObserver` hands every push of every frame, and every processor's processing of it,
to each observer through a queue and a task of its own. A phone call's 50 inbound audio frames a
second each pass half a dozen processors: ~600 hand-offs a second per observer, to observers that
read none of them (py-spy on idle calls, README "Performance"). Here an observer that says which
frames it watches (`frame_types`) is told only about pushes of those, and one that does not
override `on_process_frame` is never told about processing. An observer that says nothing (RTVI's)
hears everything, as in Pipecat.
"""

from __future__ import annotations

from typing import Any

from pipecat.frames.frames import Frame, StartFrame
from pipecat.observers.base_observer import BaseObserver, FrameProcessed, FramePushed
from pipecat.pipeline.worker import IdleFrameObserver, PipelineWorker
from pipecat.pipeline.worker_observer import Proxy, WorkerObserver


def watched_frames(observer: BaseObserver) -> tuple[type[Frame], ...] | None:
    """The frame types `observer` reacts to, or None: all of them."""
    if isinstance(observer, IdleFrameObserver):  # Pipecat's: any of these pushed means "not idle"
        return (StartFrame, *observer._idle_timeout_frames)
    types = getattr(observer, "frame_types", None)
    return tuple(types) if types is not None else None


def _watches_processing(observer: BaseObserver) -> bool:
    return type(observer).on_process_frame is not BaseObserver.on_process_frame


class FilteredWorkerObserver(WorkerObserver):
    """`WorkerObserver` that queues an event only for the observers that watch its frame."""

    def __init__(self, *, observers: list[BaseObserver] | None = None, **kwargs: Any) -> None:
        super().__init__(observers=observers, **kwargs)
        self._pushed_to: dict[type[Frame], list[Proxy]] = {}
        self._processed_to: dict[type[Frame], list[Proxy]] = {}

    def _routes(self, kind: type[Frame], processing: bool) -> list[Proxy]:
        cache = self._processed_to if processing else self._pushed_to
        route = cache.get(kind)
        if route is None:
            route = []
            for proxy in (self._proxies or {}).values():
                types = watched_frames(proxy.observer)
                if processing and not _watches_processing(proxy.observer):
                    continue
                if types is None or issubclass(kind, types):
                    route.append(proxy)
            cache[kind] = route
        return route

    def _forget_routes(self) -> None:
        self._pushed_to.clear()
        self._processed_to.clear()

    def add_observer(self, observer: BaseObserver) -> None:
        super().add_observer(observer)
        self._forget_routes()

    async def remove_observer(self, observer: BaseObserver) -> None:
        await super().remove_observer(observer)
        self._forget_routes()

    async def setup(self, task_manager: Any) -> None:
        await super().setup(task_manager)
        self._forget_routes()

    async def on_push_frame(self, data: FramePushed) -> None:
        if not self._proxies:
            return
        route = self._routes(type(data.frame), processing=False)
        if not route:
            return
        frame = data.frame
        data.first_push = frame.id not in self._frames_pushed
        if data.first_push:
            self._frames_pushed[frame.id] = frame
        for proxy in route:
            if data.first_push or proxy.observer.observe_every_push:
                await proxy.queue.put(data)

    async def on_process_frame(self, data: FrameProcessed) -> None:
        if not self._proxies:
            return
        for proxy in self._routes(type(data.frame), processing=True):
            await proxy.queue.put(data)


class CallWorker(PipelineWorker):
    """A `PipelineWorker` whose observers are served by a `FilteredWorkerObserver`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._observer = FilteredWorkerObserver(observers=self._observer._observers)
