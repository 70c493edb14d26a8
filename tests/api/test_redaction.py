"""Health details are withheld from staff without the clinical role: a call that touched the clinic's
intake shows no words (nor tool arguments and results) on the Agent Monitor, in saved transcripts or in
the call-center popup; clinical staff read them, and a caller reads their own."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import httpx
import pytest

from api.cli import main
from core import accounts, monitor
from core.db import create_engine, create_session_factory, transaction
from core.models import CallRecording
from core.redaction import WITHHELD
from core.runtime import Runtime
from core.timeutil import utcnow
from core.tools import TransferRequest
from domains.transfer import callbacks
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.api.test_call_center import API, queue_call
from tests.api.test_callbacks import unanswered
from tests.api.test_cli_lines import configured  # noqa: F401
from tests.api.test_monitor import INTERACTIONS, _next_event, live_server, turn_record
from tests.helpers import make_clinical as clinical
from tests.helpers import make_staff, register
from transports.twilio_transfer import cache_context

SYMPTOMS = "I have had chest pain for two days"


def texts(items: list[dict[str, object]]) -> set[object]:
    return {item.get("text_in") for item in items if item.get("type") == "turn"}


async def test_the_monitor_withholds_health_details(client: httpx.AsyncClient, runtime: Runtime) -> None:
    caller = await register(client)
    front_desk = await make_staff(runtime, await register(client))
    nurse = await clinical(runtime, await register(client))
    intake = turn_record(caller, "CA-clinic", 1, domain="healthcare", text_in=SYMPTOMS,
                         tool_calls=[{"name": "record_symptoms", "arguments": {"symptoms": "chest pain"},
                                      "ok": True, "result": {"recorded": True}}])
    later = turn_record(caller, "CA-clinic", 2, domain="productivity", text_in="and remind me to call my mother")
    other = turn_record(caller, "CA-todos", 1, text_in="what are my todos")
    for record in (intake, later, other):
        await monitor.publish(runtime.store, record)

    seen = (await client.get(INTERACTIONS, headers=front_desk.auth)).json()["items"]
    assert texts(seen) == {WITHHELD, "what are my todos"}  # the whole clinic call, not just its intake turn
    [tools] = [i["tool_calls"] for i in seen if i.get("turn") == 1 and i["call_sid"] == "CA-clinic"]
    assert tools[0]["name"] == "record_symptoms" and tools[0]["arguments"] == {} and tools[0]["result"] == WITHHELD
    assert "chest" not in str(seen)
    read = (await client.get(INTERACTIONS, headers=nurse.auth)).json()["items"]
    assert SYMPTOMS in texts(read) and "chest pain" in str(read)
    own = (await client.get(INTERACTIONS, headers=caller.auth)).json()["items"]
    assert SYMPTOMS in texts(own)

    # The saved transcript of the finished call.
    async with transaction(runtime.sessions) as session:
        now = utcnow()
        session.add(CallRecording(
            call_sid="CA-clinic", channel="phone", status="completed", started_at=now, ended_at=now,
            user_id=uuid.UUID(caller.id), transcript=[{"role": "user", "text": SYMPTOMS}],
            timings=[intake.model_dump(mode="json")],
        ))
    calls = {"source": "calls"}
    [saved] = (await client.get(INTERACTIONS, params=calls, headers=front_desk.auth)).json()["items"]
    assert saved["transcript"] == [{"role": "user", "text": WITHHELD}] and "chest" not in str(saved)
    assert saved["domains"] == ["healthcare"] and saved["turns"] == 1  # what happened, not what was said
    [kept] = (await client.get(INTERACTIONS, params=calls, headers=nurse.auth)).json()["items"]
    assert kept["transcript"][0]["text"] == SYMPTOMS


async def test_the_popup_withholds_health_details(client: httpx.AsyncClient, runtime: Runtime) -> None:
    caller = await register(client)
    agent = await make_staff(runtime, await register(client))
    nurse = await clinical(runtime, await register(client))
    await monitor.publish(runtime.store, turn_record(caller, "CA-test-1", 1, domain="healthcare", text_in=SYMPTOMS))
    call = await queue_call(runtime, caller, reason="chest pain")  # CA-test-1: it touched the intake
    popup = (await client.get(f"{API}/customer/{call.id}", headers=agent.auth)).json()
    assert popup["reason"] == WITHHELD and popup["summary"] == WITHHELD
    assert {line["text"] for line in popup["transcript"]} == {WITHHELD} and "chest" not in str(popup)
    assert popup["caller_name"] == call.caller_name  # who is calling stays: the agent must greet them
    read = (await client.get(f"{API}/customer/{call.id}", headers=nurse.auth)).json()
    assert read["reason"] == "chest pain" and read["transcript"][0]["text"] == "what are my todos"

    other = await transfer_call(runtime.sessions, request=TransferRequest(department="billing", reason="my bill"),
                                call_sid="CA-other", channel="phone", caller_id=caller.id, phone=None, transcript=[])
    other = await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(other)
    assert (await client.get(f"{API}/customer/{other.id}", headers=agent.auth)).json()["reason"] == "my bill"


def test_grant_the_clinical_role(
    configured: None, runtime: Runtime, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    async def roles() -> tuple[bool, bool]:
        engine = create_engine(runtime.settings.effective_database_url)  # this loop's own connections
        try:
            async with create_session_factory(engine)() as session:
                user = await accounts.get_user_by_email(session, "nurse@example.com")
                assert user is not None
                return user.is_staff, user.is_clinical
        finally:
            await engine.dispose()

    main(["create-user", "--email", "nurse@example.com", "--password", "pw-nurse-123", "--staff"])
    main(["grant-staff", "nurse@example.com", "--clinical"])
    assert "clinical role granted" in capsys.readouterr().out
    assert asyncio.run(roles()) == (True, True)
    main(["grant-staff", "nurse@example.com", "--revoke"])  # no longer staff: no clinical reading either
    assert asyncio.run(roles()) == (False, False)


async def test_the_callback_queue_withholds_health_details(client: httpx.AsyncClient, runtime: Runtime) -> None:
    caller = await register(client)
    agent = await make_staff(runtime, await register(client))
    nurse = await clinical(runtime, await register(client))
    clinic_call = unanswered("Ann Caller")  # call_sid "CAAnnCaller"
    await monitor.publish(runtime.store, turn_record(caller, clinic_call.call_sid, 1, domain="healthcare",
                                                     text_in=SYMPTOMS))
    await callbacks.leave(runtime.sessions, clinic_call, message_text="call me about my chest pain")
    await callbacks.leave(runtime.sessions, unanswered("Bo Billing"))

    shown = {r["caller_name"]: r for r in (await client.get("/call-center/api/callbacks", headers=agent.auth)).json()}
    ann = shown["Ann Caller"]
    assert ann["summary"] == ann["reason"] == ann["message_text"] == WITHHELD and "chest" not in str(ann)
    assert shown["Bo Billing"]["reason"] == "a double charge"
    read = {r["caller_name"]: r for r in (await client.get("/call-center/api/callbacks", headers=nurse.auth)).json()}
    assert read["Ann Caller"]["message_text"] == "call me about my chest pain"
    claimed = await client.post(f"/call-center/api/callbacks/{ann['id']}/claim", headers=agent.auth)
    assert claimed.json()["transcript"][0]["text"] == WITHHELD
    message = await client.get(f"/call-center/api/callbacks/{ann['id']}/message", headers=agent.auth)
    assert message.status_code == 403


async def test_the_sip_popup_withholds_health_details(client: httpx.AsyncClient, runtime: Runtime) -> None:
    caller = await register(client)
    agent = await make_staff(runtime, await register(client))
    nurse = await clinical(runtime, await register(client))
    context = await transfer_call(
        runtime.sessions, request=TransferRequest(department="billing", reason="chest pain"), call_sid="CAsip123",
        channel="phone", caller_id=caller.id, phone="+15551234567", transcript=[{"role": "user", "text": SYMPTOMS}])
    await cache_context(runtime, context)
    async with transaction(runtime.sessions) as session:  # the call's saved turns show the clinic's intake
        session.add(CallRecording(call_sid="CAsip123", channel="phone", status="completed",
                                  timings=[turn_record(caller, "CAsip123", 1, domain="healthcare").model_dump(mode="json")]))
    url = "/call-center/api/sip/customer"
    shown = (await client.get(url, params={"call_sid": "CAsip123"}, headers=agent.auth)).json()
    assert shown["reason"] == WITHHELD and "chest" not in str(shown)
    read = (await client.get(url, params={"call_sid": "CAsip123"}, headers=nurse.auth)).json()
    assert read["transcript"][0]["text"] == SYMPTOMS


async def _ringing(lines: AsyncIterator[str]) -> dict[str, Any]:
    while True:
        name, data = await asyncio.wait_for(_next_event(lines), 5)
        if name == "message" and (event := json.loads(data))["type"] == "ringing":
            return cast(dict[str, Any], event)


async def test_the_call_center_floor_withholds_health_details(runtime: Runtime) -> None:
    """A ringing clinic call's reason reaches staff without the clinical role withheld: on the live feed,
    the ringing banner, the answered call and the history. A call that touched no health data shows its own."""
    async with live_server(runtime) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
        caller = await register(http)
        desk = await make_staff(runtime, await register(http))
        nurse = await clinical(runtime, await register(http))
        for agent in (desk, nurse):
            assert (await http.post(f"{API}/agent/login", json={"departments": ["support"]},
                                    headers=agent.auth)).status_code == 200
            assert (await http.post(f"{API}/agent/ready", headers=agent.auth)).status_code == 200
        await monitor.publish(runtime.store, turn_record(caller, "CA-test-1", 1, domain="healthcare", text_in=SYMPTOMS))
        async with http.stream("GET", f"{API}/events", headers=desk.auth) as shown, \
                http.stream("GET", f"{API}/events", headers=nurse.auth) as read:
            desk_feed, nurse_feed = shown.aiter_lines(), read.aiter_lines()
            for feed in (desk_feed, nurse_feed):
                assert (await asyncio.wait_for(_next_event(feed), 5))[0] == "ready"
            call = await queue_call(runtime, caller, reason="chest pain")  # CA-test-1: it touched the intake
            seen = await _ringing(desk_feed)
            assert seen["ring"]["reason"] == WITHHELD and "chest" not in str(seen)
            assert seen["ring"]["caller_name"] == call.caller_name
            assert (await _ringing(nurse_feed))["ring"]["reason"] == "chest pain"

            status = (await http.get(f"{API}/agent/status", headers=desk.auth)).json()
            assert status["ringing"][0]["reason"] == WITHHELD and "chest" not in str(status)
            assert (await http.get(f"{API}/call/ringing", headers=desk.auth)).json()[0]["reason"] == WITHHELD
            read_status = (await http.get(f"{API}/agent/status", headers=nurse.auth)).json()
            assert read_status["ringing"][0]["reason"] == "chest pain"

            answered = await http.post(f"{API}/call/answer", json={"call_id": call.id}, headers=desk.auth)
            assert answered.json()["reason"] == WITHHELD and "chest" not in answered.text
            on_call = (await http.get(f"{API}/agent/status", headers=desk.auth)).json()["call"]
            assert on_call["summary"] == WITHHELD and {t["text"] for t in on_call["transcript"]} == {WITHHELD}
            await http.post(f"{API}/call/drop", json={"call_id": call.id}, headers=desk.auth)
            history = (await http.get(f"{API}/call/history", headers=desk.auth)).json()
            assert history[0]["reason"] == WITHHELD and "chest" not in str(history)
            assert (await http.get(f"{API}/call/history", headers=nurse.auth)).json()[0]["reason"] == "chest pain"

            other = await transfer_call(runtime.sessions, request=TransferRequest(department="support", reason="my bill"),
                                        call_sid="CA-other", channel="phone", caller_id=caller.id, phone=None,
                                        transcript=[])
            await CallCenter(runtime.store, runtime.settings.transfer_departments).enqueue(other)
            assert (await _ringing(desk_feed))["ring"]["reason"] == "my bill"  # no health data: shown
