"""Fixtures for the voice processors: a registered caller and the real agent over the real runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bots.agent.agent import Agent
from core.models import User
from core.runtime import Runtime
from tests.conftest import Backend, _reset_shared, make_settings
from tests.fakes.llm_servers import FakeOpenAIServer
from tests.processors.callers import register_caller


@pytest.fixture
async def caller(runtime: Runtime) -> User:
    return await register_caller(runtime)


@pytest.fixture
async def agent(runtime: Runtime) -> AsyncIterator[Agent]:
    async with Agent.open(runtime) as opened:
        yield opened


@pytest.fixture
async def stalled_openai() -> AsyncIterator[FakeOpenAIServer]:
    """A cloud model that answers nothing for 1 s, then fails: each model call falls back to the local model."""
    async with FakeOpenAIServer(mode="stall", stall_seconds=1.0) as server:
        yield server


@pytest.fixture
async def slow_runtime(backend: Backend, tmp_path: Path, stalled_openai: FakeOpenAIServer) -> AsyncIterator[Runtime]:
    """The real runtime with a slow first provider, so an agent turn takes a second or two."""
    settings = make_settings(
        tmp_path, backend.database_url, backend.redis_url,
        llm_providers=["openai", "local"], openai_api_key="sk-test", openai_base_url=stalled_openai.base_url,
    )
    rt = Runtime.build(settings)
    await _reset_shared(rt)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def caller_on_slow(slow_runtime: Runtime) -> User:
    return await register_caller(slow_runtime)
