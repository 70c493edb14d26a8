"""This process in the deployment, for the app's lifetime: its load meter and its heartbeat in the store.

Once a second the CPU moving average goes to `runtime.calls.load` (which decides whether a new call
may start here) and, with the loop's lag and whether it takes calls, to the worker's metrics; every `HEARTBEAT_SECONDS` the process announces its address, load and whether it
takes calls (`core.cluster`), when it has an address (`convonet serve` gives it one). A store that
does not answer costs a warning, never the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from redis.exceptions import RedisError

from core.cluster import HEARTBEAT_SECONDS
from core.load import LoadMeter
from core.logging import describe_error
from core.runtime import Runtime

log = logging.getLogger(__name__)

SAMPLE_SECONDS = 1.0


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[None]:
    runtime: Runtime = app.state.runtime
    if runtime.cluster is not None:
        runtime.cluster.address = getattr(app.state, "node_address", None)
    task = asyncio.get_running_loop().create_task(_beat(runtime, LoadMeter()), name="cluster-heartbeat")
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if runtime.cluster is not None:
            with contextlib.suppress(RedisError, OSError):
                await runtime.cluster.leave()


async def _beat(runtime: Runtime, meter: LoadMeter) -> None:
    loop = asyncio.get_running_loop()
    next_announce = 0.0
    while True:
        calls = runtime.calls
        calls.load = meter.sample()
        runtime.metrics.worker(load=calls.load, lag=calls.lag, accepting=calls.accepting())
        if runtime.cluster is not None and loop.time() >= next_announce:
            next_announce = loop.time() + HEARTBEAT_SECONDS
            try:
                await runtime.cluster.announce(accepting=calls.accepting(), load=calls.load, calls=calls.count)
            except (RedisError, OSError) as exc:
                log.warning("cluster heartbeat: the store did not answer (%s)", describe_error(exc))
        await asyncio.sleep(SAMPLE_SECONDS)
