"""Every route refuses a request body over MAX_REQUEST_BODY_BYTES with 413, declared or streamed, and
every text field a request carries has a length limit."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx

from api.app import create_app
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


def _bounded_pattern(pattern: str | None) -> bool:
    """A whole-string pattern whose every repeat has an upper bound (`^\\d{4,6}$`, not `^\\s*\\d{6}$`)."""
    if not pattern or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    bare = re.sub(r"\\.", "", re.sub(r"\[(?:\\.|[^\]])*\]", "", pattern))  # classes and escapes say nothing of length
    return not re.search(r"[*+]|\{\d*,\}", bare)


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str, seen: frozenset[str]) -> list[str]:
    """The places under `schema` where a client may send a string of any length."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _unbounded(components[name], components, f"{where}->{name}", seen | {name})
    found = [hit for key in ("anyOf", "oneOf", "allOf") for sub in schema.get(key, [])
             for hit in _unbounded(sub, components, where, seen)]
    kind = schema.get("type")
    if kind == "string" and "maxLength" not in schema and "enum" not in schema and "const" not in schema \
            and not _bounded_pattern(schema.get("pattern")) \
            and schema.get("format") not in ("date", "date-time", "time", "uuid", "binary", "email"):  # email: 2048
        found.append(where)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, components, f"{where}.{name}", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(schema["additionalProperties"], components, f"{where}.*", seen)
    if kind == "array":
        found += _unbounded(schema.get("items", {}), components, f"{where}[]", seen)
    return found


def test_every_text_field_of_every_request_has_a_length_limit() -> None:
    """Request bodies and query strings: no string without maxLength (path segments are bounded by the
    server's request-line limit)."""
    schema = create_app().openapi()
    components = schema["components"]["schemas"]
    unbounded = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(content.get("schema", {}), components, f"{method} {path} body", frozenset())
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    unbounded += _unbounded(parameter.get("schema", {}), components,
                                            f"{method} {path} {parameter['name']}", frozenset())
    assert unbounded == []
