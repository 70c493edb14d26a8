"""Phone calls during a login flood: bcrypt runs off the event loop and sign-ins are throttled, so a
flood of failed logins costs the live calls little.

Three callers talk to the real app on loopback (offline stack) while five clients, each from its own
address (X-Forwarded-For, which the test server believes from 127.0.0.1), send failed logins at
4 a second each (20 a second in all) against accounts with a real bcrypt cost of 12. Printed: the
callers' answer times (end of speech → first bot audio) without and with the flood, late audio,
and what the flood's logins got back (401 checked, 429 throttled, 503 busy hashing).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.benchmarks.calls import PHRASES, Caller, bench_server, frames_for, phone_of, register_callers
from tests.benchmarks.conftest import FULL, report, size, summary
from tests.benchmarks.procstats import load_average
from tests.conftest import Backend

pytest.importorskip("bots.speech", reason="needs the offline speech services")

pytestmark = pytest.mark.slow

CALLERS = 3
FLOODERS = 5
LOGINS_PER_SECOND = 4.0  # per flooder
# The accounts the flood guesses at: each takes AUTH_FAILURES_PER_ACCOUNT (10) wrong passwords at the real bcrypt
# cost before its logins get 429, which a smoke run waits for with one.
VICTIMS = size(FLOODERS, 1)
# A smoke run says only the commands with a one-sentence reply: a turn lasts as long as its reply plays.
SAID = PHRASES if FULL else PHRASES[1:]


async def _talk(callers: list[Caller], audio: dict[str, list[bytes]], turns: int) -> list[float]:
    async def one(caller: Caller, offset: int) -> list[float]:
        gaps = []
        for i in range(turns):
            text = SAID[(i + offset) % len(SAID)]
            turn = await caller.turn(text, audio[text])
            if turn.gap is not None:
                gaps.append(turn.gap * 1000)
        return gaps

    results = await asyncio.gather(*(one(c, i) for i, c in enumerate(callers)))
    return [gap for gaps in results for gap in gaps]


async def _flood(url: str, statuses: Counter[int], stop: asyncio.Event, throttled: asyncio.Event) -> None:
    async def client(i: int) -> None:
        headers = {"X-Forwarded-For": f"198.51.100.{i + 10}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
            n = 0
            while not stop.is_set():
                body = {"email": f"victim{(i + n) % VICTIMS}@example.com", "password": f"guess-{i}-{n}"}
                with contextlib.suppress(httpx.HTTPError):
                    status = (await http.post("/api/auth/login", json=body)).status_code
                    statuses[status] += 1
                    if status == 429:
                        throttled.set()
                n += 1
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1 / LOGINS_PER_SECOND)

    await asyncio.gather(*(client(i) for i in range(FLOODERS)))


@pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)
async def test_bench_calls_during_a_login_flood(backend: Backend, tmp_path: Path, bench_data_dir: Path) -> None:
    turns = size(6, 1)
    audio = frames_for(PHRASES)
    load_before = load_average()
    async with bench_server(backend, tmp_path, bench_data_dir, bcrypt_rounds=12) as server:
        await register_callers(server.runtime, CALLERS)
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            for i in range(VICTIMS):  # the flood's targets, hashed at the real cost
                created = await http.post("/api/auth/register", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                                          json={"email": f"victim{i}@example.com", "password": "right-password"})
                assert created.status_code == 201, created.text
        callers = list(await asyncio.gather(*(Caller.dial(server, phone_of(i), within=60) for i in range(CALLERS))))
        quiet = await _talk(callers, audio, turns)
        quiet_late = sum(len(c.late_gaps_ms()) for c in callers)

        statuses: Counter[int] = Counter()
        stop, throttled = asyncio.Event(), asyncio.Event()
        flood = asyncio.create_task(_flood(server.url, statuses, stop, throttled))
        try:
            await asyncio.sleep(1.0)  # the flood is under way before anyone speaks
            marks = [len(c.turns) for c in callers]
            flooded = await _talk(callers, audio, turns)
            # on a loaded machine the flood may not have reached the per-account limit (10 wrong passwords)
            # while the calls talked: it goes on until the limit answers, so that is checked either way
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(throttled.wait(), 60)
        finally:
            stop.set()
            await flood
        flooded_late = sum(len(c.late_gaps_ms(c.turns[m:])) for c, m in zip(callers, marks, strict=True))
        for caller in callers:
            await caller.call.hang_up()

    assert quiet and flooded, "no turn was answered"
    assert statuses[429] > 0, statuses  # the excess logins were throttled
    assert set(statuses) <= {401, 429, 503}, statuses  # and nothing broke
    quiet_stats, flooded_stats = summary(quiet), summary(flooded)
    report("login-flood", [
        ("answer time, quiet (3 calls)", quiet_stats),
        ("answer time, 20 failed logins/s (3 calls)", flooded_stats),
    ], {
        "p95_change_ms": round(flooded_stats["p95"] - quiet_stats["p95"], 1),
        "goal": "p95 within +100 ms of the quiet run",
        "late_audio_holes": {"quiet": quiet_late, "flood": flooded_late},
        "logins": {str(code): count for code, count in sorted(statuses.items())},
        "conditions": (f"offline stack, {CALLERS} phone calls on loopback, {FLOODERS} login clients x "
                       f"{LOGINS_PER_SECOND:g}/s from distinct addresses against {VICTIMS} accounts, bcrypt cost 12, "
                       "SQLite + in-process store, client and server in one process, "
                       f"{'full' if FULL else 'smoke'} run"),
        "load_average_before_after": [load_before, load_average()],
    })
    print(f"p95 change under the flood: {flooded_stats['p95'] - quiet_stats['p95']:+.0f} ms; "
          f"logins: {dict(statuses)}; late audio holes: {quiet_late} quiet, {flooded_late} flooded")
