"""Test fixtures: every database/store test runs on SQLite + in-process store and, when the
Makefile has started them (TEST_DATABASE_URL, TEST_REDIS_URL), on PostgreSQL + Redis."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

import domains.registry
from api.app import create_app
from core.config import Settings
from core.grammar import registry as grammar_registry
from core.migrate import upgrade
from core.runtime import Runtime
from tests.voice import MOONSHINE

# What the app does when it starts (api/voice.py, Agent.open), for tests that read the grammar directly.
grammar_registry.install(domains.registry.grammar_set())

PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("CONVONET_REQUIRE_SERVICES") == "1"
TEST_SECRET = "test-secret-" + "x" * 40

BACKENDS = ["sqlite+memory", "postgres+redis"]
BOT_SPEED = 2.0
"""The pace test servers' offline voice speaks at (`hibari_speed`): a caller hears every reply out before
answering, in real time, and at the voice's own pace that was over a third of the suite's time. No test
listens to what the bot says, only to whether and when; a test whose point is the length of the bot's
audio asks for `hibari_speed=1.0`."""


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    redis_url: str | None


_speech_cache: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def shared_speech_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One cache of the offline speech language model for the run: the `DATA_DIR/speech` of every
    `make_settings` points at it, so the model is built once, not in each test that starts the voice
    service (~6 s each). Its files are keyed by their content; tests of the cache use their own."""
    global _speech_cache
    _speech_cache = tmp_path_factory.mktemp("speech-cache")
    yield
    _speech_cache = None


@pytest.fixture(scope="session", autouse=True)
def shared_moonshine_reader() -> Iterator[None]:
    """Stop the Moonshine worker process the test servers share (`tests.voice.MOONSHINE`), if one started."""
    yield
    MOONSHINE.shutdown()


def make_settings(tmp: Path, database_url: str, redis_url: str | None, **overrides: object) -> Settings:
    if _speech_cache is not None and "data_dir" not in overrides and not (tmp / "speech").exists():
        (tmp / "speech").symlink_to(_speech_cache, target_is_directory=True)
    values: dict[str, object] = {
        "environment": "test",
        "jwt_secret": TEST_SECRET,
        "data_dir": tmp,
        "database_url": database_url,
        "redis_url": redis_url,
        "bcrypt_rounds": 4,
        "moonshine_workers": 1,  # one model process per test server (a server's default: one per core)
        "hibari_speed": BOT_SPEED,
        "_env_file": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating every time would be slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    if not PG_URL:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_DATABASE_URL is not set but CONVONET_REQUIRE_SERVICES=1")
        pytest.skip("PostgreSQL not configured (make test starts one)")
    upgrade(PG_URL)
    return PG_URL


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Backend:
    if request.param == "sqlite+memory":
        db = tmp_path / "convonet.db"
        shutil.copy(sqlite_template, db)
        return Backend(request.param, f"sqlite+aiosqlite:///{db}", None)
    url = request.getfixturevalue("postgres_migrated")
    if not REDIS_URL:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_REDIS_URL is not set but CONVONET_REQUIRE_SERVICES=1")
        pytest.skip("Redis not configured (make test starts one)")
    return Backend(request.param, url, REDIS_URL)


async def _reset_shared(runtime: Runtime) -> None:
    """Empty PostgreSQL tables and the Redis database so each test starts clean."""
    if not runtime.uses_sqlite:
        tables = ", ".join(f'"{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables))
        async with runtime.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    if runtime.store.backend == "redis":
        await runtime.store._redis.flushdb()  # type: ignore[attr-defined]


@pytest.fixture
def settings(backend: Backend, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, backend.database_url, backend.redis_url)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime.build(settings)
    await _reset_shared(rt)
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
