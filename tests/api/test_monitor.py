"""The Agent Monitor API: statistics and interactions from published records and finished calls,
who sees what, the stream token rules, and the live feed over a real server."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import uvicorn

from api.app import create_app
from core import monitor
from core.db import transaction
from core.models import CallRecording
from core.runtime import Runtime
from core.timeutil import utcnow
from tests.helpers import Account, make_staff, register

STATS = "/agent-monitor/api/stats"
INTERACTIONS = "/agent-monitor/api/interactions"


def turn_record(user: Account | None, call_sid: str, number: int, **overrides: Any) -> monitor.TurnRecord:
    """A turn record with the fields processors/timing.py emits."""
    record: dict[str, Any] = {
        "type": "turn",
        "at": (utcnow() + timedelta(milliseconds=number)).isoformat(),
        "call_sid": call_sid,
        "channel": "phone",
        "user_id": user.id if user else None,
        "turn": number,
        "domain": "productivity",
        "text_in": "what are my todos",
        "text_out": "You have two todos.",
        "stt_ms": 100.0,
        "turn_end_ms": 20.0,
        "agent_ms": 300.0,
        "llm_first_token_ms": 330.0,
        "tts_first_audio_ms": 60.0,
        "eos_to_first_audio_ms": 520.0,
        "tool_calls": [{"name": "get_todos", "elapsed_ms": 12.5, "ok": True}],
        "agent_timings": {"route_ms": 1.2, "llm": [], "tools_ms": 12.5},
        "filler": False,
        "failed": False,
        "completed": True,
    }
    record.update(overrides)
    return monitor.TurnRecord.model_validate(record)


async def staff_account(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    """A user granted staff access, who sees every call on the monitor."""
    return await make_staff(runtime, await register(client))


async def add_call(runtime: Runtime, user: Account | None, *, status: str = "completed", **fields: Any) -> str:
    call_sid = fields.pop("call_sid", f"CA{uuid.uuid4().hex}")
    started = fields.pop("started_at", utcnow() - timedelta(minutes=5))
    row = CallRecording(
        call_sid=call_sid,
        channel=fields.pop("channel", "phone"),
        user_id=uuid.UUID(user.id) if user else None,
        status=status,
        started_at=started,
        ended_at=None if status == "in-progress" else started + timedelta(seconds=42),
        transcript=[{"role": "user", "text": "hello"}, {"role": "assistant", "text": "hi"}],
        **fields,
    )
    async with transaction(runtime.sessions) as session:
        session.add(row)
    return call_sid


def test_channel_names_match_the_pipeline() -> None:
    from bots import session

    assert (session.MONITOR_CHANNEL, session.MONITOR_RECENT) == (monitor.MONITOR_CHANNEL, monitor.MONITOR_RECENT)


async def test_stats_from_published_turns(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    for n, stt in enumerate((100.0, 200.0, 300.0, 400.0, 500.0), start=1):
        await monitor.publish(runtime.store, turn_record(me, "CA-stats", n, stt_ms=stt, eos_to_first_audio_ms=stt * 2))
    await monitor.publish(runtime.store, turn_record(
        me, "CA-stats-2", 1, failed=True, agent_ms=None,
        tool_calls=[{"name": "create_todo", "elapsed_ms": 40.0, "ok": False}],
    ))
    await monitor.publish(runtime.store, monitor.ToolRecord(
        id="t1", at=utcnow(), channel="api", user_id=me.id, domain="productivity", name="get_todos",
        arguments={}, ok=True, result={"count": 0}, error=None, elapsed_ms=7.5,
    ))

    body = (await client.get(STATS, headers=me.auth)).json()
    assert body["scope"] == "own"
    assert body["counts"] == {
        "turns": 6, "calls": 2, "tool_calls": 7, "tool_errors": 1, "failed_turns": 1, "transfers": 0,
    }
    assert body["error_rate"] == round(1 / 7, 4)  # one failed turn among six turns and one tool call
    stt = body["stages"]["stt_ms"]
    assert (stt["count"], stt["p50"], stt["p95"], stt["max"]) == (6, 250.0, 475.0, 500.0)
    assert body["stages"]["agent_ms"]["count"] == 5  # a missing stage is not a zero
    eos = body["stages"]["eos_to_first_audio_ms"]
    assert (eos["p50"], eos["p95"]) == (560.0, 950.0)
    tools = body["stages"]["tool_ms"]
    assert (tools["count"], tools["p50"], tools["max"]) == (7, 12.5, 40.0)
    assert "productivity" in body["filters"]["domains"]

    only_api = (await client.get(STATS, params={"channel": "api"}, headers=me.auth)).json()
    assert only_api["counts"]["turns"] == 0 and only_api["counts"]["tool_calls"] == 1
    newest_two = (await client.get(STATS, params={"limit": 2}, headers=me.auth)).json()
    assert newest_two["window"]["records"] == 2


async def test_recent_interactions_are_paged_newest_first(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    for n in range(1, 8):
        await monitor.publish(runtime.store, turn_record(me, "CA-page", n))
    first = (await client.get(INTERACTIONS, params={"page_size": 3}, headers=me.auth)).json()
    assert (first["source"], first["total"], first["pages"], first["page"]) == ("recent", 7, 3, 1)
    assert [item["turn"] for item in first["items"]] == [7, 6, 5]
    assert first["items"][0]["key"] == "CA-page:7"
    assert first["items"][0]["user_email"] == me.email
    last = (await client.get(INTERACTIONS, params={"page_size": 3, "page": 3}, headers=me.auth)).json()
    assert [item["turn"] for item in last["items"]] == [1]
    beyond = (await client.get(INTERACTIONS, params={"page_size": 3, "page": 9}, headers=me.auth)).json()
    assert beyond["items"] == [] and beyond["total"] == 7
    bad = await client.get(INTERACTIONS, params={"page": 0}, headers=me.auth)
    assert bad.status_code == 422


async def test_users_see_their_own_records_and_staff_see_all(client: httpx.AsyncClient, runtime: Runtime) -> None:
    a, b = await register(client), await register(client)
    staff = await staff_account(client, runtime)
    await monitor.publish(runtime.store, turn_record(a, "CA-a", 1, domain="mortgage"))
    await monitor.publish(runtime.store, turn_record(b, "CA-b", 1, channel="browser"))
    await monitor.publish(runtime.store, turn_record(None, "CA-unknown", 1))  # before the PIN was accepted

    def sids(body: dict[str, Any]) -> set[str]:
        return {item["call_sid"] for item in body["items"]}

    assert sids((await client.get(INTERACTIONS, headers=a.auth)).json()) == {"CA-a"}
    assert sids((await client.get(INTERACTIONS, headers=b.auth)).json()) == {"CA-b"}
    assert (await client.get(STATS, headers=b.auth)).json()["counts"]["turns"] == 1
    everyone = await client.get(INTERACTIONS, headers=staff.auth)
    assert sids(everyone.json()) == {"CA-a", "CA-b", "CA-unknown"}
    assert (await client.get(STATS, headers=staff.auth)).json()["scope"] == "all"

    by_email = await client.get(INTERACTIONS, params={"user": a.email.upper()}, headers=staff.auth)
    assert sids(by_email.json()) == {"CA-a"}
    assert sids((await client.get(INTERACTIONS, params={"user": b.id}, headers=staff.auth)).json()) == {"CA-b"}
    assert sids((await client.get(INTERACTIONS, params={"user": "nobody@example.com"}, headers=staff.auth)).json()) == set()
    assert sids((await client.get(INTERACTIONS, params={"domain": "mortgage"}, headers=staff.auth)).json()) == {"CA-a"}
    assert sids((await client.get(INTERACTIONS, params={"channel": "browser"}, headers=staff.auth)).json()) == {"CA-b"}
    # a user filter cannot widen what a non-staff user sees
    assert sids((await client.get(INTERACTIONS, params={"user": b.email}, headers=a.auth)).json()) == set()
    assert (await client.get(INTERACTIONS)).status_code == 401
    assert (await client.get(STATS)).status_code == 401


async def test_finished_calls_come_from_the_database(client: httpx.AsyncClient, runtime: Runtime) -> None:
    a, b = await register(client), await register(client)
    staff = await staff_account(client, runtime)
    base = utcnow() - timedelta(hours=1)
    for n in range(3):
        await add_call(runtime, a, call_sid=f"CA-a{n}", started_at=base + timedelta(minutes=n),
                       timings=[turn_record(a, f"CA-a{n}", 1, domain="restaurant" if n == 0 else "productivity")
                                .model_dump(mode="json")])
    await add_call(runtime, b, call_sid="CA-b0", channel="browser")
    live = await add_call(runtime, None, call_sid="CA-live", status="in-progress", started_at=utcnow())
    await monitor.publish(runtime.store, turn_record(a, live, 1))

    async def calls(account: Account, **params: Any) -> dict[str, Any]:
        response = await client.get(INTERACTIONS, params={"source": "calls", **params}, headers=account.auth)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    mine = (await calls(a, page_size=2))
    assert (mine["total"], mine["pages"]) == (3, 2)
    assert [c["call_sid"] for c in mine["items"]] == ["CA-a2", "CA-a1"]
    first = mine["items"][0]
    assert first["duration_s"] == 42.0 and first["turns"] == 1 and first["domains"] == ["productivity"]
    assert first["transcript"][0]["text"] == "hello" and first["user_email"] == a.email
    assert [c["call_sid"] for c in (await calls(a, page=2, page_size=2))["items"]] == ["CA-a0"]
    assert [c["call_sid"] for c in (await calls(b))["items"]] == ["CA-b0"]
    assert (await calls(staff))["total"] == 4  # the call in progress is not finished
    assert [c["call_sid"] for c in (await calls(staff, domain="restaurant"))["items"]] == ["CA-a0"]
    assert [c["call_sid"] for c in (await calls(staff, channel="browser"))["items"]] == ["CA-b0"]
    assert (await calls(staff, user=a.email))["total"] == 3

    # the live call's row has no caller yet; its owner recognises it by the turns it published
    assert [c["call_sid"] for c in (await client.get(STATS, headers=a.auth)).json()["active_calls"]] == ["CA-live"]
    assert (await client.get(STATS, headers=b.auth)).json()["active_calls"] == []
    active = (await client.get(STATS, headers=staff.auth)).json()["active_calls"]
    assert [(c["call_sid"], c["turns"], c["user_email"]) for c in active] == [("CA-live", 1, a.email)]


async def test_stream_token_rules(client: httpx.AsyncClient) -> None:
    me = await register(client)
    assert (await client.post("/agent-monitor/api/stream-token")).status_code == 401
    issued = await client.post("/agent-monitor/api/stream-token", headers=me.auth)
    assert issued.status_code == 200 and issued.json()["expires_in"] == 60
    token = issued.json()["token"]
    # the stream token is not an access token, and an access token does not open the stream
    assert (await client.get(STATS, headers={"Authorization": f"Bearer {token}"})).status_code == 401
    for bad in (me.access, me.refresh, "garbage", token + "x"):
        assert (await client.get("/agent-monitor/api/stream", params={"token": bad})).status_code == 401
    assert (await client.get("/agent-monitor/api/stream")).status_code == 422


@asynccontextmanager
async def live_server(runtime: Runtime) -> AsyncIterator[str]:
    """The app under uvicorn on a free loopback port (voice lifespan off: these tests need no speech)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(runtime=runtime), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


