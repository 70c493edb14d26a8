"""The process's shared resources, built once from settings and closed on the way out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from core.background import BackgroundTasks
from core.calls import LiveCalls
from core.clients import Clients
from core.cluster import Cluster
from core.config import Settings
from core.db import SessionFactory, create_engine, create_session_factory, is_sqlite
from core.metrics import Metrics
from core.store import Store, create_store
from core.tracing import Tracing


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionFactory
    store: Store
    background: BackgroundTasks = field(default_factory=BackgroundTasks)
    calls: LiveCalls = field(default_factory=LiveCalls)
    clients: Clients = field(default_factory=Clients)
    cluster: Cluster | None = None
    metrics: Metrics = field(default_factory=Metrics)
    tracing: Tracing = field(default_factory=Tracing)

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings.effective_database_url, pool_size=settings.database_pool_size)
        store = create_store(settings.redis_url, settings.redis_timeout_seconds)
        return cls(
            settings=settings,
            engine=engine,
            sessions=create_session_factory(engine),
            store=store,
            calls=LiveCalls(settings.max_calls_per_process, settings.load_threshold, settings.loop_lag_threshold),
            cluster=Cluster(store),
            metrics=Metrics(settings.metrics_dir),
            tracing=Tracing.from_settings(settings),
        )

    @property
    def uses_sqlite(self) -> bool:
        return is_sqlite(self.settings.effective_database_url)

    async def close(self) -> None:
        await self.background.drain()
        await self.store.close()
        await self.engine.dispose()
        await asyncio.to_thread(self.tracing.shutdown)
