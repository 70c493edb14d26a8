"""Personal todos: CRUD, validation, and that no user reaches another user's todos."""

from __future__ import annotations

import httpx

from tests.helpers import register


async def test_personal_todo_crud(client: httpx.AsyncClient) -> None:
    me = await register(client)
    created = await client.post(
        "/api/todos/", json={"title": "Buy milk", "priority": "high", "due_date": "2026-12-01T09:00:00"}, headers=me.auth
    )
    assert created.status_code == 201, created.text
    todo = created.json()
    assert todo["priority"] == "high" and todo["completed"] is False
    assert todo["due_date"].startswith("2026-12-01T09:00:00")

    listed = await client.get("/api/todos/", headers=me.auth)
    assert [t["title"] for t in listed.json()] == ["Buy milk"]

    done = await client.put(f"/api/todos/{todo['id']}", json={"completed": True}, headers=me.auth)
    assert done.status_code == 200 and done.json()["completed"] is True and done.json()["completed_at"]
    assert (await client.get("/api/todos/?completed=false", headers=me.auth)).json() == []

    deleted = await client.delete(f"/api/todos/{todo['id']}", headers=me.auth)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/todos/{todo['id']}", headers=me.auth)).status_code == 404


async def test_bad_todo_input(client: httpx.AsyncClient) -> None:
    me = await register(client)
    for body, field in (
        ({"title": ""}, "title"),
        ({"title": "x", "priority": "extreme"}, "priority"),
        ({"title": "x", "due_date": "someday"}, "due_date"),
        ({}, "title"),
    ):
        response = await client.post("/api/todos/", json=body, headers=me.auth)
        assert response.status_code == 422
        assert ["body", field] in [e["loc"][:2] for e in response.json()["detail"]]
    assert (await client.get("/api/todos/", headers=me.auth)).json() == []
    assert (await client.get("/api/todos/not-a-uuid", headers=me.auth)).status_code == 422


async def test_user_b_cannot_touch_user_a_todos(client: httpx.AsyncClient) -> None:
    a = await register(client)
    b = await register(client)
    todo = (await client.post("/api/todos/", json={"title": "A's secret"}, headers=a.auth)).json()
    path = f"/api/todos/{todo['id']}"
    for owner, other in ((a, b), (b, a)):
        if owner is b:
            todo = (await client.post("/api/todos/", json={"title": "B's secret"}, headers=b.auth)).json()
            path = f"/api/todos/{todo['id']}"
        assert (await client.get(path, headers=other.auth)).status_code == 404
        assert (await client.put(path, json={"title": "pwned"}, headers=other.auth)).status_code == 404
        assert (await client.put(path, json={"completed": True}, headers=other.auth)).status_code == 404
        assert (await client.delete(path, headers=other.auth)).status_code == 404
        assert all(t["id"] != todo["id"] for t in (await client.get("/api/todos/", headers=other.auth)).json())
        mine = (await client.get(path, headers=owner.auth)).json()
        assert mine["completed"] is False and "pwned" not in mine["title"]


async def test_every_todo_endpoint_needs_a_token(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/todos/"),
        ("POST", "/api/todos/"),
        ("GET", "/api/todos/00000000-0000-0000-0000-000000000000"),
        ("PUT", "/api/todos/00000000-0000-0000-0000-000000000000"),
        ("DELETE", "/api/todos/00000000-0000-0000-0000-000000000000"),
    ):
        response = await client.request(method, path, json={"title": "x"} if method in ("POST", "PUT") else None)
        assert response.status_code == 401, (method, path)
