"""Test fixtures: every database/store test runs on SQLite + in-process store and, when the
Makefile has started them (TEST_DATABASE_URL, TEST_REDIS_URL), on PostgreSQL + Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import create_engine, make_url, text
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the files with a test marked slow first (in their order), then the rest: the workers
    take whole files in this order, and a file of minutes taken last would leave one worker running it alone."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)  # stable: each file's tests keep their order


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


@dataclass(frozen=True)
class Services:
    database_url: str | None
    redis_url: str | None


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """This test process's PostgreSQL database and Redis: the ones the Makefile started, or, in the second and
    later workers of pytest-xdist (`make pytest` runs two), a database of the worker's own on that server and a
    Redis server of its own, so that a test emptying them as it starts (`_reset_shared`) never takes another
    worker's test's rows, keys or published messages away."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    if worker == "gw0" or not PG_URL or not REDIS_URL:
        yield Services(PG_URL, REDIS_URL)
        return
    with _own_redis(tmp_path_factory.mktemp("redis")) as redis_url:
        yield Services(_own_database(PG_URL, worker), redis_url)


def _own_database(url: str, worker: str) -> str:
    """A database named for `worker` on `url`'s server (made if missing); its URL."""
    main = make_url(url)
    name = f"{main.database}_{worker}"
    engine = create_engine(main.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first() is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return main.set(database=name).render_as_string(hide_password=False)


@contextmanager
def _own_redis(directory: Path) -> Iterator[str]:
    """A Redis server on a free loopback port, as scripts/services.sh starts one, stopped on the way out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = shutil.which("redis-server")
    assert binary is not None, "redis-server not found (scripts/services.sh install installs it)"
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--protected-mode", "yes", "--save", "",
         "--appendonly", "no", "--dir", str(directory), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        for _ in range(300):
            with suppress(redis.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def postgres_migrated(services: Services) -> str:
    if not services.database_url:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_DATABASE_URL is not set but CONVONET_REQUIRE_SERVICES=1")
        pytest.skip("PostgreSQL not configured (make test starts one)")
    upgrade(services.database_url)
    return services.database_url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Backend:
    if request.param == "sqlite+memory":
        db = tmp_path / "convonet.db"
        shutil.copy(sqlite_template, db)
        return Backend(request.param, f"sqlite+aiosqlite:///{db}", None)
    url = request.getfixturevalue("postgres_migrated")
    redis_url = request.getfixturevalue("services").redis_url
    if not redis_url:
        if REQUIRE_SERVICES:
            pytest.fail("TEST_REDIS_URL is not set but CONVONET_REQUIRE_SERVICES=1")
        pytest.skip("Redis not configured (make test starts one)")
    return Backend(request.param, url, redis_url)


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
