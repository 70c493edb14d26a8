"""The HAProxy deployment under phone calls (`make bench` only; `make test` runs the same path, smaller, as
tests/e2e/test_load_balanced.py): deploy/haproxy.cfg as shipped (least connections) in front of two
`convonet serve` processes, as two machines would run them, with PostgreSQL and Redis on loopback.

Every process may carry PER_PROCESS calls (MAX_CALLS_PER_PROCESS). 2 x PER_PROCESS callers dial at once and
key their PIN; one more caller then dials and should hear "all lines are busy" (every process is full);
the others talk (TURNS commands each). Printed: calls per process, the CPU each process reported (its own
10 s moving average), end of speech -> first bot audio, late audio, and what the extra caller heard.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from core.cluster import Cluster
from core.runtime import Runtime
from tests.benchmarks.calls import (
    PHRASES,
    Caller,
    frames_for,
    load_average,
    phone_of,
    quiet_pipecat,
    register_callers,
)
from tests.benchmarks.conftest import FULL, report, size, summary
from tests.e2e.test_load_balanced import open_deployment

PER_PROCESS = size(5, 1)
TURNS = size(3, 1)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True),
    pytest.mark.skipif(not FULL, reason="make bench only; tests/e2e/test_load_balanced.py runs this path in make test"),
]


async def _talk(caller: Caller, audio: dict[str, list[bytes]], rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, 3.0))
    for i in range(TURNS):
        text = PHRASES[(i + rng.randrange(len(PHRASES))) % len(PHRASES)]
        await caller.turn(text, audio[text])
        await asyncio.sleep(rng.uniform(2.0, 4.0))


async def _nodes(runtime: Runtime) -> dict[str, dict[str, Any]]:
    return {n.id: {"calls": n.calls, "load": n.load, "accepting": n.accepting}
            for n in await Cluster(runtime.store).nodes()}


async def test_bench_cluster(runtime: Runtime, tmp_path: Path) -> None:
    n = 2 * PER_PROCESS
    await register_callers(runtime, n + 1)
    audio = await asyncio.to_thread(frames_for, PHRASES)
    with quiet_pipecat():
        async with open_deployment(runtime, tmp_path, machines=2, balance="leastconn",
                                   MAX_CALLS_PER_PROCESS=str(PER_PROCESS), LOAD_THRESHOLD="8",
                                   LOOP_LAG_THRESHOLD="5") as d:
            t0 = time.monotonic()
            callers = list(await asyncio.gather(*(Caller.dial(d, phone_of(i), within=90) for i in range(n))))
            dial_s = time.monotonic() - t0
            await asyncio.sleep(2.5)  # a heartbeat from each process
            dialed = await _nodes(runtime)
            extra = await d.twilio.webhook({"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": d.twilio.account_sid,
                                            "From": phone_of(n), "To": "+15550100000", "CallStatus": "ringing"})
            extra_heard = "busy" if "busy" in extra.text else "a stream" if "<Stream" in extra.text else extra.text
            samples: list[dict[str, dict[str, Any]]] = []
            talking = asyncio.gather(*(_talk(c, audio, random.Random(i)) for i, c in enumerate(callers)))
            while not talking.done():
                await asyncio.wait([talking], timeout=2.0)
                samples.append(await _nodes(runtime))
            talking.result()
            for caller in callers:
                await caller.call.hang_up()

    gaps = [t.gap * 1000 for c in callers for t in c.turns if t.gap is not None]
    late = [g for c in callers for g in c.late_gaps_ms()]
    unanswered = sum(1 for c in callers for t in c.turns if t.gap is None)
    peak_load = {node: max(s[node]["load"] for s in samples if node in s) for node in dialed}
    print(f"\ncalls per process after dialing {n} (limit {PER_PROCESS} each): "
          f"{sorted(v['calls'] for v in dialed.values())}; dialing took {dial_s:.1f} s")
    print(f"caller {n + 1} (all full) heard: {extra_heard}")
    print(f"peak CPU per process while talking (cores, 10 s average): {sorted(peak_load.values())}")
    print(f"late audio holes > 40 ms: {len(late)}; unanswered turns: {unanswered}; load average {load_average()}")
    report("cluster", [("end of speech -> first bot audio (ms)", summary(gaps))], {
        "calls_per_process": sorted(v["calls"] for v in dialed.values()), "per_process_limit": PER_PROCESS,
        "extra_caller_heard": extra_heard, "peak_cpu_cores": peak_load, "late_holes": len(late),
        "unanswered_turns": unanswered, "dial_seconds": round(dial_s, 1), "cores": os.cpu_count(),
    })
    assert extra_heard == "busy", extra.text
    assert sorted(v["calls"] for v in dialed.values()) == [PER_PROCESS, PER_PROCESS]
