"""Store-backed rate limits: counted per subject and window, shared by every process using the store."""

from __future__ import annotations

import pytest

from core.ratelimit import Limit, RateLimited
from core.runtime import Runtime
from core.store import create_store


async def test_a_limit_refuses_past_its_count_and_says_when_to_return(runtime: Runtime) -> None:
    limit = Limit("t", 3, 60)
    for _ in range(3):
        await limit.hit(runtime.store, "203.0.113.9", now=1000.0)
    with pytest.raises(RateLimited) as refused:
        await limit.hit(runtime.store, "203.0.113.9", now=1010.0)
    assert refused.value.retry_after == 1020 - 1010  # the window [960, 1020) ends at 1020
    with pytest.raises(RateLimited):
        await limit.check(runtime.store, "203.0.113.9", now=1011.0)
    await limit.hit(runtime.store, "198.51.100.7", now=1010.0)  # another subject has its own count
    await limit.hit(runtime.store, "203.0.113.9", now=1020.0)  # a new window starts afresh


async def test_check_does_not_count_and_clear_forgets(runtime: Runtime) -> None:
    limit = Limit("c", 2, 60)
    for _ in range(5):
        await limit.check(runtime.store, "a@example.com", now=0.0)
    await limit.hit(runtime.store, "a@example.com", now=0.0)
    await limit.hit(runtime.store, "a@example.com", now=0.0)
    with pytest.raises(RateLimited):
        await limit.check(runtime.store, "a@example.com", now=0.0)
    await limit.clear(runtime.store, "a@example.com", now=0.0)
    await limit.check(runtime.store, "a@example.com", now=0.0)


async def test_the_store_holds_no_subject_in_clear(runtime: Runtime) -> None:
    await Limit("p", 5, 60).hit(runtime.store, "secret@example.com")
    keys = await runtime.store.keys("rl:p:")
    assert len(keys) == 1 and "secret" not in keys[0]


async def test_two_processes_share_one_count(runtime: Runtime) -> None:
    if runtime.store.backend != "redis":
        pytest.skip("only a shared store is shared")
    other = create_store(runtime.settings.redis_url)
    try:
        limit = Limit("shared", 2, 60)
        await limit.hit(runtime.store, "x", now=0.0)
        await limit.hit(other, "x", now=0.0)
        with pytest.raises(RateLimited):
            await limit.hit(runtime.store, "x", now=0.0)
    finally:
        await other.close()
