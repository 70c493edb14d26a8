"""Capacity: N concurrent phone calls, each caller speaking a command every few seconds with silence
between, for N = 1, 5, 10, 20, … until p95 > 1 s or audio arrives late (then bisected between the last
good N and the first bad one). Two stacks:

* offline: Moonshine STT (one worker process per server), hibari TTS, the local intent model (the default; `STT_PROVIDER=sphinx` for PocketSphinx);
* cloud: Pipecat's real Deepgram STT and Deepgram TTS clients (STT_PROVIDER/TTS_PROVIDER=deepgram,
  DEEPGRAM_BASE_URL) talking to tests/fakes/speech_servers.py on loopback, in a process of its own, with
  fixed delays (final transcript CLOUD_FINAL_DELAY after Finalize, first audio CLOUD_FIRST_AUDIO after
  Flush); the fake recognises which command each caller said from its audio, so the agent does the
  real work. Only the server's own cost is measured.

Each stack runs twice: on one server process (the bench's own, SQLite and the in-process store), then
as `convonet serve --workers 2` (one process per core on the 2-core machine, sharing PostgreSQL and Redis
on loopback), whose sweep is printed beside the one-process one.

For each N: the gap (end of speech → first bot audio at the caller) p50/p95, late outgoing audio
(holes over 40 ms in a reply as the caller plays it), CPU of the server's processes and their children
(workers, speech workers) while the calls talk, total RSS and PSS, RSS per call and per additional call,
the server loops' lag, and the callers' own loop lag and CPU (to tell a harness limit from the server's).
The server runs in child processes, the fake callers in CALLER_PROCESSES processes of their own and
the fake speech services in another (tests/benchmarks/caller_pool.py), each with its own event loop:
with them all on the test's loop, that loop lagged up to 200 ms past ~12 cloud calls and the harness
was part of what was measured. Full runs write bench/results/capacity-<stack>[-2workers].json and
draw bench/results/capacity.png (every sweep, from the JSON files present). `CONVONET_CAPACITY_N=20,25`
runs only those levels (profiling): such a run, like one with a server hook, writes to bench/results/adhoc/
instead (conftest.results_dir), leaving the tracked chart alone. `make test` runs the offline stack on two
workers and the cloud stack on one process, with 2 calls each.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cluster import Cluster
from core.runtime import Runtime
from tests.benchmarks.caller_pool import CallerPool, SpeechProcess
from tests.benchmarks.calls import (
    PHRASES,
    ServerProcess,
    fingerprints,
    frames_for,
    register_callers,
    server_process,
    workers_process,
)
from tests.benchmarks.conftest import FULL, OUT, report, size, summary
from tests.benchmarks.procstats import cpu_rss, load_average, process_usage, thread_cpu, tree_memory, tree_pss
from tests.conftest import Backend

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow

LEVELS = {
    "offline": [1, 5, 10, 20, 30, 40, 60] if FULL else [2],
    "cloud": [1, 5, 10, 20, 30, 40, 50, 60, 80] if FULL else [2],
}
ONLY = os.environ.get("CONVONET_CAPACITY_N", "")  # e.g. "20,25": only these levels, no bisection (a profiling run)
if ONLY:
    LEVELS = {stack: [int(n) for n in ONLY.split(",")] for stack in LEVELS}
CLOUD_FINAL_DELAY = 0.15  # Deepgram: final transcript ~150 ms after Finalize
CLOUD_FIRST_AUDIO = 0.12  # cloud TTS: first audio ~120 ms after the text is flushed
TURNS = size(4, 1)  # per caller per level
IDLE = size(5, 1)  # seconds the connected calls stay silent before talking
PAUSE = (2.0, 4.0) if FULL else (0.2, 0.5)  # seconds of silence between a reply and the next command
P95_LIMIT_MS = 1000.0
BUDGET_S = 420.0  # per stack: no new level starts after this (keeps `make bench` under 20 minutes)
CALLER_PROCESSES = 4 if FULL else 1  # the simulated callers' processes, each its own event loop
LATE_TURNS = 0.05  # a level still counts with a 40 ms+ hole in up to 5% of its replies (one marginal hole
# at N=1 on a loaded machine would otherwise end the run); the strict zero-hole N is reported too


def _main_cpu(server: ServerProcess) -> float:
    """CPU seconds of the server's processes that carry calls (without the speech worker processes)."""
    return sum(cpu_rss(pid)[0] for pid in server.loop_pids())


