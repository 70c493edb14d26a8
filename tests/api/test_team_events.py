"""The team dashboard's live feed: a todo changed by a phone call (a tool) or the REST API reaches
the members' open feeds, after it is committed, and only theirs; the feed takes only stream tokens.

The feed is read from a real uvicorn server: an in-memory ASGI transport would buffer a stream
that never ends.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
import uvicorn
from sqlalchemy import event
from sqlalchemy.orm import Session

from api.app import create_app
from core.runtime import Runtime
from core.security import create_token
from core.store import Store
from core.tools import ToolContext, ToolResult, run_tool
from domains.productivity.notices import TODOS_CHANGED
from domains.productivity.team_tools import create_team_todo
from domains.productivity.todo_tools import complete_todo, create_todo
from tests.helpers import Account, register

STREAM = "/team-dashboard/api/stream"


@asynccontextmanager
async def serve(runtime: Runtime) -> AsyncIterator[str]:
    """The app on uvicorn at 127.0.0.1 (no lifespan: the pages and API need only the runtime); its URL."""
    app = create_app(runtime=runtime)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    # A feed open at the end (a failed test's browser) is cut after a second rather than waited for.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)
        sock.close()


class Feed:
    """One open feed, read event by event."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self, within: float = 5.0) -> tuple[str, dict[str, Any]]:
        event, data = "message", []
        async with asyncio.timeout(within):
            async for line in self._lines:
                if line.startswith(":"):
                    continue  # keep-alive comment
                if line:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "event":
                        event = value
                    elif name == "data":
                        data.append(value)
                elif data:
                    return event, json.loads("\n".join(data))
        raise AssertionError("the feed ended")


