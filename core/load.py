"""How busy this process is, two ways: its CPU time per second of wall time, as a moving average, counting
every thread and the child processes it runs (the speech workers: Moonshine, PocketSphinx), where much of
a call's CPU goes; and how late its event loop runs (`LagMeter`), which a process starved of CPU by its
neighbours, or one whose loop is saturated while its cores idle, shows though its own CPU looks low.

1.0 is one core fully used. `LiveCalls` compares the two with `LOAD_THRESHOLD` and `LOOP_LAG_THRESHOLD`
to decide whether a new call may start here; the readiness endpoint reports them, so a load balancer
sends calls elsewhere.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

WINDOW_SECONDS = 10.0
LAG_SAMPLES = 10
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _children(pid: int) -> Iterator[int]:
    """Live child processes of `pid` (any of its threads may have started one), from /proc on Linux."""
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            yield from (int(child) for child in children.read_text().split())
        except (OSError, ValueError):  # the thread or the child has just ended
            continue


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def tree_cpu_seconds() -> float:
    """CPU seconds used by this process and its live child processes and theirs (this process alone
    where /proc is missing). A child that ends takes its share with it; the meter ignores the drop."""
    total = time.process_time()
    pending = list(_children(os.getpid()))
    while pending:
        pid = pending.pop()
        total += _cpu_of(pid)
        pending.extend(_children(pid))
    return total


class LoadMeter:
    """An exponential moving average of the CPU use of the process and its children, fed by `sample()`
    once a second or so."""

    def __init__(self, window: float = WINDOW_SECONDS, *, cpu: Callable[[], float] = tree_cpu_seconds,
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


class LagMeter:
    """An exponential moving average of how late a periodic timer fires on the event loop (seconds), over
    about its last `samples` wake-ups (10 of the 0.5 s probe: 5 s). Each wake-up counts once however long
    it was held up: a loop that keeps running late raises it, one slow callback (a call's pipeline being
    built) barely does."""

    def __init__(self, samples: int = LAG_SAMPLES) -> None:
        self._weight = 2.0 / (samples + 1)
        self.value = 0.0

    def add(self, lag: float) -> float:
        """Fold in a timer that fired `lag` seconds late."""
        self.value += self._weight * (max(0.0, lag) - self.value)
        return self.value
