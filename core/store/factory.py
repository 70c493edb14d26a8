"""Pick the store implementation from settings."""

from __future__ import annotations

from core.store.base import Store
from core.store.memory import MemoryStore


def create_store(redis_url: str | None, timeout: float = 2.0) -> Store:
    """Redis when `redis_url` is set (each command bounded by `timeout` seconds), else the in-process store."""
    if redis_url:
        from core.store.redis import RedisStore

        return RedisStore(redis_url, timeout)
    return MemoryStore()
