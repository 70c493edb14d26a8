"""`POST /api/assistant/say`: a sentence reaches the same agent as a call, in threads that belong to
the user who started them; bad bodies and strangers are turned away before the agent runs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from core import monitor
from core.runtime import Runtime
from tests.helpers import Account, register
from tests.voice import speech_models

SAY = "/api/assistant/say"


@pytest.fixture
async def api(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, so the process's agent is open as it is when served. The
    lifespan lives in a task of its own: its task groups must close in the task that opened them."""
    app = create_app(runtime=runtime)
    app.state.speech = speech_models(runtime.settings)  # the test process's shared voice and turn models
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.router.lifespan_context(app):
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    ready = asyncio.create_task(started.wait())
    try:
        # the lifespan loads the speech models first
        await asyncio.wait({task, ready}, timeout=90, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if task.done():
            task.result()  # start-up failed: raise why
        assert started.is_set(), "the app's lifespan did not start within 90 s"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client
    finally:
        stop.set()
        await task


async def say(api: httpx.AsyncClient, who: Account, text: str, thread_id: str | None = None) -> dict[str, Any]:
    response = await api.post(SAY, json={"text": text, "thread_id": thread_id}, headers=who.auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"reply", "tool_calls", "domain", "thread_id", "end_call"}
    return body


async def todo_titles(api: httpx.AsyncClient, who: Account) -> list[str]:
    return [t["title"] for t in (await api.get("/api/todos/", headers=who.auth)).json()]


async def test_a_sentence_runs_the_agent_and_the_thread_carries_the_follow_up(
    api: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(api)
    added = await say(api, me, "add a todo to water the tomato plants")
    assert [c["name"] for c in added["tool_calls"]] == ["create_todo"]
    assert added["tool_calls"][0]["ok"] is True
    assert added["domain"] == "productivity" and added["end_call"] is False
    assert "water the tomato plants" in added["reply"]
    assert await todo_titles(api, me) == ["water the tomato plants"]
    thread = added["thread_id"]

    asked = await say(api, me, "delete the tomato todo", thread)
    assert asked["thread_id"] == thread
    # it reads the caller's records first (todos, and the reminders and events it could also mean)
    assert {c["name"] for c in asked["tool_calls"]} == {"get_todos", "get_reminders", "get_calendar_events"}
    assert asked["reply"] == "Delete the todo water the tomato plants? Say yes to confirm."
    # a "yes" in a new conversation confirms nothing
    elsewhere = await say(api, me, "yes")
    assert elsewhere["thread_id"] != thread
    assert "delete_todo" not in [c["name"] for c in elsewhere["tool_calls"]]
    assert await todo_titles(api, me) == ["water the tomato plants"]

    confirmed = await say(api, me, "yes", thread)
    assert [(c["name"], c["ok"]) for c in confirmed["tool_calls"]] == [("delete_todo", True)]
    assert confirmed["thread_id"] == thread
    assert await todo_titles(api, me) == []

    # the Agent Monitor sees the assistant's tool runs, made as this user through the API
    records = [r for r in await monitor.recent(runtime.store) if isinstance(r, monitor.ToolRecord)]
    assert {(r.name, r.channel, r.user_id) for r in records} >= {
        ("create_todo", "api", me.id),
        ("delete_todo", "api", me.id),
    }


async def test_a_thread_belongs_to_the_user_who_started_it(api: httpx.AsyncClient) -> None:
    alice, bob = await register(api), await register(api)
    await say(api, alice, "add a todo to water the tomato plants")
    thread = (await say(api, alice, "delete the tomato todo"))["thread_id"]
    forged = thread.replace(thread.split("-")[1], bob.id.replace("-", ""))

    for thread_id in (thread, "assistant-" + alice.id.replace("-", "") + "-x", "call-CA123", "text-" + alice.id):
        response = await api.post(SAY, json={"text": "yes", "thread_id": thread_id}, headers=bob.auth)
        assert response.status_code == 404, (thread_id, response.text)
        assert "thread_id" in response.json()["detail"]
    assert await todo_titles(api, alice) == ["water the tomato plants"]

    # Bob may name a thread id of his own; it does not reach Alice's conversation
    own = await say(api, bob, "yes", forged)
    assert own["thread_id"] == forged and own["tool_calls"] == []
    assert await todo_titles(api, alice) == ["water the tomato plants"]
    # and Alice can still finish hers
    done = await say(api, alice, "yes", thread)
    assert [c["name"] for c in done["tool_calls"]] == ["delete_todo"]


async def test_only_a_logged_in_user_may_talk(api: httpx.AsyncClient) -> None:
    me = await register(api)
    body = {"text": "add a todo to water the tomato plants"}
    for headers in ({}, {"Authorization": f"Bearer {me.refresh}"}, {"Authorization": "Bearer not-a-jwt"}):
        response = await api.post(SAY, json=body, headers=headers)
        assert response.status_code == 401, (headers, response.text)
    assert await todo_titles(api, me) == []


async def test_bad_bodies_are_refused_before_the_agent_runs(api: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(api)
    for body, field, words in (
        ({}, "text", "required"),
        ({"text": ""}, "text", "empty"),
        ({"text": " \n\t "}, "text", "empty"),
        ({"text": "add a todo " + "x" * 1990}, "text", "at most 2000"),
        ({"text": 42}, "text", "string"),
        ({"text": "add a todo to water the plants", "thread_id": 7}, "thread_id", "string"),
        ({"text": "add a todo to water the plants", "thread_id": "t" * 201}, "thread_id", "200"),
    ):
        response = await api.post(SAY, json=body, headers=me.auth)
        assert response.status_code == 422, (body, response.text)
        [problem] = response.json()["detail"]
        assert problem["loc"] == ["body", field] and words in problem["msg"], problem
    for raw in ("not json", '["add a todo"]'):
        response = await api.post(SAY, content=raw, headers={**me.auth, "Content-Type": "application/json"})
        assert response.status_code == 422, response.text
    assert await todo_titles(api, me) == []
    assert [r for r in await monitor.recent(runtime.store) if r.type == "tool"] == []


async def test_the_route_is_documented(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    operation = spec["paths"][SAY]["post"]
    assert {"200", "404", "422"} <= set(operation["responses"])
    reply_ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    reply = spec["components"]["schemas"][reply_ref.rsplit("/", 1)[1]]
    assert set(reply["properties"]) == {"reply", "tool_calls", "domain", "thread_id", "end_call"}
    request_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    text = spec["components"]["schemas"][request_ref.rsplit("/", 1)[1]]["properties"]["text"]
    assert text["minLength"] == 1 and text["maxLength"] == 2000
    assert operation["security"]