@asynccontextmanager
async def feed(http: httpx.AsyncClient, account: Account) -> AsyncIterator[Feed]:
    token = (await http.post("/team-dashboard/api/stream-token", headers=account.auth)).json()["token"]
    async with http.stream("GET", STREAM, params={"token": token}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        opened = Feed(response)
        assert await opened.next() == ("ready", {})
        yield opened


async def as_phone(runtime: Runtime, account: Account, spec: Any, **arguments: Any) -> ToolResult:
    ctx = ToolContext.for_user(runtime, uuid.UUID(account.id), channel="phone", call_sid="CA-test")
    result = await run_tool(spec, ctx, arguments)
    assert result.ok, result.error
    return result


async def test_a_phone_call_changing_a_team_todo_reaches_the_members_feeds(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, member, outsider = [await register(client) for _ in range(3)]
    team = (await client.post("/api/teams/", json={"name": "Design"}, headers=owner.auth)).json()
    added = await client.post(
        f"/api/teams/{team['id']}/members", json={"user_id": member.id}, headers=owner.auth
    )
    assert added.status_code == 201
    async with (
        serve(runtime) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
        feed(http, member) as members,
        feed(http, outsider) as outsiders,
    ):
        created = await as_phone(runtime, owner, create_team_todo, team="design", title="Call the printer")
        todo_id = created.content["created"]["id"]
        event, change = await members.next()
        assert event == TODOS_CHANGED
        assert change == {
            "kind": TODOS_CHANGED,
            "team_id": team["id"],
            "user_id": owner.id,
            "todo_id": todo_id,
            "action": "created",
        }
        listed = (await client.get(f"/api/teams/{team['id']}/todos", headers=member.auth)).json()
        assert [t["title"] for t in listed] == ["Call the printer"]

        await as_phone(runtime, owner, complete_todo, todo=todo_id)
        event, change = await members.next()
        assert (change["todo_id"], change["action"]) == (todo_id, "completed")

        # The outsider's feed skipped both team changes: the first thing it hears is its own todo.
        mine = await as_phone(runtime, outsider, create_todo, title="Water the plants")
        event, change = await outsiders.next()
        assert (change["todo_id"], change["team_id"], change["action"]) == (
            mine.content["created"]["id"],
            None,
            "created",
        )
        # ...which the member never hears of.
        with pytest.raises(TimeoutError):
            await members.next(within=0.5)


class RecordingStore:
    """The runtime's store, noting each publish in `happened` before passing it on."""

    def __init__(self, store: Store, happened: list[str]) -> None:
        self._store, self._happened = store, happened

    async def publish(self, channel: str, message: str) -> int:
        self._happened.append("publish")
        return await self._store.publish(channel, message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


async def test_a_rest_change_is_announced_only_once_committed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner = await register(client)
    team = (await client.post("/api/teams/", json={"name": "Ops"}, headers=owner.auth)).json()
    subscription = await runtime.store.subscribe(TODOS_CHANGED)
    happened: list[str] = []

    def committed(_session: Any) -> None:
        happened.append("commit")

    real_store = runtime.store
    runtime.store = cast(Store, RecordingStore(real_store, happened))
    event.listen(Session, "after_commit", committed)
    try:
        created = await client.post(
            f"/api/teams/{team['id']}/todos", json={"title": "Rotate keys"}, headers=owner.auth
        )
        assert created.status_code == 201
        assert happened == ["commit", "publish"]  # a page re-reading on the notice finds the todo
        change = json.loads(await subscription.get(wait=5) or "{}")
        assert (change["todo_id"], change["action"]) == (created.json()["id"], "created")

        done = await client.put(
            f"/api/todos/{change['todo_id']}", json={"completed": True}, headers=owner.auth
        )
        assert done.status_code == 200
        assert json.loads(await subscription.get(wait=5) or "{}")["action"] == "completed"
        happened.clear()
        refused = await client.put(f"/api/todos/{change['todo_id']}", json={"title": ""}, headers=owner.auth)
        assert refused.status_code == 422
        # A failed change announces nothing.
        assert happened == [] and await subscription.get(wait=0.3) is None
        gone = await client.delete(f"/api/todos/{change['todo_id']}", headers=owner.auth)
        assert gone.status_code == 204
        assert happened == ["commit", "publish"]
        assert json.loads(await subscription.get(wait=5) or "{}")["action"] == "deleted"
    finally:
        event.remove(Session, "after_commit", committed)
        runtime.store = real_store
        await subscription.close()


async def test_the_feed_takes_only_an_unused_stream_token(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user = await register(client)
    assert (await client.post("/team-dashboard/api/stream-token")).status_code == 401
    issued = await client.post("/team-dashboard/api/stream-token", headers=user.auth)
    assert issued.status_code == 200 and issued.json()["expires_in"] == 60
    stream_token = issued.json()["token"]
    key = runtime.settings.signing_key

    # Neither an access nor a refresh token opens the feed; nor a forged, expired or missing one.
    expired = create_token(
        user.id,
        "stream",
        key=key,
        lifetime=timedelta(seconds=60),
        now=datetime.now(UTC) - timedelta(minutes=5),
    )
    forged = create_token(user.id, "stream", key="another-key-" + "y" * 40, lifetime=timedelta(seconds=60))
    for token in (user.access, user.refresh, expired, forged, "not-a-token"):
        refused = await client.get(STREAM, params={"token": token})
        assert refused.status_code == 401, token
    assert (await client.get(STREAM)).status_code == 422

    # A stream token is no access token: the API refuses it.
    as_bearer = {"Authorization": f"Bearer {stream_token}"}
    assert (await client.get("/api/teams/", headers=as_bearer)).status_code == 401
    assert (await client.post("/team-dashboard/api/stream-token", headers=as_bearer)).status_code == 401

    # It opens the feed once; a replayed URL is refused.
    async with serve(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        async with http.stream("GET", STREAM, params={"token": stream_token}) as response:
            assert response.status_code == 200
            assert await Feed(response).next() == ("ready", {})
        assert (await http.get(STREAM, params={"token": stream_token})).status_code == 401


async def test_team_dashboard_page_is_served(client: httpx.AsyncClient) -> None:
    page = await client.get("/team-dashboard")
    assert page.status_code == 200 and "/static/team_dashboard/app.js" in page.text
    assert (await client.get("/static/team_dashboard/app.js")).status_code == 200
