"""The in-process store: the embedded default for a single process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator


class MemorySubscription:
    def __init__(self, store: MemoryStore, channel: str) -> None:
        self._store = store
        self._channel = channel
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=10_000)
        self._closed = False

    def deliver(self, message: str) -> None:
        if self._queue.full():  # a stalled reader drops its oldest message rather than growing forever
            self._queue.get_nowait()
        self._queue.put_nowait(message)

    async def get(self, wait: float | None = None) -> str | None:
        try:
            return await asyncio.wait_for(self._queue.get(), wait)
        except TimeoutError:
            return None

    async def __aiter__(self) -> AsyncIterator[str]:
        while not self._closed:
            yield await self._queue.get()

    async def close(self) -> None:
        self._closed = True
        self._store._unsubscribe(self._channel, self)


SWEEP_EVERY = 30.0


class MemoryStore:
    """Dicts with expiry times; single-process only. Expired keys go when read, and in a sweep at
    most every `sweep_every` seconds on a write (keys nobody reads again, such as one-time markers
    and per-address counters, would otherwise pile up)."""

    backend = "memory"

    def __init__(self, sweep_every: float = SWEEP_EVERY) -> None:
        self._values: dict[str, str] = {}
        self._lists: dict[str, list[str]] = {}
        self._expiry: dict[str, float] = {}
        self._subscribers: dict[str, set[MemorySubscription]] = {}
        self._sweep_every = sweep_every
        self._last_sweep = time.monotonic()

    def _maybe_sweep(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self._sweep_every:
            return
        self._last_sweep = now
        for key in [k for k, deadline in self._expiry.items() if deadline <= now]:
            self._values.pop(key, None)
            self._lists.pop(key, None)
            self._expiry.pop(key, None)

    def _alive(self, key: str) -> bool:
        deadline = self._expiry.get(key)
        if deadline is not None and deadline <= time.monotonic():
            self._values.pop(key, None)
            self._lists.pop(key, None)
            self._expiry.pop(key, None)
            return False
        return key in self._values or key in self._lists

    async def get(self, key: str) -> str | None:
        return self._values.get(key) if self._alive(key) else None

    async def set(self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False) -> bool:
        self._maybe_sweep()
        if only_if_absent and self._alive(key):
            return False
        self._lists.pop(key, None)
        self._values[key] = value
        if ttl is None:
            self._expiry.pop(key, None)
        else:
            self._expiry[key] = time.monotonic() + ttl
        return True

    async def delete(self, *keys: str) -> int:
        removed = 0
        for key in keys:
            if self._alive(key):
                removed += 1
            self._values.pop(key, None)
            self._lists.pop(key, None)
            self._expiry.pop(key, None)
        return removed

    async def expire(self, key: str, ttl: float) -> bool:
        if not self._alive(key):
            return False
        self._expiry[key] = time.monotonic() + ttl
        return True

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        self._maybe_sweep()
        existed = self._alive(key)
        value = int(self._values.get(key, "0")) + amount
        self._values[key] = str(value)
        if not existed and ttl is not None:
            self._expiry[key] = time.monotonic() + ttl
        return value

    async def push(self, key: str, value: str, *, cap: int | None = None) -> int:
        self._maybe_sweep()
        self._alive(key)
        items = self._lists.setdefault(key, [])
        items.insert(0, value)
        if cap is not None and len(items) > cap:
            del items[cap:]
        return len(items)

    async def range(self, key: str, start: int = 0, stop: int = -1) -> list[str]:
        if not self._alive(key):
            return []
        items = self._lists.get(key, [])
        end = None if stop == -1 else stop + 1
        return list(items[start:end])

    async def remove(self, key: str, value: str) -> int:
        if not self._alive(key):
            return 0
        items = self._lists.get(key, [])
        kept = [item for item in items if item != value]
        self._lists[key] = kept
        return len(items) - len(kept)

    async def length(self, key: str) -> int:
        return len(self._lists.get(key, [])) if self._alive(key) else 0

    async def keys(self, prefix: str) -> list[str]:
        names = list(self._values) + list(self._lists)
        return sorted(k for k in names if k.startswith(prefix) and self._alive(k))

    async def publish(self, channel: str, message: str) -> int:
        subscribers = list(self._subscribers.get(channel, ()))
        for subscriber in subscribers:
            subscriber.deliver(message)
        return len(subscribers)

    async def subscribe(self, channel: str) -> MemorySubscription:
        subscription = MemorySubscription(self, channel)
        self._subscribers.setdefault(channel, set()).add(subscription)
        return subscription

    def _unsubscribe(self, channel: str, subscription: MemorySubscription) -> None:
        self._subscribers.get(channel, set()).discard(subscription)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._subscribers.clear()
