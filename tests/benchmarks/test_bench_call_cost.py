"""What one more call costs the server, in memory and CPU time rather than wall-clock latency.

The server runs in its own process (calls.server_process, as the capacity sweep); a warm-up call talks
first so the process-wide models (Silero, smart-turn, the Moonshine worker, hibari, the intent model)
are loaded before anything is counted. Then N calls are dialled over the real Twilio Media Streams
protocol and left silent (idle cost), then all callers say a command at once (peak RSS, as the
capacity sweep sees it), then each caller says commands one after another (CPU per turn), then they
hang up. Printed per stage: RSS of the server process and of its children (the Moonshine worker), MB
per call against the warmed server, and CPU seconds: per idle call per second (above the server's own
with no call), and per spoken turn above idle. RSS and CPU seconds are the figures to compare between runs on a shared
machine: wall-clock numbers move with other people's load, these move much less.

    CONVONET_BENCH=full .venv/bin/python -m pytest -s -p no:cacheprovider tests/benchmarks/test_bench_call_cost.py

Both stacks: offline (Moonshine, hibari) and cloud (pipecat's Deepgram clients against the capacity
bench's loopback fake, which runs in the test's process, so its CPU is not the server's).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.calls import PHRASES, Caller, ServerProcess, frames_for, phone_of, server_process
from tests.benchmarks.conftest import FULL, report, size
from tests.benchmarks.procstats import cpu_rss, load_average, process_usage
from tests.benchmarks.test_bench_capacity import _stack as speech_stack
from tests.conftest import Backend

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow

CALLS = size(8, 1)
IDLE_SECONDS = size(10, 1)
TURNS = size(2, 1)  # per caller, after the others have spoken theirs
# What the callers say: a smoke run only proves the harness, so it says the commands with a one-sentence
# reply (a turn lasts as long as its reply plays; the first phrase's runs ~15 s).
SAID = PHRASES if FULL else PHRASES[1:]
SETTLE = 1.5 if FULL else 0.5  # seconds for a level's pipelines to start or end before RSS is read


def _rss(pid: int) -> tuple[float, float]:
    """(server process MB, whole tree MB)."""
    return cpu_rss(pid)[1] / 2**20, process_usage(pid)[1] / 2**20


async def _say(caller: Caller, audio: dict[str, list[bytes]], text: str) -> None:
    await caller.turn(text, audio[text])


async def _cost(server: ServerProcess, audio: dict[str, list[bytes]]) -> dict[str, Any]:
    warm = await Caller.dial(server, phone_of(CALLS))
    for text in SAID if FULL else SAID[:1]:  # a smoke run's warm-up loads the same models with one command
        await _say(warm, audio, text)
    await warm.call.hang_up()
    await asyncio.sleep(SETTLE)
    base_main, base_tree = _rss(server.pid)
    cpu_a, t_a = process_usage(server.pid)[0], time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    no_call_cores = (process_usage(server.pid)[0] - cpu_a) / (time.monotonic() - t_a)

    cpu0 = process_usage(server.pid)[0]
    callers = [await Caller.dial(server, phone_of(i), within=60) for i in range(CALLS)]
    cpu_dial = process_usage(server.pid)[0] - cpu0
    await asyncio.sleep(SETTLE)
    idle_main, idle_tree = _rss(server.pid)
    cpu1, t1 = process_usage(server.pid)[0], time.monotonic()
    await asyncio.sleep(IDLE_SECONDS)
    cpu2, t2 = process_usage(server.pid)[0], time.monotonic()
    idle_cores = (cpu2 - cpu1) / (t2 - t1)

    together = asyncio.gather(*(_say(c, audio, SAID[n % len(SAID)]) for n, c in enumerate(callers)))
    peak_main, peak_tree = 0.0, 0.0
    while not together.done():
        main, tree = _rss(server.pid)
        peak_main, peak_tree = max(peak_main, main), max(peak_tree, tree)
        await asyncio.wait([together], timeout=0.25)
    together.result()

    cpu_t, t3 = process_usage(server.pid)[0], time.monotonic()
    for i in range(TURNS):  # one caller at a time: the CPU per turn is not inflated by contention
        for n, caller in enumerate(callers):
            await _say(caller, audio, SAID[(i + n) % len(SAID)])
    cpu3, t4 = process_usage(server.pid)[0], time.monotonic()
    talk_main, talk_tree = _rss(server.pid)
    turns = [t for c in callers for t in c.turns][CALLS:]  # the one-at-a-time turns
    for caller in callers:
        await caller.call.hang_up()
    await asyncio.sleep(2 * SETTLE)
    end_main, end_tree = _rss(server.pid)
    per = lambda mb: round(mb / CALLS, 2)  # noqa: E731
    return {
        "calls": CALLS,
        "rss_mb": {"warmed_server": [round(base_main, 1), round(base_tree, 1)],
                   "idle_calls": [round(idle_main, 1), round(idle_tree, 1)],
                   "peak_all_talking_at_once": [round(peak_main, 1), round(peak_tree, 1)],
                   "after_talking": [round(talk_main, 1), round(talk_tree, 1)],
                   "after_hang_up": [round(end_main, 1), round(end_tree, 1)]},
        "mb_per_idle_call": per(idle_tree - base_tree),
        "mb_per_call_at_peak": per(peak_tree - base_tree),
        "mb_per_call_after_talking": per(talk_tree - base_tree),
        "mb_per_call_left_after_hang_up": per(end_tree - base_tree),
        "cpu_s_per_dial": round(cpu_dial / CALLS, 3),  # with the idle cost of the calls already connected
        "server_cpu_ms_per_s_no_call": round(1000 * no_call_cores, 2),
        "idle_cpu_ms_per_call_per_s": round(1000 * (idle_cores - no_call_cores) / CALLS, 2),
        "cpu_s_per_turn_above_idle": round(((cpu3 - cpu_t) - idle_cores * (t4 - t3)) / max(1, len(turns)), 3),
        "turns": len(turns),
        "answered": sum(t.gap is not None for c in callers for t in c.turns),
        "asked": sum(len(c.turns) for c in callers),
        "load_average": load_average(),
    }


@pytest.mark.parametrize("stack", ["offline", "cloud"])
@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_bench_call_cost(backend: Backend, bench_data_dir: Path, stack: str) -> None:
    if stack == "cloud" and not FULL:
        pytest.skip("the cloud stack's cost is measured in full runs; the offline smoke run proves the harness")
    audio = frames_for(PHRASES)
    load_before = load_average()
    async with (speech_stack(stack, audio) as (settings, _fake),
                server_process(backend.database_url, bench_data_dir, CALLS + 1, settings) as server):
        result = await _cost(server, audio)
    rss = result["rss_mb"]
    print(f"\n== call cost, {stack} stack, {CALLS} calls ({'full' if FULL else 'smoke'} run) ==")
    print(f"{'RSS MB (server / with worker)':34} " + "  ".join(f"{k} {v[0]:.0f}/{v[1]:.0f}" for k, v in rss.items()))
    for key in ("mb_per_idle_call", "mb_per_call_at_peak", "mb_per_call_after_talking",
                "mb_per_call_left_after_hang_up", "cpu_s_per_dial", "server_cpu_ms_per_s_no_call",
                "idle_cpu_ms_per_call_per_s", "cpu_s_per_turn_above_idle"):
        print(f"{key:34} {result[key]}")
    print(f"{'turns answered':34} {result['answered']}/{result['asked']}; load average before {load_before}, "
          f"after {result['load_average']}")
    assert result["answered"] > 0, "no turn was answered"
    stack_text = ("offline stack (Moonshine worker, intent model, hibari)" if stack == "offline" else
                  "cloud stack (pipecat's Deepgram STT and TTS against a loopback fake, intent model)")
    report("call-cost" if stack == "offline" else "call-cost-cloud", [], {
        **result,
        "conditions": (f"{stack_text}, server in a child process, "
                       f"SQLite + in-process store, a warm-up call first, {CALLS} calls dialled one by one, "
                       f"silent {IDLE_SECONDS} s, then one command from every caller at once, then {TURNS} commands per "
                       f"caller, one caller at a time"),
        "load_average_before": load_before,
    })
