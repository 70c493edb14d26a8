"""The Redis store: what several processes or replicas share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub


class RedisSubscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def get(self, wait: float | None = None) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = None if wait is None else loop.time() + wait
        while True:
            step = 1.0 if deadline is None else max(0.0, deadline - loop.time())
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=step)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                return data.decode() if isinstance(data, bytes) else str(data)
            if deadline is not None and loop.time() >= deadline:
                return None

    async def __aiter__(self) -> AsyncIterator[str]:
        while True:
            message = await self.get(wait=None)
            if message is not None:
                yield message

    async def close(self) -> None:
        await self._pubsub.unsubscribe()
        await self._pubsub.aclose()


class RedisStore:
    """Store operations mapped one to one onto Redis commands."""

    backend = "redis"

    def __init__(self, url: str, timeout: float = 2.0) -> None:
        # Every command has a deadline: a hung Redis fails a store call in `timeout` seconds
        # instead of hanging the tool, the PIN check or the call that made it.
        self._redis: Any = Redis.from_url(url, decode_responses=True, health_check_interval=30,
                                          socket_timeout=timeout, socket_connect_timeout=timeout)

    async def get(self, key: str) -> str | None:
        value: str | None = await self._redis.get(key)
        return value

    async def set(self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False) -> bool:
        px = int(ttl * 1000) if ttl is not None else None
        result = await self._redis.set(key, value, px=px, nx=only_if_absent)
        return bool(result)

    async def delete(self, *keys: str) -> int:
        return int(await self._redis.delete(*keys)) if keys else 0

    async def expire(self, key: str, ttl: float) -> bool:
        return bool(await self._redis.pexpire(key, int(ttl * 1000)))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(key, amount)
            if ttl is not None:
                pipe.pexpire(key, int(ttl * 1000), nx=True)
            results = await pipe.execute()
        return int(results[0])

    async def push(self, key: str, value: str, *, cap: int | None = None) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lpush(key, value)
            if cap is not None:
                pipe.ltrim(key, 0, cap - 1)
            pipe.llen(key)
            results = await pipe.execute()
        return int(results[-1])

    async def range(self, key: str, start: int = 0, stop: int = -1) -> list[str]:
        return list(await self._redis.lrange(key, start, stop))

    async def remove(self, key: str, value: str) -> int:
        return int(await self._redis.lrem(key, 0, value))

    async def length(self, key: str) -> int:
        return int(await self._redis.llen(key))

    async def keys(self, prefix: str) -> list[str]:
        found = [key async for key in self._redis.scan_iter(match=f"{prefix}*", count=500)]
        return sorted(found)

    async def publish(self, channel: str, message: str) -> int:
        return int(await self._redis.publish(channel, message))

    async def subscribe(self, channel: str) -> RedisSubscription:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel)
        return RedisSubscription(pubsub)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
