"""/health and /docs, and what happens when the database is down."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from api.app import create_app
from core.runtime import Runtime
from tests.conftest import make_settings


async def test_health_reports_database_and_store(client: httpx.AsyncClient, runtime: Runtime) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"status": "ok", "backend": runtime.engine.dialect.name}
    assert body["store"] == {"status": "ok", "backend": runtime.store.backend}


async def test_docs_and_openapi(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/auth/register", "/api/auth/login", "/api/auth/refresh", "/api/auth/profile", "/api/teams/",
                 "/api/teams/{team_id}/members/{user_id}/role", "/api/teams/{team_id}/todos", "/api/todos/{todo_id}"):
        assert path in paths
    health = json.dumps(paths["/health"]["get"]["responses"])
    assert health.count("#/components/schemas/HealthOut") == 2, health  # 200 and 503


async def test_database_down_is_503_not_empty(tmp_path: Path) -> None:
    # a PostgreSQL URL where nothing listens: the database is "down"
    settings = make_settings(tmp_path, "postgresql+asyncpg://u:p@127.0.0.1:9/none", None)
    runtime = Runtime.build(settings)
    app = create_app(runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"]["status"] == "error"
        assert health.json()["store"]["status"] == "ok"
        login = await client.post("/api/auth/login", json={"email": "a@example.com", "password": "whatever1"})
        assert login.status_code == 503
        assert "database" in login.json()["detail"].lower()
    await runtime.close()

