"""The store contract, on the in-process store and on Redis; Redis pub/sub across processes."""

from __future__ import annotations

import asyncio
import sys

import pytest

from core.runtime import Runtime
from core.store import create_store
from tests.conftest import REDIS_URL


async def test_key_value_ttl_and_only_if_absent(runtime: Runtime) -> None:
    store = runtime.store
    assert await store.get("k") is None
    assert await store.set("k", "v1")
    assert await store.get("k") == "v1"
    assert not await store.set("k", "v2", only_if_absent=True)
    assert await store.get("k") == "v1"
    assert await store.set("t", "x", ttl=0.15)
    assert await store.get("t") == "x"
    await asyncio.sleep(0.3)
    assert await store.get("t") is None
    assert await store.set("t", "again", only_if_absent=True)
    assert await store.delete("k", "t", "missing") == 2
    assert await store.get("k") is None


async def test_counters(runtime: Runtime) -> None:
    store = runtime.store
    assert await store.incr("pin:fail:+15550001", ttl=0.2) == 1
    assert await store.incr("pin:fail:+15550001", ttl=60) == 2
    assert await store.incr("pin:fail:+15550001", 3) == 5
    await asyncio.sleep(0.35)  # the TTL set at creation still applies
    assert await store.get("pin:fail:+15550001") is None
    assert await store.incr("pin:fail:+15550001") == 1


async def test_capped_lists(runtime: Runtime) -> None:
    store = runtime.store
    for i in range(7):
        await store.push("events", f"e{i}", cap=5)
    assert await store.length("events") == 5
    assert await store.range("events") == ["e6", "e5", "e4", "e3", "e2"]
    assert await store.range("events", 0, 1) == ["e6", "e5"]
    assert await store.remove("events", "e5") == 1
    assert await store.range("events") == ["e6", "e4", "e3", "e2"]
    assert await store.keys("eve") == ["events"]
    assert await store.expire("events", 0.1)
    await asyncio.sleep(0.25)
    assert await store.range("events") == []


async def test_pubsub_between_two_clients(runtime: Runtime) -> None:
    """Two store clients (two processes' worth on Redis) see each other's events."""
    other = create_store(runtime.settings.redis_url) if runtime.store.backend == "redis" else runtime.store
    sub = await other.subscribe("monitor")
    try:
        await asyncio.sleep(0.05)
        assert await runtime.store.publish("monitor", '{"n": 1}') >= 1
        await runtime.store.publish("elsewhere", "ignored")
        await runtime.store.publish("monitor", '{"n": 2}')
        assert await sub.get(wait=2) == '{"n": 1}'
        assert await sub.get(wait=2) == '{"n": 2}'
        assert await sub.get(wait=0.1) is None
    finally:
        await sub.close()
        if other is not runtime.store:
            await other.close()


@pytest.mark.skipif(not REDIS_URL, reason="needs the Redis server make test starts")
async def test_redis_pubsub_across_processes() -> None:
    """A separate OS process publishing through its own RedisStore reaches this process's subscriber."""
    assert REDIS_URL
    store = create_store(REDIS_URL)
    sub = await store.subscribe("cross-process")
    try:
        script = (
            "import asyncio, sys\n"
            "from core.store import create_store\n"
            "async def main():\n"
            "    s = create_store(sys.argv[1])\n"
            "    await s.publish('cross-process', 'hello from pid')\n"
            "    await s.close()\n"
            "asyncio.run(main())\n"
        )
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, REDIS_URL)
        assert await proc.wait() == 0
        assert await sub.get(wait=5) == "hello from pid"
    finally:
        await sub.close()
        await store.close()


async def test_a_hung_redis_fails_fast_instead_of_hanging() -> None:
    """A Redis that accepts connections and never answers (a partition): each call gives up in time."""
    import time

    from redis.exceptions import RedisError

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)  # read everything, answer nothing
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = create_store(f"redis://127.0.0.1:{port}/0", timeout=0.3)
    try:
        started = time.monotonic()
        with pytest.raises((RedisError, TimeoutError)):
            await asyncio.wait_for(store.get("pin:lock:+15550001"), 5)
        assert time.monotonic() - started < 2
    finally:
        server.close()
        await store.close()


async def test_the_in_process_store_sweeps_keys_nobody_reads_again() -> None:
    from core.store.memory import MemoryStore

    store = MemoryStore(sweep_every=0.05)
    for i in range(500):
        await store.set(f"auth:refresh-used:{i}", "1", ttl=0.01)
        await store.incr(f"rl:auth-addr:{i}:1", ttl=0.01)
    await asyncio.sleep(0.1)
    await store.set("live", "1")  # any write may sweep
    assert store._values == {"live": "1"} and store._expiry == {}
