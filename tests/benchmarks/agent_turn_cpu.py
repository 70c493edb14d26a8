"""CPU of one offline agent turn, as a phone call's turns run it: `python -m tests.benchmarks.agent_turn_cpu`.

Builds what the server builds for a call (a migrated SQLite database and its sharded checkpointer in a temporary
DATA_DIR, or with `--postgres URL` a fresh PostgreSQL database made on that server for the run and dropped after it;
the demo account `make run` seeds, `Agent.open`, a phone `CallSession` admitted as that account) and
says SCRIPT to it (`--turns N`: its first N lines, or it again from the start past its end), one turn at a time, each with a streaming text sink and its Agent Monitor record published as
the timing observer does. Per turn it takes the process's CPU (`time.process_time`: every thread, the checkpoint
savers' and the model's too), the event loop thread's (`time.thread_time`) and the wall time, and prints median
and p90 over the script, with each thread group's share and the load average. `--profile FILE` also writes a
cProfile of the measured turns (CPU time; the model's `decide` and the savers' work run on the event loop for it)
and prints it split into understanding, look-ups, tools, checkpoints, Agent Monitor and the rest.
Not a test: it passes or fails nothing (README "Capacity", "The CPU of an agent turn").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCRIPT: tuple[str, ...] = (
    "what are my todos",
    "add a todo to buy oat milk",
    "create a high priority todo to call the bank",
    "what's on my list",
    "mark buy oat milk as done",
    "remind me tomorrow at nine to call mom",
    "what are my reminders",
    "book a table for four friday at seven",
    "what is on my calendar today",
    "schedule a meeting with the design team tomorrow at two pm",
    "what is on my calendar tomorrow",
    "delete the call the bank todo",
    "yes",
    "add a todo to water the plants",
    "what are my todos",
    "remind me on monday at ten to pay the rent",
    "create a todo to book the dentist",
    "what's on my list",
    "book a table for two tomorrow at seven pm",
    "what are my reservations",
    "change my reservation for tomorrow to eight pm",
    "what are my reservations",
    "cancel my reservation on friday",
    "yes",
    "add a low priority todo to clean the garage",
    "mark water the plants as done",
    "what are my todos",
    "remind me in an hour to check the oven",
    "what are my reminders",
    "create a todo to renew my passport",
    "delete the renew my passport todo",
    "yes",
    "what is on my calendar this week",
    "add a todo to buy bread",
    "what's on my list",
    "delete the reminder to check the oven",
    "yes",
    "thank you",
    "what can you do",
    "add a todo to send the invoice",
)
WARM_EMAIL = "warm-up@example.com"
"""A first call says SCRIPT as this account, not measured: what a process's first turns load and compile once
(templates' regexes, tools' modules, the calendar's client) is not what a turn costs a server that has run a while."""


GROUPS = (("checkpoints_", "checkpoint savers"),
          ("asyncio_", "to_thread (the model's decide; the PostgreSQL savers' encoding)"),
          ("_connection_worker_thread", "database (aiosqlite)"))


def _group(thread: threading.Thread) -> str:
    if thread is threading.main_thread():
        return "event loop"
    return next((name for mark, name in GROUPS if mark in thread.name), "other threads")


def thread_cpu() -> dict[int, tuple[str, float]]:
    """Each live thread's CPU so far (s), with its group."""
    seen = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            seen[thread.ident] = (_group(thread), time.clock_gettime(time.pthread_getcpuclockid(thread.ident)))
        except OSError:  # ended meanwhile
            continue
    return seen


def cpu_by_group(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    spent: dict[str, float] = {}
    for ident, (group, cpu) in after.items():
        spent[group] = spent.get(group, 0.0) + (cpu - before.get(ident, (group, 0.0))[1]) * 1000
    return spent


@contextlib.contextmanager
def inline_threads() -> Iterator[None]:
    """For a profile: the model's `decide` and the checkpoint savers' work run on the event loop, where
    cProfile sees them (the same work as on their threads, without the hops)."""
    from bots.agent.checkpoint import ThreadedSqliteSaver
    from bots.llm.local import LocalIntentChatModel

    async def run_here(self: Any, fn: Any, *args: Any) -> Any:
        return fn(*args)

    async def generate_here(self: Any, messages: Any, stop: Any = None, run_manager: Any = None, **kw: Any) -> Any:
        return self._generate(messages, stop, run_manager, **kw)

    saved = ThreadedSqliteSaver._run, LocalIntentChatModel._agenerate
    ThreadedSqliteSaver._run, LocalIntentChatModel._agenerate = run_here, generate_here  # type: ignore[method-assign]
    try:
        yield
    finally:
        ThreadedSqliteSaver._run, LocalIntentChatModel._agenerate = saved  # type: ignore[method-assign]


PARTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("understanding: routing the utterance", (("bots/agent/router.py", "route"),)),
    ("understanding: the model's move (with look-ups and replies)", (("bots/llm/local.py", "decide"),)),
    ("  of which record look-ups (bots/llm/lookup.py)", (("bots/llm/lookup.py", "resolve"),
                                                        ("bots/llm/lookup.py", "lookups"),
                                                        ("bots/llm/lookup.py", "results_by_tool"))),
    ("tools: run_tool and the database through SQLAlchemy", (("core/tools.py", "run_tool"),
                                                             ("sqlalchemy/util/concurrency.py", "greenlet_spawn"))),
    ("checkpoint reads", (("langgraph/checkpoint/sqlite/__init__.py", "get_tuple"),
                          ("langgraph/checkpoint/sqlite/__init__.py", "list"))),
    ("checkpoint writes", (("langgraph/checkpoint/sqlite/__init__.py", "put"),
                           ("langgraph/checkpoint/sqlite/__init__.py", "put_writes"))),
    ("  of which encoding", (("serde/jsonplus.py", "dumps_typed"), ("bots/agent/serde.py", "dumps_typed"))),
    ("  of which decoding (in the reads)", (("serde/jsonplus.py", "loads_typed"),
                                           ("bots/agent/serde.py", "loads_typed"))),
    ("Agent Monitor records", (("core/monitor.py", "publish"), ("core/monitor.py", "tool_call_summary"),
                               ("core/tools.py", "report_tool_call"))),
)
"""Where a profiled turn's CPU went: each part is the time inside the functions named (file, function)."""


def parts(profile: cProfile.Profile) -> str:
    """The profile split into PARTS (indented ones are within the part above), and the rest."""
    import pstats

    stats = pstats.Stats(profile)
    total = stats.total_tt  # type: ignore[attr-defined]
    lines, counted = [], 0.0
    for name, functions in PARTS:
        spent = sum(entry[3] for (path, _, fn), entry in stats.stats.items()  # type: ignore[attr-defined]
                    if (path.replace("\\", "/").endswith(tuple(p for p, f in functions if f == fn))))
        lines.append(f"  {name:62s} {spent * 1000:7.0f} ms {100 * spent / total:5.1f} %")
        counted += 0.0 if name.startswith("  ") else spent
    rest = total - counted
    lines.append(f"  {'LangGraph machinery, the event loop and the rest':62s} {rest * 1000:7.0f} ms {100 * rest / total:5.1f} %")
    return f"profiled CPU {total * 1000:.0f} ms (cProfile's overhead included), of which:\n" + "\n".join(lines)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@contextlib.asynccontextmanager
async def fresh_postgres(server_url: str) -> AsyncIterator[str]:
    """The URL of a new, empty database on the PostgreSQL server of `server_url` (whose user may create
    databases), dropped on the way out."""
    import psycopg
    from sqlalchemy.engine import make_url

    from bots.agent.checkpoint import postgres_conninfo

    name = f"agent_turn_cpu_{os.getpid()}_{time.monotonic_ns()}"
    async with await psycopg.AsyncConnection.connect(postgres_conninfo(server_url), autocommit=True) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def script(turns: int) -> list[str]:
    """SCRIPT's first `turns` lines, from its start again past its end."""
    return [SCRIPT[i % len(SCRIPT)] for i in range(turns)]


async def run(data_dir: Path, *, turns: int = len(SCRIPT), postgres: str | None = None, show: bool = False,
              profile: cProfile.Profile | None = None) -> list[dict[str, float]]:
    """Say `turns` lines of SCRIPT on one phone call (after a first call, as WARM_EMAIL) on SQLite in `data_dir`,
    or in a fresh database on the PostgreSQL server of `postgres`; each turn's CPU and wall time in ms."""
    if postgres is None:
        return await _run(data_dir, f"sqlite+aiosqlite:///{data_dir / 'convonet.db'}", turns, show, profile)
    async with fresh_postgres(postgres) as url:
        return await _run(data_dir, url, turns, show, profile)


async def _run(data_dir: Path, database: str, turns: int, show: bool,
               profile: cProfile.Profile | None) -> list[dict[str, float]]:
    from api.seed import DEMO_EMAIL, seed_demo
    from api.voice import freeze_what_is_loaded
    from bots.agent.agent import Agent
    from bots.session import CallInfo, CallSession
    from core import accounts
    from core.config import Settings
    from core.migrate import upgrade
    from core.monitor import TurnRecord, tool_call_summary
    from core.runtime import Runtime
    from processors.pin_auth import Caller

    await asyncio.to_thread(upgrade, database)
    settings = Settings(environment="development", data_dir=data_dir, database_url=database, _env_file=None)
    runtime = Runtime.build(settings)
    try:
        await seed_demo(runtime)
        async with runtime.sessions() as session, session.begin():
            user = await accounts.get_user_by_email(session, DEMO_EMAIL)
            warm = await accounts.register_user(session, email=WARM_EMAIL, password="password123",
                                                first_name="Warm", rounds=4)
        assert user is not None
        async with Agent.open(runtime) as agent:
            freeze_what_is_loaded()  # as the server does once its models and agent are loaded

            async def call(sid: str, who: Any, lines: list[str], measure: bool) -> list[dict[str, float]]:
                session = CallSession(runtime, agent, CallInfo(sid, "phone", "+15550100", "+15550199"))
                await session.authenticate(Caller(who.id, who.first_name or ""))
                pieces: list[str] = []

                async def on_text(text: str) -> None:
                    pieces.append(text)

                rows = []
                for number, text in enumerate(lines, 1):
                    pieces.clear()
                    w0, p0, t0 = time.perf_counter(), time.process_time(), time.thread_time()
                    threads = thread_cpu()
                    if profile is not None and measure:
                        profile.enable()
                    result = await session.turn(text, on_text)
                    await session.publish_turn(TurnRecord(
                        at=datetime.now(UTC), **session.call_info(), turn=number, domain=result.domain,
                        text_in=text, text_out=result.reply, agent_ms=result.timings["total_ms"],
                        tool_calls=[tool_call_summary(c) for c in result.tool_calls],
                        agent_timings=dict(result.timings), completed=True))
                    await runtime.background.drain()
                    if profile is not None and measure:
                        profile.disable()
                    rows.append({"cpu_ms": (time.process_time() - p0) * 1000,
                                 "loop_ms": (time.thread_time() - t0) * 1000,
                                 "wall_ms": (time.perf_counter() - w0) * 1000,
                                 **{f"thread:{k}": v for k, v in cpu_by_group(threads, thread_cpu()).items()}})
                    if show and measure:
                        calls = ", ".join(c.name for c in result.tool_calls)
                        print(f"{number:2d} {rows[-1]['cpu_ms']:6.1f} ms  {text!r} -> {result.reply!r} [{calls}]")
                return rows

            await call("CAwarmup", warm, list(SCRIPT), measure=False)
            gc.collect()
            return await call("CAbench", user, script(turns), measure=True)
    finally:
        await runtime.close()


def summary(rows: list[dict[str, float]]) -> str:
    parts = []
    for key, name in (("cpu_ms", "CPU (all threads)"), ("loop_ms", "loop thread"), ("wall_ms", "wall")):
        values = [r[key] for r in rows]
        parts.append(f"{name}: median {statistics.median(values):.1f} / p90 {_percentile(values, 0.9):.1f} ms")
    cpu = [r["cpu_ms"] for r in rows]
    parts.append(f"CPU median of the first 10 turns {statistics.median(cpu[:10]):.1f}, "
                 f"of the last 10 {statistics.median(cpu[-10:]):.1f} ms")  # what a longer conversation adds
    total = sum(cpu)
    groups: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            if key.startswith("thread:"):
                groups[key[7:]] = groups.get(key[7:], 0.0) + value
    split = ", ".join(f"{name} {spent / len(rows):.1f}" for name, spent in sorted(groups.items(), key=lambda g: -g[1]))
    return f"{len(rows)} turns; " + "; ".join(parts) + f"; CPU total {total:.0f} ms (per turn by thread: {split} ms)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.agent_turn_cpu", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="times to run it all (each with a fresh database and agent, in this process)")
    parser.add_argument("--show", action="store_true", help="print each turn's words, reply and CPU")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the measured turns here")
    parser.add_argument("--turns", type=int, default=len(SCRIPT),
                        help=f"turns of the measured call (default {len(SCRIPT)}, the script once; past it, again)")
    parser.add_argument("--postgres", metavar="URL",
                        help="on PostgreSQL: a fresh database on this URL's server for each run (e.g. TEST_DATABASE_URL "
                             "of scripts/services.sh), in place of SQLite")
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    for run_number in range(1, args.runs + 1):
        profile = cProfile.Profile(time.thread_time) if args.profile else None  # CPU, not the time waited
        load_before = os.getloadavg()
        inline = inline_threads() if profile is not None else contextlib.nullcontext()
        with tempfile.TemporaryDirectory(prefix="agent-turn-cpu-") as tmp, inline:
            rows = asyncio.run(run(Path(tmp), turns=args.turns, postgres=args.postgres, show=args.show,
                                   profile=profile))
        load_after = os.getloadavg()
        store = "PostgreSQL" if args.postgres else "SQLite"
        print(f"run {run_number} ({store}): {summary(rows)}; load {load_before[0]:.2f} -> {load_after[0]:.2f}", flush=True)
        if profile is not None:
            profile.dump_stats(args.profile)
            print(parts(profile))
            print(f"profile written to {args.profile}", file=sys.stderr)


if __name__ == "__main__":
    main()
