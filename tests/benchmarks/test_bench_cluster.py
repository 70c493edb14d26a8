"""The deployment's real shape under load (`make bench` only; `make test` runs the same path, smaller, as
tests/e2e/test_load_balanced.py): HAProxy (deploy/haproxy.cfg, round robin, no sticky sessions) in front of
two `convonet serve` processes, as two machines would run them, with PostgreSQL and Redis on loopback (each
with one Moonshine reader, its share of the 2-core machine: by default each would start one per core).

1. A browser call whose trickled ICE (`PATCH /api/offer`) lands on the process that did not answer its
   offer (forwarded to the owner); timed from the offer to the greeting heard.
2. 2 x PER_PROCESS phone callers dial at once through the fake Twilio (MAX_CALLS_PER_PROCESS = PER_PROCESS)
   and key their PIN: every process is then full, and one more caller should hear "all lines are busy".
3. All but one of them talk (TURNS commands each, a few seconds apart); meanwhile the last one asks for a
   person, a call-center agent answers, and the agent's audio leg (its offer and ICE) lands on the process
   without the caller: both are forwarded, each side hears the other, and the agent's hang-up (on that
   process too) ends the call.

Printed: calls per process, end of speech -> first bot audio (p50/p95) of the talkers, late audio, unanswered
turns, the browser and transfer timings, what failed, the peak CPU of each process (its own 10 s moving
average), and the load average and cores. It fails only when a step does not work, never on time.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
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
from tests.e2e.test_load_balanced import (
    Transferred,
    browser_call_with_ice_elsewhere,
    open_deployment,
    sign_in_agent,
    transfer_with_agent_leg_elsewhere,
)
from tests.processors.callers import register_caller

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


async def _until(check: Any, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


async def _calls_ended(runtime: Runtime) -> bool:
    nodes = await _nodes(runtime)
    return len(nodes) == 2 and all(n["calls"] == 0 for n in nodes.values())


async def _balancer_sees_all_full(http: httpx.AsyncClient) -> bool:
    """HAProxy has taken both processes out (their /health/ready says full) and serves through the backups,
    in turn: only then does round robin put the next request on the other process."""
    response = await http.get("/health/ready")
    return response.headers.get("x-served-by", "").endswith("-busy")


async def _step(failures: list[str], name: str, work: Any) -> Any:
    """Run one step; a failure is recorded (printed with the figures, then failing the test), not raised."""
    try:
        return await work
    except (AssertionError, TimeoutError, httpx.HTTPError) as exc:
        failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:300]}")
        return None


async def test_bench_cluster(runtime: Runtime, tmp_path: Path) -> None:
    n = 2 * PER_PROCESS
    await register_callers(runtime, n + 1)
    await register_caller(runtime)  # the browser caller
    audio = await asyncio.to_thread(frames_for, PHRASES)
    load_before = load_average()
    failures: list[str] = []
    with quiet_pipecat():
        async with open_deployment(runtime, tmp_path, machines=2, balance="roundrobin",
                                   MAX_CALLS_PER_PROCESS=str(PER_PROCESS), MOONSHINE_WORKERS="1") as d:
            for _ in range(2):
                await d.probe()  # which HAProxy server is which process
            # 1. A browser call, its ICE on the other process.
            browser_s = await _step(failures, "browser call", browser_call_with_ice_elsewhere(d))
            await _until(lambda: _calls_ended(runtime), 20, "the browser call to end on its process")

            # 2. Every process full of phone calls; one more caller hears that the lines are busy.
            t0 = time.monotonic()
            callers = list(await asyncio.gather(*(Caller.dial(d, phone_of(i), within=90) for i in range(n))))
            dial_s = time.monotonic() - t0
            await asyncio.sleep(2.5)  # a heartbeat from each process
            dialed = await _nodes(runtime)
            extra = await d.twilio.webhook({"CallSid": "CA" + uuid.uuid4().hex, "AccountSid": d.twilio.account_sid,
                                            "From": phone_of(n), "To": "+15550100000", "CallStatus": "ringing"})
            extra_heard = "busy" if "busy" in extra.text else "a stream" if "<Stream" in extra.text else extra.text
            await _until(lambda: _balancer_sees_all_full(d.http), 15, "HAProxy to see both processes full")
            agent = await sign_in_agent(d)

            # 3. The others talk while the last caller is put through to the agent.
            talkers, transferring = callers[:-1], callers[-1]
            samples: list[dict[str, dict[str, Any]]] = []
            t1 = time.monotonic()
            talking = asyncio.gather(
                *(_talk(c, audio, random.Random(i)) for i, c in enumerate(talkers)),
                _step(failures, "transfer", transfer_with_agent_leg_elsewhere(d, transferring.call, agent)))
            while not talking.done():
                await asyncio.wait([talking], timeout=2.0)
                samples.append(await _nodes(runtime))
            transferred: Transferred | None = talking.result()[-1]
            talk_s = time.monotonic() - t1
            for caller in talkers:
                await caller.call.hang_up()
    load_after = load_average()

    gaps = [t.gap * 1000 for c in talkers for t in c.turns if t.gap is not None]
    late = [g for c in talkers for g in c.late_gaps_ms()]
    unanswered = sum(1 for c in talkers for t in c.turns if t.gap is None)
    per_process = sorted(v["calls"] for v in dialed.values())
    peak_load = sorted(max(s[node]["load"] for s in samples if node in s) for node in dialed)
    if extra_heard != "busy":
        failures.append(f"caller {n + 1} with every process full heard {extra_heard!r}, not that the lines are busy")
    if per_process != [PER_PROCESS, PER_PROCESS]:
        failures.append(f"calls per process {per_process}, not {PER_PROCESS} each")
    cores = os.cpu_count()
    print(f"\nHAProxy round robin, 2 x `convonet serve --workers 1` (one Moonshine reader each), PostgreSQL + Redis on loopback, {cores} cores; "
          f"load average before {load_before}, after {load_after}")
    print(f"browser call, offer -> greeting heard (ICE forwarded): "
          f"{'failed' if browser_s is None else f'{browser_s * 1000:.0f} ms'}")
    print(f"{n} phone calls dialed at once in {dial_s:.1f} s; calls per process {per_process} "
          f"(limit {PER_PROCESS} each); caller {n + 1} heard: {extra_heard}")
    print(f"{len(talkers)} callers talking for {talk_s:.0f} s, {TURNS} commands each: {len(gaps)} replies, "
          f"unanswered {unanswered}, late audio holes > 40 ms {len(late)}; "
          f"peak CPU per process (cores, 10 s average) {peak_load}")
    if transferred is None:
        print("transfer: failed")
    else:
        print(f"transfer (agent leg forwarded): asked {transferred.asked}x, ringing {transferred.ringing * 1000:.0f} ms "
              f"after the caller's request; the caller hears the agent after {transferred.caller_hears_agent * 1000:.0f}"
              f" ms, the agent hears the caller {transferred.agent_hears_caller * 1000:.0f} ms after they start")
    print(f"failures: {len(failures)}" + "".join(f"\n  {f}" for f in failures))
    report("cluster", [("talkers: end of speech -> first bot audio (ms)", summary(gaps))], {
        "shape": "HAProxy roundrobin, 2 x convonet serve --workers 1 (MOONSHINE_WORKERS=1 each), PostgreSQL + Redis on "
                 "loopback",
        "calls_per_process": per_process, "per_process_limit": PER_PROCESS, "extra_caller_heard": extra_heard,
        "talkers": len(talkers), "turns_per_talker": TURNS, "peak_cpu_cores": peak_load, "late_holes": len(late),
        "unanswered_turns": unanswered, "dial_seconds": round(dial_s, 1),
        "browser_offer_to_greeting_ms": None if browser_s is None else round(browser_s * 1000),
        "transfer": None if transferred is None else {
            "asked": transferred.asked, "ringing_ms": round(transferred.ringing * 1000),
            "caller_hears_agent_ms": round(transferred.caller_hears_agent * 1000),
            "agent_hears_caller_ms": round(transferred.agent_hears_caller * 1000)},
        "failures": failures, "cores": cores, "load_average_before": load_before, "load_average_after": load_after,
    })
    assert not failures, failures