async def _next_event(lines: AsyncIterator[str]) -> tuple[str, str]:
    """The next server-sent event as (event name, data); comments (pings) are skipped."""
    name, data = "message", list[str]()
    async for line in lines:
        if line == "" and data:
            return name, "\n".join(data)
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    raise AssertionError("the stream ended")


async def test_stream_delivers_records_published_after_connecting(runtime: Runtime) -> None:
    async with live_server(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        a, b = await register(http), await register(http)
        token = (await http.post("/agent-monitor/api/stream-token", headers=a.auth)).json()["token"]
        async with http.stream("GET", "/agent-monitor/api/stream", params={"token": token}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.aiter_lines()
            name, data = await asyncio.wait_for(_next_event(lines), 5)
            assert name == "ready" and json.loads(data)["scope"] == "own"

            await monitor.publish(runtime.store, turn_record(b, "CA-other", 1))  # not a's: never sent to a
            await monitor.publish(runtime.store, turn_record(a, "CA-mine", 3, stt_ms=123.0))
            name, data = await asyncio.wait_for(_next_event(lines), 5)
            record = json.loads(data)
            assert name == "message"
            assert (record["call_sid"], record["key"], record["stt_ms"]) == ("CA-mine", "CA-mine:3", 123.0)
            assert record["user_email"] == a.email

        # a token opens one stream only
        assert (await http.get("/agent-monitor/api/stream", params={"token": token})).status_code == 401

        # the server closes the subscription once the client has gone
        deadline = time.monotonic() + 5
        while await runtime.store.publish(monitor.MONITOR_CHANNEL, "{}") > 0:
            assert time.monotonic() < deadline, "the stream's subscription outlived its client"
            await asyncio.sleep(0.1)


def test_the_openapi_schema_documents_the_monitor_responses() -> None:
    paths = create_app().openapi()["paths"]
    for path, method, model in (
        (STATS, "get", "StatsOut"),
        (INTERACTIONS, "get", "InteractionsOut"),
        ("/agent-monitor/api/stream-token", "post", "StreamTokenOut"),
    ):
        schema = json.dumps(paths[path][method]["responses"]["200"])
        assert f"#/components/schemas/{model}" in schema, (path, schema)
