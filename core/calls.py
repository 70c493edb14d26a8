"""The calls one process is carrying: how many, whether it takes another, and the drain on shutdown.

Each running call registers a way to end it with a sentence (the pipeline says it, then hangs
up). New calls are refused while the process is full (`MAX_CALLS_PER_PROCESS`: past the measured
capacity every call degrades), busy (its CPU moving average, `load`, at or above `LOAD_THRESHOLD`, or
its event loop's moving lag, `lag`, at or above `LOOP_LAG_THRESHOLD`: the audio of the calls it has
would arrive late) or draining. `drain` stops new calls, lets the live ones run on for
up to a grace period, then has each say goodbye, and returns once they have ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from core.load import LAG_SAMPLES, LagMeter

log = logging.getLogger(__name__)

EndCall = Callable[[str], Awaitable[None]]
Refusal = Literal["draining", "calls", "load", "loop_lag"]
GOODBYE_SECONDS = 10.0  # for the goodbye to be said and the call to end once asked


class LiveCalls:
    def __init__(self, limit: int | None = None, load_limit: float | None = None, lag_limit: float | None = None,
                 lag_samples: int = LAG_SAMPLES) -> None:
        self.limit = limit
        self.load_limit = load_limit
        self.lag_limit = lag_limit
        self.load = 0.0  # cores, kept up to date by the process's load meter (api.cluster)
        self._lag = LagMeter(lag_samples)  # fed by the app's loop probe (core.metrics.Metrics.watching_loop)
        self.draining = False
        self._calls: dict[object, EndCall] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        return len(self._calls)

    @property
    def lag(self) -> float:
        """Seconds: the moving average of how late the event loop runs."""
        return self._lag.value

    def observe_lag(self, lag: float) -> None:
        """A timer on the loop fired `lag` seconds late."""
        self._lag.add(lag)

    def accepting(self) -> bool:
        """Whether a new call may start here now."""
        return self.refusal() is None

    def full(self) -> bool:
        """At the call limit, or at or above the load or loop-lag threshold."""
        return self.refusal() not in (None, "draining")

    def refusal(self) -> Refusal | None:
        """Why a new call would be declined now, or None."""
        if self.draining:
            return "draining"
        if self.limit is not None and self.count >= self.limit:
            return "calls"
        if self.load_limit is not None and self.load >= self.load_limit:
            return "load"
        if self.lag_limit is not None and self.lag >= self.lag_limit:
            return "loop_lag"
        return None

    def add(self, key: object, end: EndCall) -> None:
        self._calls[key] = end
        self._idle.clear()

    def discard(self, key: object) -> None:
        self._calls.pop(key, None)
        if not self._calls:
            self._idle.set()

    async def _until_idle(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def drain(self, grace: float, goodbye: str) -> None:
        """Take no new calls; give the live ones `grace` seconds, then say `goodbye` on each and wait
        (a little) for them to end."""
        self.draining = True
        log.info("draining: %d live calls, up to %.0f s", self.count, grace)
        if await self._until_idle(grace):
            return
        log.info("draining: ending %d calls with a goodbye", self.count)
        for end in list(self._calls.values()):
            try:
                await end(goodbye)
            except Exception:  # one call's broken pipeline must not keep the others on the line
                log.exception("draining: a call could not be ended")
        await self._until_idle(GOODBYE_SECONDS)
