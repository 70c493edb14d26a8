"""The capacity bench's callers and fake cloud speech services in processes of their own, each with its own
event loop, so that what is measured is the server: with every caller and the fake Deepgram on the test's
one loop, that loop lagged up to 200 ms past ~12 cloud calls and its holes looked like the server's.

`CallerPool(server_url, audio, processes=k)` starts k caller processes (spawned: a fresh interpreter, no
inherited loop or threads); a level is `await pool.dial(n)` (calls 0..n-1 spread over the processes, each
dialled, PIN keyed and greeted), `await pool.talk(...)` (each caller says its commands; the per-call
figures come back) and `await pool.hang_up()`. `SpeechProcess(...)` runs `FakeSpeechServer` the same way
and reports the final transcripts it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import random
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Self

from tests.benchmarks.procstats import cpu_rss

_SPAWN = multiprocessing.get_context("spawn")


@dataclass
class CallResult:
    """One call's turns as its caller heard them."""

    texts: list[str] = field(default_factory=list)
    gaps: list[float | None] = field(default_factory=list)  # seconds, None: never answered
    late_ms: list[list[float]] = field(default_factory=list)  # per turn: holes over LATE_MS in the reply
    late_at: list[list[tuple[float, float]]] = field(default_factory=list)  # per turn, per hole: (monotonic, ms into the reply)


@dataclass
class TalkResult:
    calls: list[CallResult]
    loop_lag_ms: list[float]  # the caller processes' own loops, 50 ms sleeps, while talking


# --- in a caller process --------------------------------------------------------------------------
async def _lag_watch(out: list[float], every: float = 0.05) -> None:
    while True:
        t0 = time.monotonic()
        await asyncio.sleep(every)
        out.append(max(0.0, (time.monotonic() - t0 - every) * 1000))


async def _talk(caller: Any, audio: dict[str, list[bytes]], turns: int, pause: tuple[float, float],
                same_phrase: bool, rng: random.Random) -> None:
    from tests.benchmarks.calls import PHRASES

    await asyncio.sleep(rng.uniform(0, pause[1]))  # callers do not all start at once
    for i in range(turns):
        text = PHRASES[1] if same_phrase else PHRASES[(i + rng.randrange(len(PHRASES))) % len(PHRASES)]
        await caller.turn(text, audio[text])
        await asyncio.sleep(rng.uniform(*pause))


@dataclass
class _Server:
    """What Caller.dial needs of a server: the Twilio that places its calls."""

    twilio: Any


async def _caller_main(conn: Connection, server_url: str, audio: dict[str, list[bytes]]) -> None:
    from tests.benchmarks.calls import Caller, phone_of
    from tests.fakes.phone_server import AUTH_TOKEN
    from tests.fakes.twilio_client import FakeTwilio

    gc.collect()
    gc.freeze()  # what is loaded stays out of full collections (a 300 ms stall would look like a hole)
    async with FakeTwilio(server_url, auth_token=AUTH_TOKEN) as twilio:
        server = _Server(twilio)
        callers: list[Caller] = []
        conn.send(("ready",))
        while True:
            command, *args = await asyncio.to_thread(conn.recv)
            try:
                if command == "dial":
                    callers = list(await asyncio.gather(*(Caller.dial(server, phone_of(i), within=60)  # type: ignore[arg-type]
                                                          for i in args[0])))
                    conn.send(("ok", None))
                elif command == "talk":
                    turns, pause, same_phrase, seeds = args
                    lag: list[float] = []
                    watch = asyncio.create_task(_lag_watch(lag))
                    await asyncio.gather(*(_talk(c, audio, turns, pause, same_phrase, random.Random(s))
                                           for c, s in zip(callers, seeds, strict=True)))
                    watch.cancel()
                    calls = [CallResult([t.text for t in c.turns], [t.gap for t in c.turns],
                                        [c.late_gaps_ms([t]) for t in c.turns],
                                        [[(at, into) for at, into, _ in c.late_holes(t)] for t in c.turns])
                             for c in callers]
                    conn.send(("ok", TalkResult(calls, lag)))
                elif command == "hang_up":
                    for caller in callers:
                        await caller.call.hang_up()
                    callers = []
                    conn.send(("ok", None))
                elif command == "stop":
                    return
            except Exception as exc:  # the parent raises it and the bench stops
                conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _caller_process(conn: Connection, server_url: str, audio: dict[str, list[bytes]]) -> None:
    from loguru import logger

    logger.disable("pipecat")
    asyncio.run(_caller_main(conn, server_url, audio))


