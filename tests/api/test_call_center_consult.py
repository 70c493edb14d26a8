"""Warm transfer through the call-center API: the agent consults a colleague (the caller on hold), then
hands the caller over or goes back to them; hanging up mid-consult, a caller hanging up, and a colleague
who is not Ready each end in a clear state."""

from __future__ import annotations

from typing import Any

import httpx

from core.runtime import Runtime
from core.tools import TransferRequest
from domains.transfer.profile import transfer_call
from domains.transfer.queue import CallCenter
from tests.helpers import Account, make_staff, register

API = "/call-center/api"


async def ready_agent(client: httpx.AsyncClient, runtime: Runtime, first: str) -> Account:
    agent = await make_staff(runtime, await register(client, first_name=first, last_name="Agent"))
    assert (await client.post(f"{API}/agent/login", json={"departments": ["support"]}, headers=agent.auth)).is_success
    assert (await client.post(f"{API}/agent/ready", headers=agent.auth)).is_success
    return agent


async def post(client: httpx.AsyncClient, who: Account, path: str, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{API}{path}", json=body, headers=who.auth)


async def state(client: httpx.AsyncClient, who: Account) -> dict[str, Any]:
    return dict((await client.get(f"{API}/agent/status", headers=who.auth)).json())


async def on_a_call(client: httpx.AsyncClient, runtime: Runtime, agent: Account) -> str:
    call = await transfer_call(runtime.sessions, request=TransferRequest(department="support", reason="a refund"),
                               call_sid="CA-consult", channel="phone", caller_id=None, phone="+15551230000",
                               transcript=[])
    call = await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).enqueue(call)
    assert (await post(client, agent, "/call/answer", {"call_id": call.id})).is_success
    return call.id


async def test_consult_then_hand_the_caller_over(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await ready_agent(client, runtime, "Kim")
    call_id = await on_a_call(client, runtime, kim)
    lee, max_ = await ready_agent(client, runtime, "Lee"), await ready_agent(client, runtime, "Max")
    started = await post(client, kim, "/call/consult", {"call_id": call_id, "agent_id": lee.id})
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "on_hold" and started.json()["consult"]["status"] == "ringing"
    offer = (await state(client, lee))["consult_offer"]
    assert offer == {"call_id": call_id, "by_name": "Kim Agent", "caller_name": "+15551230000", "reason": "a refund",
                     "department": "support"}
    assert (await state(client, max_))["consult_offer"] is None
    assert (await post(client, max_, "/call/consult/accept", {"call_id": call_id})).status_code == 403
    assert (await post(client, kim, "/call/consult/join", {"call_id": call_id})).status_code == 409  # nobody yet
    assert (await post(client, lee, "/call/consult/accept", {"call_id": call_id})).status_code == 200
    assert (await state(client, lee))["agent"]["state"] == "on_call"

    joined = await post(client, kim, "/call/consult/join", {"call_id": call_id})
    assert joined.status_code == 200
    assert (joined.json()["status"], joined.json()["agent_id"], joined.json()["consult"]) == ("connected", lee.id, None)
    assert (await state(client, kim))["agent"]["state"] == "wrap_up"
    [entry] = (await client.get(f"{API}/call/history", headers=kim.auth)).json()
    assert (entry["outcome"], entry["agent_id"]) == ("answered", kim.id)
    # The caller is Lee's call now: Lee holds, hangs up, files it.
    assert (await post(client, lee, "/call/drop", {"call_id": call_id})).status_code == 200
    assert [h["agent_id"] for h in (await client.get(f"{API}/call/history", headers=lee.auth)).json()] == [lee.id, kim.id]


async def test_consult_then_back_to_the_caller(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await ready_agent(client, runtime, "Kim")
    call_id = await on_a_call(client, runtime, kim)
    lee = await ready_agent(client, runtime, "Lee")
    busy = await post(client, kim, "/call/consult", {"call_id": call_id, "department": "sales"})
    assert busy.status_code == 409 and "No one in sales is Ready" in busy.json()["detail"]
    assert (await post(client, kim, "/call/consult", {"call_id": call_id, "department": "support"})).is_success
    assert (await post(client, lee, "/call/consult/accept", {"call_id": call_id})).is_success
    back = await post(client, lee, "/call/consult/back", {"call_id": call_id})  # the colleague ends it
    assert back.status_code == 200 and back.json()["status"] == "connected" and back.json()["agent_id"] == kim.id
    assert (await state(client, lee))["agent"]["state"] == "ready"
    assert (await state(client, kim))["agent"]["state"] == "on_call"


async def test_hanging_up_mid_consult(client: httpx.AsyncClient, runtime: Runtime) -> None:
    kim = await ready_agent(client, runtime, "Kim")
    call_id = await on_a_call(client, runtime, kim)
    lee = await ready_agent(client, runtime, "Lee")
    # Nobody has accepted yet: the caller rings the colleague, as a blind transfer.
    assert (await post(client, kim, "/call/consult", {"call_id": call_id, "agent_id": lee.id})).is_success
    dropped = await post(client, kim, "/call/drop", {"call_id": call_id})
    assert dropped.status_code == 200 and dropped.json()["status"] == "queued"
    assert dropped.json()["target_agent"] == lee.id
    assert [c["id"] for c in (await state(client, lee))["ringing"]] == [call_id]
    assert (await post(client, lee, "/call/answer", {"call_id": call_id})).is_success

    # The colleague is on the line: hanging up hands the caller to them.
    kim_again = kim
    await post(client, kim_again, "/agent/ready", {})
    ann = await ready_agent(client, runtime, "Ann")
    assert (await post(client, lee, "/call/consult", {"call_id": call_id, "agent_id": ann.id})).is_success
    assert (await post(client, ann, "/call/consult/accept", {"call_id": call_id})).is_success
    handed = await post(client, lee, "/call/drop", {"call_id": call_id})
    assert handed.status_code == 200 and handed.json()["agent_id"] == ann.id

    # The caller hangs up during a consult: the colleague is free again.
    assert (await post(client, lee, "/agent/ready", {})).is_success
    assert (await post(client, ann, "/call/consult", {"call_id": call_id, "agent_id": lee.id})).is_success
    assert (await post(client, lee, "/call/consult/accept", {"call_id": call_id})).is_success
    await CallCenter(runtime.store, runtime.settings.transfer_departments, runtime.sessions).caller_left(call_id)
    assert (await state(client, lee))["agent"]["state"] == "ready"
    assert (await state(client, ann))["agent"]["state"] == "wrap_up"