def _loop_cpu(server: ServerProcess) -> float:
    """CPU seconds of their main threads: the event loops."""
    return sum(thread_cpu(pid) for pid in server.loop_pids())


def _histogram_summary(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The loop lag samples taken between two /metrics readings, as `summary` gives them: p50 and p95 are
    the upper bounds (ms) of the buckets they fall in, the mean is exact, the max unknown."""
    bounds = sorted((float(b), b) for b in after if b not in ("sum", "+Inf"))
    n = after.get("+Inf", 0.0) - before.get("+Inf", 0.0)

    def bound(share: float) -> float:
        for value, key in bounds:
            if after[key] - before.get(key, 0.0) >= share * n:
                return round(value * 1000, 3)
        return float("inf")

    return {"n": int(n), "p50": bound(0.5) if n else float("nan"), "p95": bound(0.95) if n else float("nan"),
            "max": float("nan"),
            "mean": round((after.get("sum", 0.0) - before.get("sum", 0.0)) / n * 1000, 3) if n else float("nan")}


async def _level(server: ServerProcess, pool: CallerPool, n: int, fake: SpeechProcess | None = None
                 ) -> dict[str, Any]:
    """Dial `n` calls at once, let them talk, hang up; the figures for this N."""
    finals_before = len(await fake.finals()) if fake else 0
    t0 = time.monotonic()
    cpu0, rss0 = process_usage(server.pid)
    await pool.dial(n)
    rss_peak = 0
    idle0, t_idle = process_usage(server.pid)[0], time.monotonic()
    hist0 = await server.lag_histogram() if server.lag_file is None else {}
    await asyncio.sleep(IDLE)  # connected calls, callers silent: the cost of a call that just listens
    cpu1, _ = process_usage(server.pid)
    idle_cores = (cpu1 - idle0) / (time.monotonic() - t_idle)
    client1, main1, loop1 = _harness_cpu(pool, fake), _main_cpu(server), _loop_cpu(server)
    hist1 = await server.lag_histogram() if server.lag_file is None else {}
    t1, wall1 = time.monotonic(), time.time()
    talking = asyncio.ensure_future(pool.talk(TURNS, PAUSE, same_phrase=not FULL))
    while not talking.done():
        rss_peak = max(rss_peak, process_usage(server.pid)[1])
        await asyncio.wait([talking], timeout=0.5)
    talked = talking.result()
    cpu2, rss2 = process_usage(server.pid)
    client2, main2, loop2 = _harness_cpu(pool, fake), _main_cpu(server), _loop_cpu(server)
    wall = time.monotonic() - t1
    pss = tree_pss(server.pid)
    processes = tree_memory(server.pid)
    if server.lag_file is not None:
        lag, idle_lag = summary(server.loop_lag_ms(wall1, time.time())), summary(server.loop_lag_ms(wall1 - IDLE, wall1))
    else:
        hist2 = await server.lag_histogram()
        lag, idle_lag = _histogram_summary(hist1, hist2), _histogram_summary(hist0, hist1)
    await pool.hang_up()
    await asyncio.sleep(1.0)  # let the calls' pipelines finish before the next level
    gaps = [g * 1000 for c in talked.calls for g in c.gaps if g is not None]
    unanswered = sum(1 for c in talked.calls for g in c.gaps if g is None)
    per_turn = [late for c in talked.calls for late in c.late_ms]
    late = [g for gaps_of_turn in per_turn for g in gaps_of_turn]
    turns = sum(len(c.gaps) for c in talked.calls)
    said = sorted(t for c in talked.calls for t in c.texts)
    finals = (await fake.finals())[finals_before:] if fake else []
    rss_peak = max(rss_peak, rss2)
    return {
        "n": n, "gap": summary(gaps), "unanswered": unanswered,
        "late_audio": {"count": len(late), "turns_with_late": sum(1 for g in per_turn if g),
                       "max_ms": round(max(late, default=0.0), 1),
                       "gaps_ms": [round(g, 1) for g in late[:20]],
                       # where in their replies the holes fell (ms after its first audio), and when (monotonic,
                       # comparable with the server's own clock on this machine)
                       "into_reply_ms": [round(into) for c in talked.calls for hs in c.late_at for _, into in hs][:40],
                       "at_monotonic": [round(at, 3) for c in talked.calls for hs in c.late_at for at, _ in hs][:40]},
        "cpu_cores": round((cpu2 - cpu1) / wall, 3),
        "cpu_percent_of_machine": round(100 * (cpu2 - cpu1) / wall / (os.cpu_count() or 1), 1),
        "dial_cpu_s": round(idle0 - cpu0, 2),
        "idle_cpu_cores_per_call": round(idle_cores / n, 4),
        "cpu_s_per_turn_above_idle": round(((cpu2 - cpu1) - idle_cores * wall) / max(1, turns), 3),
        "server_process_cores": round((main2 - main1) / wall, 3),  # without the decoder processes
        "event_loop_thread_cores": round((loop2 - loop1) / wall, 3),  # the main threads alone (one core each at most)
        # how late a 50 ms sleep in the server wakes, while talking (with several workers: their 0.5 s
        # timer's, from /metrics, as bucket bounds)
        "loop_lag_ms": lag,
        "idle_loop_lag_ms": idle_lag,
        # the harness: caller processes and the fake speech process (is it the harness?)
        "callers_cpu_cores": round((client2 - client1) / wall, 3),
        "callers_loop_lag_ms": summary(talked.loop_lag_ms),
        "rss_mb": round(rss_peak / 2**20, 1),
        "pss_mb": round(pss / 2**20, 1),  # at the end of the talk: pages the processes share counted once
        "rss_per_call_mb": round((rss_peak - rss0) / 2**20 / n, 2),
        "processes": processes,  # at the end of the talk, each process's RSS, PSS and private MB
        "talk_seconds": round(wall, 1),
        "dial_seconds": round(t_idle - t0, 1),
        "load_average": load_average(),
        **({"stt_finals": len(finals), "stt_heard_as_said": sorted(finals) == said} if fake else {}),
    }


def _harness_cpu(pool: CallerPool, fake: SpeechProcess | None) -> float:
    return pool.cpu() + (cpu_rss(fake.pid)[0] if fake else 0.0)


def _rss_marginal(levels: list[dict[str, Any]]) -> None:
    """MB per additional call: peak RSS, and PSS at the end of the talk, against N over the rising sweep
    (levels in the order run, each with more calls than any before it), from the first level (every process
    warm: `_warm_up`). With several processes RSS counts the pages they share in each of them, and grows as a
    forked worker first touches the pages it inherited; PSS counts each page once."""
    rising: list[dict[str, Any]] = []
    for lv in levels:
        if not rising or lv["n"] > rising[-1]["n"]:
            rising.append(lv)
    for lv in rising[1:]:
        added = lv["n"] - rising[0]["n"]
        lv["rss_mb_per_additional_call"] = round((lv["rss_mb"] - rising[0]["rss_mb"]) / added, 2)
        lv["pss_mb_per_additional_call"] = round((lv["pss_mb"] - rising[0]["pss_mb"]) / added, 2)


def _ok(level: dict[str, Any], late_share: float = LATE_TURNS) -> bool:
    """p95 within the limit, every turn answered, and holes over 40 ms in at most `late_share` of replies."""
    late = level["late_audio"]["turns_with_late"] / max(1, level["gap"]["n"])
    return level["gap"]["p95"] <= P95_LIMIT_MS and late <= late_share and not level["unanswered"]


def chart(stacks: dict[str, list[dict[str, Any]]], path: Path) -> None:
    """Per stack, a panel: p50/p95 gap (ms, left axis) and CPU (% of the machine, right axis) against N."""
    from PIL import Image, ImageDraw

    pw, ph, left, right, top, bottom = 640, 300, 60, 60, 30, 40
    img = Image.new("RGB", (pw, ph * max(1, len(stacks))), "white")
    d = ImageDraw.Draw(img)
    everything = [lv for levels in stacks.values() for lv in levels]
    n_max = max([lv["n"] for lv in everything] + [1])
    gap_max = max([P95_LIMIT_MS] + [lv["gap"]["p95"] for lv in everything if lv["gap"]["n"]]) * 1.1
    for row, (stack, levels) in enumerate(stacks.items()):
        y0 = row * ph
        x_of = lambda n: left + (pw - left - right) * (n / n_max)  # noqa: E731
        y_gap = lambda v, y0=y0: y0 + ph - bottom - (ph - top - bottom) * min(v, gap_max) / gap_max  # noqa: E731
        y_cpu = lambda v, y0=y0: y0 + ph - bottom - (ph - top - bottom) * v / 100  # noqa: E731
        d.rectangle([left, y0 + top, pw - right, y0 + ph - bottom], outline="black")
        for frac in (0, 0.25, 0.5, 0.75, 1):
            y = y0 + ph - bottom - (ph - top - bottom) * frac
            d.line([left - 4, y, left, y], fill="black")
            d.text((4, y - 6), f"{gap_max * frac:.0f}ms", fill="black")
            d.text((pw - right + 6, y - 6), f"{100 * frac:.0f}%", fill="green")
        for n in sorted({lv["n"] for lv in levels}):
            d.text((x_of(n) - 6, y0 + ph - bottom + 6), str(n), fill="black")
        d.line([left, y_gap(P95_LIMIT_MS), pw - right, y_gap(P95_LIMIT_MS)], fill=(220, 180, 180))
        ordered = sorted((lv for lv in levels if lv["gap"]["n"]), key=lambda lv: lv["n"])
        for key, colour in (("p50", "blue"), ("p95", "red")):
            pts = [(x_of(lv["n"]), y_gap(lv["gap"][key])) for lv in ordered]
            d.line(pts, fill=colour, width=2) if len(pts) > 1 else None
            for x, y in pts:
                d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        for lv in ordered:  # late audio: an X under the point
            if lv["late_audio"]["count"]:
                x, y = x_of(lv["n"]), y_gap(lv["gap"]["p95"]) + 10
                d.line([x - 4, y - 4, x + 4, y + 4], fill="black")
                d.line([x - 4, y + 4, x + 4, y - 4], fill="black")
        cpu = [(x_of(lv["n"]), y_cpu(lv["cpu_percent_of_machine"])) for lv in sorted(levels, key=lambda lv: lv["n"])]
        d.line(cpu, fill="green", width=2) if len(cpu) > 1 else None
        for x, y in cpu:
            d.rectangle([x - 2, y - 2, x + 2, y + 2], fill="green")
        d.text((left + 8, y0 + 8), f"{stack}: gap p50 (blue), p95 (red), CPU % of machine (green); "
                                   "x = late audio", fill="black")
        d.text((pw // 2 - 40, y0 + ph - 18), "concurrent calls", fill="black")
    img.save(path)


@contextlib.asynccontextmanager
async def _stack(stack: str, audio: dict[str, list[bytes]]
                 ) -> AsyncIterator[tuple[dict[str, Any], SpeechProcess | None]]:
    """The server settings for `stack` and, for cloud, the fake speech server (in its own process) they
    point at."""
    if stack == "offline":
        yield {}, None
        return
    async with SpeechProcess(final_delay=CLOUD_FINAL_DELAY, first_audio_delay=CLOUD_FIRST_AUDIO,
                             recognise=fingerprints(audio)) as fake:
        yield {"stt_provider": "deepgram", "tts_provider": "deepgram", "deepgram_api_key": "bench",
               "deepgram_base_url": fake.url}, fake


@contextlib.asynccontextmanager
async def _server(runtime: Runtime, backend: Backend, data_dir: Path, workers: int, callers: int,
                  settings: dict[str, Any]) -> AsyncIterator[ServerProcess]:
    """One process (the bench's own, SQLite), or `convonet serve --workers N` sharing PostgreSQL and Redis."""
    if workers == 1:
        async with server_process(backend.database_url, data_dir, callers, settings) as server:
            yield server
        return
    await register_callers(runtime, callers)  # in PostgreSQL (the runtime fixture emptied it and Redis first)
    async with workers_process(backend, data_dir, workers, settings) as server:
        yield server


def _name(stack: str, workers: int) -> str:
    return f"capacity-{stack}" if workers == 1 else f"capacity-{stack}-{workers}workers"


# One process per core: `convonet serve --workers 2` on the 2-core machine.
WORKERS = [1, 2]


@pytest.mark.parametrize(("backend", "workers"), [("sqlite+memory", 1), ("postgres+redis", 2)], indirect=["backend"],
                         ids=["1process", "2workers"])
@pytest.mark.parametrize("stack", ["offline", "cloud"])
async def test_bench_capacity(runtime: Runtime, backend: Backend, workers: int, tmp_path: Path,
                              bench_data_dir: Path, stack: str) -> None:
    if not FULL and (workers > 1) != (stack == "offline"):  # each path of the harness once, tiny
        pytest.skip("make bench only: make test runs the offline stack on two workers, the cloud stack on one process")
    load_before = load_average()
    audio = frames_for(PHRASES)
    with _frozen():
        levels, out_of_time, warm_up = await _sweep(runtime, backend, workers, bench_data_dir, stack, audio)
    _report(stack, workers, levels, out_of_time, load_before, tmp_path, warm_up)


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """The callers' process with what it holds now (pytest, Pipecat, the audio) out of the garbage
    collector's full passes while they measure: once the callers' loop stalled 310 ms (the server's did
    not) and 4 calls showed 290-310 ms holes, the length of a full collection of the server's objects
    before it froze them (284-327 ms)."""
    already = gc.get_freeze_count() > 0  # what an app of this process froze (api.voice) stays so
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        if not already:
            gc.unfreeze()


async def _sweep(runtime: Runtime, backend: Backend, workers: int, data_dir: Path, stack: str,
                 audio: dict[str, list[bytes]]) -> tuple[list[dict[str, Any]], bool, dict[str, Any]]:
    """N = LEVELS[stack] until one fails (`_ok`), then bisected; the levels measured, whether the time
    budget cut the sweep short, and the warm-up (full runs)."""
    levels: list[dict[str, Any]] = []
    warm_up: dict[str, Any] = {}
    callers = max(*LEVELS[stack], WARM_UP_CALLS_PER_PROCESS * workers)
    async with (_stack(stack, audio) as (settings, fake),
                _server(runtime, backend, data_dir, workers, callers, settings) as server,
                CallerPool(server.url, audio, CALLER_PROCESSES) as pool):
        if FULL:  # a smoke run's one level has no figure per added call to spoil
            warm_up = await _warm_up(runtime, server, pool, workers)
            print(f"{stack} warm-up: {warm_up}")
        good, bad = 0, 0
        started, out_of_time = time.monotonic(), False
        for n in LEVELS[stack]:
            if time.monotonic() - started > BUDGET_S:
                out_of_time = True
                break
            level = await _level(server, pool, n, fake)
            levels.append(level)
            print(f"{stack} N={n}: {level}")
            if not _ok(level):
                bad = n
                break
            good = n
        # then halve the step between the last good N and the first bad, to within ~12%
        while FULL and bad and not ONLY and bad - good > max(1, good // 8):
            if time.monotonic() - started > BUDGET_S:
                out_of_time = True
                break
            n = (good + bad) // 2
            level = await _level(server, pool, n, fake)
            levels.append(level)
            print(f"{stack} N={n}: {level}")
            good, bad = (n, bad) if _ok(level) else (good, n)
    return levels, out_of_time, warm_up


WARM_UP_CALLS_PER_PROCESS = 2


async def _warm_up(runtime: Runtime, server: ServerProcess, pool: CallerPool, workers: int) -> dict[str, Any]:
    """Before the first level, calls on every process of the server, one command each, then hung up. A process's
    first calls make what it keeps for any number of calls after (pooled database connections, modules imported
    on first use, thread pools and their allocator arenas): without this, the N=1 level of
    `--workers 2` had one worker that had never carried a call, and the RSS it gained at the next level (its
    own start-up, ~100 MB) was counted as the calls' (18 MB per added call, 1 -> 10). Returns the calls per
    process it reached and the MB the server gained."""
    n = WARM_UP_CALLS_PER_PROCESS * workers
    rss0 = process_usage(server.pid)[1]
    reached: list[int] = []
    for _ in range(3):  # the workers share one listening socket: the kernel picks who accepts each call
        await pool.dial(n)
        if workers > 1:
            await asyncio.sleep(1.5)  # a heartbeat from each worker, with its calls
            reached = sorted(node.calls for node in await Cluster(runtime.store).nodes())
        await pool.talk(1, PAUSE, same_phrase=False)
        await pool.hang_up()
        await asyncio.sleep(1.0)
        if workers == 1 or (len(reached) >= workers and all(reached)):
            break
    return {"calls": n, "calls_per_process": reached or [n],
            "rss_mb_gained": round((process_usage(server.pid)[1] - rss0) / 2**20, 1)}


def _report(stack: str, workers: int, levels: list[dict[str, Any]], out_of_time: bool, load_before: list[float],
            tmp_path: Path, warm_up: dict[str, Any]) -> None:
    _rss_marginal(levels)
    levels.sort(key=lambda lv: lv["n"])
    label = stack if workers == 1 else f"{stack} x{workers}"
    table = [(f"{label} N={lv['n']} gap ({lv['cpu_percent_of_machine']}% CPU, {lv['rss_per_call_mb']} MB/call, "
              f"late {lv['late_audio']['count']})", lv["gap"]) for lv in levels]
    best = max([lv["n"] for lv in levels if _ok(lv)], default=0)
    strict = max([lv["n"] for lv in levels if _ok(lv, 0.0)], default=0)
    cores = os.cpu_count() or 1
    print(f"\n{label}: {'N':>4} {'p50':>6} {'p95':>6} {'late':>5} {'CPU':>6} {'loop':>5} {'lag95':>6} "
          f"{'RSS MB':>7} {'PSS MB':>7} {'MB/call':>8} {'MB/add':>7} {'PSS/add':>7} {'idle core/call':>14} "
          f"{'load':>5}")
    for lv in levels:
        print(f"{label}: {lv['n']:>4} {lv['gap']['p50']:>6.0f} {lv['gap']['p95']:>6.0f} "
              f"{lv['late_audio']['count']:>5} {lv['cpu_cores']:>6.2f} {lv['event_loop_thread_cores']:>5.2f} "
              f"{lv['loop_lag_ms']['p95']:>6.0f} {lv['rss_mb']:>7.0f} {lv['pss_mb']:>7.0f} "
              f"{lv['rss_per_call_mb']:>8.1f} {lv.get('rss_mb_per_additional_call', float('nan')):>7.1f} "
              f"{lv.get('pss_mb_per_additional_call', float('nan')):>7.1f} "
              f"{lv['idle_cpu_cores_per_call']:>14.3f} {lv['load_average'][0]:>5.1f}")
    print(f"{label}: largest N with p95 <= 1 s and no late audio: {strict} ({strict / cores:.1f} per core); "
          f"with late audio in <= {LATE_TURNS:.0%} of replies: {best} ({best / cores:.1f} per core)")
    conditions = {
        "offline": "offline stack (Moonshine, intent model, hibari)",
        "cloud": (f"cloud stack: pipecat Deepgram STT + Deepgram TTS against a loopback fake in the callers' "
                  f"process, final transcript {CLOUD_FINAL_DELAY * 1000:.0f} ms after Finalize, first audio "
                  f"{CLOUD_FIRST_AUDIO * 1000:.0f} ms after Flush, local intent model"),
    }[stack]
    shape = ("one server process (the bench's own), SQLite + in-process store" if workers == 1 else
             f"`convonet serve --workers {workers}` (CPU and RSS of every process: workers, speech workers, parent), "
             "PostgreSQL + Redis on loopback")
    report(_name(stack, workers), table, {
        "stack": stack,
        "workers": workers,
        "levels": levels,
        "largest_ok_n": best,
        "largest_ok_n_per_core": round(best / cores, 2),
        "largest_n_without_any_late_audio": strict,
        "late_turns_tolerated": LATE_TURNS,
        "stopped_by_time_budget": out_of_time,  # levels were left out: the limit may be higher
        "conditions": (f"{conditions}, {shape}, {TURNS} commands per caller per level with "
                       f"{PAUSE[0]}-{PAUSE[1]} s silence between, server in child processes, callers in "
                       f"{CALLER_PROCESSES} processes of their own, fake speech services in another"),
        "load_average_before": load_before,
        "warm_up": warm_up,  # calls on every process before the first level (full runs)
    })
    if workers > 1 and (OUT / f"{_name(stack, 1)}.json").exists() and FULL:
        _side_by_side(stack, json.loads((OUT / f"{_name(stack, 1)}.json").read_text()), levels, workers)
    panels = {label: levels}
    if FULL:
        for other in LEVELS:
            for w in WORKERS:
                name = other if w == 1 else f"{other} x{w}"
                if name != label and (OUT / f"{_name(other, w)}.json").exists():
                    panels[name] = json.loads((OUT / f"{_name(other, w)}.json").read_text())["levels"]
        order = [other if w == 1 else f"{other} x{w}" for other in LEVELS for w in WORKERS]
        chart({k: panels[k] for k in order if k in panels}, OUT / "capacity.png")
    else:
        chart(panels, tmp_path / "capacity.png")  # the drawing code runs in the smoke test too


def _side_by_side(stack: str, one: dict[str, Any], levels: list[dict[str, Any]], workers: int) -> None:
    """The one-process sweep (its JSON from this run or an earlier one) beside this one, N by N."""
    before = {lv["n"]: lv for lv in one["levels"]}
    after = {lv["n"]: lv for lv in levels}
    cell = "{:>6} {:>6} {:>5} {:>5}"
    print(f"\n{stack}, 1 process | {workers} workers: gap p50 / p95 ms, late holes, CPU cores")
    print(f"{'N':>4}  " + cell.format("p50", "p95", "late", "CPU") + "  |  " + cell.format("p50", "p95", "late", "CPU"))
    for n in sorted(before.keys() | after.keys()):
        row = []
        for side in (before, after):
            lv = side.get(n)
            row.append(cell.format(f"{lv['gap']['p50']:.0f}", f"{lv['gap']['p95']:.0f}", lv["late_audio"]["count"],
                                   f"{lv['cpu_cores']:.2f}") if lv else cell.format("", "", "", ""))
        print(f"{n:>4}  {row[0]}  |  {row[1]}")
    cores = os.cpu_count() or 1
    print(f"largest N (p95 <= 1 s, holes in <= {LATE_TURNS:.0%} of replies): 1 process {one['largest_ok_n']}, "
          f"{workers} workers {max([lv['n'] for lv in levels if _ok(lv)], default=0)} ({cores} cores)")
