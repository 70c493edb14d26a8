"""Call recordings on the Agent Monitor: staff play and download a finished call's audio; nobody else
may, and a call without one (or purged) is a clear 404."""

from __future__ import annotations

from typing import Any

import httpx

from core.db import transaction
from core.models import CallRecording
from core.recordings import recording_key, recording_store
from core.runtime import Runtime
from tests.api.test_monitor import turn_record
from tests.helpers import make_clinical, make_staff, register

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


async def recorded_call(runtime: Runtime, call_sid: str, *, keep: bool = True,
                        timings: list[dict[str, Any]] | None = None) -> CallRecording:
    row = CallRecording(call_sid=call_sid, channel="phone", status="completed", timings=timings or [],
                        audio_path=recording_key(call_sid) if keep else None)
    if keep:
        await recording_store(runtime.settings).put(recording_key(call_sid), WAV)
    async with transaction(runtime.sessions) as session:
        session.add(row)
    return row


async def test_staff_play_and_download_a_recording(client: httpx.AsyncClient, runtime: Runtime) -> None:
    row = await recorded_call(runtime, "CA-rec-api")
    bare = await recorded_call(runtime, "CA-no-rec", keep=False)
    staff = await make_staff(runtime, await register(client))
    member = await register(client)
    url = f"/agent-monitor/api/calls/{row.id}/recording"

    played = await client.get(url, headers=staff.auth)
    assert played.status_code == 200 and played.content == WAV
    assert played.headers["content-type"] == "audio/wav" and "content-disposition" not in played.headers
    saved = await client.get(url, params={"download": "true"}, headers=staff.auth)
    assert saved.headers["content-disposition"].startswith('attachment; filename="call-')
    assert (await client.get(url, headers=member.auth)).status_code == 403
    assert (await client.get(url)).status_code == 401
    missing = await client.get(f"/agent-monitor/api/calls/{bare.id}/recording", headers=staff.auth)
    assert missing.status_code == 404 and missing.json()["detail"] == "This call has no recording."

    calls = (await client.get("/agent-monitor/api/interactions", params={"source": "calls"},
                              headers=staff.auth)).json()["items"]
    assert {c["call_sid"]: c["has_recording"] for c in calls} == {"CA-rec-api": True, "CA-no-rec": False}

    await recording_store(runtime.settings).delete(row.audio_path or "")  # purged by retention
    assert (await client.get(url, headers=staff.auth)).status_code == 404


async def test_a_clinic_calls_recording_is_for_clinical_staff(client: httpx.AsyncClient, runtime: Runtime) -> None:
    caller = await register(client)
    intake = turn_record(caller, "CA-rec-clinic", 1, domain="healthcare").model_dump(mode="json")
    row = await recorded_call(runtime, "CA-rec-clinic", timings=[intake])
    url = f"/agent-monitor/api/calls/{row.id}/recording"
    desk = await make_staff(runtime, await register(client))
    refused = await client.get(url, headers=desk.auth)
    assert refused.status_code == 403 and "clinical" in refused.json()["detail"]
    nurse = await make_clinical(runtime, await register(client))
    assert (await client.get(url, headers=nurse.auth)).content == WAV
