"""Tools through the REST door: the catalogue with schemas, running one as the logged-in user,
bad arguments, unknown tools, and the monitor record every run leaves."""

from __future__ import annotations

import httpx

from core import monitor
from core.runtime import Runtime
from domains.registry import all_tools
from tests.helpers import register


async def test_tool_catalogue(client: httpx.AsyncClient) -> None:
    me = await register(client)
    assert (await client.get("/api/tools")).status_code == 401
    listed = (await client.get("/api/tools", headers=me.auth)).json()
    assert [t["name"] for t in listed] == [spec.name for spec in all_tools()]
    get_todos = next(t for t in listed if t["name"] == "get_todos")
    assert get_todos["domain"] == "productivity" and get_todos["mutates"] is False
    assert get_todos["description"].startswith("List the caller's todos")
    schema = get_todos["input_schema"]
    assert schema["type"] == "object" and set(schema["properties"]) == {"completed", "priority"}


async def test_run_tools_as_the_logged_in_user(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me, other = await register(client), await register(client)
    created = await client.post("/api/tools/create_todo", json={"title": "Call the bank", "priority": "high"},
                                headers=me.auth)
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["ok"] is True and body["error"] is None and body["elapsed_ms"] > 0
    assert body["result"]["created"]["title"] == "Call the bank"

    listed = (await client.post("/api/tools/get_todos", json={"priority": "high"}, headers=me.auth)).json()
    assert listed["ok"] is True and listed["result"]["count"] == 1
    assert [t["title"] for t in listed["result"]["todos"]] == ["Call the bank"]
    no_body = (await client.post("/api/tools/get_todos", headers=me.auth)).json()
    assert no_body["ok"] is True and no_body["result"]["count"] == 1
    # another user's tools run as that user
    assert (await client.post("/api/tools/get_todos", json={}, headers=other.auth)).json()["result"]["count"] == 0
    # via the REST API too
    assert [t["title"] for t in (await client.get("/api/todos/", headers=me.auth)).json()] == ["Call the bank"]

    records = [r for r in await monitor.recent(runtime.store) if isinstance(r, monitor.ToolRecord)]
    assert [r.name for r in records] == ["get_todos", "get_todos", "get_todos", "create_todo"]
    newest = records[-1]
    assert newest.channel == "api" and newest.user_id == me.id and newest.ok is True
    assert newest.arguments == {"title": "Call the bank", "priority": "high"}
    assert newest.domain == "productivity" and newest.elapsed_ms > 0


async def test_a_tool_that_refuses_answers_ok_false(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    refused = await client.post("/api/tools/complete_todo", json={"todo": "walk the dog"}, headers=me.auth)
    assert refused.status_code == 200
    body = refused.json()
    assert body["ok"] is False and body["result"] is None and body["error"]
    [record] = await monitor.recent(runtime.store)
    assert isinstance(record, monitor.ToolRecord)
    assert record.name == "complete_todo" and record.ok is False and record.error == body["error"]


async def test_bad_arguments_and_unknown_tools(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    for arguments, field in (
        ({}, "title"),  # missing
        ({"title": "x", "priority": "extreme"}, "priority"),  # not in the enum
        ({"title": "x", "colour": "red"}, "colour"),  # not in the schema
        ({"title": ""}, "title"),  # too short
    ):
        response = await client.post("/api/tools/create_todo", json=arguments, headers=me.auth)
        assert response.status_code == 422, response.text
        assert [field] in [problem["loc"][:1] for problem in response.json()["detail"]]
    not_an_object = await client.post("/api/tools/create_todo", json=["title"], headers=me.auth)
    assert not_an_object.status_code == 422
    missing = await client.post("/api/tools/launch_rockets", json={}, headers=me.auth)
    assert missing.status_code == 404 and "launch_rockets" in missing.json()["detail"]
    assert (await client.post("/api/tools/get_todos", json={})).status_code == 401
    # nothing ran, so nothing was created and nothing was published
    assert (await client.get("/api/todos/", headers=me.auth)).json() == []
    assert await monitor.recent(runtime.store) == []
