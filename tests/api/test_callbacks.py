"""The staff callback queue: a caller nobody could take waits in the database (not in their own todos)
until a staff member claims the request, calls back, and closes it with an outcome."""

from __future__ import annotations

import asyncio
import io
import json
import wave

import httpx
from pipecat.frames.frames import InputAudioRawFrame

from core.config import Settings
from core.runtime import Runtime
from domains.transfer import callbacks
from domains.transfer.calls import TransferCall
from processors.voicemail import MessageRecorder
from tests.helpers import Account, make_staff, register

API = "/call-center/api/callbacks"


def unanswered(name: str = "Ann Caller", phone: str | None = "+15551234567") -> TransferCall:
    return TransferCall(
        call_sid="CA" + name.replace(" ", ""), department="billing", reason="a double charge",
        caller={"user_id": None, "name": name, "phone": phone},
        transcript=[{"role": "user", "text": "I was charged twice", "at": "2026-12-06T10:00:00+00:00"},
                    {"role": "assistant", "text": "Let me transfer you."}],
        summary=f"{name} asked for billing about a double charge.",
    )


async def staff(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    return await make_staff(runtime, await register(client))


async def test_the_queue_is_for_staff(client: httpx.AsyncClient, runtime: Runtime) -> None:
    await callbacks.leave(runtime.sessions, unanswered())
    member = await register(client)
    assert (await client.get(API, headers=member.auth)).status_code == 403
    assert (await client.get(API)).status_code == 401


async def test_a_callback_is_claimed_by_one_and_closed_with_an_outcome(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    call = unanswered()
    first = await callbacks.leave(runtime.sessions, call)
    assert (await callbacks.leave(runtime.sessions, call)).id == first.id  # a second "yes" is the same request
    kim, lee = await staff(client, runtime), await staff(client, runtime)

    [waiting] = (await client.get(API, headers=kim.auth)).json()
    assert {k: waiting[k] for k in ("caller_name", "phone", "reason", "department", "status", "claimed_by")} == {
        "caller_name": "Ann Caller", "phone": "+15551234567", "reason": "a double charge", "department": "billing",
        "status": "open", "claimed_by": None}
    assert waiting["transcript"] == [{"role": "user", "text": "I was charged twice"},
                                     {"role": "assistant", "text": "Let me transfer you."}]

    events = await runtime.store.subscribe("callcenter:events")
    try:
        claims = await asyncio.gather(*(client.post(f"{API}/{first.id}/claim", headers=a.auth) for a in (kim, lee)))
        assert sorted(r.status_code for r in claims) == [200, 409]
        winner, loser = (kim, lee) if claims[0].status_code == 200 else (lee, kim)
        assert next(r for r in claims if r.status_code == 200).json()["claimed_by"] == winner.id
        event = json.loads(await events.get(wait=5) or "{}")
        assert event == {"kind": "callcenter:events", "type": "callback", "id": str(first.id), "status": "claimed",
                         "department": "billing"}
    finally:
        await events.close()
    assert (await client.post(f"{API}/{first.id}/claim", headers=winner.auth)).status_code == 200  # already theirs
    refused = await client.post(f"{API}/{first.id}/close", json={"outcome": "reached"}, headers=loser.auth)
    assert refused.status_code == 409 and "Someone else" in refused.json()["detail"]
    bad = await client.post(f"{API}/{first.id}/close", json={"outcome": "shrugged"}, headers=winner.auth)
    assert bad.status_code == 422

    closed = await client.post(f"{API}/{first.id}/close", json={"outcome": "reached", "note": "refund issued"},
                               headers=winner.auth)
    assert closed.status_code == 200, closed.text
    assert {k: closed.json()[k] for k in ("status", "outcome", "note", "claimed_by")} == {
        "status": "closed", "outcome": "reached", "note": "refund issued", "claimed_by": winner.id}
    assert (await client.get(API, headers=kim.auth)).json() == []
    assert [r["id"] for r in (await client.get(API, params={"status": "closed"}, headers=kim.auth)).json()] == [
        str(first.id)]
    again = await client.post(f"{API}/{first.id}/close", json={"outcome": "no-answer"}, headers=winner.auth)
    assert again.status_code == 409 and "already closed" in again.json()["detail"]
    assert (await client.post(f"{API}/{first.id}/claim", headers=lee.auth)).status_code == 409


async def test_a_claim_can_be_given_back_and_an_open_one_closed_at_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    request = await callbacks.leave(runtime.sessions, unanswered(phone=None))
    kim, lee = await staff(client, runtime), await staff(client, runtime)
    assert (await client.post(f"{API}/{request.id}/claim", headers=kim.auth)).status_code == 200
    assert (await client.post(f"{API}/{request.id}/release", headers=lee.auth)).status_code == 409
    released = await client.post(f"{API}/{request.id}/release", headers=kim.auth)
    assert released.status_code == 200 and released.json()["status"] == "open"
    closed = await client.post(f"{API}/{request.id}/close", json={"outcome": "wrong-number"}, headers=lee.auth)
    assert closed.json()["status"] == "closed" and closed.json()["claimed_by"] == lee.id
    missing = await client.post(f"{API}/00000000-0000-0000-0000-000000000000/claim", headers=kim.auth)
    assert missing.status_code == 404


async def test_the_queue_survives_a_restart(settings: Settings, runtime: Runtime) -> None:
    request = await callbacks.leave(runtime.sessions, unanswered("Bo Caller"))
    restarted = Runtime.build(settings)  # a new process on the same database (and store)
    try:
        [found] = await callbacks.listed(restarted.sessions, callbacks.CallbackStatus.OPEN)
    finally:
        await restarted.close()
    assert (found.id, found.caller_name, found.summary) == (request.id, "Bo Caller",
                                                            "Bo Caller asked for billing about a double charge.")


async def test_staff_play_the_voice_message(client: httpx.AsyncClient, runtime: Runtime) -> None:
    recorder = MessageRecorder()
    recorder.heard_speech = True
    recorder.add(InputAudioRawFrame(audio=b"\x10\x00" * 8000, sample_rate=8000, num_channels=1))
    call = unanswered()
    path = await recorder.save(runtime.settings.data_dir, call.id)
    with_message = await callbacks.leave(runtime.sessions, call, message_text="call me after five", message_path=path)
    without = await callbacks.leave(runtime.sessions, unanswered("Bo Caller"))
    kim, member = await staff(client, runtime), await register(client)

    listed = {r["caller_name"]: r for r in (await client.get(API, headers=kim.auth)).json()}
    assert (listed["Ann Caller"]["message_text"], listed["Ann Caller"]["has_message"]) == ("call me after five", True)
    assert listed["Bo Caller"]["has_message"] is False
    played = await client.get(f"{API}/{with_message.id}/message", headers=kim.auth)
    assert played.status_code == 200 and played.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(played.content)) as audio:
        assert (audio.getframerate(), audio.getnframes()) == (8000, 8000)
    assert (await client.get(f"{API}/{with_message.id}/message", headers=member.auth)).status_code == 403
    assert (await client.get(f"{API}/{without.id}/message", headers=kim.auth)).status_code == 404