# --- in the test's process ------------------------------------------------------------------------
class CallerPool:
    """`processes` caller processes dialling `server_url`; call i goes to process i % processes."""

    def __init__(self, server_url: str, audio: dict[str, list[bytes]], processes: int = 4) -> None:
        self.server_url = server_url
        self.audio = audio
        self.size = processes
        self._procs: list[tuple[Any, Connection]] = []
        self._n = 0

    async def __aenter__(self) -> Self:
        for _ in range(self.size):
            ours, theirs = _SPAWN.Pipe()
            proc = _SPAWN.Process(target=_caller_process, args=(theirs, self.server_url, self.audio), daemon=True)
            proc.start()
            self._procs.append((proc, ours))
        for _, conn in self._procs:
            reply = await asyncio.wait_for(asyncio.to_thread(conn.recv), 120)
            assert reply == ("ready",), reply
        return self

    async def __aexit__(self, *exc: object) -> None:
        for _, conn in self._procs:
            with contextlib.suppress(OSError):
                conn.send(("stop",))
        for proc, _ in self._procs:
            await asyncio.to_thread(proc.join, 30)
            if proc.is_alive():
                proc.kill()

    def pids(self) -> list[int]:
        return [proc.pid for proc, _ in self._procs]

    def cpu(self) -> float:
        """CPU seconds the caller processes have used."""
        return sum(cpu_rss(pid)[0] for pid in self.pids())

    async def _ask(self, per_process: list[tuple[Any, ...]]) -> list[Any]:
        for (_, conn), message in zip(self._procs, per_process, strict=False):
            conn.send(message)

        async def answer(conn: Connection) -> Any:
            status, value = await asyncio.to_thread(conn.recv)
            if status != "ok":
                raise RuntimeError(f"a caller process failed: {value}")
            return value

        return list(await asyncio.gather(*(answer(conn) for (_, conn), _ in zip(self._procs, per_process,
                                                                                 strict=False))))

    async def dial(self, n: int) -> None:
        """Calls 0..n-1 (phone_of(i)), each dialled, PIN keyed and its greeting heard out."""
        self._n = n
        await self._ask([("dial", list(range(k, n, self.size))) for k in range(min(n, self.size))])

    async def talk(self, turns: int, pause: tuple[float, float], same_phrase: bool) -> TalkResult:
        """Every caller says `turns` commands, `pause` seconds of silence after each; call i uses seed i."""
        parts = await self._ask([("talk", turns, pause, same_phrase, list(range(k, self._n, self.size)))
                                 for k in range(min(self._n, self.size))])
        return TalkResult([c for p in parts for c in p.calls], [lag for p in parts for lag in p.loop_lag_ms])

    async def hang_up(self) -> None:
        await self._ask([("hang_up",) for _ in range(min(self._n, self.size))])
        self._n = 0


# --- the fake cloud speech services in a process of their own --------------------------------------
async def _speech_main(conn: Connection, options: dict[str, Any]) -> None:
    from tests.fakes.speech_servers import FakeSpeechServer

    gc.collect()
    gc.freeze()
    async with FakeSpeechServer(**options) as fake:
        conn.send(("ready", fake.url))
        while True:
            command = await asyncio.to_thread(conn.recv)
            if command == "finals":
                conn.send([t for c in fake.on("/v1/listen") for t in c.texts])
            elif command == "stop":
                return


def _speech_process(conn: Connection, options: dict[str, Any]) -> None:
    asyncio.run(_speech_main(conn, options))


class SpeechProcess:
    """`FakeSpeechServer(**options)` in its own process; `url` once started."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.url = ""
        self._conn: Connection | None = None
        self._proc: Any = None

    async def __aenter__(self) -> Self:
        ours, theirs = _SPAWN.Pipe()
        self._proc = _SPAWN.Process(target=_speech_process, args=(theirs, self.options), daemon=True)
        self._proc.start()
        self._conn = ours
        status, self.url = await asyncio.wait_for(asyncio.to_thread(ours.recv), 60)
        assert status == "ready"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._conn is not None
        with contextlib.suppress(OSError):
            self._conn.send("stop")
        await asyncio.to_thread(self._proc.join, 30)
        if self._proc.is_alive():
            self._proc.kill()

    @property
    def pid(self) -> int:
        return int(self._proc.pid)

    async def finals(self) -> list[str]:
        """Every final transcript the fake Deepgram has sent, in order per connection."""
        assert self._conn is not None
        self._conn.send("finals")
        return list(await asyncio.to_thread(self._conn.recv))
