"""How busy this process is: its CPU time (every thread) per second of wall time, as a moving average.

1.0 is one core fully used. `LiveCalls` compares it with `LOAD_THRESHOLD` to decide whether a new
call may start here; the readiness endpoint reports it, so a load balancer sends calls elsewhere.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

WINDOW_SECONDS = 10.0


class LoadMeter:
    """An exponential moving average of the process's CPU use, fed by `sample()` once a second or so."""

    def __init__(self, window: float = WINDOW_SECONDS, *, cpu: Callable[[], float] = time.process_time,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window
        self._cpu = cpu
        self._clock = clock
        self._last_cpu = cpu()
        self._last_at = clock()
        self.value = 0.0

    def sample(self) -> float:
        """Fold the CPU used since the last sample into the average; returns the new average (cores)."""
        cpu, now = self._cpu(), self._clock()
        elapsed = now - self._last_at
        if elapsed <= 0:
            return self.value
        used = max(0.0, cpu - self._last_cpu) / elapsed
        weight = 1.0 - math.exp(-elapsed / self._window)
        self.value += weight * (used - self.value)
        self._last_cpu, self._last_at = cpu, now
        return self.value
