"""The workers of `convonet serve --workers N` open the PostgreSQL checkpointer at once, on a database
that may not have its tables yet: each must come up."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bots.agent.checkpoint import open_checkpointer
from core.runtime import Runtime

pytestmark = pytest.mark.parametrize("backend", ["postgres+redis"], indirect=True)

TABLES = ("checkpoint_writes", "checkpoint_blobs", "checkpoints", "checkpoint_migrations")


async def test_processes_setting_up_a_fresh_database_at_once_all_start(runtime: Runtime) -> None:
    async with runtime.engine.begin() as conn:
        for table in TABLES:
            await conn.execute(text(f'DROP TABLE IF EXISTS "{table}" CASCADE'))

    async def start() -> bool:
        async with open_checkpointer(runtime.settings) as saver:
            return saver is not None

    assert await asyncio.wait_for(asyncio.gather(*(start() for _ in range(3))), 60) == [True, True, True]
    async with runtime.engine.connect() as conn:
        found = (await conn.execute(text("SELECT count(*) FROM checkpoint_migrations"))).scalar_one()
    assert found > 0
