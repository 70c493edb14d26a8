"""Pick the store implementation from settings."""

from __future__ import annotations

from core.store.base import Store
from core.store.memory import MemoryStore


def create_store(redis_url: str | None) -> Store:
    if redis_url:
        from core.store.redis import RedisStore

        return RedisStore(redis_url)
    return MemoryStore()
