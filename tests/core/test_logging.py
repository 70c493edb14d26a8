"""People's data stays out of logs and Sentry: database errors, Sentry events, what reaches Sentry's server."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from aiohttp import web
from sqlalchemy.exc import IntegrityError

from core.logging import describe_error, scrub_event, scrub_text, setup_sentry
from core.models import User
from core.runtime import Runtime
from tests.conftest import make_settings

EMAIL = "patient.zero@example.com"
HASH = "$2b$04$notarealhashbutsecretvaluexxxxxxxxxxxxxxxxxxxxxxxxxxx"


async def duplicate_user_error(runtime: Runtime) -> IntegrityError:
    async with runtime.sessions() as session, session.begin():
        session.add(User(email=EMAIL, username="first", password_hash="x"))
    with pytest.raises(IntegrityError) as caught:
        async with runtime.sessions() as session, session.begin():
            session.add(User(email=EMAIL, username="second", password_hash=HASH, phone_number="+15551234567"))
    return caught.value


async def test_database_errors_carry_no_bound_values(runtime: Runtime) -> None:
    exc = await duplicate_user_error(runtime)
    assert HASH not in str(exc) and "+15551234567" not in str(exc)  # hide_parameters
    assert EMAIL not in describe_error(exc) and describe_error(exc).startswith("IntegrityError (")
    assert EMAIL not in scrub_text(str(exc))  # PostgreSQL names the clashing key's value in DETAIL


async def test_the_app_logs_database_errors_without_their_values(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.exc import DBAPIError
    from starlette.requests import Request

    from api.app import create_app

    exc = await duplicate_user_error(runtime)
    app = create_app(runtime=runtime)
    request = Request({"type": "http", "method": "POST", "path": "/", "headers": [], "app": app})
    caplog.set_level(logging.INFO)
    conflict = await app.exception_handlers[IntegrityError](request, exc)
    down = await app.exception_handlers[DBAPIError](request, exc)
    assert (conflict.status_code, down.status_code) == (409, 503)
    assert "IntegrityError" in caplog.text
    assert EMAIL not in caplog.text and HASH not in caplog.text


def test_scrub_event_removes_what_identifies_people() -> None:
    event: dict[str, Any] = {
        "exception": {"values": [{
            "type": "IntegrityError",
            "value": f"(sqlite3.IntegrityError) UNIQUE failed\n[SQL: INSERT ...]\n[parameters: ('{EMAIL}', '{HASH}')]\n"
                     "(Background on this error at: https://sqlalche.me/e/20/gkpj)",
            "stacktrace": {"frames": [{"function": "f", "vars": {"password": "hunter22"}}]},
        }]},
        "logentry": {"message": "call from %s", "params": ["+15551234567"], "formatted": "call from +1 555 123 4567"},
        "breadcrumbs": {"values": [{"message": f"login {EMAIL}", "data": {"body": "x"}}]},
        "request": {"url": "https://h/api/offer?email=a@b.co", "query_string": "email=a@b.co", "data": {"pin": "1234"},
                    "cookies": {"s": "1"}, "headers": {"Authorization": "Bearer t", "User-Agent": "ua"}},
        "user": {"email": EMAIL, "id": "4f1c", "ip_address": "203.0.113.9"},
    }
    text = json.dumps(scrub_event(event))  # type: ignore[arg-type]
    for secret in (EMAIL, HASH, "hunter22", "1234567", "a@b.co", "Bearer t", '"pin"', '"body"'):
        assert secret not in text, secret
    assert "IntegrityError" in text and "ua" in text
    assert json.loads(text)["user"] == {"id": "4f1c"}  # the account's id only


@pytest.fixture
async def fake_sentry() -> Any:
    """Sentry's ingest endpoint on loopback: the envelopes the real SDK sends, decoded."""
    received: list[str] = []

    async def envelope(request: web.Request) -> web.Response:
        body = await request.read()  # aiohttp has undone the Content-Encoding already
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        received.append(body.decode("utf-8", "replace"))
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/api/1/envelope/", envelope)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://publickey@127.0.0.1:{port}/1", received
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        await runner.cleanup()


async def test_what_reaches_sentry_is_scrubbed(fake_sentry: Any, tmp_path: Path) -> None:
    dsn, received = fake_sentry
    assert setup_sentry(make_settings(tmp_path, "sqlite+aiosqlite:///x.db", None, sentry_dsn=dsn))

    def fail(password: str) -> None:
        raise ValueError(f"could not book for {EMAIL} [parameters: ('{HASH}',)]")

    password = "hunter" + str(22)  # built at run time: the source lines Sentry sends must not hold it
    try:
        fail(password)
    except ValueError as exc:
        sentry_sdk.capture_exception(exc)
    await asyncio.to_thread(sentry_sdk.flush, 5)
    sent = "".join(received)
    assert "could not book for" in sent  # the event arrived
    for secret in (EMAIL, HASH, "hunter22"):
        assert secret not in sent, secret
