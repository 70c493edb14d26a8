"""Every route refuses a request body over MAX_REQUEST_BODY_BYTES with 413, declared or streamed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from tests.helpers import register

LIMIT = 256 * 1024


async def test_a_declared_body_over_the_limit_is_413_before_it_is_read(client: httpx.AsyncClient) -> None:
    huge = b'{"email": "' + b"a" * (LIMIT + 10) + b'@example.com", "password": "x"}'
    for path in ("/api/auth/login", "/api/auth/register", "/api/offer", "/mcp", "/twilio/call"):
        response = await client.post(path, content=huge, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, path
        assert response.json() == {"detail": "The request body is too large."}


async def test_a_streamed_body_is_cut_off_at_the_limit(client: httpx.AsyncClient) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "'
        for _ in range(64):  # 4 MiB on offer, no Content-Length
            sent += 64 * 1024
            yield b"a" * 64 * 1024
        yield b'@example.com", "password": "x"}'

    response = await client.post("/api/auth/login", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert sent < 1024 * 1024  # the server stopped reading soon after the limit


async def test_ordinary_bodies_pass(client: httpx.AsyncClient) -> None:
    account = await register(client)
    todo = await client.post("/api/todos/", json={"title": "buy milk", "description": "x" * 2000},
                             headers=account.auth)
    assert todo.status_code in (200, 201), todo.text


async def test_text_fields_have_a_length_limit(client: httpx.AsyncClient) -> None:
    account = await register(client)
    long = await client.post("/api/todos/", json={"title": "x", "description": "y" * 10_001}, headers=account.auth)
    assert long.status_code == 422 and long.json()["detail"][0]["loc"] == ["body", "description"]
    token = await client.post("/api/auth/refresh", json={"refresh_token": "z" * 5000})
    assert token.status_code == 422
