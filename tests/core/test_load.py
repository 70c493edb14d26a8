"""The CPU moving average that decides whether a process takes another call."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from core.calls import LiveCalls
from core.load import LoadMeter, tree_cpu_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.cpu = 0.0

    def run(self, seconds: float, cores: float, step: float = 1.0) -> None:
        for _ in range(round(seconds / step)):
            self.now += step
            self.cpu += cores * step


def meter(clock: Clock, window: float = 10.0) -> LoadMeter:
    return LoadMeter(window, cpu=lambda: clock.cpu, clock=lambda: clock.now)


def test_a_steady_load_is_reached_and_a_spike_is_smoothed() -> None:
    clock = Clock()
    load = meter(clock)
    for _ in range(60):
        clock.run(1, 0.5)
        load.sample()
    assert load.value == pytest.approx(0.5, abs=0.01)
    clock.run(1, 2.0)  # one second of two busy cores
    assert 0.5 < load.sample() < 0.75
    for _ in range(60):
        clock.run(1, 0.1)
        load.sample()
    assert load.value == pytest.approx(0.1, abs=0.01)


def test_samples_at_any_interval_agree() -> None:
    a, b = Clock(), Clock()
    fine, coarse = meter(a), meter(b)
    for _ in range(20):
        a.run(1, 0.8)
        fine.sample()
    for _ in range(4):
        b.run(5, 0.8)
        coarse.sample()
    assert fine.value == pytest.approx(coarse.value, abs=1e-9)


def test_a_process_over_its_load_threshold_takes_no_new_call() -> None:
    calls = LiveCalls(limit=8, load_limit=0.75)
    assert calls.accepting() and not calls.full()
    calls.load = 0.8
    assert calls.full() and not calls.accepting()
    calls.load = 0.2
    calls.draining = True
    assert not calls.full() and not calls.accepting()
    unlimited = LiveCalls(limit=None, load_limit=None)
    unlimited.load = 5.0
    assert unlimited.accepting()


def test_the_cpu_of_child_processes_counts() -> None:
    """A process whose speech worker does the work is busy, though its own threads idle."""
    before, own_before = tree_cpu_seconds(), time.process_time()
    child = subprocess.Popen([sys.executable, "-c", "import time\nend = time.process_time() + 0.3\n"
                              "while time.process_time() < end: pass\ntime.sleep(5)"])
    try:
        deadline = time.monotonic() + 10
        while tree_cpu_seconds() - before < 0.25:
            assert time.monotonic() < deadline, "the child's CPU was never counted"
            time.sleep(0.05)
    finally:
        child.kill()
        child.wait()
    assert time.process_time() - own_before < 0.2  # the test's own threads did not use it: the child did
