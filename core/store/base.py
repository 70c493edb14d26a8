"""The store interface."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol


class Subscription(Protocol):
    """Messages published on a channel after the subscription started, in order."""

    def __aiter__(self) -> AsyncIterator[str]: ...

    async def get(self, wait: float | None = None) -> str | None:
        """The next message, or None when `wait` seconds pass without one."""
        ...

    async def close(self) -> None: ...


class Store(Protocol):
    """Shared state across calls and processes. Values are strings (JSON by convention)."""

    backend: str

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, *, ttl: float | None = None, only_if_absent: bool = False) -> bool:
        """Set a value; with `only_if_absent`, return False (and change nothing) when the key exists."""
        ...

    async def delete(self, *keys: str) -> int: ...

    async def expire(self, key: str, ttl: float) -> bool: ...

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add to a counter; `ttl` is applied when the counter is created."""
        ...

    async def push(self, key: str, value: str, *, cap: int | None = None) -> int:
        """Prepend to a list, keeping only the newest `cap` items; returns the new length."""
        ...

    async def range(self, key: str, start: int = 0, stop: int = -1) -> list[str]:
        """Items newest first, `stop` inclusive (-1 = to the end)."""
        ...

    async def remove(self, key: str, value: str) -> int:
        """Remove every occurrence of `value` from a list."""
        ...

    async def length(self, key: str) -> int: ...

    async def keys(self, prefix: str) -> list[str]:
        """Keys starting with `prefix` (for small administrative scans, not hot paths)."""
        ...

    async def publish(self, channel: str, message: str) -> int: ...

    async def subscribe(self, channel: str) -> Subscription: ...

    async def ping(self) -> None:
        """Raise if the store does not answer."""
        ...

    async def close(self) -> None: ...
